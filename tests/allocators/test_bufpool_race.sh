#!/usr/bin/env bash
# test_bufpool_race.sh: no kernel depends on getting its own buffer back from the pool.
# Runs every workload of pb-glibc twice on the same small input, once plainly and once
# in race mode (PB_POOL_RACE=1: 1 pooled get in 4 ignores the pool and gets a new
# buffer, as Go's sync.Pool under the race detector), and requires the same `result`.
# It also proves race mode was on: pool_churn's misses in the timed window are 1 per
# class at most without it, and about a quarter of its gets with it.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
pb=$bin/pb-glibc

field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

common=(--size 256K --seed 3 --files 6 --warmup 2 --iterations 3 --threads 2)
for wl in checksum sum_checksum checksum_concurrent tar_create tar_create_seq \
          tar_create_concurrent tar_read tar_copy image_tag build pool_churn; do
  "$pb" --workload "$wl" "${common[@]}" >"$tmp/plain.json" 2>"$tmp/err" \
    || { nok "$wl: plain run failed: $(head -c 300 "$tmp/err")"; continue; }
  PB_POOL_RACE=1 "$pb" --workload "$wl" "${common[@]}" >"$tmp/race.json" 2>"$tmp/err" \
    || { nok "$wl: race-mode run failed: $(head -c 300 "$tmp/err")"; continue; }
  check_eq "$wl: same result with PB_POOL_RACE=1" "$(field "$tmp/race.json" result)" \
    "$(field "$tmp/plain.json" result)"
done

# race mode is really on: pool_churn's timed misses (every get reuses without it)
args=(--workload pool_churn --threads 2 --warmup 30 --iterations 400)
"$pb" "${args[@]}" >"$tmp/plain.json" 2>/dev/null && PB_POOL_RACE=1 "$pb" "${args[@]}" >"$tmp/race.json" 2>/dev/null
plain_m=$(field "$tmp/plain.json" pool_misses) race_m=$(field "$tmp/race.json" pool_misses)
gets=$(field "$tmp/race.json" pool_gets)
if [ "$plain_m" -le 6 ] && [ $((race_m * 8)) -ge "$gets" ] && [ $((race_m * 8)) -le $((gets * 3)) ]; then
  ok "race mode skips the pool: pool_churn misses $race_m of $gets gets (plain: $plain_m)"
else
  nok "race mode: misses $race_m of $gets gets (want 1/8..3/8), plain $plain_m (want <= 6)"
fi
check_eq "race mode keeps pool_churn's result" "$(field "$tmp/race.json" result)" \
  "$(field "$tmp/plain.json" result)"
finish
