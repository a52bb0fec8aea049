#!/usr/bin/env bash
# bench-instrument.sh: what the counting front end costs, per kernel and backend
# (issue 12, "time without the instrument"). For every kernel and backend it runs the
# counting runner pb-<backend> (A) and the uninstrumented pb-<backend>-bare (B)
# interleaved, A B A B ..., ROUNDS times each, on the same arguments, and prints the
# median ns/op of each and the ratio A/B (1.00 = the instrument costs nothing; the
# acceptance line is 1.01). It also checks that both runners give the same result.
# A benchmark, not a test: ratios come from one run on this machine; run it on a quiet
# machine (or say how loaded it was: the load average is recorded).
#
# usage: scripts/bench-instrument.sh [-o OUT.json] [-r ROUNDS] [-b BACKENDS] [-k KERNELS]
#                                    [-p POLICIES] [-B BIN_DIR]
#   -o  JSON output (default results/bench-instrument-<UTC time>.json)
#   -r  rounds per runner (default 10)
#   -b  comma list of backends (default glibc,mimalloc,jemalloc,tcmalloc, those built)
#   -k  comma list of kernels (default checksum,sum_checksum,checksum_concurrent,
#       tar_create,tar_read,tar_copy,image_tag,pool_churn,build)
#   -p  comma list of pool policies (default none,all: the arm with the most allocation
#       calls and the pooled one)
#   -B  the runners' folder (default build/bin)
# SIGINT/SIGTERM stops after the running runner and summarizes the rounds done so far
# (the JSON then says "interrupted": true).
# exit codes: 0 done; 1 a runner failed or the two runners disagreed on a result
# (the JSON and the table are still written); 2 bad argument or missing runner;
# 130 interrupted (the partial table and JSON are written).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="" rounds=10 backends="" policies="none,all" bin="$root/build/bin"
kernels="checksum,sum_checksum,checksum_concurrent,tar_create,tar_read,tar_copy,image_tag,pool_churn,build"
usage() { sed -n '11,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "o:r:b:k:p:B:h" opt; do
  case $opt in
    o) out=$OPTARG ;;
    r) rounds=$OPTARG ;;
    b) backends=$OPTARG ;;
    k) kernels=$OPTARG ;;
    p) policies=$OPTARG ;;
    B) bin=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { echo "bench-instrument: unexpected argument '$1'" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench-instrument: -r $rounds: a count >= 1" >&2; exit 2; }
if [ -z "$backends" ]; then
  backends=""
  for b in glibc mimalloc jemalloc tcmalloc; do
    [ -x "$bin/pb-$b" ] && backends+="${backends:+,}$b"
  done
fi
IFS=, read -r -a B <<<"$backends"
IFS=, read -r -a K <<<"$kernels"
IFS=, read -r -a P <<<"$policies"
for b in "${B[@]}"; do
  for exe in "$bin/pb-$b" "$bin/pb-$b-bare"; do
    [ -x "$exe" ] || { echo "bench-instrument: $exe: not built (run scripts/build.sh)" >&2; exit 2; }
  done
done
cache=${PB_CACHE_DIR:-$root/results/.cache}
mkdir -p "$cache"

# The arguments of each kernel: the quick matrix's inputs, windows of ~10-100 ms.
kernel_args() {
  case $1 in
    checksum)            echo "--size 1M --seed 1 --threads 1 --iterations 30 --warmup 5" ;;
    sum_checksum)        echo "--size 64K --seed 2 --threads 1 --iterations 2000 --warmup 20" ;;
    checksum_concurrent) echo "--size 16M --seed 3 --threads 2 --iterations 2 --warmup 1" ;;
    tar_create)          echo "--files 300 --size 8M --seed 4 --threads 2 --iterations 2 --warmup 1" ;;
    tar_read)            echo "--files 300 --size 8M --seed 5 --member Dockerfile --threads 1 --iterations 5000 --warmup 5" ;;
    tar_copy)            echo "--files 300 --size 8M --seed 6 --threads 1 --iterations 2 --warmup 1" ;;
    image_tag)           echo "--image registry.local/ci/app --tag v1.2.3 --threads 1 --iterations 300000 --warmup 1000" ;;
    pool_churn)          echo "--seed 31 --threads 2 --iterations 50000 --warmup 1000" ;;
    build)               echo "--files 200 --size 8M --seed 11 --threads 2 --iterations 1 --warmup 1" ;;
    *) echo "bench-instrument: -k: unknown kernel '$1'" >&2; return 2 ;;
  esac
}
for k in "${K[@]}"; do kernel_args "$k" >/dev/null || exit 2; done

