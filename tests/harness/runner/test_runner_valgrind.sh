#!/usr/bin/env bash
# test_runner_valgrind.sh: the front end's allocation counts against an independent
# counter, valgrind's heap summary ("total heap usage: A allocs, F frees"). The same run
# with 1 and with 3 timed iterations differs only by 2 operations, so
#   valgrind_allocs(3) - valgrind_allocs(1) == alloc_calls(3) - alloc_calls(1)
# (and the same for frees) checks our per-operation counts exactly, OpenSSL's and
# libarchive's allocations included. valgrind must not replace the executable's own
# malloc (somalloc=nouserintercepts): the front end forwards to glibc, whose malloc valgrind
# does replace; the runner's backend check rightly fails under valgrind, hence
# --skip-backend-check.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
command -v valgrind >/dev/null || { echo "valgrind missing"; exit 1; }
pb=$bin/pb-glibc
for spec in "checksum --size 200K --pools none" "checksum --size 200K --pools all" \
            "tar_create_seq --size 300K --files 12 --pools none" "tar_copy --size 300K --files 12 --pools all" \
            "image_tag --pools none" "build --size 200K --files 8 --pools tar"; do
  read -r -a args <<< "--workload $spec --seed 5 --warmup 1"
  "$pb" "${args[@]}" --iterations 1 >/dev/null   # generate the cached tree outside valgrind
  declare -A va vf oa of
  for it in 1 3; do
    valgrind --tool=memcheck --leak-check=no --soname-synonyms=somalloc=nouserintercepts \
      "$pb" "${args[@]}" --iterations $it --skip-backend-check \
      >"$tmp/out$it" 2>"$tmp/vg$it" || { nok "valgrind run failed: $spec"; continue 2; }
    line=$(grep 'total heap usage' "$tmp/vg$it")
    va[$it]=$(echo "$line" | sed -E 's/.*usage: ([0-9,]+) allocs.*/\1/' | tr -d ,)
    vf[$it]=$(echo "$line" | sed -E 's/.* ([0-9,]+) frees.*/\1/' | tr -d ,)
    oa[$it]=$(json_field "$(cat "$tmp/out$it")" alloc_calls)
    of[$it]=$(json_field "$(cat "$tmp/out$it")" free_calls)
  done
  check_eq "$spec: allocs per 2 ops, valgrind vs front end ($((oa[3] - oa[1])))" "$((va[3] - va[1]))" "$((oa[3] - oa[1]))"
  check_eq "$spec: frees per 2 ops, valgrind vs front end ($((of[3] - of[1])))" "$((vf[3] - vf[1]))" "$((of[3] - of[1]))"
done
finish
