#!/usr/bin/env bash
# bench-self.sh: poolbench's own performance figures (issue 12), each against its
# reference, in one run, as one table of ratios and one JSON file. It runs, in turn:
#   scripts/bench-kernels.sh     checksum vs `openssl speed -evp sha256` (cache-resident),
#                                checksum_concurrent with 2 workers vs one thread
#   scripts/bench-pool.sh        C bufpool get+put vs Go's sync.Pool Get+Put (the Go
#                                runtime runner), 1 and 2 threads; the raw pool.h
#   scripts/bench-tar.sh         tar_create vs GNU tar through a pipe and bsdtar (the bare
#                                libarchive loop), per backend
#   scripts/bench-instrument.sh  the counting runner vs the uninstrumented one, per kernel
#                                and backend (the instrument's cost)
# and, with --matrix DIR (a finished ./run-matrix.sh folder), the share of that run's wall
# time spent in timed windows, as the report computes it. Every part keeps its own JSON
# beside the combined one.
# The parts run one after the other, never concurrently; each interleaves its own cases.
# A benchmark, not a test: the ratios of one run on this machine are what to read.
# Usage: scripts/bench-self.sh [--rounds N (5)] [--backends LIST (glibc)] [--matrix DIR]
#        [--out FILE (results/bench-self.json)] [--bin DIR (build/bin)]
#   --backends applies to bench-tar and bench-instrument (glibc,mimalloc,jemalloc,tcmalloc
#   for all four allocators; every part takes longer)
# Exit codes: 0 every part ran (whatever the ratios), 1 a part failed (the others still
# run; the table says which), 2 bad argument.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=5 backends=glibc matrix="" out=$root/results/bench-self.json bin=$root/build/bin
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds|--backends|--matrix|--out|--bin)
      [ $# -ge 2 ] || { echo "bench-self: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --rounds) rounds=$2 ;; --backends) backends=$2 ;; --matrix) matrix=$2 ;;
        --out) out=$2 ;; --bin) bin=$2 ;;
      esac
      shift 2 ;;
    -h|--help) awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "bench-self: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench-self: --rounds: '$rounds' is not a positive integer" >&2; exit 2; }
[[ "$backends" =~ ^[a-z]+(,[a-z]+)*$ ]] || { echo "bench-self: --backends: '$backends' is not a comma-separated list" >&2; exit 2; }
if [ -n "$matrix" ] && [ ! -f "$matrix/results.jsonl" ]; then
  echo "bench-self: --matrix: $matrix/results.jsonl not found (a ./run-matrix.sh results folder)" >&2; exit 2
fi
mkdir -p "$(dirname "$out")"
base=${out%.json}
status=0
part() {   # part NAME JSON COMMAND...: runs one script, its output to the terminal
  local name=$1 json=$2
  shift 2
  echo "== $name" >&2
  if ! "$@" >&2; then
    echo "bench-self: $name failed" >&2
    rm -f "$json"
    status=1
  fi
}
part kernels "$base-kernels.json" "$root/scripts/bench-kernels.sh" --rounds "$rounds" --out "$base-kernels.json" --bin "$bin"
part pool "$base-pool.json" "$root/scripts/bench-pool.sh" --rounds "$rounds" --out "$base-pool.json" --bin "$bin"
part tar "$base-tar.json" "$root/scripts/bench-tar.sh" --rounds "$rounds" --backends "$backends" --out "$base-tar.json" --bin "$bin"
part instrument "$base-instrument.json" "$root/scripts/bench-instrument.sh" -r "$rounds" -b "$backends" -o "$base-instrument.json" -B "$bin"

python3 - "$base" "$out" "$matrix" "$(uptime)" <<'PY'
import json, os, sys
base, out, matrix, up = sys.argv[1:5]
def load(name):
    try:
        return json.load(open("%s-%s.json" % (base, name)))
    except (OSError, ValueError):
        return None
rows = []   # (figure, value, reference, ratio, target, met)
def row(figure, value, reference, ratio, target, met):
    rows.append({"figure": figure, "value": value, "reference": reference, "ratio": ratio,
                 "target": target, "met": met})
k = load("kernels")
if k:
    m = k["median_bytes_per_s"]
    for arm in ("plain", "hash", "none"):
        r = k["ratios"]["checksum_%s_over_openssl" % arm]
        row("checksum, arm %s (cache-resident)" % arm, "%.0f MB/s" % (m["checksum_" + arm] / 1e6),
            "openssl speed -evp sha256 %.0f MB/s" % (m["openssl"] / 1e6), r, ">= 0.95x", r >= 0.95)
    r = k["ratios"]["checksum_concurrent_2_over_1"]
    row("checksum_concurrent, 2 workers", "%.0f MB/s" % (m["cc_2"] / 1e6),
        "one thread %.0f MB/s" % (m["cc_1"] / 1e6), r, ">= 1.8x", r >= 1.8)
    h = k["ratios"].get("openssl_multi2_over_1")
    if h:   # the host's ceiling for the line above, measured in the same rounds
        row("openssl speed -multi 2 (the host's 2-core ceiling)", "%.0f MB/s" % (m["openssl_2"] / 1e6),
            "one process %.0f MB/s" % (m["openssl"] / 1e6), h, "reference", None)
