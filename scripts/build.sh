#!/usr/bin/env bash
# build.sh: configure (once) and build poolbench into build/ (or $PB_BUILD_DIR).
# Used by run-matrix.sh and test.sh; safe to run repeatedly (incremental).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PB_BUILD_DIR:-$root/build}
mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${PB_CMAKE_ARGS:-} >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log" >&2; echo "build: cmake configure failed (log above)" >&2; exit 1; }
fi
cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1 \
  || { tail -50 "$build/build.log" >&2; echo "build: compile failed (full log: $build/build.log)" >&2; exit 1; }
echo "build: ok ($build)"
