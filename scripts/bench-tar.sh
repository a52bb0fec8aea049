#!/usr/bin/env bash
# bench-tar.sh: tar_create against the tools that do the same job (issue 12's kernel
# figures). One generated tree (the runners' own generator: --files, --size, seed 4) is
# archived in every round, the cases interleaved and their order alternated:
#   pb <backend> tar     pb-<backend>-bare --workload tar_create --pools tar: the pooled Go
#                        code path, uninstrumented; past 20 files or 10 MiB it is the
#                        concurrent variant (KERNELS.md: up to min(cores, 4) readers,
#                        each file read through a 64 KiB tar buffer into a growing
#                        array, then libarchive into a growing in-memory archive)
#   pb <backend> plain   the same with --pools plain (Branch B: a buffer per file read)
#   GNU tar | cat        tar -cf - -C TREE . | cat >/dev/null (GNU tar through a pipe)
#   bsdtar | cat         bsdtar -cf - -C TREE . | cat >/dev/null (libarchive's own
#                        archiver: the bare libarchive loop, no pool, no kernel around it)
# Throughput = the tree's file bytes / seconds: the timed window for pb (--iterations
# archives after --warmup), the pipeline's wall time for the tools (their process start,
# ~2 ms, is inside it). The pb kernel keeps the whole archive in memory and grows it
# (Go's bytes.Buffer), so it is allocator-bound by design: the ratio to GNU tar depends
# on the backend, which is the pool question. The tools must be installed (tar: GNU tar;
# bsdtar: Debian's libarchive-tools; both in scripts/install-deps.sh).
# A benchmark, not a test: read the ratios of one run; the load average is recorded.
# Usage: scripts/bench-tar.sh [--rounds N (5)] [--files N (500)] [--size BYTES (67108864)]
#        [--iterations N (2)] [--backends LIST (glibc,mimalloc,jemalloc,tcmalloc: those
#        built)] [--out FILE (results/bench-tar.json)] [--bin DIR (build/bin)]
# Exit codes: 0 ok (whatever the ratios), 1 a benchmark failed, 2 bad argument or a
# missing runner or tool.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=5 files=500 size=67108864 iterations=2 backends=""
out=$root/results/bench-tar.json bin=$root/build/bin
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds|--files|--size|--iterations|--backends|--out|--bin)
      [ $# -ge 2 ] || { echo "bench-tar: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --rounds) rounds=$2 ;; --files) files=$2 ;; --size) size=$2 ;;
        --iterations) iterations=$2 ;; --backends) backends=$2 ;; --out) out=$2 ;;
        --bin) bin=$2 ;;
      esac
      shift 2 ;;
    -h|--help) awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "bench-tar: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in rounds files size iterations; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] ||
    { echo "bench-tar: --$v: '${!v}' is not a positive integer" >&2; exit 2; }
done
if [ -z "$backends" ]; then
  for b in glibc mimalloc jemalloc tcmalloc; do
    [ -x "$bin/pb-$b-bare" ] && backends="$backends${backends:+,}$b"
  done
  [ -n "$backends" ] || { echo "bench-tar: no pb-<backend>-bare in $bin (run ./scripts/build.sh)" >&2; exit 2; }
fi
IFS=, read -r -a blist <<< "$backends"
for b in "${blist[@]}"; do
  [ -x "$bin/pb-$b-bare" ] || { echo "bench-tar: --backends: $bin/pb-$b-bare missing (run ./scripts/build.sh)" >&2; exit 2; }
done
tar --version 2>/dev/null | grep -q 'GNU tar' || { echo "bench-tar: GNU tar is not installed (apt-get install tar)" >&2; exit 2; }
command -v bsdtar >/dev/null || { echo "bench-tar: bsdtar is not installed (apt-get install libarchive-tools, or scripts/install-deps.sh)" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
raw=$work/raw

# the tree: generated once by a runner into a private cache folder
"$bin/pb-${blist[0]}-bare" --workload tar_create --files "$files" --size "$size" --seed 4 \
  --iterations 1 --warmup 0 --pools plain --cache-dir "$work" >/dev/null ||
  { echo "bench-tar: pb-${blist[0]}-bare could not generate the tree" >&2; exit 1; }
tree=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'tree-*' | head -1)
[ -n "$tree" ] || { echo "bench-tar: no generated tree under $work" >&2; exit 1; }
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {print s}')

