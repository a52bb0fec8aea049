#!/usr/bin/env bash
# test_runner_errors.sh: bad input gets one line on stderr naming the argument or file,
# the documented exit code, and nothing on stdout; allocation failure at every point of
# a small run (SQLite style: fail every allocation after the first N, for every N) ends
# with exit 0 or 4, never a crash and never partial JSON, and the injector must fire.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
pb=$bin/pb-glibc

expect() { # expect CODE WORD -- args...: exit code, stderr mentions WORD, stdout empty
  local code=$1 word=$2; shift 3
  "$pb" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  local lines; lines=$(wc -l < "$tmp/err")
  if [ $rc -eq "$code" ] && [ ! -s "$tmp/out" ] && grep -q -- "$word" "$tmp/err" && [ "$lines" -eq 1 ]; then
    ok "exit $code naming '$word' for: $*"
  else
    nok "for: $* got exit $rc, stderr: $(head -c 300 "$tmp/err"), stdout bytes: $(wc -c < "$tmp/out")"
  fi
}
printf 'FROM x\n' > "$tmp/Dockerfile"; tar -cf "$tmp/a.tar" -C "$tmp" Dockerfile
head -c 100 /dev/urandom > "$tmp/garbage"
head -c 33 /dev/urandom > "$tmp/33bytes"
expect 2 --workload -- --workload nosuch
expect 2 --workload -- --size 1K
expect 2 --size -- --workload checksum --size 12Q
expect 2 --size -- --workload checksum --size -5
expect 2 --size -- --workload checksum --size 99999999999999999999999
expect 2 --iterations -- --workload checksum --iterations 0
expect 2 --threads -- --workload checksum --threads x
expect 2 --pools -- --workload checksum --pools hash,bogus
expect 2 --zero-on-put -- --workload checksum --zero-on-put maybe
expect 2 --standard-alloc -- --workload checksum --standard-alloc mmap
expect 2 "unknown argument" -- --workload checksum --frobnicate
expect 2 "$tmp/missing" -- --workload checksum --input "$tmp/missing"
expect 2 "not a regular file" -- --workload checksum --input "$tmp"
expect 2 "32-byte" -- --workload sum_checksum --input "$tmp/33bytes"
expect 2 "$tmp/missing" -- --workload tar_create --input "$tmp/missing"
expect 2 "--member nope" -- --workload tar_read --input "$tmp/a.tar" --member nope
expect 2 "--member nope" -- --workload tar_read --input "$tmp/a.tar" --member nope --from-disk
expect 2 "$tmp/garbage" -- --workload tar_copy --input "$tmp/garbage"
expect 2 "exclude" -- --workload checksum --input "$tmp/garbage" --size 10

