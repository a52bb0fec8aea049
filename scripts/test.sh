#!/usr/bin/env bash
# test.sh: the README's test command. Installs missing packages, builds, runs the whole
# CTest suite (fast and slow labels) and prints CTest's summary. Exit status is CTest's.
#   ./scripts/test.sh            everything
#   ./scripts/test.sh -L fast    extra arguments go to ctest
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "${PB_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j2 "$@"
