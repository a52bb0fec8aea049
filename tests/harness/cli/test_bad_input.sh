#!/usr/bin/env bash
# test_bad_input.sh: every input path of poolbench refuses bad input with the documented
# exit code (2: usage or bad input) and a message that names the argument or file, never a
# crash (exit >= 128) and never an output folder for a refused matrix:
#  - arguments of each subcommand: unknown option, missing value, out of range, negative,
#    overflow;
#  - files: missing, empty, binary, huge (past the readers' limits or just large), wrong
#    schema version, for the scenario, matrix, thresholds and journal readers;
#  - environment: a PATH without hyperfine or gnuplot gives a message saying how to
#    install it (apt-get install ...), and everything else still works.
# usage: test_bad_input.sh BIN_DIR SOURCE_DIR
set -u
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
PB=$BIN/poolbench
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
T=$(mktemp -d /tmp/pb_test_bad_input.XXXXXX)
trap 'rm -rf "$T"' EXIT
PY=/usr/bin/python3; [ -x $PY ] || PY=python3

# bad WANT_RC WANT_IN_STDERR -- ARGS...: runs poolbench ARGS, checks the exit code and
# that stderr contains the text (fixed string), and that nothing crashed
bad() {
  local want_rc=$1 want=$2
  shift 3
  "$PB" "$@" >"$T/out" 2>"$T/err" </dev/null
  local rc=$?
  local what="poolbench $*"
  what=${what//$T/T}
  [ ${#what} -gt 110 ] && what="${what:0:107}..."
  if [ "$rc" -eq "$want_rc" ] && grep -qF -- "$want" "$T/err"; then
    ok "$what: exit $rc, says '$want'"
  else
    nok "$what: exit $rc (want $want_rc), stderr: $(head -c 300 "$T/err" | tr '\n' ' ') (want '$want')"
  fi
}

# ---- a small valid scenario and journal to start from --------------------------------
mkdir -p "$T/s"
cat > "$T/s/tag.ini" <<EOT
[scenario]
workload = image_tag
[input]
seed = 1
size = 0
[run]
backends = glibc
iterations = 2000
warmup_repetitions = 0
repetitions = 2
timeout = 60s
[pool]
policies = all, none
EOT
M=(matrix --bin-dir "$BIN" --scenarios "$T/s/tag.ini")
"$PB" "${M[@]}" --out "$T/good" --seed 1 2>/dev/null
check_eq "a valid matrix runs" "$?" 0

# ---- arguments ----------------------------------------------------------------------
bad 2 "unknown command 'frobnicate'" -- frobnicate
bad 2 "usage: poolbench COMMAND" --
bad 2 "unrecognized option '--bogus'" -- "${M[@]}" --bogus
bad 2 "option '--out' requires an argument" -- "${M[@]}" --out
bad 2 "unexpected argument 'extra'" -- "${M[@]}" --out "$T/x" extra
bad 2 "--shard" -- "${M[@]}" --out "$T/x" --shard 3/2
bad 2 "--shard" -- "${M[@]}" --out "$T/x" --shard -1/2
bad 2 "--shard" -- "${M[@]}" --out "$T/x" --shard 1/99999999999999999999999
bad 2 "--seed" -- "${M[@]}" --out "$T/x" --seed -5
bad 2 "--seed" -- "${M[@]}" --out "$T/x" --seed 99999999999999999999999
bad 2 "--seed" -- "${M[@]}" --out "$T/x" --seed 12abc
bad 2 "--budget" -- "${M[@]}" --out "$T/x" --budget -1
bad 2 "--budget" -- "${M[@]}" --out "$T/x" --budget 1e999
bad 2 "--budget" -- "${M[@]}" --out "$T/x" --budget nan
bad 2 "--deadline" -- "${M[@]}" --out "$T/x" --deadline -1
bad 2 "--looks" -- "${M[@]}" --out "$T/x" --looks 1
bad 2 "--looks" -- "${M[@]}" --out "$T/x" --looks -3
bad 2 "--looks" -- "${M[@]}" --out "$T/x" --looks 99999999999999999999999
bad 2 "unknown backend 'nosuch' in --backends" -- "${M[@]}" --out "$T/x" --backends nosuch
[ ! -e "$T/x" ] && ok "refused matrices created no output folder" || nok "an output folder was created"

bad 2 "not a results folder" -- report
bad 2 "not a results folder" -- report "$T/nosuch"
bad 2 "unexpected argument '--bogus'" -- report "$T/good" --bogus
bad 2 "unexpected argument '--thresholds'" -- report "$T/good" --thresholds
bad 2 "$T/nosuch.json" -- report "$T/good" --no-charts --calibration "$T/nosuch.json"

bad 2 "usage: poolbench compare" -- compare "$T/good"
bad 2 "usage: poolbench compare" -- compare "$T/good" --a glibc/none --b
bad 2 "unrecognized option '--bogus'" -- compare "$T/good" --bogus
bad 2 "$T/nosuch" -- compare "$T/nosuch" --a glibc/none --b glibc/all

bad 2 "usage: poolbench merge" -- merge
bad 2 "$T/nosuch" -- merge "$T/merged" "$T/nosuch"

bad 2 "unrecognized option '--bogus'" -- gate --bogus
bad 2 "bad --inject-extra-ops '-1' (0..1000)" -- gate --revs HEAD HEAD --inject-extra-ops -1
bad 2 "bad --repetitions '0' (1..10000)" -- gate --revs HEAD HEAD --repetitions 0
bad 2 "need --revs" -- gate --baseline "$T/good" --candidate "$T/good" --inject-extra-ops 5
bad 2 "--runs" -- calibrate --runs -1
bad 2 "--runs" -- calibrate --runs 99999999999999999999999
bad 2 "unrecognized option '--bogus'" -- calibrate --bogus
bad 2 "unrecognized option '--bogus'" -- history --bogus

# ---- files: scenario, matrix, thresholds, journal --------------------------------------
printf '' > "$T/empty"
head -c 4096 /dev/urandom > "$T/binary"
printf '\0\1\2\3\377\376 binary\n' >> "$T/binary"
# huge: 64 MiB of comment lines
$PY -c '
import sys
with open(sys.argv[1], "w") as f:
    line = "; " + "x" * 1021 + "\n"
    for _ in range(65536): f.write(line)' "$T/huge"
for f in nosuch empty binary huge; do
  bad 2 "$T/$f" -- "${M[@]/$T\/s\/tag.ini/$T/$f}" --out "$T/x"
  bad 2 "$T/$f" -- matrix --bin-dir "$BIN" --matrix "$T/$f" --out "$T/x"
  bad 2 "$T/$f" -- report "$T/good" --no-charts --thresholds "$T/$f"
done
[ ! -e "$T/x" ] && ok "refused files created no output folder" || nok "an output folder was created"
# a thresholds file of another format (thresholds.ini has no version key: an unknown key)
printf '[thresholds]\nversion = 99\n' > "$T/th99.ini"
bad 2 "$T/th99.ini:2:" -- report "$T/good" --no-charts --thresholds "$T/th99.ini"
bad 2 "no thresholds set" -- report "$T/good" --no-charts --thresholds "$T/empty"
# journals
for f in empty binary huge; do
  mkdir -p "$T/j_$f"; cp "$T/$f" "$T/j_$f/results.jsonl"
  bad 2 "$T/j_$f/results.jsonl" -- report "$T/j_$f" --no-charts
  bad 2 "$T/j_$f/results.jsonl" -- compare "$T/j_$f" --a glibc/none --b glibc/all
  [ "$f" = empty ] && continue
  bad 2 "$T/j_$f/results.jsonl" -- "${M[@]}" --out "$T/j_$f" --resume
done
# an empty journal (killed before its context block was written) is resumed as a new run
"$PB" "${M[@]}" --out "$T/j_empty" --resume >/dev/null 2>&1
check_eq "empty journal + --resume: a new run, exit code" "$?" 0
# 4 timed cells and the 2 arms' counting cells (matrix_add_counting)
check_eq "empty journal + --resume: context + 6 cells" "$(wc -l < "$T/j_empty/results.jsonl" | tr -d ' ')" 7
mkdir -p "$T/j_none"
bad 2 "$T/j_none" -- report "$T/j_none" --no-charts
mkdir -p "$T/j_v99"
$PY -c '
import json,sys
ls=open(sys.argv[1]).read().splitlines()
c=json.loads(ls[0]); c["schema_version"]=99; ls[0]=json.dumps(c)
open(sys.argv[2],"w").write("\n".join(ls)+"\n")' "$T/good/results.jsonl" "$T/j_v99/results.jsonl"
bad 2 "schema version 99" -- report "$T/j_v99" --no-charts
bad 2 "schema version 99" -- compare "$T/j_v99" --a glibc/none --b glibc/all
bad 2 "another schema version" -- "${M[@]}" --out "$T/j_v99" --resume
bad 2 "schema version" -- merge "$T/merged_v99" "$T/good" "$T/j_v99"

# ---- environment: no hyperfine, no gnuplot on PATH -------------------------------------
mkdir -p "$T/emptybin"
cat > "$T/s/rapid.ini" <<EOT
[scenario]
workload = image_tag
mode = hyperfine
[input]
seed = 1
size = 0
[run]
backends = glibc
iterations = 2000
warmup_repetitions = 0
repetitions = 2
timeout = 60s
[pool]
policies = none
EOT
PATH=$T/emptybin "$PB" matrix --bin-dir "$BIN" --scenarios "$T/s/rapid.ini" --out "$T/hf" \
  >/dev/null 2>"$T/hf.log"
check_eq "no hyperfine on PATH: exit code" "$?" 2
grep -q "hyperfine not found on PATH.*apt-get install hyperfine" "$T/hf.log" \
  && ok "no hyperfine: says how to install it" || nok "no hyperfine: $(cat "$T/hf.log")"
PATH=$T/emptybin "$PB" matrix --bin-dir "$BIN" --scenarios "$T/s/tag.ini" --out "$T/nohf" \
  --seed 2 >/dev/null 2>&1
check_eq "no hyperfine on PATH: a matrix without hyperfine scenarios still runs" "$?" 0
cp -r "$T/good" "$T/nognuplot"
PATH=$T/emptybin POOLBENCH_GNUPLOT= "$PB" report "$T/nognuplot" >/dev/null 2>"$T/gp.log"
check_eq "no gnuplot on PATH: report still exits 0" "$?" 0
grep -q "gnuplot not found.*apt-get install gnuplot" "$T/gp.log" \
  && ok "no gnuplot: says how to install it" || nok "no gnuplot: $(head -c 400 "$T/gp.log")"
for f in report.md report-full.md report.html summary.json samples.csv bench.txt summary.md; do
  [ -s "$T/nognuplot/$f" ] && ok "no gnuplot: $f written" || nok "no gnuplot: no $f"
done
finish
