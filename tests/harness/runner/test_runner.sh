#!/usr/bin/env bash
# test_runner.sh: the runner's results against independent tools, on every backend built.
#  - checksum / checksum_concurrent / sum_checksum equal coreutils sha256sum and an
#    independent hash-of-chunk-hashes (python hashlib) on 0, 1, 4096, 4097, 1 MiB,
#    1 MiB+1 and 64 MiB+7 bytes;
#  - tar_create (both variants) and tar_copy archives list and extract with GNU tar to
#    exactly the source tree; tar_read returns byte-identical content;
#  - every kernel gives the same result on every backend and under every pool policy;
#  - with the tar class pooled, pool hits + misses equals the tar-buffer gets (three
#    counts taken in three places: gets in bufpool_get, misses in its new_fn, hits in
#    pool.c where the get is served; a miscount on any side fails it);
#  - pool_churn gives the same result (recomputed independently) and the same gets per
#    class under every policy, and a use after put changes its result.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
backends=()
for b in glibc mimalloc jemalloc tcmalloc; do [ -x "$bin/pb-$b" ] && backends+=("$b"); done
[ ${#backends[@]} -gt 0 ] || { echo "no runner in $bin"; exit 1; }
policies=(all none hash tar string hash,tar)

run() { "$bin/pb-$1" "${@:2}"; }

# --- checksums vs sha256sum -------------------------------------------------------
for n in 0 1 4096 4097 1048576 1048577 67108871; do
  f=$tmp/data-$n
  head -c "$n" /dev/urandom > "$f"
  want=$(sha256sum "$f" | cut -d' ' -f1)
  for b in "${backends[@]}"; do
    pols=(all none); [ "$b" = glibc ] && pols=("${policies[@]}")
    for p in "${pols[@]}"; do
      got=$(json_field "$(run "$b" --workload checksum --input "$f" --pools "$p" --warmup 0)" result)
      check_eq "checksum $n bytes, $b, pools=$p" "$got" "$want"
    done
  done
  # the concurrent kernel: an independent hash of chunk hashes
  for w in 2 3; do
    want_cc=$(python3 - "$f" "$w" <<'PY'
import hashlib, sys
data = open(sys.argv[1], 'rb').read(); w = int(sys.argv[2])
if len(data) <= 1 << 20 or len(data) // w < 4096:
    print(hashlib.sha256(data).hexdigest())
else:
    c = len(data) // w
    parts = [data[i * c:(i + 1) * c if i < w - 1 else len(data)] for i in range(w)]
    print(hashlib.sha256(b''.join(hashlib.sha256(p).digest() for p in parts)).hexdigest())
PY
)
    for b in "${backends[@]}"; do
      got=$(json_field "$(run "$b" --workload checksum_concurrent --input "$f" --threads "$w" --warmup 0)" result)
      check_eq "checksum_concurrent $n bytes, $w workers, $b" "$got" "$want_cc"
    done
  done
done

# --- sum_checksum: sha256 over the concatenated digests -----------------------------
head -c $((33 * 32)) /dev/urandom > "$tmp/digests"
want=$(sha256sum "$tmp/digests" | cut -d' ' -f1)
for b in "${backends[@]}"; do
  got=$(json_field "$(run "$b" --workload sum_checksum --input "$tmp/digests")" result)
  check_eq "sum_checksum 33 digests, $b" "$got" "$want"
done

# --- tar kernels vs GNU tar ------------------------------------------------------------
src=$tmp/src
mkdir -p "$src/a/b" "$src/c"
head -c 100000 /dev/urandom > "$src/a/b/big.bin"
printf 'FROM scratch\n' > "$src/Dockerfile"
: > "$src/c/empty"
printf 'x' > "$src/c/one"; chmod 755 "$src/c/one"
for i in $(seq 1 30); do head -c $((i * 100)) /dev/urandom > "$src/a/f$i"; done
listing() { tar -tvf "$1" | awk '{print $1, $3, $6}' | sort; }
srclisting=$( (cd "$src" && find . -type f -printf '%M %s %P\n') | sort)
for wl in tar_create_seq tar_create_concurrent tar_create; do
  for b in "${backends[@]}"; do
    run "$b" --workload "$wl" --input "$src" --output "$tmp/out.tar" --warmup 0 >/dev/null \
      || { nok "$wl $b exited $?"; continue; }
    got=$(listing "$tmp/out.tar" | awk '{print $1, $2, $3}')
    check_eq "$wl $b lists the source tree (modes, sizes, names)" "$got" "$srclisting"
    rm -rf "$tmp/x"; mkdir "$tmp/x"; tar -xf "$tmp/out.tar" -C "$tmp/x"
    if diff -r "$src" "$tmp/x" >/dev/null; then ok "$wl $b extracts identically"; else nok "$wl $b extract differs"; fi
  done
done
run glibc --workload tar_create_seq --input "$src" --output "$tmp/src.tar" >/dev/null
for b in "${backends[@]}"; do
  run "$b" --workload tar_copy --input "$tmp/src.tar" --output "$tmp/copy.tar" >/dev/null || nok "tar_copy $b failed"
  check_eq "tar_copy $b lists like the source" "$(tar -tvf "$tmp/copy.tar")" "$(tar -tvf "$tmp/src.tar")"
  rm -rf "$tmp/x"; mkdir "$tmp/x"; tar -xf "$tmp/copy.tar" -C "$tmp/x"
  if diff -r "$src" "$tmp/x" >/dev/null; then ok "tar_copy $b extracts identically"; else nok "tar_copy $b extract differs"; fi
  for m in Dockerfile a/b/big.bin c/empty a/f30; do
    for d in "" --from-disk; do
      run "$b" --workload tar_read --input "$tmp/src.tar" --member "$m" $d --output "$tmp/member" >/dev/null
      if cmp -s "$tmp/member" "$src/$m"; then ok "tar_read $m $d $b byte-identical"; else nok "tar_read $m $d $b differs"; fi
    done
  done
done

# --- the same result on every backend and policy (generated inputs) -------------------
for wl in checksum sum_checksum checksum_concurrent tar_create tar_create_seq tar_create_concurrent tar_read tar_copy image_tag build; do
  args=(--workload "$wl" --size 3M --seed 7 --files 40)
  [ "$wl" = sum_checksum ] && args=(--workload "$wl" --size 4096 --seed 7)
  ref=""
  for b in "${backends[@]}"; do
    for p in "${policies[@]}"; do
      for extra in "" "--standard-alloc malloc" "--zero-on-put off"; do
        got=$(json_field "$(run "$b" "${args[@]}" --pools "$p" $extra)" result 2>/dev/null)
        if [ -z "$ref" ]; then ref=$got; fi
        if [ -z "$got" ] || [ "$got" != "$ref" ]; then nok "$wl $b pools=$p $extra: '$got' != '$ref'"; continue 2; fi
      done
    done
  done
  [ -n "$ref" ] && ok "$wl: one result on ${#backends[@]} backends x ${#policies[@]} policies x 3 variants"
done

# --- pool_churn: every arm does the same gets and puts and computes the same result -----
# The result is recomputed here independently (the probe bytes each operation writes and
# reads back, folded per thread, then across threads); every policy, allocator variant and
# backend must give it, with the same gets per class; a use after put (the runner's test
# hook) must change it.
churn_want=$(python3 - <<'PY'
M = (1 << 64) - 1
def mix(z):
    z = (z + 0x9E3779B97F4A7C15) & M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
seed, threads, warmup, iters = 31, 3, 7, 300
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
)
churn=(--workload pool_churn --threads 3 --warmup 7 --iterations 300 --seed 31)
churn_ok=1
# gets are counted in the timed window only: ops 7..306 of 3 threads, classes in turn
for b in "${backends[@]}"; do
  for p in all none plain hash,tar hash,plain tar,string; do
    for extra in "" "--standard-alloc malloc" "--zero-on-put off"; do
      # result and gets per class in one python start (the interpreter is slow to start)
      read -r got gets < <(run "$b" "${churn[@]}" --pools "$p" $extra | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["result"], ",".join(str(d["pool_classes"][c]["gets"]) for c in ("hash", "tar", "string")))' 2>/dev/null)
      if [ "$got" != "$churn_want" ] || [ "$gets" != "300,300,300" ]; then
        nok "pool_churn $b pools=$p $extra: result '$got' gets '$gets', want '$churn_want' and 300,300,300"
        churn_ok=0
      fi
    done
  done
done
[ "$churn_ok" = 1 ] && ok "pool_churn: one result ($churn_want) and the same gets per class on every backend, policy and variant"
for p in all hash,tar; do
  got=$(json_field "$(PB_TEST_CHURN_SCRIBBLE=1 run glibc "${churn[@]}" --pools "$p")" result)
  case "$got" in
    "$churn_want"/unzeroed=*) ok "pool_churn pools=$p: a use after put changes the result ($got)" ;;
    *) nok "pool_churn pools=$p: a use after put left the result '$got' (want '$churn_want/unzeroed=N')" ;;
  esac
done

# --- pool accounting: hits + misses == tar-buffer gets -----------------------------------
# (hits are pool.c's own count, not gets - misses: allocators/bufpool.c bufpool_stats_read)
for wl in tar_create_seq tar_create_concurrent tar_copy tar_read; do
  j=$(run glibc --workload "$wl" --size 2M --seed 3 --files 25 --pools tar --iterations 3)
  gets=$(json_field "$j" pool_classes.tar.gets); hits=$(json_field "$j" pool_classes.tar.hits)
  misses=$(json_field "$j" pool_classes.tar.misses)
  check_eq "$wl: tar hits+misses == gets ($gets)" "$((hits + misses))" "$gets"
  [ "$gets" -gt 0 ] && ok "$wl: tar gets > 0" || nok "$wl: no tar gets"
  [ "$hits" -gt 0 ] && ok "$wl: tar hits $hits > 0 (3 iterations reuse buffers)" || nok "$wl: no tar hits"
  calls=$(json_field "$j" alloc_calls)
  [ "$calls" -gt 0 ] && ok "$wl: alloc_calls $calls > 0 with every pool on" || nok "$wl: alloc_calls 0"
done
finish
