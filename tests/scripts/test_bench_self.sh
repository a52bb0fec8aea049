#!/usr/bin/env bash
# test_bench_self.sh: scripts/bench-tar.sh and scripts/bench-self.sh (issue 12's one-run
# performance table). Bad arguments exit 2 naming the argument; a one-round run of each
# writes JSON whose figures are present and positive; bench-self's timed-window share of
# a --matrix folder is the report's (every window over the time from the context's
# started_unix_s to the last cell), computed here from a synthetic journal.
# Usage: test_bench_self.sh SOURCE_DIR BIN_DIR WORK_DIR
set -u
src=$1 bin=$2 work=$3
. "$src/tests/harness/lib.sh"
rm -rf "$work" && mkdir -p "$work"

expect_exit2 "bench-tar --rounds 0" "--rounds" "$src/scripts/bench-tar.sh" --rounds 0 --bin "$bin"
expect_exit2 "bench-tar --backends nosuch" "pb-nosuch-bare" "$src/scripts/bench-tar.sh" --backends nosuch --bin "$bin"
expect_exit2 "bench-tar --frobnicate" "frobnicate" "$src/scripts/bench-tar.sh" --frobnicate
expect_exit2 "bench-self --matrix missing" "results.jsonl" "$src/scripts/bench-self.sh" --matrix "$work/nowhere" --bin "$bin"
expect_exit2 "bench-self --rounds x" "--rounds" "$src/scripts/bench-self.sh" --rounds x --bin "$bin"

# bench-tar, one round on a small tree
if "$src/scripts/bench-tar.sh" --rounds 1 --files 20 --size 2097152 --iterations 1 \
     --backends glibc --out "$work/tar.json" --bin "$bin" >"$work/tar.out" 2>&1; then
  ok "bench-tar runs"
else
  nok "bench-tar failed: $(cat "$work/tar.out")"
fi
python3 - "$work/tar.json" <<'PY' && ok "bench-tar JSON: tree bytes, four rates, positive ratios" || nok "bench-tar JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tree_bytes"] > 0 and d["files"] == 20, d
m = d["median_bytes_per_s"]
for k in ("gnu_tar", "bsdtar", "pb_glibc_tar", "pb_glibc_plain"):
    assert m[k] > 0, (k, m)
for k in ("pb_glibc_tar_over_gnu_tar", "pb_glibc_plain_over_bsdtar"):
    assert d["ratios"][k] > 0, d["ratios"]
PY

# bench-self, one round, with a synthetic matrix folder started at 4 s (the context's
# started_unix_s), cells finishing at 10, 16 and 12 s with windows 5, 3 and 1 s: the
# report's timed share (5 + 3 + 1) / (16 - 4) = 0.75
mkdir -p "$work/matrix"
{
  echo '{"type":"context","schema_version":1,"started_unix_s":4}'
  echo '{"type":"cell","finished_unix_ns":10000000000,"metrics":{"wall_ns":5000000000}}'
  echo '{"type":"cell","finished_unix_ns":16000000000,"metrics":{"wall_ns":3000000000}}'
  echo '{"type":"cell","finished_unix_ns":12000000000,"metrics":{"wall_ns":1000000000}}'
} > "$work/matrix/results.jsonl"
"$src/scripts/bench-self.sh" --rounds 1 --matrix "$work/matrix" --out "$work/self.json" \
  --bin "$bin" >"$work/self.out" 2>"$work/self.err"
check_eq "bench-self exit code" "$?" 0
python3 - "$work/self.json" <<'PY' && ok "bench-self JSON: every part's figure, the window share 0.75" || nok "bench-self JSON (the assertion above; the table in $work/self.out)"
import json, os, sys
d = json.load(open(sys.argv[1]))
figs = {r["figure"]: r for r in d["rows"]}
need = ("checksum, arm plain", "checksum_concurrent, 2 workers", "openssl speed -multi 2",
        "bufpool get+put, 1 thread",
        "bufpool get+put, 2 thread", "tar_create glibc, arm tar", "counting / uninstrumented",
        "timed windows of matrix")
for n in need:
    hit = [r for f, r in figs.items() if f.startswith(n)]
    assert hit, (n, sorted(figs))
    assert hit[0]["ratio"] is not None and hit[0]["ratio"] > 0, hit
w = [r for f, r in figs.items() if f.startswith("timed windows")][0]
assert abs(w["ratio"] - 0.75) < 1e-9 and w["met"] is False, w
for p in d["parts"].values():
    assert os.path.isfile(p), p
PY
grep -q "^figure" "$work/self.out" && ok "bench-self prints the table" || nok "bench-self table missing"
finish
