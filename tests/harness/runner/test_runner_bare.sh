#!/usr/bin/env bash
# test_runner_bare.sh: the uninstrumented runners pb-<backend>-bare (issue 12).
# For every backend built and every kernel: the bare runner gives the same result as the
# counting runner pb-<backend> on the same arguments; its JSON says "instrument": "bare"
# and has null for every count metric only the front end can measure (the counting
# runner's are numbers); the executable defines no malloc of its own and its malloc is
# the backend's (the runner verifies it at start: LD_PRELOADing another allocator makes
# it refuse with exit 3); flags that need the front end are refused with exit 2;
# --gc-bytes-per-op drives the GOGC rule (one cycle per operation at 4 MiB and 100 %).
# In a sanitizer build (PB_SANITIZER_BUILD=1, set by CMake) the sanitizer owns malloc:
# neither runner defines malloc, both name the sanitizer's allocator as their backend
# version (the same string, so journals record what served malloc), and an LD_PRELOADed
# allocator stops the process before main (the sanitizer refuses or dies of it): no
# result may come out.
set -uo pipefail
sanitizer=${PB_SANITIZER_BUILD:-0}
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache

backends=()
for b in glibc mimalloc jemalloc tcmalloc; do
  [ -x "$bin/pb-$b" ] && backends+=("$b")