else:
    row("bench-kernels", "failed", "", None, "", False)
p = load("pool")
if p:
    for t, e in sorted(p["threads"].items()):
        w = e["wall"]
        r = w["ratios"]["c_bufpool_over_go_sync_pool"]
        row("bufpool get+put, %s thread(s)" % t, "%.1f ns" % w["median_ns_per_pair"]["c_bufpool"],
            "Go sync.Pool %.1f ns" % w["median_ns_per_pair"]["go_sync_pool"], r, "<= 1.0x", r <= 1.0)
else:
    row("bench-pool", "failed", "", None, "", False)
t = load("tar")
if t:
    m = t["median_bytes_per_s"]
    for key, r in sorted(t["ratios"].items()):
        if not key.endswith("_over_gnu_tar"):
            continue
        case = key[len("pb_"):-len("_over_gnu_tar")]
        b, arm = case.rsplit("_", 1)
        row("tar_create %s, arm %s (%.0f MB tree)" % (b, arm, t["tree_bytes"] / 1e6),
            "%.0f MB/s" % (m["pb_" + case] / 1e6),
            "GNU tar | cat %.0f MB/s (bsdtar %.0f)" % (m["gnu_tar"] / 1e6, m["bsdtar"] / 1e6),
            r, "(allocator-bound by design)", None)
else:
    row("bench-tar", "failed", "", None, "", False)
i = load("instrument")
if i:
    ratios = [(e["ratio"], e["kernel"], e["backend"], e["policy"]) for e in i["rows"] if "ratio" in e]
    if ratios:
        worst = max(ratios)
        over = sum(1 for r in ratios if r[0] > 1.01)
        row("counting / uninstrumented runner, worst of %d" % len(ratios),
            "%s %s %s" % worst[1:], "%d of %d over 1.01x" % (over, len(ratios)), worst[0],
            "<= 1.01x, or verdicts on uninstrumented time", worst[0] <= 1.01)
else:
    row("bench-instrument", "failed", "", None, "", False)
if matrix:
    # the report's own figure (report_md.c, context_timed_share): every cell's window over
    # the time from the matrix's start (the context's started_unix_s) to its last cell;
    # none for a merge of shards, whose start is not one run's
    ctx, last_ns, timed_ns = None, 0, 0
    for line in open(os.path.join(matrix, "results.jsonl")):
        o = json.loads(line)
        if o.get("type") == "context" and ctx is None:
            ctx = o
        elif o.get("type") == "cell":
            last_ns = max(last_ns, o.get("finished_unix_ns") or 0)
            timed_ns += (o.get("metrics") or {}).get("wall_ns") or 0
    start_s = (ctx or {}).get("started_unix_s") or 0
    name = "timed windows of %s" % os.path.basename(os.path.normpath(matrix))
    elapsed_s = last_ns / 1e9 - start_s
    if start_s > 0 and (ctx or {}).get("shard") != "merged" and elapsed_s > 0:
        row(name, "%.1f s of %.1f s" % (timed_ns / 1e9, elapsed_s),
            "the matrix's start to its last cell", timed_ns / 1e9 / elapsed_s, ">= 0.80",
            timed_ns / 1e9 / elapsed_s >= 0.80)
    else:
        row(name, "no start time (or a merge of shards)", "", None, ">= 0.80", None)
print()
print("bench-self: %s" % up.strip())
print("%-44s %-22s %-40s %8s  %-12s %s" % ("figure", "value", "reference", "ratio", "target", ""))
for r in rows:
    ratio = "%.3f" % r["ratio"] if r["ratio"] is not None else "-"
    met = {True: "met", False: "NOT met", None: ""}[r["met"]]
    print("%-44s %-22s %-40s %8s  %-12s %s" % (r["figure"], r["value"], r["reference"], ratio,
                                               r["target"], met))
doc = {"what": "poolbench's own performance figures against their references (issue 12), "
               "one run", "load": up.strip(), "matrix": matrix or None, "rows": rows,
       "parts": {n: "%s-%s.json" % (base, n) for n in ("kernels", "pool", "tar", "instrument")}}
json.dump(doc, open(out, "w"), indent=1)
print("JSON: %s (each part's own beside it)" % out)
PY
exit $status
