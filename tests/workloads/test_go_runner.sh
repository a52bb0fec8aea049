#!/usr/bin/env bash
# test_go_runner.sh BIN_DIR: end-to-end checks of pb-go against tools outside the project
# and against pb-glibc (same directory):
#   - checksum = coreutils sha256sum for 0, 1, 4096, 4097, 1 MiB+1, 64 MiB+7 bytes, in the
#     pooled, allocate-instead and plain arms; checksum_concurrent = a hash of chunk
#     hashes computed by python's hashlib;
#   - checksum kinds, image_tag and tar_read results equal pb-glibc's for the same
#     --size/--seed; the generated tree is the C generator's (names, modes, mtimes, bytes);
#   - tar_create archives (--output) extract with GNU tar to exactly the source tree;
#     tar_read is byte-identical to `tar -xO` (memory and --from-disk) and a missing
#     member exits 2; tar_copy lists like its source;
#   - bad arguments: exit 2, one line on stderr naming the argument, nothing on stdout;
#   - the JSON has every field pb-glibc prints, plus gc_cycles, gc_pause_ns,
#     gc_cpu_fraction; gc_cycles grows like GODEBUG=gctrace=1's count of collections;
#   - profiles open in `go tool pprof`; the pprof endpoint answers on 127.0.0.1.
set -uo pipefail
bin=$(cd "$1" && pwd)
pbgo=$bin/pb-go
pbc=$bin/pb-glibc
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check_eq() { if [ "$2" == "$3" ]; then ok "$1"; else nok "$1: got '$2', want '$3'"; fi; }
field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"; }
result() { "$@" | field result; }

[ -x "$pbgo" ] || { echo "not ok - $pbgo missing (cmake --build build --target pb-go)"; exit 1; }
have_c=0; [ -x "$pbc" ] && have_c=1
[ $have_c -eq 1 ] || nok "pb-glibc missing in $bin: cross-runner checks skipped"

