#!/usr/bin/env bash
# test_driver.sh: end-to-end checks of build/bin/poolbench against the real pb-glibc:
#  - malformed scenario files: one FILE:LINE message, exit 2, no output folder;
#  - SIGKILL of one running child: that cell is signal:9, the rest of the matrix runs;
#  - SIGINT of the driver, then --resume: every cell exactly once, finished cells kept;
#  - a second run on a busy folder is refused;
#  - two shards merged equal one unsharded run (keys, statuses, results);
#  - a 200 MiB touch cell: max_rss_bytes within 5 % of 200 MiB + a small cell's RSS (in
#    an ASan / TSan build, with the sanitizer's shadow and quarantine: 0.95x to 3x), and
#    the small cell after it does not carry the big maximum.
# usage: test_driver.sh BIN_DIR
set -u
BIN=$(cd "$1" && pwd)
PB=$BIN/poolbench
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
T=$(mktemp -d /tmp/pb_test_driver.XXXXXX)
trap 'rm -rf "$T"' EXIT
S=$T/scenarios
mkdir -p "$S"
PY=/usr/bin/python3; [ -x $PY ] || PY=python3

scenario() { # scenario NAME WORKLOAD SIZE ITER REPS [extra [run] lines]
  cat > "$S/$1.ini" <<EOT
[scenario]
workload = $2
[input]
seed = 3
size = $3
[run]
backends = glibc
threads = 1
iterations = $4
warmup_repetitions = 0
repetitions = $5
timeout = 60s
${6:-}
[pool]
policies = all, none
EOT
}

# ---- malformed scenario files ------------------------------------------------------
scenario good checksum 64K 1 1
bad_case() { # bad_case NAME CONTENT(printf format) WANT_LINE
  printf "$2" > "$S/$1.ini"
  err=$("$PB" matrix --scenarios "$S/$1.ini" --out "$T/out_$1" --bin-dir "$BIN" 2>&1 >/dev/null)
  rc=$?
  lines=$(printf '%s\n' "$err" | wc -l)
  check_eq "malformed $1: exit code" "$rc" 2
  check_eq "malformed $1: one line" "$lines" 1
  case "$err" in "$S/$1.ini:$3: "*) ok "malformed $1: names file and line $3";;
                 *) nok "malformed $1: message '$err'";; esac
  [ ! -e "$T/out_$1" ] && ok "malformed $1: no output folder" || nok "malformed $1: output folder created"
}
G=$(cat "$S/good.ini")
bad_case unknown_key "${G/iterations = 1/iterationz = 1}\n" 9
bad_case bad_value "${G/threads = 1/threads = lots}\n" 8
bad_case missing_field "${G/repetitions = 1/}\n" 6
bad_case bad_utf8 "${G/workload = checksum/workload = checksum\\ndescription = \\xff\\xfe}\n" 3
bad_case empty "" 1
bad_case huge_number "${G/repetitions = 1/repetitions = 184467440737095516150}\n" 11
bad_case unknown_section "${G/\[pool\]/[pools]}\n" 14

# ---- SIGKILL of one running child -----------------------------------------------------
scenario slow checksum 64M 12 2
"$PB" matrix --scenarios "$S/slow.ini" --out "$T/kill" --bin-dir "$BIN" --seed 5 2>"$T/kill.log" &
drv=$!
child=""
# a measured cell's runner (not the `pb-glibc --version` probe of the context block)
for _ in $(seq 1 400); do
  child=$(pgrep -P $drv -f -- '--workload' | head -1)
  [ -n "$child" ] && break
  sleep 0.05