done
[ ${#backends[@]} -gt 0 ] || { echo "no runner in $bin"; exit 1; }

# small arguments per kernel: seconds in total per backend
declare -A args=(
  [checksum]="--size 256K --seed 1 --threads 1 --iterations 2"
  [sum_checksum]="--size 64K --seed 2 --threads 1 --iterations 2"
  [checksum_concurrent]="--size 1M --seed 3 --threads 2 --iterations 2"
  [tar_create]="--files 20 --size 256K --seed 4 --threads 2 --iterations 1"
  [tar_create_seq]="--files 20 --size 256K --seed 4 --iterations 1"
  [tar_create_concurrent]="--files 20 --size 256K --seed 4 --threads 2 --iterations 1"
  [tar_read]="--files 20 --size 256K --seed 5 --member Dockerfile --iterations 3"
  [tar_copy]="--files 20 --size 256K --seed 6 --iterations 1"
  [image_tag]="--image registry.local/ci/app --tag v1.2.3 --iterations 1000"
  [pool_churn]="--seed 31 --threads 2 --iterations 2000"
  [build]="--files 20 --size 256K --seed 11 --threads 2 --iterations 1"
  [touch]="--size 1M --iterations 2"
)
counted="alloc_calls free_calls alloc_bytes peak_live_bytes bytes_per_op allocs_per_op"

# prints "instrument result nulls-of-counted present-time-metrics" of a runner's JSON
summary() {
  python3 -c '
import json, sys
o = json.loads(sys.argv[1])
counted = sys.argv[2].split()
nulls = sum(o.get(m, 0) is None for m in counted)
times = all(isinstance(o.get(m), int) for m in ("wall_ns", "ns_per_op", "user_ns", "ops", "pool_gets"))
print(o.get("instrument"), o["result"], nulls, int(times))' "$1" "$counted"
}

n_counted=$(wc -w <<<"$counted")
for b in "${backends[@]}"; do
  if [ ! -x "$bin/pb-$b-bare" ]; then nok "pb-$b-bare is not built beside pb-$b"; continue; fi
  # the bare executable defines no malloc (the counting one does: it interposes)
  # (grep reads all of nm's output: with pipefail, grep -q's early exit would fail nm)
  if nm -D --defined-only "$bin/pb-$b-bare" | grep -w malloc >/dev/null; then
    nok "pb-$b-bare defines malloc itself"
  else ok "pb-$b-bare defines no malloc"; fi
  if [ "$sanitizer" = 1 ]; then
    # sanitizer mode: the front end counts through the sanitizer's hooks, defines no malloc
    if nm -D --defined-only "$bin/pb-$b" | grep -w malloc >/dev/null; then
      nok "pb-$b defines malloc in a sanitizer build (the sanitizer must own it)"
    else ok "pb-$b defines no malloc (sanitizer build: counted through the hooks)"; fi
    vc=$(json_field "$("$bin/pb-$b" --version)" backend_version)
    vb=$(json_field "$("$bin/pb-$b-bare" --version)" backend_version)
    if [[ "$vb" == *"san allocator"* ]] && [ "$vb" = "$vc" ]; then
      ok "pb-$b-bare names the sanitizer's allocator, as pb-$b does ($vb)"
    else nok "pb-$b-bare backend_version '$vb', pb-$b '$vc' (want the sanitizer's allocator in both)"; fi
  elif nm -D --defined-only "$bin/pb-$b" | grep -w malloc >/dev/null; then ok "pb-$b defines malloc (the front end)"
  else nok "pb-$b does not define malloc"; fi
  for k in "${!args[@]}"; do
    read -r -a a <<<"${args[$k]}"
    for p in none all; do
      if ! c=$("$bin/pb-$b" --workload "$k" "${a[@]}" --pools "$p" 2>"$tmp/err"); then
        nok "pb-$b $k $p failed: $(head -c 300 "$tmp/err")"; continue
      fi
      if ! r=$("$bin/pb-$b-bare" --workload "$k" "${a[@]}" --pools "$p" 2>"$tmp/err"); then
        nok "pb-$b-bare $k $p failed: $(head -c 300 "$tmp/err")"; continue
      fi
      read -r ci cres cnull ctime <<<"$(summary "$c")"
      read -r ri rres rnull rtime <<<"$(summary "$r")"
      check_eq "$b $k $p: same result bare and counting" "$rres" "$cres"
      check_eq "$b $k $p: instruments" "$ci/$ri" "counting/bare"
      check_eq "$b $k $p: null count metrics (counting/bare)" "$cnull/$rnull" "0/$n_counted"
      check_eq "$b $k $p: time and pool metrics present (counting/bare)" "$ctime/$rtime" "1/1"
    done
  done
  # the front end's features are refused, naming the flag and the runner to use
  "$bin/pb-$b-bare" --workload image_tag --iterations 10 --fail-after 5 >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && grep -q -- "--fail-after" "$tmp/err" && grep -q "pb-$b " "$tmp/err"; then
    ok "pb-$b-bare refuses --fail-after (exit 2)"
  else nok "pb-$b-bare --fail-after: exit $rc, $(head -c 200 "$tmp/err")"; fi
  "$bin/pb-$b-bare" --workload image_tag --iterations 10 --memprofile "$tmp/m.pb.gz" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 2 ] && grep -q -- "--memprofile" "$tmp/err"; then ok "pb-$b-bare refuses --memprofile (exit 2)"
  else nok "pb-$b-bare --memprofile: exit $rc, $(head -c 200 "$tmp/err")"; fi
  "$bin/pb-$b" --workload image_tag --iterations 10 --gc-bytes-per-op 4M >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 2 ] && grep -q -- "--gc-bytes-per-op" "$tmp/err"; then ok "pb-$b refuses --gc-bytes-per-op (exit 2)"
  else nok "pb-$b --gc-bytes-per-op: exit $rc, $(head -c 200 "$tmp/err")"; fi
  # --gc-bytes-per-op: 4 MiB per op against a 4 MiB goal at GOGC 100 = a cycle per op
  if r=$("$bin/pb-$b-bare" --workload image_tag --iterations 7 --warmup 3 --gogc 100 \
         --gc-bytes-per-op 4M 2>"$tmp/err"); then
    check_eq "pb-$b-bare --gc-bytes-per-op 4M: one cycle per timed op" "$(json_field "$r" pool_cycles)" 7
    check_eq "pb-$b-bare --gc-bytes-per-op recorded in config" "$(json_field "$r" config.gc_bytes_per_op)" 4194304
  else nok "pb-$b-bare --gc-bytes-per-op failed: $(head -c 200 "$tmp/err")"; fi
  r=$("$bin/pb-$b-bare" --workload image_tag --iterations 7 --warmup 3 2>/dev/null)
  check_eq "pb-$b-bare without --gc-bytes-per-op: no allocation-driven cycle" "$(json_field "$r" pool_cycles)" 0
  check_eq "pb-$b-bare --version says bare" "$(json_field "$("$bin/pb-$b-bare" --version)" instrument)" bare
done

# the start-up check can fail: another allocator LD_PRELOADed serves malloc
for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/x86_64-linux-gnu/libmimalloc.so.2; do
  [ -e "$lib" ] && [ -x "$bin/pb-glibc-bare" ] || continue
  LD_PRELOAD=$lib "$bin/pb-glibc-bare" --workload image_tag --iterations 10 >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$sanitizer" = 1 ]; then
    if [ $rc -ne 0 ] && [ ! -s "$tmp/out" ]; then
      ok "sanitizer pb-glibc-bare with $(basename "$lib") preloaded does not run (exit $rc)"
    else nok "sanitizer pb-glibc-bare with $(basename "$lib") preloaded: exit $rc, stdout $(wc -c <"$tmp/out") bytes"; fi
  elif [ $rc -eq 3 ] && [ ! -s "$tmp/out" ] && grep -q "refusing to run" "$tmp/err"; then
    ok "pb-glibc-bare with $(basename "$lib") preloaded refuses (exit 3)"
  else nok "pb-glibc-bare with $(basename "$lib") preloaded: exit $rc, $(head -c 300 "$tmp/err")"; fi
  break
done
finish
