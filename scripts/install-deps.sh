#!/usr/bin/env bash
# install-deps.sh: installs exactly the Debian packages poolbench needs that are missing.
# Idempotent: with everything present it installs nothing and says so. Needs root (or
# sudo) only when something is missing. Debian 12 (bookworm) package names.
set -euo pipefail

PACKAGES=(
  cmake make gcc pkg-config git tar coreutils
  libssl-dev libarchive-dev libjson-c-dev libinih-dev libsqlite3-dev libcmocka-dev
  libmimalloc-dev libjemalloc-dev libgoogle-perftools-dev
  hyperfine gnuplot-nox valgrind
  libarchive-tools              # scripts/bench-tar.sh: bsdtar, libarchive's own archiver
  python3 python3-scipy         # tests: independent hash-of-hashes, summary.json re-check
  chromium                      # tests: the HTML report renders, headless
  golang-go                     # tests: bench.txt parses as Go benchmark format; go tool pprof
  libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libdw-dev
  curl                          # profiling: --pprof-http, --memprofile, profile-memory.sh
  clang libclang-rt-14-dev      # fuzzing: libFuzzer, ASan, UBSan (scripts/fuzz.sh, test fuzz_suite)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# refresh the package lists once if they are missing or older than a day
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${#missing[@]} package(s)"