# ---- checksum = sha256sum, every arm ------------------------------------------------
for n in 0 1 4096 4097 1048577 67108871; do
  head -c "$n" /dev/urandom > "$tmp/in"
  want=$(sha256sum "$tmp/in" | cut -d' ' -f1)
  for pools in all none plain; do
    got=$(result "$pbgo" --workload checksum --input "$tmp/in" --pools "$pools")
    check_eq "checksum $n bytes --pools $pools = sha256sum" "$got" "$want"
  done
  if [ "$n" -gt 1048576 ]; then
    for w in 2 3; do
      want=$(python3 -c 'import hashlib,sys
d=open(sys.argv[1],"rb").read(); w=int(sys.argv[2]); c=len(d)//w
print(hashlib.sha256(b"".join(hashlib.sha256(d[i*c:(i+1)*c if i<w-1 else len(d)]).digest() for i in range(w))).hexdigest())' "$tmp/in" "$w")
      for pools in all plain; do
        got=$(result "$pbgo" --workload checksum_concurrent --input "$tmp/in" --threads "$w" --pools "$pools")
        check_eq "checksum_concurrent $n bytes, $w workers, --pools $pools = hash of chunk hashes" "$got" "$want"
      done
    done
  fi
done

# ---- the same results as pb-glibc -------------------------------------------------------
if [ $have_c -eq 1 ]; then
  for wl in checksum sum_checksum checksum_concurrent; do
    for sz in 0 100 4097 3M 5000037; do
      for seed in 1 9; do
        g=$(result "$pbgo" --workload $wl --size $sz --seed $seed --threads 3)
        c=$(result "$pbc" --workload $wl --size $sz --seed $seed --threads 3)
        check_eq "$wl --size $sz --seed $seed: pb-go = pb-glibc" "$g" "$c"
      done
    done
  done
  for it in "" "--image docker.io/library/x --tag 2025.01-rc1"; do
    for pools in all none plain; do
      g=$(result "$pbgo" --workload image_tag $it --pools $pools)
      c=$(result "$pbc" --workload image_tag $it)
      check_eq "image_tag $it --pools $pools: pb-go = pb-glibc" "$g" "$c"
    done
  done
  g=$(result "$pbgo" --workload tar_read --size 2M --seed 4 --files 30)
  c=$(result "$pbc" --workload tar_read --size 2M --seed 4 --files 30)
  check_eq "tar_read of the generated Dockerfile: pb-go = pb-glibc" "$g" "$c"
  # the generated trees are the same bytes, names, modes and mtimes
  "$pbgo" --workload tar_create --size 3M --seed 6 --files 200 --cache-dir "$tmp/cg" >/dev/null
  "$pbc" --workload tar_create --size 3M --seed 6 --files 200 --cache-dir "$tmp/cc" >/dev/null
  t=tree-s6-f200-b3145728
  if diff -r "$tmp/cg/$t" "$tmp/cc/$t" >/dev/null &&
     diff <(cd "$tmp/cg/$t" && find . -printf '%P %m %s %T@\n' | sort) \
          <(cd "$tmp/cc/$t" && find . -printf '%P %m %s %T@\n' | sort) >/dev/null; then
    ok "generated tree = the C generator's (200 files: contents, names, modes, mtimes)"
  else nok "generated tree differs from the C generator's"; fi
fi

# ---- tar_create archives extract to exactly the source tree ------------------------------
src=$tmp/src; mkdir -p "$src/a/b" "$src/empty"
head -c 70000 /dev/urandom > "$src/a/b/big.bin"; printf 'x' > "$src/one"; : > "$src/zero"
printf 'FROM scratch\n' > "$src/Dockerfile"; chmod 755 "$src/one"; chmod 600 "$src/zero"
for i in $(seq 1 25); do head -c $((i * 997)) /dev/urandom > "$src/a/f$i"; done
ln -s one "$src/link"
# whole-second mtimes: ustar stores seconds (Go's writer rounds, GNU tar truncates)
find "$src" -exec touch -h -d @1700000000 {} +
listing() { (cd "$1" && find . -type f -printf '%P %m %s %T@\n' | sort); }
same_files() { # same_files SRC X: the regular files of SRC (names, modes, sizes, mtimes,
  # bytes) are exactly the files of X, and X has nothing but those and their directories
  diff <(listing "$1") <(listing "$2") >/dev/null || return 1
  [ -z "$(find "$2" ! -type f ! -type d)" ] || return 1
  local f
  while IFS= read -r f; do cmp -s "$1/$f" "$2/$f" || return 1; done < <(cd "$1" && find . -type f)
}
for wl in tar_create tar_create_seq tar_create_concurrent; do
  for pools in all none plain; do
    out=$tmp/$wl-$pools.tar; x=$tmp/x-$wl-$pools; mkdir -p "$x"
    "$pbgo" --workload $wl --input "$src" --pools $pools --output "$out" >/dev/null &&
      tar -xpf "$out" -C "$x"
    kinds=$(tar -tvf "$out" | cut -c1 | sort -u | tr -d '\n')
    if same_files "$src" "$x" && [ "$kinds" == "-" ]; then
      ok "$wl --pools $pools: GNU tar extracts exactly the source's regular files"
    else
      nok "$wl --pools $pools: extraction differs: $(diff <(listing "$src") <(listing "$x") | head -3) kinds=$kinds"
    fi
  done
done

# ---- tar_read = tar -xO; missing member; tar_copy ------------------------------------------
tar -cf "$tmp/gnu.tar" -C "$src" .
tar -cf "$tmp/gnu2.tar" -C "$src" Dockerfile a one zero
for m in Dockerfile a/b/big.bin zero; do
  tar -xOf "$tmp/gnu2.tar" "$m" > "$tmp/want"
  for disk in "" --from-disk; do
    "$pbgo" --workload tar_read --input "$tmp/gnu2.tar" --member "$m" $disk --output "$tmp/got" >/dev/null
    if cmp -s "$tmp/want" "$tmp/got"; then ok "tar_read $m $disk = tar -xO"; else nok "tar_read $m $disk differs"; fi
  done
done
for disk in "" --from-disk; do
  "$pbgo" --workload tar_read --input "$tmp/gnu2.tar" --member nope $disk >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q -- '--member nope' "$tmp/err"
  then ok "tar_read missing member $disk: exit 2, one line"; else nok "missing member $disk: exit $rc, $(cat "$tmp/err")"; fi
done
"$pbgo" --workload tar_copy --input "$tmp/gnu.tar" --output "$tmp/copy.tar" >/dev/null
if diff <(tar -tvf "$tmp/gnu.tar") <(tar -tvf "$tmp/copy.tar") >/dev/null; then
  ok "tar_copy lists like its source (tar -tv)"; else nok "tar_copy listing differs"; fi
mkdir -p "$tmp/xs" "$tmp/xc"; tar -xpf "$tmp/gnu.tar" -C "$tmp/xs"; tar -xpf "$tmp/copy.tar" -C "$tmp/xc"
if diff -r --no-dereference "$tmp/xs" "$tmp/xc" >/dev/null &&
   diff <(cd "$tmp/xs" && find . -printf '%P %y %m %s %l\n' | sort) \
        <(cd "$tmp/xc" && find . -printf '%P %y %m %s %l\n' | sort) >/dev/null
then ok "tar_copy extracts like its source (incl. directories and the symlink)"
else nok "tar_copy extraction differs"; fi

# ---- bad arguments: exit 2, one line naming the argument -------------------------------------
expect() { # expect CODE WORD -- args...
  local code=$1 word=$2; shift 3
  "$pbgo" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -eq "$code" ] && [ ! -s "$tmp/out" ] && grep -q -- "$word" "$tmp/err" &&
     [ "$(wc -l < "$tmp/err")" -eq 1 ]; then ok "exit $code naming '$word' for: $*"
  else nok "for: $* got exit $rc, stderr: $(head -c 300 "$tmp/err")"; fi
}
head -c 33 /dev/urandom > "$tmp/33bytes"; head -c 1000 /dev/urandom > "$tmp/garbage"
expect 2 --workload -- --workload nosuch
expect 2 --workload -- --size 1K
expect 2 --size -- --workload checksum --size 12Q
expect 2 --size -- --workload checksum --size -5
expect 2 --size -- --workload checksum --size 99999999999999999999999
expect 2 --iterations -- --workload checksum --iterations 0
expect 2 --threads -- --workload checksum --threads x
expect 2 --pools -- --workload checksum --pools hash,bogus
expect 2 --zero-on-put -- --workload checksum --zero-on-put maybe
expect 2 --standard-alloc -- --workload checksum --standard-alloc mmap
expect 2 --gogc -- --workload checksum --gogc lots
expect 2 --gomaxprocs -- --workload checksum --gomaxprocs -1
expect 2 "unknown argument" -- --workload checksum --frobnicate
expect 2 "needs a value" -- --workload checksum --seed
expect 2 "unexpected argument" -- --workload checksum extra
expect 2 "$tmp/missing" -- --workload checksum --input "$tmp/missing"
expect 2 "not a regular file" -- --workload checksum --input "$tmp"
expect 2 "32-byte" -- --workload sum_checksum --input "$tmp/33bytes"
expect 2 "$tmp/missing" -- --workload tar_create --input "$tmp/missing"
expect 2 "$tmp/garbage" -- --workload tar_copy --input "$tmp/garbage"
expect 2 "exclude" -- --workload checksum --input "$tmp/garbage" --size 10
expect 2 --cpuprofile -- --workload image_tag --cpuprofile "$tmp/no/such/dir/cpu.out"
expect 2 --fail-alloc-after -- --workload image_tag --fail-alloc-after 3
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen()
open(sys.argv[2],"w").close(); time.sleep(60)' "$port" "$tmp/listening" &
holder=$!
for _ in $(seq 1 100); do [ -e "$tmp/listening" ] && break; sleep 0.1; done
expect 2 "address already in use" -- --workload image_tag --pprof-http --pprof-port "$port"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