# a backend that is not the one claimed: another allocator preloaded
# (libjemalloc2 is a build dependency: not finding it is a failure, never a skipped check)
je=$(ldconfig -p 2>/dev/null | awk '/libjemalloc\.so\.2 /{print $NF; exit}')
[ -n "$je" ] || je=$(ls /usr/lib/*/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 2>/dev/null | head -1)
if [ -n "$je" ] && ldd "$pb" | grep -qE 'lib(asan|tsan)\.so'; then
  # sanitizer build: the sanitizer refuses (ASan) or dies of (TSan) a preloaded
  # allocator before main; what must hold is that no result comes out
  LD_PRELOAD=$je "$pb" --workload image_tag >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ $rc -ne 0 ] && [ ! -s "$tmp/out" ]; then ok "sanitizer pb-glibc with jemalloc preloaded does not run (exit $rc)"
  else nok "sanitizer build, preloaded jemalloc: exit $rc, stdout $(wc -c <"$tmp/out") bytes"; fi
elif [ -n "$je" ]; then
  LD_PRELOAD=$je "$pb" --workload image_tag >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ $rc -eq 3 ] && [ ! -s "$tmp/out" ] && grep -q 'refusing' "$tmp/err"; then ok "pb-glibc with jemalloc preloaded refuses (exit 3)"
  else nok "preloaded jemalloc: exit $rc, $(cat "$tmp/err")"; fi
else
  nok "preloaded jemalloc: libjemalloc.so.2 not found (apt-get install libjemalloc2, or scripts/install-deps.sh)"
fi

# allocation failure at every allocation of small runs: exit 0 or 4, JSON only on 0.
# The loop proves the injector fired: every run before the last must report failed
# calls on stderr (fired >= 1, at least one named site), the last must report none, and
# at least one run per workload must have failed. (The full loop over every workload,
# both modes, with leak checks: test_runner_faults.py, ctest -L faults.)
# In a sanitizer build (PB_SANITIZER_BUILD=1, set by CMake) the front end cannot fail a
# call (its hooks run after the sanitizer's malloc has decided): the loop is skipped,
# and what must hold instead is that the runner refuses --fail-after (exit 2).
fault_loop=(checksum image_tag tar_copy)
if [ "${PB_SANITIZER_BUILD:-0}" = 1 ]; then
  echo "# skip: the fault-injection loop (sanitizer build: allocations cannot be made to fail; README, Sanitizer builds)"
  expect 2 "sanitizer build" -- --workload checksum --fail-after 0
  expect 2 "sanitizer build" -- --workload image_tag --fail-after 5 --fail-count 1
  fault_loop=()
fi
for wl in "${fault_loop[@]}"; do
  args=(--workload "$wl" --size 16K --seed 2 --files 2 --warmup 0)
  "$pb" "${args[@]}" >/dev/null || nok "$wl baseline run failed"
  bad=0 n=0 last="" failed_runs=0
  while :; do
    "$pb" "${args[@]}" --fail-after "$n" >"$tmp/out" 2>"$tmp/err"; rc=$?
    fired=$(sed -n 's/^pb: fault injection: .* fired=\([0-9]*\) .*/\1/p' "$tmp/err")
    sites=$(grep -c '^pb: fault site ' "$tmp/err")
    if [ -z "$fired" ]; then bad=1; last="N=$n: no fault report on stderr"; break; fi
    if [ "$fired" -gt 0 ]; then
      failed_runs=$((failed_runs + 1))
      [ "$sites" -ge 1 ] || { bad=1; last="N=$n: $fired failed calls but no site named"; break; }
    fi
    if [ $rc -eq 0 ]; then
      python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" || { bad=1; last="bad JSON at N=$n"; break; }
      [ "$fired" -eq 0 ] && break   # nothing failed: past the last allocation
    elif [ $rc -ne 4 ] || [ -s "$tmp/out" ]; then bad=1; last="N=$n exit $rc stdout $(wc -c <"$tmp/out") stderr $(head -c 200 "$tmp/err")"; break; fi
    n=$((n + 1))
    [ $n -gt 20000 ] && { bad=1; last="no success after 20000"; break; }
  done
  [ $failed_runs -gt 0 ] || { bad=1; last="the injector never failed a call"; }
  [ $bad -eq 0 ] && ok "$wl: fail-after N for N=0..$n: $failed_runs runs with failed calls, each exit 4 (or 0 with valid JSON), then success with none" || nok "$wl: $last"
done

# the fault-injection arguments
expect 2 --fail-after -- --workload checksum --fail-after -1
expect 2 --fail-after -- --workload checksum --fail-after x
expect 2 --fail-count -- --workload checksum --fail-after 3 --fail-count 0
expect 2 --fail-count -- --workload checksum --fail-count 2
# the calibration-only extra work
expect 2 --inject-extra-ops -- --workload checksum --inject-extra-ops 1001
expect 2 --inject-extra-ops -- --workload checksum --inject-extra-ops -5
expect 2 "pool_churn has no operation loop" -- --workload pool_churn --inject-extra-ops 5
finish