tsv=$(mktemp)
trap 'rm -f "$tsv" "$tsv.out" "$tsv.err"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
failed=0 stop=0
trap 'stop=1' INT TERM
for k in "${K[@]}"; do
  read -r -a args <<<"$(kernel_args "$k")"
  for b in "${B[@]}"; do
    for p in "${P[@]}"; do
      for ((r = 0; r < rounds; r++)); do
        for inst in counting bare; do
          [ $stop -eq 0 ] || break 5
          exe="$bin/pb-$b"; [ $inst = bare ] && exe="$bin/pb-$b-bare"
          if "$exe" --workload "$k" "${args[@]}" --pools "$p" --cache-dir "$cache" \
               >"$tsv.out" 2>"$tsv.err"; then
            printf '%s\t%s\t%s\t%s\t%s\n' "$k" "$b" "$p" "$inst" "$(head -n 1 "$tsv.out")" >>"$tsv"
          else
            rc=$?
            echo "bench-instrument: $exe --workload $k --pools $p failed (exit $rc): $(head -c 300 "$tsv.err")" >&2
            failed=1
          fi
        done
      done
      printf '.' >&2
    done
  done
done
echo >&2
load1=$(cut -d' ' -f1-3 /proc/loadavg)
[ -n "$out" ] || { mkdir -p "$root/results"; out="$root/results/bench-instrument-$(date -u +%Y%m%dT%H%M%SZ).json"; }

python3 - "$tsv" "$out" "$rounds" "$load0" "$load1" "$stop" <<'EOF' || failed=1
import json, statistics, sys
tsv, out, rounds, load0, load1, stopped = sys.argv[1:7]
rows = {}
for line in open(tsv):
    k, b, p, inst, js = line.rstrip("\n").split("\t", 4)
    o = json.loads(js)
    wall, ops, result, tag = o["wall_ns"], o["ops"], o["result"], o.get("instrument")
    counts = [o.get(m) for m in ("alloc_calls", "free_calls", "alloc_bytes",
                                 "peak_live_bytes", "bytes_per_op", "allocs_per_op")]
    # the counting runner must fill every count metric, the bare one none of them
    calls = ("null" if all(x is None for x in counts) else "partial") \
        if inst == "bare" or None in counts else str(counts[0])
    r = rows.setdefault((k, b, p), {"counting": [], "bare": [], "results": set(),
                                    "calls": set(), "tags": set()})
    r[inst].append(int(wall) / int(ops))
    r["results"].add(result)
    r["tags"].add((inst, str(tag)))
    if inst == "counting" and calls in ("null", "partial"):
        r["calls"].add("counting-uncounted")
    elif inst == "bare" and calls != "null":
        r["calls"].add("bare-counted")
bad = 0
table = []
print(f"{'kernel':20} {'backend':9} {'policy':6} {'counting ns/op':>15} {'bare ns/op':>12} {'ratio':>7}  n")
for (k, b, p), r in rows.items():
    a, c = r["counting"], r["bare"]
    entry = {"kernel": k, "backend": b, "policy": p, "n_counting": len(a), "n_bare": len(c),
             "counting_ns_per_op": a, "bare_ns_per_op": c,
             "results_agree": len(r["results"]) == 1,
             "count_metrics_ok": not r["calls"],
             "instrument_tags_ok": r["tags"] <= {("counting", "counting"), ("bare", "bare")}}
    if a and c:
        ma, mc = statistics.median(a), statistics.median(c)
        entry.update(median_counting_ns_per_op=ma, median_bare_ns_per_op=mc, ratio=ma / mc)
        print(f"{k:20} {b:9} {p:6} {ma:15.1f} {mc:12.1f} {ma / mc:7.3f}  {len(a)}/{len(c)}")
    if not (entry["results_agree"] and entry["count_metrics_ok"] and entry["instrument_tags_ok"]):
        bad = 1
        print(f"  MISMATCH {k} {b} {p}: results {sorted(r['results'])} counts {sorted(r['calls'])} tags {sorted(r['tags'])}")
    table.append(entry)
doc = {"what": "counting runner pb-<backend> (A) vs uninstrumented pb-<backend>-bare (B), "
               "interleaved ABAB; ratio = median A / median B of ns per op",
       "rounds": int(rounds), "interrupted": stopped == "1", "load_average_start": load0, "load_average_end": load1,
       "rows": table}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
print(f"bench-instrument: load average {load0} -> {load1}; JSON: {out}")
sys.exit(bad)
EOF
[ $stop -eq 0 ] || exit 130
exit $failed
