#!/usr/bin/env bash
# test_gate_acceptance.sh BIN_DIR REPO N_IDENTICAL N_SLOW OUT [N_LIVE] [N_EXTRA]
# The gate's acceptance on the real runners: `poolbench gate --revs HEAD HEAD` N_IDENTICAL
# times (at least 95 % of the runs must exit 0: 19 of 20, or every run when fewer than
# 20), then N_SLOW runs with --inject-slowdown 25 and N_LIVE (default 1) runs with
# --inject-live 25 (the candidate keeps 25 % more memory live): every one must exit 1,
# the memory runs with a failing memory row in the summary, then N_EXTRA (default 1) runs
# with --inject-extra-ops 5 (the candidate really does 5 % more work): every one must exit
# 1 with a failing instruction-count row. The first two identical runs must also have
# their instruction counts (valgrind) and pass them; the others gate on time alone
# (--no-instructions): a deterministic count gives the same answer in every run (the
# calibrate_e2e test checks that A/A counts are identical), and counting costs ~45 s per
# run (the busy-wait and live-memory runs test the time and memory rows: --no-instructions
# too). Both revisions are the same commit, built once into OUT/work and reused.
# Prints one line per run (exit code, seconds) and a summary line with the figures.
set -uo pipefail
bin=$1 repo=$2 n_id=$3 n_slow=$4 out=$5 n_live=${6:-1} n_extra=${7:-1}
pb=${PB_POOLBENCH:-$bin/poolbench}   # PB_POOLBENCH: another driver binary (tests)
if ! "$pb" gate --help >/dev/null 2>&1; then
  echo "gate_acceptance: $pb has no gate command yet"; exit 1
fi
rm -rf "$out/runs" && mkdir -p "$out/runs" "$out/work"
pass=0 other=0 slow_ok=0 live_ok=0 extra_ok=0 ir_ok=0
for i in $(seq 1 "$n_id"); do
  t0=$(date +%s)
  ir_arg=(); [ "$i" -gt 2 ] && ir_arg=(--no-instructions)
  "$pb" gate --revs HEAD HEAD --repo "$repo" --work-dir "$out/work" --out "$out/runs/id-$i" \
     "${ir_arg[@]}" --summary "$out/runs/id-$i.md" >"$out/runs/id-$i.log" 2>&1
  rc=$?
  echo "identical run $i: exit $rc ($(( $(date +%s) - t0 )) s)"
  if [ $rc -eq 0 ]; then pass=$((pass + 1)); else other=$((other + 1)); grep -E "REGRESSION|unclear" "$out/runs/id-$i.md" | head -5; fi
  # the instruction counts ran and passed (identical revisions: identical counts)
  if [ "$i" -le 2 ]; then
    if grep -q '^Instructions (.*): pass\.' "$out/runs/id-$i.md"; then ir_ok=$((ir_ok + 1));
    else echo "identical run $i: no passing instruction counts:"; grep -m1 '^Instructions (' "$out/runs/id-$i.md"; fi
  fi
  if [ $rc -eq 3 ]; then tail -20 "$out/runs/id-$i.log"; exit 1; fi
done
for i in $(seq 1 "$n_slow"); do
  t0=$(date +%s)
  "$pb" gate --revs HEAD HEAD --repo "$repo" --work-dir "$out/work" --out "$out/runs/slow-$i" \
     --inject-slowdown 25 --no-instructions --summary "$out/runs/slow-$i.md" >"$out/runs/slow-$i.log" 2>&1
  rc=$?
  echo "25 % slowdown run $i: exit $rc ($(( $(date +%s) - t0 )) s)"
  [ $rc -eq 1 ] && slow_ok=$((slow_ok + 1))
done
for i in $(seq 1 "$n_live"); do
  t0=$(date +%s)
  "$pb" gate --revs HEAD HEAD --repo "$repo" --work-dir "$out/work" --out "$out/runs/live-$i" \
     --inject-live 25 --no-instructions --summary "$out/runs/live-$i.md" >"$out/runs/live-$i.log" 2>&1
  rc=$?
  mem=$(grep -c -E '^\| REGRESSION[^|]*\|.*\| (peak_live_bytes|max_rss_bytes) \|' "$out/runs/live-$i.md")
  echo "25 % more live memory run $i: exit $rc, $mem failing memory rows ($(( $(date +%s) - t0 )) s)"
  grep -m1 '^Memory (' "$out/runs/live-$i.md"
  [ $rc -eq 1 ] && [ "$mem" -gt 0 ] && live_ok=$((live_ok + 1))
done
for i in $(seq 1 "$n_extra"); do
  t0=$(date +%s)
  "$pb" gate --revs HEAD HEAD --repo "$repo" --work-dir "$out/work" --out "$out/runs/extra-$i" \
     --inject-extra-ops 5 --summary "$out/runs/extra-$i.md" >"$out/runs/extra-$i.log" 2>&1
  rc=$?
  ir=$(grep -c -E '^\| REGRESSION[^|]*\|.*\| instructions \|' "$out/runs/extra-$i.md")
  echo "5 % more work run $i: exit $rc, $ir failing instruction rows ($(( $(date +%s) - t0 )) s)"
  grep -m1 '^Instructions (' "$out/runs/extra-$i.md"
  [ $rc -eq 1 ] && [ "$ir" -gt 0 ] && extra_ok=$((extra_ok + 1))
done
echo "gate_acceptance: identical revisions: $pass of $n_id exit 0 ($ir_ok of the first $((n_id < 2 ? n_id : 2)) with passing instruction counts); 25 % slowdown: $slow_ok of $n_slow exit 1; 25 % more live memory: $live_ok of $n_live exit 1 on memory; 5 % more work: $extra_ok of $n_extra exit 1 on instructions"
# at least 95 % of identical runs pass (19 of 20; with 2 runs: both), each with passing
# instruction counts; every slowdown, memory and extra-work run fails
[ $((pass * 100)) -ge $((n_id * 95)) ] && [ "$ir_ok" -eq $((n_id < 2 ? n_id : 2)) ] && [ "$slow_ok" -eq "$n_slow" ] &&
  [ "$live_ok" -eq "$n_live" ] && [ "$extra_ok" -eq "$n_extra" ]
