#!/usr/bin/env bash
# test_calibrate.sh BIN_DIR SRC_DIR: `poolbench calibrate`'s gate part end to end on the
# real runners and valgrind: a small matrix (micro_image_tag on glibc, 3 arms, 4
# repetitions), 2 runs, slowdowns 5 and 25 % made of real extra work (--inject-extra-ops).
# The wall-time figures are noise-bound and only printed; the instruction counts are
# deterministic and checked: every A/A count identical (ratio exactly 1, nothing flagged),
# every +5 % and +25 % side flagged by its instruction row with a ratio within 1 % of the
# injected work, and `--reanalyse` of the same folder gives the same figures.
set -uo pipefail
bin=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
cat >"$tmp/cal.matrix" <<'M'
[matrix]
name = calibrate-test
description = micro_image_tag on glibc, small
[micro_image_tag]
backends = glibc
iterations = 20000
repetitions = 4
M
"$bin/poolbench" calibrate --matrix "$tmp/cal.matrix" --scenario-dir "$src/scenarios" \
  --runs 2 --slowdowns 5,25 --out "$tmp/cal" --bin-dir "$bin" --seed 3 \
  >"$tmp/out.log" 2>"$tmp/err.log"
check_eq "calibrate exit code" "$?" 0
f=$tmp/cal/calibration.json
[ -f "$f" ] || { nok "no $f: $(tail -5 "$tmp/err.log")"; finish; exit 1; }
ok "calibration.json written"
grep -m1 "By instruction counts alone" "$tmp/cal/calibration.md"
read -r aa_n aa_flag aa_ratios d5_n d5_flag d25_n d25_flag r5 r25 <<<"$(python3 - "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = d["overall"]
det = {x["slowdown_pct"]: x for x in o["detection"]}
ratios = sorted({w["aa"]["instructions_ratio_median"] for w in d["workloads"]})
def med(k):
    v = [x["instructions_ratio_median"] for w in d["workloads"] for x in w["detection"]
         if x["slowdown_pct"] == k]
    return min(v), max(v)
print(o["instructions_aa_comparisons"], o["instructions_aa_flagged"],
      ",".join("%.6f" % r for r in ratios),
      det[5]["instructions_comparisons"], det[5]["instructions_flagged"],
      det[25]["instructions_comparisons"], det[25]["instructions_flagged"],
      "%.4f-%.4f" % med(5), "%.4f-%.4f" % med(25))
PY
)"
echo "instructions: A/A $aa_flag of $aa_n flagged (ratios $aa_ratios); +5 %: $d5_flag of $d5_n (ratios $r5); +25 %: $d25_flag of $d25_n (ratios $r25)"
check_eq "A/A instruction comparisons (3 arms x 2 runs)" "$aa_n" 6
check_eq "A/A instruction false alarms" "$aa_flag" 0
check_eq "A/A instruction ratios (identical counts)" "$aa_ratios" "1.000000"
check_eq "+5 % instruction comparisons" "$d5_n" 6
check_eq "+5 % detected by instructions" "$d5_flag" 6
check_eq "+25 % detected by instructions" "$d25_flag" 6
python3 - "$r5" "$r25" <<'PY' && ok "ratios within 1 % of the injected work" || nok "ratios $r5 / $r25"
import sys
for arg, want in zip(sys.argv[1:], (1.05, 1.25)):
    lo, hi = map(float, arg.split("-"))
    assert abs(lo - want) <= 0.01 * want and abs(hi - want) <= 0.01 * want, (arg, want)
PY
"$bin/poolbench" calibrate --reanalyse "$tmp/cal" --out "$tmp/re" >/dev/null 2>"$tmp/re.err"
check_eq "reanalyse exit code" "$?" 0
python3 - "$f" "$tmp/re/calibration.json" <<'PY' && ok "reanalysis gives the same figures" || nok "reanalysis differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["overall"] == b["overall"] and a["workloads"] == b["workloads"]
PY
finish
