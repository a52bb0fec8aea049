#!/usr/bin/env bash
# test_profile_pass.sh: the profiled pass and the monitored endpoint, end to end through
# build/bin/poolbench and the real pb-glibc (and pb-go when built):
#  - a scenario with heap_profile = on: DIR/profiles/ holds one heap profile per arm that
#    `go tool pprof` reads, listing the build kernel's functions; the profiled runs are
#    not journal cells (the journal has exactly the planned cells) and their timings are
#    in no sample of summary.json; report-full.md has the "Heap profiles" section with
#    the kernel's allocation sites and a diff in which the pool removes bufpool_alloc's
#    allocation; report.md points to it; the go tool pprof text files are written;
#  - a scenario with pprof_http = on: every cell's journal line records that its endpoint
#    was fetched (monitor.fetches >= 1, fetched bytes > 0, no bad response, at most one
#    fetch per process cut by the runner's exit), each process on its own port, none on
#    the default 6060.
# usage: test_profile_pass.sh BIN_DIR GO
set -u
BIN=$(cd "$1" && pwd)
GO=$2
PB=$BIN/poolbench
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
T=$(mktemp -d /tmp/pb_test_profile_pass.XXXXXX)
[ -n "${PB_KEEP_TEST_DIR:-}" ] || trap 'rm -rf "$T"' EXIT
export GOCACHE=$T/gocache GOPATH=$T/gopath HOME=$T PB_GO=$GO
S=$T/scenarios
mkdir -p "$S"
GOBACKEND=""
[ -x "$BIN/pb-go" ] && GOBACKEND=", go"

cat > "$S/pbuild.ini" <<EOT
[scenario]
workload = build
heap_profile = on
[input]
seed = 5
files = 60
size = 4M
[run]
backends = glibc
threads = 2
iterations = 1
warmup_repetitions = 0
repetitions = 2
timeout = 120s
[pool]
policies = all, none, plain
EOT
cat > "$S/mon.ini" <<EOT
[scenario]
workload = build
pprof_http = on
headline = off
[input]
seed = 6
files = 60
size = 4M
[run]
backends = glibc$GOBACKEND
threads = 2
iterations = 2
warmup_repetitions = 0
repetitions = 2
timeout = 120s
[pool]
policies = all, none
EOT

OUT=$T/out
"$PB" matrix --scenarios "$S/pbuild.ini,$S/mon.ini" --out "$OUT" --bin-dir "$BIN" \
  --seed 7 2> "$T/matrix.err"
rc=$?
check_eq "matrix exit code" "$rc" 0
[ $rc -eq 0 ] || cat "$T/matrix.err"
grep -q "profiled pass: 3 runs (0 failed)" "$T/matrix.err" \
  && ok "the driver ran the profiled pass: 3 runs" || nok "profiled pass line missing: $(grep profiled "$T/matrix.err")"

# ---- profiles that go tool pprof reads ------------------------------------------------
IDX=$OUT/profiles/profiles.json
n_prof=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["profiles"]))' "$IDX" 2>/dev/null)
check_eq "profiles.json lists one run per arm" "$n_prof" 3
for pol in all none plain; do
  f=$OUT/profiles/pbuild-glibc-$pol.pb.gz
  top=$("$GO" tool pprof -top -cum -sample_index=alloc_space "$f" 2>&1)
  if [ $? -eq 0 ] && grep -q "build_run" <<<"$top" && grep -q "tar_create_dir" <<<"$top"; then
    ok "go tool pprof reads the $pol profile and lists build_run, tar_create_dir"
  else
    nok "$pol profile: $(head -c 400 <<<"$top")"
  fi
done

# ---- never cells --------------------------------------------------------------------------
n_cells=$(grep -c '"type":"cell"' "$OUT/results.jsonl")
n_mon_backends=1; [ -n "$GOBACKEND" ] && n_mon_backends=2
n_mon_cells=$(( 2 * 2 * n_mon_backends ))
# timed cells, plus one counting cell per C arm (the glibc arms: 3 of pbuild, 2 of mon)
check_eq "the journal has exactly the planned cells (no profiled run)" "$n_cells" \
  $((3 * 2 + n_mon_cells + 3 + 2))
"$PB" report "$OUT" --no-charts > "$T/report.out" 2>&1
rc=$?
check_eq "report exit code" "$rc" 0
[ $rc -eq 0 ] || cat "$T/report.out"
python3 - "$OUT" > "$T/never.txt" 2>&1 <<'PY'
import json, sys
out = sys.argv[1]
prof = json.load(open(out + "/profiles/profiles.json"))["profiles"]
windows = {p["window_ns"] for p in prof}
summary = open(out + "/summary.json").read()
nums = set()
def walk(v):
    if isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
    elif isinstance(v, (int, float)):
        nums.add(v)