pb_rate() {   # pb_rate BACKEND POLICY ROUND
  local j
  j=$("$bin/pb-$1-bare" --workload tar_create --input "$tree" --iterations "$iterations" \
        --warmup 1 --pools "$2") ||
    { echo "bench-tar: pb-$1-bare --workload tar_create --pools $2 failed" >&2; exit 1; }
  printf '%s\n' "$j" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("pb_%s_%s" % (sys.argv[1], sys.argv[2]), sys.argv[3],
      int(sys.argv[4]) * d["ops"] / (d["wall_ns"] / 1e9))' "$1" "$2" "$3" "$bytes" >> "$raw"
}
tool_rate() {   # tool_rate NAME ROUND COMMAND...
  local name=$1 r=$2 s e
  shift 2
  s=$(date +%s%N)
  "$@" -cf - -C "$tree" . | cat >/dev/null ||
    { echo "bench-tar: $* -cf - -C $tree . failed" >&2; exit 1; }
  e=$(date +%s%N)
  echo "$name $r $(python3 -c 'import sys; print(int(sys.argv[1]) / ((int(sys.argv[3]) - int(sys.argv[2])) / 1e9))' "$bytes" "$s" "$e")" >> "$raw"
}

cases=()
for b in "${blist[@]}"; do cases+=("pb $b tar" "pb $b plain"); done
cases+=("tool gnu_tar tar" "tool bsdtar bsdtar")
tool_rate gnu_tar 0 tar; tool_rate bsdtar 0 bsdtar   # page cache warm before round 1
: > "$raw"
for r in $(seq 1 "$rounds"); do
  n=${#cases[@]}
  for ((k = 0; k < n; k++)); do
    i=$k; [ $((r % 2)) -eq 0 ] && i=$((n - 1 - k))   # alternate the order every round
    read -r kind a c <<< "${cases[$i]}"
    if [ "$kind" = pb ]; then pb_rate "$a" "$c" "$r"; else tool_rate "$a" "$r" "$c"; fi
  done
done

python3 - "$raw" "$out" "$rounds" "$files" "$bytes" "$iterations" "$backends" "$(uptime)" \
  "$(nproc)" "$(tar --version | head -1)" "$(bsdtar --version)" <<'PY'
import json, statistics, sys
raw, out, rounds, files, nbytes, iters, backends, up, ncpu, gnu, bsd = sys.argv[1:12]
rate = {}
for line in open(raw):
    c, r, v = line.split()
    rate.setdefault(c, []).append(float(v))
med = {c: statistics.median(v) for c, v in rate.items()}
res = {"what": "tree bytes per second, median of rounds (interleaved); pb: timed window, "
               "tools: the pipeline's wall time",
       "rounds": int(rounds), "files": int(files), "tree_bytes": int(nbytes),
       "iterations": int(iters), "cpus": int(ncpu), "load": up.strip(), "gnu_tar": gnu,
       "bsdtar": bsd, "median_bytes_per_s": med, "samples_bytes_per_s": rate, "ratios": {}}
print("bench-tar: %s rounds, interleaved; %s files, %.1f MB; %s CPUs; %s"
      % (rounds, files, int(nbytes) / 1e6, ncpu, up.strip()))
print("  GNU tar | cat   %8.0f MB/s   (%s)" % (med["gnu_tar"] / 1e6, gnu))
print("  bsdtar | cat    %8.0f MB/s   (%s)" % (med["bsdtar"] / 1e6, bsd))
for b in backends.split(","):
    for p in ("tar", "plain"):
        k = "pb_%s_%s" % (b, p)
        g, l = med[k] / med["gnu_tar"], med[k] / med["bsdtar"]
        res["ratios"][k + "_over_gnu_tar"] = g
        res["ratios"][k + "_over_bsdtar"] = l
        print("  tar_create %-8s arm %-5s %8.0f MB/s  %.2fx GNU tar  %.2fx bsdtar"
              % (b, p, med[k] / 1e6, g, l))
json.dump(res, open(out, "w"), indent=1)
print("JSON: " + out)
PY
