#!/usr/bin/env bash
# test_adaptive.sh BIN_DIR SRC_DIR: adaptive repetitions on the real runners. An A/A
# comparison (image_tag with the tar class pooled, which it never uses, against plain)
# at 4 repetitions, judged by thresholds under which 4 noisy repetitions rarely show "no
# difference" (an equivalence band of +-1 %) and KEEP is out of reach, mostly stays
# undecided. The no_benefit rule (every CI's lower bound at or above 0.99) decides such
# an A/A at the first look in ~1 run of 15 (image_tag's spread is ~0.5 %): then the look
# rightly adds nothing, and the run is repeated with the next seed (at most 4 seeds, each
# decided one named; a first look that adds nothing to an UNDECIDED run fails at once);
# `poolbench matrix --budget` must then add cells of both arms within the budget, journal
# one look line per look with the planned looks, and the report must run every test at
# alpha / looks (summary.json statistics.sequential) with every p-value and CI still
# reproduced by scipy. --deadline leaves the looks only what is left of it. Bad
# --budget/--looks/--deadline exit 2.
set -uo pipefail
bin=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
cat >"$tmp/noisy.matrix" <<'M'
[matrix]
name = adaptive-test
[micro_image_tag]
backends = glibc
policies = plain, tar+plain
iterations = 100000
repetitions = 4
M
sed -e 's/^equivalence_percent = .*/equivalence_percent = 1/' \
    -e 's/^speedup_percent = .*/speedup_percent = 999/' \
    -e 's/^peak_memory_reduction_percent = .*/peak_memory_reduction_percent = 99/' \
    "$src/scenarios/thresholds.ini" >"$tmp/thresholds.ini"
start=$(date +%s)
for seed in 7 8 9 10; do
  rm -rf "$tmp/run"
  "$bin/poolbench" matrix --matrix "$tmp/noisy.matrix" --scenario-dir "$src/scenarios" \
    --out "$tmp/run" --bin-dir "$bin" --seed "$seed" --budget 15 --looks 3 \
    --thresholds "$tmp/thresholds.ini" >"$tmp/matrix.log" 2>&1
  rc=$?
  first=$(python3 - "$tmp/run/results.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("type") == "look":
        print(o["cells_added"], o["overall"])
        break
PY
)
  case "$first" in
    "0 UNDECIDED"|"0 NO_DATA"|"") break ;;
    0\ *) echo "seed $seed: the first look found the A/A decided ($first); next seed" ;;
    *) break ;;
  esac
done
check_eq "matrix with --budget: exit code" "$rc" 0
elapsed=$(( $(date +%s) - start ))
read -r cells looks planned added <<<"$(python3 - "$tmp/run/results.jsonl" <<'PY'
import json, sys
cells = looks = planned = added = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("type") == "cell":
        cells += 1
    elif o.get("type") == "look":
        looks += 1
        planned = o["looks_planned"]
        added += o["cells_added"]
print(cells, looks, planned, added)
PY
)"
echo "journal: $cells cells, $looks look line(s), $planned looks planned, $added cells added by looks; ${elapsed}s in all"
[ "$looks" -ge 1 ] && ok "at least one look journalled ($looks)" || nok "no look line: $(tail -5 "$tmp/matrix.log")"
check_eq "looks planned" "$planned" 3
[ "$looks" -le 2 ] && ok "no more than looks_planned - 1 extension looks" || nok "$looks looks"
# the base plan (from --dry-run: measured units, no warm-ups): every cell beyond it came
# from a look
base=$("$bin/poolbench" matrix --matrix "$tmp/noisy.matrix" --scenario-dir "$src/scenarios" \
  --out "$tmp/dry" --bin-dir "$bin" --seed "$seed" --dry-run | tail -n +2 | grep -vc 'warm-up')
base=$((base + added))
[ "$added" -gt 0 ] && ok "the looks added cells ($added)" || nok "no cells added: $(grep -i adaptive "$tmp/matrix.log" | tail -3)"
check_eq "cells in the journal = base plan + added" "$cells" "$base"
"$bin/poolbench" report "$tmp/run" --no-charts --thresholds "$tmp/thresholds.ini" \
  >"$tmp/report.log" 2>&1
check_eq "report exit code" "$?" 0
read -r taken planned2 alpha <<<"$(python3 - "$tmp/run/summary.json" <<'PY'
import json, sys
q = json.load(open(sys.argv[1]))["statistics"]["sequential"]
print(q["looks_taken"], q["looks_planned"], q["alpha_per_look"])
PY
)"
check_eq "summary: looks taken" "$taken" "$looks"
check_eq "summary: looks planned" "$planned2" 3
python3 -c "import sys; sys.exit(0 if abs(float('$alpha') - 0.05/3) < 1e-12 else 1)" \
  && ok "tests run at alpha / looks ($alpha)" || nok "alpha per look $alpha"
if /usr/bin/python3 "$src/scripts/verify_summary.py" "$tmp/run/summary.json" >"$tmp/verify.log" 2>&1; then
  ok "verify_summary.py reproduces the adaptive summary ($(tail -1 "$tmp/verify.log"))"
else
  nok "verify_summary.py: $(tail -3 "$tmp/verify.log")"
fi
"$bin/poolbench" matrix --matrix "$tmp/noisy.matrix" --out "$tmp/x" --budget -3 >/dev/null 2>"$tmp/e1"
check_eq "--budget -3 exit code" "$?" 2
grep -q -- "--budget" "$tmp/e1" && ok "--budget message names the argument" || nok "$(cat "$tmp/e1")"
"$bin/poolbench" matrix --matrix "$tmp/noisy.matrix" --out "$tmp/x" --budget 5 --looks 1 >/dev/null 2>"$tmp/e2"
check_eq "--looks 1 exit code" "$?" 2
# --deadline: the looks get what is left of it; a deadline the matrix itself uses up
# leaves them nothing (no look line), and the run still ends normally
"$bin/poolbench" matrix --matrix "$tmp/noisy.matrix" --scenario-dir "$src/scenarios" \
  --out "$tmp/late" --bin-dir "$bin" --seed "$seed" --budget 15 --deadline 0.001 \
  --thresholds "$tmp/thresholds.ini" >"$tmp/late.log" 2>&1
check_eq "--deadline 0.001: exit code" "$?" 0
grep -q -- "--deadline 0.001 s: 0 s left for adaptive repetitions" "$tmp/late.log" \
  && ok "--deadline says what it left the looks" || nok "$(tail -3 "$tmp/late.log")"
check_eq "--deadline 0.001: look lines" "$(grep -c '"type":"look"' "$tmp/late/results.jsonl")" 0
"$bin/poolbench" matrix --matrix "$tmp/noisy.matrix" --out "$tmp/x" --deadline soon >/dev/null 2>"$tmp/e3"
check_eq "--deadline soon exit code" "$?" 2
grep -q -- "--deadline 'soon'" "$tmp/e3" && ok "--deadline message names the argument" || nok "$(cat "$tmp/e3")"
finish
