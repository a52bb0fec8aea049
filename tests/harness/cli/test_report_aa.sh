#!/usr/bin/env bash
# test_report_aa.sh BIN_DIR SRC_DIR: an A/A run of the decision report (scenarios/aa.matrix:
# the pooled class is one the kernel never uses, so both arms run the same code). The
# report must contain no KEEP verdict, and every p-value and CI of its summary.json must
# be reproduced by scripts/verify_summary.py (scipy).
set -uo pipefail
bin=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
# an ASan / TSan build (PB_SANITIZER_BUILD=1, set by CMake) builds only the glibc slot
# (the sanitizer's allocator): the matrix's other backend is left out there
backends=()
[ "${PB_SANITIZER_BUILD:-0}" = 1 ] && backends=(--backends glibc)
"$bin/poolbench" matrix --matrix "$src/scenarios/aa.matrix" --out "$tmp/aa" --bin-dir "$bin" \
  "${backends[@]}" >"$tmp/matrix.log" 2>&1
check_eq "aa matrix exit code" "$?" 0
"$bin/poolbench" report "$tmp/aa" --no-charts >"$tmp/report.log" 2>&1
check_eq "aa report exit code" "$?" 0
read -r n keep remove incon <<<"$(python3 - "$tmp/aa/summary.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["verdicts"]
print(len(v), sum(x["verdict"] == "KEEP" for x in v), sum(x["verdict"] == "REMOVE" for x in v),
      sum(x["verdict"] == "INCONCLUSIVE" for x in v))
PY
)"
echo "A/A verdicts: $n in all, $keep KEEP, $remove REMOVE, $incon INCONCLUSIVE"
[ "$n" -gt 0 ] && ok "A/A report has verdicts ($n)" || nok "A/A report has no verdicts"
check_eq "A/A report: KEEP verdicts" "$keep" 0
if /usr/bin/python3 "$src/scripts/verify_summary.py" "$tmp/aa/summary.json" >"$tmp/verify.log" 2>&1; then
  ok "verify_summary.py reproduces the A/A summary ($(tail -1 "$tmp/verify.log"))"
else
  nok "verify_summary.py: $(tail -3 "$tmp/verify.log")"
fi
finish
