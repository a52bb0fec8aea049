#!/usr/bin/env bash
# run-matrix.sh: the main job. Installs what is missing, builds into build/ if needed,
# runs the scenario matrix (quick by default), writes the report, prints where it is.
#
#   ./run-matrix.sh [--quick|--full] [--out DIR] [--scenarios LIST] [--backends LIST]
#                   [--resume] [--calibrate] [--budget SECONDS]
#
# The default output folder is results/<date>-<host>/. --resume without --out continues
# the newest folder under results/. --calibrate (implied by --full) also runs
# `poolbench calibrate` into DIR/calibration/ (2 runs of the gate's A/A and A/A' and 3 A/A
# matrices of the decision rules), which the report quotes. --budget is the time for
# adaptive repetitions after the matrix (default 20 s quick, 120 s full; 0 = off); with
# the default budget the matrix and its repetitions also end within 175 s (quick) or
# 29 min (full) of the start (`poolbench matrix --deadline`): on a slow day the adaptive
# repetitions get what is left.
# Exit status: that of `poolbench matrix` (0 all cells ok, 1 some cells failed but the
# matrix completed, 2 bad input, 3 harness error).
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
matrix=quick out="" resume=() extra=() calibrate=0 budget=

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) matrix=quick ;;
    --full) matrix=full calibrate=1 ;;
    --calibrate) calibrate=1 ;;
    --out) [ $# -ge 2 ] || { echo "run-matrix: --out needs a folder" >&2; exit 2; }; out=$2; shift ;;
    --scenarios|--backends)
      [ $# -ge 2 ] || { echo "run-matrix: $1 needs a comma-separated list" >&2; exit 2; }
      extra+=("$1" "$2"); shift ;;
    --resume) resume=(--resume) ;;
    --budget) [ $# -ge 2 ] || { echo "run-matrix: --budget needs seconds" >&2; exit 2; }; budget=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-matrix: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
bin=${PB_BUILD_DIR:-$root/build}/bin

if [ -z "$out" ]; then
  if [ ${#resume[@]} -gt 0 ]; then
    out=$(ls -1dt "$root"/results/*/ 2>/dev/null | head -1)
    [ -n "$out" ] || { echo "run-matrix: --resume: no earlier run under results/" >&2; exit 2; }
    out=${out%/}
  else
    out="$root/results/$(date +%Y-%m-%dT%H%M%S)-$(hostname -s 2>/dev/null || echo host)"
  fi
fi

deadline=()
if [ -z "$budget" ]; then
  if [ "$matrix" = full ]; then budget=120 deadline=(--deadline 1740); else budget=20 deadline=(--deadline 175); fi
fi
set +e
"$bin/poolbench" matrix --matrix "$root/scenarios/$matrix.matrix" --out "$out" \
  --bin-dir "$bin" --budget "$budget" "${deadline[@]}" "${resume[@]}" "${extra[@]}"
rc=$?
set -e
if [ $rc -ge 2 ]; then
  exit $rc
fi
report_args=()
if [ $calibrate -eq 1 ]; then
  if [ ! -f "$out/calibration/calibration.json" ]; then
    "$bin/poolbench" calibrate --out "$out/calibration" --bin-dir "$bin" --runs 2 --decision 3 >/dev/null \
      || { echo "run-matrix: calibration failed; the report will not quote it" >&2; }
  fi
  [ -f "$out/calibration/calibration.json" ] && report_args=(--calibration "$out/calibration/calibration.json")
fi
"$bin/poolbench" report "$out" "${report_args[@]}"
echo
echo "results: $out"
[ -f "$out/report.md" ] && echo "report:  $out/report.md"
exit $rc
