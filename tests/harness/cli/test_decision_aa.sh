#!/usr/bin/env bash
# test_decision_aa.sh BIN_DIR SRC_DIR [RUNS]: the decision rules' A/A calibration
# (issue 8's acceptance): `poolbench calibrate --runs 0 --decision RUNS` runs
# scenarios/aa.matrix RUNS times (both arms of every comparison run the same code) and
# analyses each with the headline rules as shipped. No run may have a KEEP or a
# REMOVE-as-worse; the figures are printed, and the file the report quotes is checked.
set -uo pipefail
bin=$1 src=$2 runs=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
"$bin/poolbench" calibrate --runs 0 --decision "$runs" --out "$tmp/cal" --bin-dir "$bin" \
  --seed 11 >"$tmp/out.log" 2>"$tmp/err.log"
check_eq "calibrate --decision exit code" "$?" 0
f=$tmp/cal/decision-calibration.json
[ -f "$f" ] && ok "decision-calibration.json written" || { nok "no $f: $(tail -3 "$tmp/err.log")"; finish; exit 1; }
read -r n verdicts keep worse equiv nobenefit clean <<<"$(python3 - "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(d["runs"], d["verdicts"], d["false_keep"], d["false_remove_worse"],
      sum(r["remove_equivalence"] for r in d["per_run"]),
      sum(r["remove_no_benefit"] for r in d["per_run"]), d["runs_clean"])
PY
)"
echo "A/A decision calibration: $n runs, $verdicts headline verdicts, $keep false KEEP, $worse false REMOVE-as-worse, $equiv REMOVE by equivalence, $nobenefit by no benefit, $clean of $n runs clean"
check_eq "runs" "$n" "$runs"
[ "$verdicts" -gt 0 ] && ok "the A/A runs have headline verdicts ($verdicts)" || nok "no verdicts"
check_eq "false KEEP over all runs" "$keep" 0
check_eq "false REMOVE-as-worse over all runs" "$worse" 0
check_eq "clean runs" "$clean" "$runs"
grep -q "Decision calibration" "$tmp/out.log" && ok "the summary is printed" || nok "no summary printed"
finish
