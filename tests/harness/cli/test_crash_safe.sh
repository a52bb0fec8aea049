#!/usr/bin/env bash
# test_crash_safe.sh: the results survive what can happen to them (issue 13):
#  - kill -9 of the driver at several moments: every complete journal line is valid JSON,
#    and `--resume` finishes the matrix with every cell exactly once;
#  - a file-size limit (ulimit -f; poolbench ignores SIGXFSZ so write returns EFBIG):
#    `poolbench matrix` exits 3 with one message naming the journal, the journal keeps only
#    complete lines and `--resume` without the limit finishes it; `poolbench report`
#    exits 3 with one message naming the file it could not write, the earlier report
#    files are unchanged and no temporary file is left;
#  - an unwritable output folder (as user nobody, since root writes anywhere): matrix and
#    report exit 3 with one message saying "Permission denied", earlier files intact.
# usage: test_crash_safe.sh BIN_DIR
set -u
BIN=$(cd "$1" && pwd)
PB=$BIN/poolbench
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
T=$(mktemp -d /tmp/pb_test_crash_safe.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
S=$T/scenarios
mkdir -p "$S"
PY=/usr/bin/python3; [ -x $PY ] || PY=python3

# 2 policies x 6 repetitions = 12 timed cells of a kernel without input files, plus one
# counting cell per arm (matrix_add_counting): 14 cells
cat > "$S/tag.ini" <<EOT
[scenario]
workload = image_tag
[input]
seed = 1
size = 0
[run]
backends = glibc
threads = 1
iterations = 20000
warmup_repetitions = 0
repetitions = 6
timeout = 60s
[pool]
policies = all, none
EOT
matrix() { "$PB" matrix --scenarios "$S/tag.ini" --bin-dir "$BIN" --seed 4 "$@"; }

# journal_check FILE -> "COMPLETE_LINES VALID PARTIAL_TAIL UNIQUE_CELLS"
journal_check() {
  $PY - "$1" <<'EOP'
import json, sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
tail = lines.pop()          # b"" when the file ends in a newline
valid, keys = 0, set()
for l in lines:
    try:
        o = json.loads(l)
        valid += 1
        if o.get("type") == "cell":
            keys.add(o["key"])
    except Exception:
        pass
print(len(lines), valid, "partial" if tail else "clean", len(keys))
EOP
}

# ---- kill -9 at several moments, then --resume --------------------------------------
for delay in 0.05 0.3 0.7 1.2; do
  D=$T/kill_$delay
  # the driver itself in the background (not a function: $! would be a subshell)
  "$PB" matrix --scenarios "$S/tag.ini" --bin-dir "$BIN" --seed 4 --out "$D" 2>/dev/null &
  drv=$!
  sleep "$delay"
  kill -9 $drv 2>/dev/null
  wait $drv 2>/dev/null
  # its runner child (own process group) may still run: let it finish
  sleep 0.3
  pgrep -f -- "--out $D" >/dev/null && nok "kill -9 after ${delay}s: a driver still runs"
  if [ -f "$D/results.jsonl" ]; then
    read -r n valid tail _ <<<"$(journal_check "$D/results.jsonl")"
    check_eq "kill -9 after ${delay}s: every complete line is valid JSON ($tail tail)" "$valid" "$n"
    matrix --out "$D" --resume 2>"$D.log"
    rc=$?
  else
    ok "kill -9 after ${delay}s: killed before the journal existed"
    matrix --out "$D" 2>"$D.log"
    rc=$?
  fi
  check_eq "kill -9 after ${delay}s: resume exit code" "$rc" 0
  read -r n valid tail cells <<<"$(journal_check "$D/results.jsonl")"
  check_eq "kill -9 after ${delay}s: after resume lines valid / tail / unique cells" \
           "$valid $tail $cells" "$n clean 14"
  dup=$($PY -c '
import json,sys
c=[json.loads(l) for l in open(sys.argv[1])]
k=[x["key"] for x in c if x["type"]=="cell"]
print(len(k)-len(set(k)))' "$D/results.jsonl")
  check_eq "kill -9 after ${delay}s: no cell twice" "$dup" 0
done

# ---- file-size limit: matrix ----------------------------------------------------------
# a complete run gives the line sizes; the limit lets the context block and a few cells in
matrix --out "$T/ref" 2>/dev/null
check_eq "reference run exit code" "$?" 0
limit_kib=$($PY -c '
import sys
ls=open(sys.argv[1],"rb").read().split(b"\n")[:-1]
ctx=len(ls[0])+1; cell=max(len(l)+1 for l in ls[1:])
print((ctx + 3*cell + cell//2) // 1024 + 1)' "$T/ref/results.jsonl")
(ulimit -f "$limit_kib"; matrix --out "$T/fsz" >/dev/null 2>"$T/fsz.log")
rc=$?
check_eq "ulimit -f ${limit_kib} KiB: matrix exit code (harness error, documented 3)" "$rc" 3
grep -q "results.jsonl: File too large" "$T/fsz.log" \
  && ok "ulimit -f: message names the journal and the error" || nok "ulimit -f: $(cat "$T/fsz.log")"
nerr=$(grep -c "cannot append\|cannot write\|File too large" "$T/fsz.log")
check_eq "ulimit -f: the failure is reported once" "$nerr" 1
read -r n valid tail cells <<<"$(journal_check "$T/fsz/results.jsonl")"
check_eq "ulimit -f: journal lines valid / tail" "$valid $tail" "$n clean"
[ "$cells" -ge 1 ] && [ "$cells" -lt 14 ] && ok "ulimit -f: $cells of 14 cells journalled before the limit" \
  || nok "ulimit -f: $cells cells journalled"
size=$(stat -c %s "$T/fsz/results.jsonl")
[ "$size" -le $((limit_kib * 1024)) ] && ok "ulimit -f: journal within the limit ($size bytes)" \
  || nok "ulimit -f: journal $size bytes > limit"
matrix --out "$T/fsz" --resume 2>"$T/fsz_resume.log"
check_eq "ulimit -f, then --resume without it: exit code" "$?" 0
grep -q "($cells already in the journal)" "$T/fsz_resume.log" \
  && ok "resume: the $cells complete cells were loaded" || nok "resume: $(head -3 "$T/fsz_resume.log")"
read -r n valid tail cells2 <<<"$(journal_check "$T/fsz/results.jsonl")"
check_eq "resume after the limit: lines valid / tail / unique cells" "$valid $tail $cells2" "$n clean 14"

# ---- file-size limit: report ---------------------------------------------------------
"$PB" report "$T/ref" --no-charts >/dev/null 2>"$T/rep0.log"
check_eq "report without a limit: exit code" "$?" 0
mkdir -p "$T/before"
for f in results.jsonl report.md report-full.md report.html summary.json samples.csv bench.txt summary.md; do
  cp "$T/ref/$f" "$T/before/$f" 2>/dev/null || nok "report: no $f"
done
# the limit: above the journal (the report reads it) but below report.html
lim=$($PY -c '
import os,sys
d=sys.argv[1]
small=max(os.path.getsize(d+"/"+f) for f in ("summary.md","summary.json","samples.csv","bench.txt"))
print(max(small, 4096)//1024 + 1)' "$T/ref")
big=$(stat -c %s "$T/ref/report-full.md")
if [ $((lim * 1024)) -ge "$big" ]; then lim=$(( $(stat -c %s "$T/ref/report.md") / 1024 )); fi
(ulimit -f "$lim"; "$PB" report "$T/ref" --no-charts >/dev/null 2>"$T/rep.log")
rc=$?
check_eq "ulimit -f ${lim} KiB: report exit code (documented 3)" "$rc" 3
check_eq "ulimit -f: report prints one line" "$(wc -l < "$T/rep.log" | tr -d ' ')" 1
failed=$(sed -n 's|.*/\([a-z.-]*\): write failed: File too large.*|\1|p' "$T/rep.log")
[ -n "$failed" ] && ok "ulimit -f: report names the file ($failed) and the error" \
  || nok "ulimit -f: report said: $(cat "$T/rep.log")"
[ -n "$failed" ] && cmp -s "$T/ref/$failed" "$T/before/$failed" \
  && ok "ulimit -f: the earlier $failed is unchanged" || nok "ulimit -f: $failed changed"
for f in report.md report-full.md report.html; do
  [ "$f" = "$failed" ] && continue
  # written whole (before the failed one) or untouched (after it)
  [ -s "$T/ref/$f" ] && ok "ulimit -f: $f present" || nok "ulimit -f: $f missing"
done
cmp -s "$T/ref/results.jsonl" "$T/before/results.jsonl" && ok "ulimit -f: journal unchanged by report" \
  || nok "ulimit -f: report changed the journal"
left=$(ls "$T/ref" | grep -c '\.tmp')
check_eq "ulimit -f: no temporary file left" "$left" 0

# ---- an unwritable output folder (as nobody) -------------------------------------------
if [ "$(id -u)" = 0 ]; then
  AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
  AS=""
fi
cp -r "$T/ref" "$T/ro"
chmod -R a+rX "$T/ro"
chmod 555 "$T/ro"
[ -z "$AS" ] || chown -R 0:0 "$T/ro"
$AS "$PB" report "$T/ro" --no-charts >/dev/null 2>"$T/ro.log"
check_eq "unwritable folder: report exit code (documented 3)" "$?" 3
check_eq "unwritable folder: report prints one line" "$(wc -l < "$T/ro.log" | tr -d ' ')" 1
grep -q "summary.md: cannot write: Permission denied" "$T/ro.log" \
  && ok "unwritable folder: report names the file and the error" || nok "unwritable: $(cat "$T/ro.log")"
cmp -s "$T/ro/report.md" "$T/before/report.md" && ok "unwritable folder: report.md intact" \
  || nok "unwritable folder: report.md changed"
mkdir -p "$T/rodir"; chmod 555 "$T/rodir"
$AS "$PB" matrix --scenarios "$S/tag.ini" --bin-dir "$BIN" --seed 4 --out "$T/rodir/out" \
  >/dev/null 2>"$T/rom.log"
check_eq "unwritable folder: matrix exit code (documented 3)" "$?" 3
grep -q "cannot create $T/rodir/out: Permission denied" "$T/rom.log" \
  && ok "unwritable folder: matrix names the folder and the error" || nok "matrix: $(cat "$T/rom.log")"
finish