# ---- the JSON object ----------------------------------------------------------------------------
keys() { python3 -c 'import json,sys; d=json.load(sys.stdin)
print("\n".join(sorted(list(d)+["config."+k for k in d["config"]]+["pool_classes."+k for k in d["pool_classes"]])))'; }
"$pbgo" --workload image_tag > "$tmp/go.json"
if [ $have_c -eq 1 ]; then
  "$pbc" --workload image_tag > "$tmp/c.json"
  missing=$(comm -23 <(keys < "$tmp/c.json") <(keys < "$tmp/go.json") | tr '\n' ' ')
  check_eq "pb-go prints every field pb-glibc prints" "$missing" ""
fi
for k in gc_cycles gc_pause_ns gc_cpu_fraction; do
  grep -q "\"$k\":" "$tmp/go.json" && ok "JSON has $k" || nok "JSON lacks $k"
done
check_eq "backend" "$(field backend < "$tmp/go.json")" "go"
check_eq "--version backend" "$("$pbgo" --version | field backend)" "go"

# ---- gc_cycles against GODEBUG=gctrace=1 ----------------------------------------------------------
gcrun() { # gcrun ITERATIONS -> "gc_cycles gctrace_lines"
  GODEBUG=gctrace=1 "$pbgo" --workload checksum --size 1M --seed 2 --pools none \
    --iterations "$1" >"$tmp/gc.json" 2>"$tmp/gc.err"
  echo "$(field gc_cycles < "$tmp/gc.json") $(grep -cE '^gc [0-9]+ @' "$tmp/gc.err")"
}
read -r s_gc s_tr < <(gcrun 200)
read -r l_gc l_tr < <(gcrun 4000)
d_gc=$((l_gc - s_gc)) d_tr=$((l_tr - s_tr))
echo "# gc_cycles short $s_gc long $l_gc (delta $d_gc); gctrace short $s_tr long $l_tr (delta $d_tr)"
if [ "$d_gc" -gt 10 ] && [ $((d_gc - d_tr)) -le 2 ] && [ $((d_tr - d_gc)) -le 2 ] &&
   [ "$s_tr" -ge "$s_gc" ] && [ "$l_tr" -ge "$l_gc" ]; then
  ok "gc_cycles growth ($d_gc) = gctrace's collections ($d_tr) within 2"
else nok "gc_cycles growth $d_gc vs gctrace $d_tr (short $s_gc/$s_tr, long $l_gc/$l_tr)"; fi

# ---- profiles and the live endpoint ------------------------------------------------------------------
go=$(command -v go || echo /usr/lib/go/bin/go)
"$pbgo" --workload checksum --size 8M --iterations 20 --pools none \
  --cpuprofile "$tmp/cpu.pprof" --memprofile "$tmp/mem.pprof" --memprofile-rate 4096 >/dev/null
for p in cpu mem; do
  if HOME=$tmp GOCACHE=$tmp/gocache "$go" tool pprof -sample_index=1 -top "$tmp/$p.pprof" >"$tmp/$p.top" 2>&1; then
    ok "$p profile opens in go tool pprof"; else nok "$p profile: $(head -3 "$tmp/$p.top")"; fi
done
grep -q 'memory.(\*Pools).Get\|kernels' "$tmp/mem.top" && ok "heap profile names the kernels' allocations" ||
  nok "heap profile: $(head -12 "$tmp/mem.top")"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$pbgo" --workload checksum --size 8M --iterations 400 --pprof-http --pprof-port "$port" >/dev/null &
run=$!; got=""
for _ in $(seq 1 50); do
  got=$(python3 -c 'import sys,urllib.request as u
print(u.urlopen("http://127.0.0.1:%s/debug/pprof/heap?debug=1" % sys.argv[1], timeout=2).read()[:20])' "$port" 2>/dev/null) && break
  sleep 0.1
done
kill "$run" 2>/dev/null; wait "$run" 2>/dev/null
case $got in *heap*) ok "/debug/pprof/heap answers on 127.0.0.1:$port while running" ;;
  *) nok "/debug/pprof/heap did not answer: $got" ;; esac

# ---- no HOME, no XDG: the tree cache falls back to TMPDIR ---------------------------------------------
if env -u HOME -u XDG_CACHE_HOME TMPDIR="$tmp" "$pbgo" --workload tar_create --size 64K --files 3 >/dev/null &&
   [ -d "$tmp/poolbench-cache/tree-s1-f3-b65536" ]; then ok "runs without HOME (cache in \$TMPDIR)"
else nok "without HOME"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