done
sleep 0.2
[ -n "$child" ] && kill -9 "$child"
wait $drv; rc=$?
check_eq "SIGKILL: driver exit code (some cells failed)" "$rc" 1
counts=$($PY -c '
import json,sys
c=[json.loads(l) for l in open(sys.argv[1])][1:]
print(len(c), sum(x["status"]=="signal:9" for x in c), sum(x["status"]=="ok" for x in c))' "$T/kill/results.jsonl")
# 2 arms x 2 repetitions, plus each arm's counting repetition (matrix_add_counting)
check_eq "SIGKILL: cells / signal:9 / ok" "$counts" "6 1 5"

# ---- Ctrl-C, then --resume ------------------------------------------------------------
scenario resume checksum 16M 10 4
"$PB" matrix --scenarios "$S/resume.ini" --out "$T/resume" --bin-dir "$BIN" --seed 9 2>"$T/int.log" &
drv=$!
for _ in $(seq 1 400); do
  n=$( { wc -l < "$T/resume/results.jsonl"; } 2>/dev/null || echo 0)
  [ "$n" -ge 3 ] && break
  sleep 0.05
done
# the lock is held while the first run is busy
"$PB" matrix --scenarios "$S/resume.ini" --out "$T/resume" --bin-dir "$BIN" --resume 2>"$T/busy.log"
check_eq "busy folder refused: exit code" "$?" 2
grep -q "in use by another poolbench run" "$T/busy.log" && ok "busy folder: clear message" || nok "busy folder: $(cat "$T/busy.log")"
kill -INT $drv
wait $drv; rc=$?
check_eq "SIGINT: exit code 130" "$rc" 130
grep -q -- "--resume" "$T/int.log" && ok "SIGINT: message says --resume" || nok "SIGINT: no --resume hint"
before=$($PY -c '
import json,sys
c=[json.loads(l) for l in open(sys.argv[1])][1:]
print(" ".join(sorted(x["key"]+":"+str(x["finished_unix_ns"]) for x in c)))' "$T/resume/results.jsonl")
nb=$(echo "$before" | wc -w)
# 2 arms x 4 repetitions + 2 counting repetitions = 10 cells
[ "$nb" -ge 1 ] && [ "$nb" -lt 10 ] && ok "SIGINT: partial journal ($nb of 10 cells)" || nok "SIGINT: $nb cells before resume"
"$PB" matrix --scenarios "$S/resume.ini" --out "$T/resume" --bin-dir "$BIN" --resume 2>"$T/resume.log"
check_eq "resume: exit code" "$?" 0
res=$($PY -c '
import json,sys
lines=open(sys.argv[1]).read().split("\n")
assert lines[-1]=="", "no trailing newline"
c=[json.loads(l) for l in lines[:-1]]
assert c[0]["type"]=="context"
cells=[x for x in c if x["type"]=="cell"]
keys=[x["key"] for x in cells]
before=dict(p.split(":") for p in sys.argv[2].split())
kept=all(str(x["finished_unix_ns"])==before[x["key"]] for x in cells if x["key"] in before)
print(len(cells), len(set(keys)), kept)' "$T/resume/results.jsonl" "$before")
check_eq "resume: cells / unique / finished cells kept" "$res" "10 10 True"

# ---- truncated last line, then --resume -------------------------------------------------
head -c -20 "$T/resume/results.jsonl" > "$T/trunc.jsonl"; mkdir -p "$T/trunc"; mv "$T/trunc.jsonl" "$T/trunc/results.jsonl"
"$PB" matrix --scenarios "$S/resume.ini" --out "$T/trunc" --bin-dir "$BIN" --resume 2>"$T/trunc.log"
check_eq "truncated journal: resume exit code" "$?" 0
grep -q "results.jsonl:11: incomplete last line" "$T/trunc.log" && ok "truncated journal: line reported" || nok "truncated: $(cat "$T/trunc.log")"
n=$($PY -c '
import json,sys
c=[json.loads(l) for l in open(sys.argv[1])]
print(sum(x["type"]=="cell" for x in c), len(set(x["key"] for x in c if x["type"]=="cell")))' "$T/trunc/results.jsonl")
check_eq "truncated journal: 10 unique cells after resume" "$n" "10 10"

# ---- shards merged == one run ---------------------------------------------------------
scenario s1 checksum 256K 5 3
scenario s2 image_tag 0 1000 3
L="$S/s1.ini,$S/s2.ini"
"$PB" matrix --scenarios "$L" --out "$T/all" --bin-dir "$BIN" --seed 1 2>/dev/null
"$PB" matrix --scenarios "$L" --out "$T/sh1" --bin-dir "$BIN" --seed 1 --shard 1/2 2>/dev/null
"$PB" matrix --scenarios "$L" --out "$T/sh2" --bin-dir "$BIN" --seed 1 --shard 2/2 2>/dev/null
"$PB" merge "$T/merged" "$T/sh1" "$T/sh2" 2>/dev/null
check_eq "merge: exit code" "$?" 0
cmp=$($PY -c '
import json,sys
def cells(p):
    c=[json.loads(l) for l in open(p+"/results.jsonl")][1:]
    return sorted((x["key"],x["status"],x["result"]) for x in c if x["type"]=="cell")
a,b=cells(sys.argv[1]),cells(sys.argv[2])
print(len(a), a==b)' "$T/all" "$T/merged")
# 2 scenarios x 2 arms x 3 repetitions + 4 counting repetitions
check_eq "merge: same cells as one run" "$cmp" "16 True"
scenario other checksum 128K 5 3
"$PB" matrix --scenarios "$S/other.ini" --out "$T/other" --bin-dir "$BIN" --seed 1 2>/dev/null
"$PB" merge "$T/merged2" "$T/sh1" "$T/other" 2>"$T/merge.log"
check_eq "merge: different matrices refused" "$?" 2
grep -q "different matrix" "$T/merge.log" && ok "merge: clear message" || nok "merge: $(cat "$T/merge.log")"

# ---- max_rss_bytes of a 200 MiB touch cell ----------------------------------------------
cat > "$S/touch.ini" <<EOT
[scenario]
workload = touch
[input]
seed = 1
size = 4K, 200M
[run]
backends = glibc
repetitions = 3
timeout = 60s
[pool]
policies = none
EOT
"$PB" matrix --scenarios "$S/touch.ini" --out "$T/touch" --bin-dir "$BIN" --seed 3 2>/dev/null
rss=$($PY -c '
import json,sys
c=[json.loads(l) for l in open(sys.argv[1])][1:]
small=[x["metrics"]["max_rss_bytes"] for x in c if x["config"]["size_bytes"]==4096]
big=[x["metrics"]["max_rss_bytes"] for x in c if x["config"]["size_bytes"]==200<<20]
base=max(small); want=(200<<20)+base
if sys.argv[2] == "1":
    # ASan / TSan build: the child'"'"'s RSS also holds the sanitizer'"'"'s shadow of the
    # 200 MiB (ASan 1/8, TSan several times) and, under ASan, the warm-up'"'"'s freed block
    # in the quarantine (2.2x and 2.4x measured): at least the block, at most 3x
    within=all(0.95*want <= b <= 3*want for b in big)
else:
    within=all(abs(b-want)/want<0.05 for b in big)
print("# touch 200 MiB: big cells at %s x (200 MiB + small cell)" %
      ", ".join("%.2f" % (b/want) for b in big), file=sys.stderr)
# cells in run order: every small cell after a big one stays small
order=sorted(c,key=lambda x:x["order"])
after_big=[x["metrics"]["max_rss_bytes"] for i,x in enumerate(order) if i and x["config"]["size_bytes"]==4096 and order[i-1]["config"]["size_bytes"]!=4096]
# with 3 blocks of one small and one big cell, a small cell always runs right after a big
# one somewhere; each such cell must show its own RSS, far below the big cells
print(within, all(s < 64<<20 for s in small), len(big),
      len(after_big) >= 1, all(a < 64<<20 for a in after_big))' "$T/touch/results.jsonl" \
    "${PB_SANITIZER_BUILD:-0}")
# 3 timed cells of 200 MiB and the arm's counting repetition
# (a sanitizer build, PB_SANITIZER_BUILD=1 from CMake: between 0.95x and 3x, see above)
check_eq "touch 200 MiB: within 5 % of 200 MiB + baseline; small cells small; 3 big + 1 counting; small after big: present and small" \
  "$rss" "True True 4 True True"

# ---- help and usage ---------------------------------------------------------------------
for c in "" matrix report compare merge; do
  "$PB" $c --help >/dev/null 2>&1; check_eq "poolbench $c --help exit code" "$?" 0
done
"$PB" matrix --bogus >/dev/null 2>&1; check_eq "bad option exit code" "$?" 2
"$PB" frobnicate >/dev/null 2>&1; check_eq "unknown command exit code" "$?" 2
"$PB" report "$T/resume" > /dev/null 2>&1; check_eq "report exit code" "$?" 0
[ -s "$T/resume/summary.md" ] && ok "report wrote summary.md" || nok "no summary.md"
"$PB" compare "$T/resume" --a glibc/none --b glibc/all > /dev/null 2>&1; check_eq "compare exit code" "$?" 0
finish
