#!/usr/bin/env bash
# test_profile.sh BIN_DIR GO: the profiling flags of pb-<backend> end to end (issue 10).
#  - heap profiles (--memprofile) decoded by two independent decoders (pprof_decode.py:
#    gzip + the protobuf wire format; `go tool pprof -raw`): Go's four sample types,
#    period space/bytes = the rate; at --memprofile-rate 1 alloc_objects and alloc_space
#    equal the JSON's alloc_calls and alloc_bytes exactly, at the default rate alloc_space
#    is within 15 % of alloc_bytes (the scale factor at work), on every backend;
#  - `go tool pprof -top -sample_index=alloc_space` of tar_create names the kernel's
#    functions and libarchive's allocation sites, without the binary;
#  - `go tool pprof -top` of a 64 MB checksum CPU profile shows SHA-256 code on top;
#  - --pprof-http: /debug/pprof/heap during a build reads in go tool pprof, the server
#    is not reachable on the machine's other addresses, a second runner on the same port
#    exits 2 with one line naming it.
# Every go command runs with caches in a temporary directory (no HOME needed). Ports:
# free high ports picked by the kernel; every request goes to 127.0.0.1 (the non-loopback
# check connects to this machine's own address only); loops are bounded.
set -u
bin=${1:?usage: test_profile.sh BIN_DIR GO}
go=${2:?usage: test_profile.sh BIN_DIR GO}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
export HOME=$tmp GOCACHE=$tmp/gocache GOPATH=$tmp/gopath GOFLAGS=-mod=mod GOTOOLCHAIN=local \
       PPROF_TMPDIR=$tmp/pprof GOTELEMETRY=off
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
decode() { python3 "$here/pprof_decode.py" "$1"; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

backends=()
for b in glibc jemalloc mimalloc tcmalloc; do [ -x "$bin/pb-$b" ] && backends+=("$b"); done

# ---- heap profiles: totals against the runner's counters, every backend ----------------
for b in "${backends[@]}"; do
  for rate in 1 default; do
    args=(--workload tar_create --size 8M --files 200 --seed 1)
    [ "$rate" = 1 ] && args+=(--memprofile-rate 1)
    out=$tmp/$b.$rate
    if ! "$bin/pb-$b" "${args[@]}" --memprofile "$out.pb.gz" >"$out.json" 2>"$out.err"; then
      nok "pb-$b tar_create --memprofile (rate $rate) failed: $(head -2 "$out.err")"; continue
    fi
    decode "$out.pb.gz" >"$out.dec" || { nok "pb-$b rate $rate: profile does not decode"; continue; }
    calls=$(jget "$out.json" 'd["alloc_calls"]'); bytes=$(jget "$out.json" 'd["alloc_bytes"]')
    objs=$(jget "$out.dec" 'd["totals"]["alloc_objects/count"]')
    space=$(jget "$out.dec" 'd["totals"]["alloc_space/bytes"]')
    types=$(jget "$out.dec" '",".join(d["sample_types"])+" "+d["period_type"]+" "+str(d["period"])')
    want_period=$([ "$rate" = 1 ] && echo 1 || echo 524288)
    if [ "$types" = "alloc_objects/count,alloc_space/bytes,inuse_objects/count,inuse_space/bytes space/bytes $want_period" ]; then
      ok "pb-$b rate $rate: Go's four sample types, period space/bytes $want_period"
    else nok "pb-$b rate $rate: sample types / period: $types"; fi
    # every stack starts at the caller of malloc: no allocation machinery as a leaf (the
    # front end's entry points and sampler; in a sanitizer build its hook and the
    # sanitizer runtime's interceptor, allocator and hook runner, README "Profiling")
    machinery=$(jget "$out.dec" '" ".join(f for f in d["leaf_functions"] if f.split(".")[0] in ("heap_sample_cb", "sample_alloc", "front_note_alloc", "front_aligned", "alloc_front_note_alloc", "sanitizer_malloc_hook", "malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc", "memalign") or f.startswith(("__interceptor_", "__asan", "__tsan", "__sanitizer", "libasan.so", "libtsan.so")))')
    nleaf=$(jget "$out.dec" 'len(d["leaf_functions"])')
    if [ -z "$machinery" ] && [ "$nleaf" -gt 0 ]; then
      ok "pb-$b rate $rate: every stack starts at the caller of malloc ($nleaf leaf functions, no allocation machinery)"
    else nok "pb-$b rate $rate: allocation machinery as a stack's leaf: '$machinery' ($nleaf leaf functions)"; fi
    # the second decoder: go tool pprof -raw
    rawsum=$("$go" tool pprof -raw "$out.pb.gz" 2>/dev/null | awk '/^Samples:/{s=1;next} /^Locations/{s=0} s && $4 ~ /:$/ {o+=$1; b+=$2} END{printf "%d %d", o, b}')
    if [ "$rawsum" = "$objs $space" ]; then ok "pb-$b rate $rate: go tool pprof -raw agrees ($rawsum)"
    else nok "pb-$b rate $rate: go tool pprof -raw $rawsum, decoder $objs $space"; fi
    if [ "$rate" = 1 ]; then
      if [ "$objs $space" = "$calls $bytes" ]; then
        ok "pb-$b rate 1: alloc_objects/alloc_space $objs/$space = alloc_calls/alloc_bytes exactly"
      else nok "pb-$b rate 1: profile $objs/$space, runner $calls/$bytes"; fi
    else
      if python3 -c "import sys; sys.exit(0 if abs($space-$bytes) <= 0.15*$bytes else 1)"; then
        ok "pb-$b default rate: alloc_space $space within 15 % of alloc_bytes $bytes"
      else nok "pb-$b default rate: alloc_space $space vs alloc_bytes $bytes (> 15 %)"; fi
    fi
  done
done

# ---- what -top names, without the binary --------------------------------------------------
b=${backends[0]}
top=$tmp/top.txt
"$go" tool pprof -top -sample_index=alloc_space "$tmp/$b.1.pb.gz" >"$top" 2>&1
if grep -q "tar_create_dir" "$top" && grep -q "tc_" "$top"; then
  ok "-top -sample_index=alloc_space names the kernel's functions (tar_create_dir, tc_*)"
else nok "-top lacks the kernel's functions: $(head -12 "$top")"; fi
"$go" tool pprof -top -nodefraction=0 -sample_index=alloc_objects "$tmp/$b.1.pb.gz" >"$top.all" 2>&1
if grep -Eq "archive_(write|entry|read)[a-z_0-9]*" "$top.all"; then
  ok "-top names libarchive's allocation sites ($(grep -Eo 'archive_[a-z_0-9]+' "$top.all" | sort -u | head -3 | tr '\n' ' '))"
else nok "-top lacks libarchive's allocation sites"; fi
if "$go" tool pprof -list 'tar_create_dir' "$tmp/$b.1.pb.gz" 2>&1 | grep -q "tar_create.c"; then
  ok "-list tar_create_dir has file:line (symbolized at write time)"
else nok "-list tar_create_dir has no source lines"; fi

# ---- CPU profile of a 64 MB checksum -------------------------------------------------------
for b in "${backends[@]}"; do
  if ! "$bin/pb-$b" --workload checksum --size 64M --iterations 8 --cpuprofile "$tmp/cpu.$b.pb.gz" \
       >"$tmp/cpu.$b.json" 2>"$tmp/cpu.$b.err"; then
    nok "pb-$b --cpuprofile failed: $(head -2 "$tmp/cpu.$b.err")"; continue
  fi
  [ "$(jget "$tmp/cpu.$b.json" 'd["backend_verified"]')" = True ] &&
    ok "pb-$b with libprofiler loaded: backend verified (no second allocator)" ||
    nok "pb-$b: backend not verified with the profiler loaded"
  "$go" tool pprof -top "$tmp/cpu.$b.pb.gz" >"$tmp/cpu.$b.top" 2>&1
  # the first 5 entries: the flat leader is OpenSSL's block function (libcrypto, stripped:
  # named by library+offset), SHA256_Update / the kernel's sha256 calls above it
  leader=$(sed -n '/flat%/{n;p}' "$tmp/cpu.$b.top" | awk '{print $NF}')
  if [[ $leader == *libcrypto* || $leader == *sha256* ]] &&
     sed -n '/flat%/,$p' "$tmp/cpu.$b.top" | head -8 | grep -q "SHA256"; then
    ok "pb-$b: go tool pprof -top of the checksum CPU profile shows SHA-256 code on top (flat: $leader, OpenSSL's block function; SHA256_Update above it)"
  else nok "pb-$b: CPU top: $(head -12 "$tmp/cpu.$b.top")"; fi
done

# ---- --pprof-http ---------------------------------------------------------------------------
b=${backends[0]}
port=$(free_port)
"$bin/pb-$b" --workload build --size 8M --files 200 --seed 1 --iterations 200 \
  --pprof-http --pprof-port "$port" >"$tmp/http.json" 2>"$tmp/http.err" &
runner=$!; pids+=("$runner")
got=""
for _ in $(seq 1 100); do
  if curl -sf --max-time 5 -o "$tmp/live.pb.gz" "http://127.0.0.1:$port/debug/pprof/heap" &&
     [ "$(decode "$tmp/live.pb.gz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["samples"])')" -gt 0 ]; then
    got=yes; break
  fi
  sleep 0.1
done
if [ -n "$got" ] && "$go" tool pprof -top "$tmp/live.pb.gz" >"$tmp/live.top" 2>&1; then
  ok "/debug/pprof/heap during a build reads in go tool pprof ($(grep -m1 'Type:' "$tmp/live.top"))"
else nok "/debug/pprof/heap during the build: $(head -3 "$tmp/live.top" 2>/dev/null)"; fi
curl -sf --max-time 5 "http://127.0.0.1:$port/debug/pprof/" | grep -q "allocs" &&
  ok "/debug/pprof/ index page" || nok "no index page"
"$bin/pb-$b" --workload image_tag --pprof-http --pprof-port "$port" >"$tmp/second.out" 2>"$tmp/second.err"
rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$tmp/second.err")" = 1 ] && grep -q -- "--pprof-port $port: .*address already in use" "$tmp/second.err" &&
   [ ! -s "$tmp/second.out" ]; then
  ok "a second runner on port $port: exit 2, one line: $(cat "$tmp/second.err")"
else nok "second runner: rc=$rc stderr=$(cat "$tmp/second.err")"; fi
other=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -v '^127\.' | grep -v ':' | head -1)
if [ -n "$other" ]; then
  if curl -s --max-time 2 -o /dev/null "http://$other:$port/debug/pprof/"; then
    nok "the server answers on $other (not loopback)"
  else ok "the server is not reachable on this machine's address $other"; fi
else
  ok "no non-loopback IPv4 address on this machine (skipped the reachability check) # SKIP"
fi
ss -ltn 2>/dev/null | awk '{print $4}' | grep -E ":$port\$" | grep -qv '^127\.0\.0\.1:' &&
  nok "listening on a non-loopback address: $(ss -ltn | grep ":$port")" ||
  ok "listens on 127.0.0.1:$port only"
wait "$runner"; rc=$?
[ $rc = 0 ] && ok "the build with --pprof-http ends normally" || nok "build with --pprof-http: rc=$rc $(head -2 "$tmp/http.err")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
