#!/usr/bin/env bash
# test_go_pool_workloads.sh BIN_DIR: the pool workloads of pb-go against the C side.
#   - pool_churn: pb-go prints the same result as pb-glibc and as an independent Python
#     model of the algorithm (probe bytes from splitmix64 | 1, an FNV-style fold per
#     thread, then across threads) for 5 sets of thread count, warm-up, iteration
#     count and seed in the pooled, allocate-instead and plain arms, and on one set
#     with per-class policies and --zero-on-put off too; the gets per class are the C
#     runner's; a use after put (the PB_TEST_CHURN_SCRIBBLE=1 hook) changes pb-go's
#     result, as it does pb-glibc's;
#   - pool_getput / pool_getput_memory: the same result ("pairs=N/touched=S") as
#     pb-bench-getput --mode pool / bufpool for the same arguments, and S is the sum
#     computed here.
# Exit 0 when every check passes, 1 otherwise (TAP-like lines on stdout).
set -uo pipefail
bin=$(cd "$1" && pwd)
pbgo=$bin/pb-go pbc=$bin/pb-glibc getput=$bin/pb-bench-getput
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
for b in "$pbgo" "$pbc" "$getput"; do
  [ -x "$b" ] || { echo "not ok - $b missing (build first)"; exit 1; }
done
# result and gets per class (hash,tar,string) of one run, on one line
summary() { "$@" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["result"], ",".join(str(d["pool_classes"][c]["gets"]) for c in ("hash", "tar", "string")))'; }

model() {   # model SEED THREADS WARMUP ITERATIONS: the expected pool_churn result
  python3 - "$@" <<'PY'
import sys
M = (1 << 64) - 1
def mix(z):
    z = (z + 0x9E3779B97F4A7C15) & M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
seed, threads, warmup, iters = (int(v) for v in sys.argv[1:5])
total = 0xCBF29CE484222325
for t in range(threads):
    ts = mix(seed ^ ((0xD1B54A32D192ED03 * (t + 1)) & M))
    cs = 0xCBF29CE484222325
    for i in range(warmup + iters):
        want = mix(ts ^ (2 * i)).to_bytes(8, 'little') + mix(ts ^ (2 * i + 1)).to_bytes(8, 'little')
        got = bytes(b | 1 for b in want)
        for w in (got[:8], got[8:]):
            cs = ((cs ^ int.from_bytes(w, 'little')) * 0x100000001B3) & M
    total = ((total ^ cs) * 0x100000001B3) & M
print("pairs=%d/check=%016x" % (threads * iters, total))
PY
}

# ---- pool_churn: pb-go = pb-glibc = the model --------------------------------------------
# seed threads warmup iterations
for set in "1 1 0 1" "7 2 1 100" "31 3 7 300" "123456789 4 5 999" "18446744073709551615 2 0 64"; do
  read -r seed threads warmup iters <<<"$set"
  # the C runner's gets per class, summed over the threads: each thread's ops
  # warmup .. warmup+iters-1 (the timed window), classes in turn by index
  want=$(model "$seed" "$threads" "$warmup" "$iters")
  per=$(python3 -c 'import sys; w,n,t=map(int,sys.argv[1:]); c=[0,0,0]
for i in range(w, w+n): c[i%3]+=t
print(",".join(map(str,c)))' "$warmup" "$iters" "$threads")
  args=(--workload pool_churn --seed "$seed" --threads "$threads" --warmup "$warmup" --iterations "$iters")
  # every policy and zero-on-put variant on one set; the three arms on the others
  policies="all none plain" extras=("")
  [ "$set" = "31 3 7 300" ] && policies="all none plain hash,tar tar,plain string" extras=("" "--zero-on-put off")
  for pools in $policies; do
    for extra in "${extras[@]}"; do
      g=$(summary "$pbgo" "${args[@]}" --pools "$pools" $extra)
      c=$(summary "$pbc" "${args[@]}" --pools "$pools" $extra)
      if [ "$g" = "$want $per" ] && [ "$c" = "$want $per" ]; then
        ok "pool_churn seed $seed threads $threads warmup $warmup iterations $iters --pools $pools $extra: pb-go = pb-glibc = model ($want, gets $per)"
      else
        nok "pool_churn seed $seed threads $threads warmup $warmup iterations $iters --pools $pools $extra: pb-go '$g', pb-glibc '$c', model '$want $per'"
      fi
    done
  done
done
churn=(--workload pool_churn --threads 3 --warmup 7 --iterations 300 --seed 31)
want=$(model 31 3 7 300)
for pools in all hash,tar; do
  g=$(PB_TEST_CHURN_SCRIBBLE=1 "$pbgo" "${churn[@]}" --pools "$pools" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])')
  case "$g" in
    "$want"/unzeroed=*) ok "pool_churn pb-go --pools $pools: a use after put changes the result ($g)" ;;
    *) nok "pool_churn pb-go --pools $pools: a use after put left the result '$g' (want '$want/unzeroed=N')" ;;
  esac
done

# ---- pool_getput: pb-go = pb-bench-getput = the sum of the bytes written -----------------
for set in "1 0 1000" "2 10 5000" "3 1 777"; do
  read -r threads warmup iters <<<"$set"
  want=$(python3 -c 'import sys; t,w,n=map(int,sys.argv[1:]); s=sum((i & 0xff) for i in range(w, w+n))
print("pairs=%d/touched=%d" % (t*n, t*s))' "$threads" "$warmup" "$iters")
  for pair in "pool_getput pool" "pool_getput_memory bufpool"; do
    read -r wl mode <<<"$pair"
    g=$("$pbgo" --workload "$wl" --threads "$threads" --warmup "$warmup" --iterations "$iters" --zero-on-put off |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])')
    c=$("$getput" --mode "$mode" --threads "$threads" --warmup "$warmup" --iterations "$iters" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])')
    if [ "$g" = "$want" ] && [ "$c" = "$want" ]; then
      ok "$wl / pb-bench-getput --mode $mode, threads $threads warmup $warmup iterations $iters: $want"
    else
      nok "$wl threads $threads warmup $warmup iterations $iters: pb-go '$g', pb-bench-getput '$c', want '$want'"
    fi
  done
done
# bad arguments of pb-bench-getput: exit 2, one line naming the argument, nothing on stdout
for bad in "--mode slab" "--threads 0" "--size 1000" "--iterations x" "--zero-on-put maybe" "--threads" ""; do
  out=$("$getput" $bad 2>"$tmp/err"); rc=$?
  err=$(cat "$tmp/err")
  lines=$(printf '%s\n' "$err" | wc -l)
  word=${bad%% *}; [ -z "$word" ] && word=--mode
  if [ $rc -eq 2 ] && [ -z "$out" ] && [ "$lines" -eq 1 ] && [[ "$err" == *"$word"* ]]; then
    ok "pb-bench-getput $bad: exit 2 naming $word"
  else
    nok "pb-bench-getput $bad: rc $rc, stdout '$out', stderr '$err'"
  fi
done
echo "# $pass passed, $fail failed"
[ $fail -eq 0 ]
