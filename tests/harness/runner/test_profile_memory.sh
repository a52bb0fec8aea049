#!/usr/bin/env bash
# test_profile_memory.sh SRC_DIR BIN_DIR: scripts/profile-memory.sh from scratch (a new
# results folder, fresh go caches) writes, for all four scenarios, the profiles and the
# analysis text: 1-single (heap + CPU), 2-concurrent (four of each), 3-monitored (heap,
# allocs and CPU fetched with curl during the run, plus the heap profile at the end),
# 4-rapid (ten heap profiles); each profile has its -top, -cum and -list text, each heap
# profile its -sample_index=alloc_objects text, and the texts are go tool pprof's output
# (a Type: line), not errors.
set -u
src=${1:?usage: test_profile_memory.sh SRC_DIR BIN_DIR}
bin=${2:?usage: test_profile_memory.sh SRC_DIR BIN_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
out=$tmp/results
if HOME=$tmp timeout 800 bash "$src/scripts/profile-memory.sh" --bin "$bin" --out "$out" --quick >"$tmp/log" 2>&1; then
  ok "profile-memory.sh ran ($(tail -1 "$tmp/log"))"
else nok "profile-memory.sh failed: $(tail -5 "$tmp/log")"; fi
check_prof() {   # FILE heap|cpu
  local f=$1 kind=$2 t
  [ -s "$f" ] || { nok "${f#"$out"/} missing or empty"; return; }
  for t in top cum list $([ "$kind" = heap ] && echo objects); do
    [ -s "$f.$t.txt" ] || { nok "${f#"$out"/}.$t.txt missing or empty"; return; }
  done
  grep -q "^Type: " "$f.top.txt" || { nok "${f#"$out"/}.top.txt: $(head -2 "$f.top.txt")"; return; }
  if [ "$kind" = cpu ]; then grep -q "^Type: cpu" "$f.top.txt" || { nok "${f#"$out"/} is not a CPU profile"; return; }
  else grep -q "^Type: alloc_objects" "$f.objects.txt" || { nok "${f#"$out"/}.objects.txt: $(head -3 "$f.objects.txt")"; return; }; fi
  ok "${f#"$out"/}: profile and analysis text"
}
check_prof "$out/1-single/build.prof" heap
check_prof "$out/1-single/build_cpu.prof" cpu
for i in 1 2 3 4; do
  check_prof "$out/2-concurrent/build_$i.prof" heap
  check_prof "$out/2-concurrent/build_${i}_cpu.prof" cpu
done
check_prof "$out/3-monitored/heap_during_build.prof" heap
check_prof "$out/3-monitored/allocs_during_build.prof" heap
check_prof "$out/3-monitored/cpu_during_build.prof" cpu
check_prof "$out/3-monitored/build_end.prof" heap
grep -q "^Type: alloc_space" "$out/3-monitored/allocs_during_build.prof.top.txt" &&
  ok "/debug/pprof/allocs defaults to alloc_space (Go's allocs profile)" ||
  nok "allocs profile default type: $(grep Type: "$out/3-monitored/allocs_during_build.prof.top.txt")"
for i in $(seq 1 10); do check_prof "$out/4-rapid/build_$i.prof" heap; done
[ -s "$out/SUMMARY.txt" ] && grep -q "flat%" "$out/SUMMARY.txt" && ok "SUMMARY.txt" || nok "SUMMARY.txt missing"
grep -q "^ROUTINE" "$out/1-single/build.prof.list.txt" && ok "-list of the hottest function has source" ||
  nok "-list text: $(head -3 "$out/1-single/build.prof.list.txt")"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