walk(json.loads(summary))
cells = [json.loads(l) for l in open(out + "/results.jsonl") if '"type":"cell"' in l]
cell_windows = {c["metrics"]["wall_ns"] for c in cells}
print("profiled windows in summary.json:", len(windows & nums))
print("profiled windows among the cells:", len(windows & cell_windows))
print("cell windows in summary.json:", len(cell_windows & nums) > 0)
PY
grep -q "profiled windows in summary.json: 0" "$T/never.txt" && grep -q "profiled windows among the cells: 0" "$T/never.txt" \
  && grep -q "cell windows in summary.json: True" "$T/never.txt" \
  && ok "no profiled run's timing is in summary.json (the cells' are)" || nok "$(cat "$T/never.txt")"

# ---- the report section --------------------------------------------------------------------
FULL=$OUT/report-full.md
grep -q "^## Heap profiles (profiled pass)" "$FULL" && ok "report-full.md has the Heap profiles section" \
  || nok "no Heap profiles section in report-full.md"
sec=$(sed -n '/^## Heap profiles/,/^## /p' "$FULL")
grep -q "never used for verdicts" <<<"$sec" && ok "the section says the runs are never used for verdicts" \
  || nok "the section does not say the runs are not for verdicts"
for fn in pb_bytes_reserve bufpool_alloc archive_entry_new2; do
  grep -q "\`$fn\`" <<<"$sec" && ok "the section lists the kernel's allocation site $fn" \
    || nok "the section does not list $fn"
done
grep -q '^### Arm all: top allocation sites' <<<"$sec" && grep -q '^### Arm none: top allocation sites' <<<"$sec" \
  && grep -q '^### Arm plain: top allocation sites' <<<"$sec" && ok "a top-sites table per arm" \
  || nok "a per-arm table is missing"
diff_all=$(sed -n '/^### `all` minus `none`/,/^##/p' <<<"$sec")
grep -q '`bufpool_alloc` -' <<<"$diff_all" && ok "the all-minus-none diff shows bufpool_alloc's allocation removed" \
  || nok "all minus none: $(head -c 600 <<<"$diff_all")"
# the via-bufpool share of the none arm (allocate-instead allocates every buffer) is > 0 %,
# and the pooled arm's is smaller (the pool serves most gets from earlier buffers)
share=$(grep -E '^\| `none`' <<<"$sec" | awk -F'|' '{print $6}' | tr -d ' %')
share_all=$(grep -E '^\| `all`' <<<"$sec" | awk -F'|' '{print $6}' | tr -d ' %')
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 and float(sys.argv[2]) < float(sys.argv[1]) else 1)' \
  "${share:-x}" "${share_all:-x}" 2>/dev/null \
  && ok "via-bufpool share: none $share % > 0, all $share_all % below it" \
  || nok "via-bufpool share: none '$share', all '$share_all'"
for f in pbuild-glibc-all.alloc_space.txt pbuild-glibc-all.alloc_objects.txt \
         pbuild-glibc-all.inuse_space.txt pbuild-glibc-none.pooled.txt \
         diff-pbuild-glibc-all-minus-none.txt; do
  grep -q "Showing nodes accounting for" "$OUT/profiles/$f" 2>/dev/null && ok "profiles/$f is go tool pprof's text" \
    || nok "profiles/$f missing or not pprof output"
done
grep -q "Heap profiles of 3 arm(s)" "$OUT/report.md" && ok "report.md points to the section" \
  || nok "report.md has no pointer to the heap profiles"
grep -q "Heap profiles (profiled pass)" "$OUT/report.html" && ok "report.html has the section" \
  || nok "report.html has no Heap profiles section"

# ---- the monitored scenario ----------------------------------------------------------------
python3 - "$OUT" > "$T/mon.txt" 2>&1 <<'PY'
import json, sys
cells = [json.loads(l) for l in open(sys.argv[1] + "/results.jsonl") if '"type":"cell"' in l]
mon = [c for c in cells if c["scenario"] == "mon"]
bad = []
ports = []
for c in mon:
    m = c.get("monitor")
    if c["status"] != "ok" or not m or m["fetches"] < 1 or m["fetched_bytes"] <= 0 or m["failed"] != 0 \
       or m["cut"] > len(m["ports"]) \
       or not c["config"]["pprof_http"]:
        bad.append((c["backend"], c["policy"], c["status"], m))
    else:
        ports += m["ports"]
others = [c for c in cells if c["scenario"] != "mon" and "monitor" in c]
print("cells", len(mon), "bad", bad, "6060", 6060 in ports, "others", len(others))
print("backends", sorted({c["backend"] for c in mon}))
PY
grep -q "bad \[\] 6060 False others 0" "$T/mon.txt" \
  && ok "every monitored cell fetched its endpoint, on its own port ($(head -1 "$T/mon.txt" | cut -d' ' -f1-2); $(tail -1 "$T/mon.txt"))" \
  || nok "monitored cells: $(cat "$T/mon.txt")"
finish
