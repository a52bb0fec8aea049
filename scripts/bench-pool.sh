#!/usr/bin/env bash
# bench-pool.sh: is the C pool model as fast as Go's sync.Pool? (issue 12)
# Runs, interleaved in every round (several rounds, median per case), at 1 and 2 threads:
#   C  bufpool    pb-bench-getput --mode bufpool (hash class, zero_on_put off)
#   C  pool       pb-bench-getput --mode pool    (raw pool.h)
#   Go sync.Pool  pb-go --workload pool_getput         (bare sync.Pool, *[]byte reused)
#   Go memory     pb-go --workload pool_getput_memory  (pkg/memory wrapper, zero off)
# each timing --iterations get+put pairs of one 64 KiB buffer per thread and reporting
# per-thread ns per pair (wall of the window / iterations) and CPU ns per pair (the
# process's user + system time in the window / all pairs: less sensitive to other load,
# but Go's includes its GC and sampler goroutines). Prints a table with the
# ratios C/Go (bufpool / sync.Pool is the issue's criterion: at most 1.0x) and writes
# them as JSON. A benchmark, not a test: figures on a loaded machine are noisy; read the
# ratios of one run, never compare them across runs.
# Usage: scripts/bench-pool.sh [--rounds N (7)] [--iterations N (2000000)]
#        [--threads "1 2"] [--out FILE (results/bench-pool.json)] [--bin DIR (build/bin)]
# Exit codes: 0 ok, 1 a benchmark failed, 2 bad argument.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=7 iterations=2000000 threads="1 2" out=$root/results/bench-pool.json bin=$root/build/bin
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds|--iterations|--threads|--out|--bin)
      [ $# -ge 2 ] || { echo "bench-pool: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --rounds) rounds=$2 ;; --iterations) iterations=$2 ;; --threads) threads=$2 ;;
        --out) out=$2 ;; --bin) bin=$2 ;;
      esac
      shift 2 ;;
    *) echo "bench-pool: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench-pool: --rounds: '$rounds' is not a positive integer" >&2; exit 2; }
[[ "$iterations" =~ ^[1-9][0-9]*$ ]] || { echo "bench-pool: --iterations: '$iterations' is not a positive integer" >&2; exit 2; }
for t in $threads; do
  [[ "$t" =~ ^[1-9][0-9]*$ ]] || { echo "bench-pool: --threads: '$t' is not a positive integer" >&2; exit 2; }
done
for b in pb-go pb-bench-getput; do
  [ -x "$bin/$b" ] || { echo "bench-pool: $bin/$b missing (run ./scripts/build.sh)" >&2; exit 2; }
done
mkdir -p "$(dirname "$out")"
raw=$(mktemp); trap 'rm -f "$raw"' EXIT
warmup=$((iterations / 10 + 1))
common=(--iterations "$iterations" --warmup "$warmup")
# one line per run: case threads round wall_ns_per_pair cpu_ns_per_pair
run_case() {   # run_case CASE THREADS ROUND
  local j
  case "$1" in
    c_bufpool) j=$("$bin/pb-bench-getput" --mode bufpool --threads "$2" "${common[@]}") ;;
    c_pool)    j=$("$bin/pb-bench-getput" --mode pool --threads "$2" "${common[@]}") ;;
    go_sync_pool) j=$("$bin/pb-go" --workload pool_getput --threads "$2" "${common[@]}") ;;
    go_memory) j=$("$bin/pb-go" --workload pool_getput_memory --zero-on-put off --threads "$2" "${common[@]}") ;;
  esac || { echo "bench-pool: $1 at $2 threads failed" >&2; exit 1; }
  printf '%s\n' "$j" | python3 -c '
import json, sys
d = json.load(sys.stdin)
it = d.get("iterations") or d["config"]["iterations"]
cpu = d["cpu_ns"] if "cpu_ns" in d else d["user_ns"] + d["sys_ns"]
print(sys.argv[1], sys.argv[2], sys.argv[3], d["wall_ns"] / it, cpu / (it * int(sys.argv[2])))' "$1" "$2" "$3" >> "$raw"
}
cases="c_bufpool go_sync_pool c_pool go_memory"
for r in $(seq 1 "$rounds"); do
  for t in $threads; do
    # alternate the order every round so neither side always runs first
    order=$cases; [ $((r % 2)) -eq 0 ] && order="go_memory c_pool go_sync_pool c_bufpool"
    for c in $order; do run_case "$c" "$t" "$r"; done
  done
done
python3 - "$raw" "$out" "$rounds" "$iterations" "$(uptime)" "$(nproc)" <<'PY'
import json, statistics, sys
raw, out, rounds, iters, up, ncpu = sys.argv[1:7]
cases = ("c_bufpool", "go_sync_pool", "c_pool", "go_memory")
ns = {}
for line in open(raw):
    c, t, r, wall, cpu = line.split()
    ns.setdefault((c, int(t)), []).append((float(wall), float(cpu)))
res = {"what": "ns per get+put pair of one 64 KiB buffer, median of rounds: wall = per-thread "
               "(window / iterations), cpu = process CPU time / all pairs",
       "rounds": int(rounds), "iterations_per_thread": int(iters), "cpus": int(ncpu),
       "load": up.strip(), "threads": {}}
print("bench-pool: %s rounds x %s pairs per thread, interleaved; %s CPUs; %s"
      % (rounds, iters, ncpu, up.strip()))
print("%-7s %-5s %11s %12s %10s %11s | %12s %14s %10s" % ("threads", "time", "C bufpool",
      "Go sync.Pool", "C pool.h", "Go memory", "bufpool/sync", "bufpool/memory", "pool/sync"))
for t in sorted({k[1] for k in ns}):
    entry = {}
    for kind, ix in (("wall", 0), ("cpu", 1)):
        m = {c: statistics.median(v[ix] for v in ns[(c, t)]) for c in cases}
        ratio = {"c_bufpool_over_go_sync_pool": m["c_bufpool"] / m["go_sync_pool"],
                 "c_bufpool_over_go_memory": m["c_bufpool"] / m["go_memory"],
                 "c_pool_over_go_sync_pool": m["c_pool"] / m["go_sync_pool"]}
        entry[kind] = {"median_ns_per_pair": m, "ratios": ratio,
                       "samples_ns_per_pair": {c: [v[ix] for v in ns[(c, t)]] for c in cases}}
        print("%-7d %-5s %11.2f %12.2f %10.2f %11.2f | %11.2fx %13.2fx %9.2fx" % (t, kind,
              m["c_bufpool"], m["go_sync_pool"], m["c_pool"], m["go_memory"],
              ratio["c_bufpool_over_go_sync_pool"], ratio["c_bufpool_over_go_memory"],
              ratio["c_pool_over_go_sync_pool"]))
    res["threads"][str(t)] = entry
json.dump(res, open(out, "w"), indent=1)
print("target (issue 12): C bufpool / Go sync.Pool <= 1.0x at every thread count; JSON: " + out)
PY
