#!/usr/bin/env bash
# test.sh: the README's test command. Installs missing packages, builds, runs the whole
# CTest suite (fast and slow labels) and prints CTest's summary. Exit status is CTest's.
#   ./scripts/test.sh            everything
#   ./scripts/test.sh -L fast    extra arguments go to ctest
# Sanitizer builds (README, "Sanitizer builds"), each in its own build folder:
#   ./scripts/test.sh --sanitize=address,undefined   ASan + UBSan, build-asan/, every test
#                                                    except those labelled "timing"
#                                                    (ctest -LE timing)
#   ./scripts/test.sh --sanitize=thread              TSan, build-tsan/, the tests labelled
#                                                    "threaded" (ctest -L threaded)
# The "timing" tests are gate_acceptance, gate_acceptance_quick and decision_aa: their
# assertions are about measured time distributions (A/A runs must pass, an injected 25 %
# slowdown must be caught), which ASan's 2-3x slow-down and its allocator change; their
# code paths (driver, gate, report) run in other tests under ASan; and they alone would
# take well over an hour instrumented (963 + 227 + 229 s in a normal build).
# Extra ctest arguments after --sanitize=... replace the default selection (e.g.
# `--sanitize=thread -R pool`). Every sanitizer report, including those of grandchildren
# (runners started by the driver), is written under <build>/sanitizer-logs/; the run fails
# (exit 1) when any report is there, even if every test passed, and prints the reports.
# Exit codes: CTest's (0 all passed, 8 some failed), 1 sanitizer reports found, 2 bad
# argument.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

sanitize=""
if [ $# -gt 0 ]; then
  case "$1" in
    --sanitize=*) sanitize=${1#--sanitize=}; shift ;;
    --sanitize) echo "test.sh: --sanitize needs a value: --sanitize=address,undefined or --sanitize=thread" >&2; exit 2 ;;
  esac
fi

dir=""
default_sel=()
if [ -n "$sanitize" ]; then
  case "$sanitize" in
    address|address,undefined|undefined,address) dir=build-asan; default_sel=(-LE timing) ;;
    thread|thread,undefined|undefined,thread) dir=build-tsan; default_sel=(-L threaded) ;;
    *) echo "test.sh: --sanitize=$sanitize: expected address,undefined (or address) or thread" >&2
       exit 2 ;;
  esac
fi

"$root/scripts/install-deps.sh"
if [ -z "$sanitize" ]; then
  "$root/scripts/build.sh"
  cd "${PB_BUILD_DIR:-$root/build}"
  exec ctest --output-on-failure -j2 "$@"
fi

build=${PB_BUILD_DIR:-$root/$dir}
if [ -f "$build/CMakeCache.txt" ] &&
   ! grep -qx "PB_SANITIZE:STRING=$sanitize" "$build/CMakeCache.txt"; then
  echo "test.sh: $build was configured with another PB_SANITIZE; remove it or set PB_BUILD_DIR" >&2
  exit 2
fi
PB_BUILD_DIR=$build PB_CMAKE_ARGS="${PB_CMAKE_ARGS:-} -DPB_SANITIZE=$sanitize" "$root/scripts/build.sh"

logs=$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# halt on the first report; reports go to files so that a child's report is never lost
# in a test's captured output. Options a test sets itself are appended to these.
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TSAN_OPTIONS="log_path=$logs/tsan:halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export PB_SANITIZER_LOGS=$logs

cd "$build"
if [ $# -gt 0 ]; then sel=("$@"); else sel=("${default_sel[@]}"); fi
set +e
ctest --output-on-failure -j2 "${sel[@]}"
rc=$?
set -e
reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  echo "test.sh: sanitizer reports ($sanitize), from $logs:" >&2
  for f in $reports; do
    echo "---- $f" >&2
    head -60 "$f" >&2
  done
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
