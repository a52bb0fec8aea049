#!/usr/bin/env bash
# fuzz.sh: builds the libFuzzer targets of tests/fuzz in a fuzz build dir of their own
# (CC=clang, -DPB_FUZZ=ON: libFuzzer + ASan + UBSan) and runs every target for SECONDS
# each (default 60), one after another, on its seed corpus (tests/fuzz/corpus/TARGET,
# never written to) plus a work corpus kept in the build dir (new inputs go there).
#   ./scripts/fuzz.sh [SECONDS]
# Environment: PB_FUZZ_BUILD_DIR (default build-fuzz/), PB_FUZZ_TARGETS (a space list,
# default all), PB_FUZZ_JOBS (targets run at once, default 1).
# Prints per target: executions, executions per second, coverage (edges) and features.
# Exit: 0 every target ran without a finding; 1 a target crashed, leaked, hung (-timeout
# 10 s per input), ran out of memory or broke an oracle (the input is saved as
# BUILD/work/artifacts/TARGET-crash-*, the log is BUILD/work/TARGET.log); 2 bad argument,
# clang/libFuzzer missing (install with scripts/install-deps.sh) or the build failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PB_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${1:-60}
all_targets="scenario matrix thresholds journal runner_args tar_read tar_copy"
targets=${PB_FUZZ_TARGETS:-$all_targets}
jobs=${PB_FUZZ_JOBS:-1}

if [ $# -gt 1 ] || ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ] || [ "$seconds" -gt 86400 ]; then
  echo "fuzz.sh: SECONDS: '${*}' is not valid (expected one number of seconds per target, 1..86400)" >&2
  exit 2
fi
if ! [[ $jobs =~ ^[0-9]+$ ]] || [ "$jobs" -lt 1 ]; then
  echo "fuzz.sh: PB_FUZZ_JOBS: '$jobs' is not valid (expected a count >= 1)" >&2
  exit 2
fi
for t in $targets; do
  case " $all_targets " in *" $t "*) ;; *)
    echo "fuzz.sh: PB_FUZZ_TARGETS: unknown target '$t' (targets: $all_targets)" >&2; exit 2;;
  esac
done
if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang is not installed (libFuzzer needs it): run scripts/install-deps.sh" >&2
  exit 2
fi
if [ ! -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then
  echo "fuzz.sh: clang's libFuzzer runtime is missing (Debian package libclang-rt-14-dev):" \
       "run scripts/install-deps.sh" >&2
  exit 2
fi

mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPB_FUZZ=ON \
    >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log" >&2; echo "fuzz.sh: cmake configure failed (log above)" >&2; exit 2; }
fi
start=$(date +%s)
cmake --build "$build" --target pb_fuzz -j"$(nproc)" >"$build/build.log" 2>&1 \
  || { tail -50 "$build/build.log" >&2; echo "fuzz.sh: build failed (full log: $build/build.log)" >&2; exit 2; }
echo "fuzz.sh: built the fuzz targets in $(( $(date +%s) - start )) s ($build)"

work=$build/work
mkdir -p "$work/artifacts"

# Runs one target; its summary line goes to $work/TARGET.summary, status = its result.
fuzz_one() {
  local t=$1 bin=$build/bin/fuzz_$1 log=$work/$1.log
  mkdir -p "$work/corpus/$t"
  local rc=0 t0
  t0=$(date +%s)
  # -close_fd_mask=1: the targets' own stdout is noise; stderr stays for reports
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -close_fd_mask=1 -artifact_prefix="$work/artifacts/$t-" \
    "$work/corpus/$t" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  local took=$(( $(date +%s) - t0 ))
  local execs rate cov ft corp
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  local verdict=ok
  [ "$rc" -eq 0 ] || verdict="FAILED (exit $rc)"
  printf 'fuzz %-12s %9s execs in %ss (%s/s), cov %s, ft %s, corpus %s: %s\n' "$t" \
    "${execs:-?}" "$took" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$verdict" \
    >"$work/$t.summary"
  return "$rc"
}

failed=""
running=0
for t in $targets; do
  rm -f "$work/$t.rc" "$work/$t.summary"
  ( rc=0; fuzz_one "$t" || rc=$?; echo "$rc" >"$work/$t.rc" ) &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait
for t in $targets; do
  cat "$work/$t.summary" 2>/dev/null || echo "fuzz $t: no summary (the run did not finish)"
  [ "$(cat "$work/$t.rc" 2>/dev/null)" = 0 ] || failed="$failed $t"
done
if [ -n "$failed" ]; then
  for t in $failed; do
    echo "---- fuzz_$t: last lines of $work/$t.log" >&2
    tail -40 "$work/$t.log" >&2
  done
  echo "fuzz.sh: FAILED:$failed (inputs in $work/artifacts/, reproduce: $build/bin/fuzz_TARGET FILE)" >&2
  exit 1
fi
echo "fuzz.sh: all $(echo $targets | wc -w) targets ran ${seconds}s each without a finding"
