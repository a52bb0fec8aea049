#!/usr/bin/env bash
# test_bench_warmup.sh: scripts/bench-warmup.py (the time of the operation after W
# warm-ups, per kernel, backend and arm). Bad arguments exit 2 naming the argument; with
# fake runners that report a wall time set by their --warmup, the medians, the "settled
# at" W and the JSON are exact; a failing runner exits 1 naming its command; one real
# process per case on the real runners writes positive figures for every arm.
# Usage: test_bench_warmup.sh SOURCE_DIR BIN_DIR WORK_DIR
set -u
src=$1 bin=$2 work=$3
. "$src/tests/harness/lib.sh"
rm -rf "$work" && mkdir -p "$work/fake"
bw=$src/scripts/bench-warmup.py

bw_exit2() { expect_exit2 "$1" "$2" python3 "$bw" --bin "$bin" "${@:3}"; }   # WHAT PATTERN ARGS...
bw_exit2 "--processes 0" "--processes" --processes 0
bw_exit2 "--warmups x" "--warmups" --warmups 0,x
bw_exit2 "--kernels nosuch" "nosuch" --kernels tar_create,nosuch
bw_exit2 "--backends nosuch" "nosuch" --backends glibc,nosuch
bw_exit2 "--band 1.5" "--band" --band 1.5
bw_exit2 "--frobnicate" "frobnicate" --frobnicate 1
expect_exit2 "--bin without runners" "pb-glibc-bare" python3 "$bw" --bin "$work/nowhere"

# fake runners: wall_ns 5000 after 0 warm-ups, 3000 after 1, 3100 after 2 (settled at 1
# in a 15 % band), plus the arm's index so that every arm's row is its own
for r in pb-glibc-bare pb-go; do
  cat > "$work/fake/$r" <<'SH'
#!/usr/bin/env bash
w= pools=
while [ $# -gt 0 ]; do
  case $1 in --warmup) w=$2; shift ;; --pools) pools=$2; shift ;; esac
  shift
done
[ "$pools" = plain ] && [ -n "${FAIL_PLAIN:-}" ] && { echo "boom" >&2; exit 3; }
case $w in 0) t=5000 ;; 1) t=3000 ;; 2) t=3100 ;; *) t=1 ;; esac
case $pools in tar) t=$((t + 1)) ;; plain) t=$((t + 2)) ;; esac
echo "{\"wall_ns\": $t}"
SH
  chmod +x "$work/fake/$r"
done
python3 "$bw" --bin "$work/fake" --processes 3 --warmups 2,0,1 --kernels tar_copy \
  --backends glibc,go --out "$work/fake.json" >"$work/fake.out" 2>"$work/fake.err"
check_eq "fake runners: exit code" "$?" 0
python3 - "$work/fake.json" <<'PY' && ok "fake runners: exact medians and settled at W=1 for 2 backends x 3 arms" || nok "fake runners: JSON ($work/fake.json)"
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["rows"]
assert len(rows) == 6, rows
for r in rows:
    add = {"none": 0, "tar": 1, "plain": 2}[r["arm"]]
    assert r["warmups"] == [0, 1, 2], r
    assert r["median_ns"] == [5000 + add, 3000 + add, 3100 + add], r
    assert r["samples_ns"] == [[5000 + add] * 3, [3000 + add] * 3, [3100 + add] * 3], r
    assert r["settled_at_warmups"] == 1, r
assert {(r["backend"], r["arm"]) for r in rows} == {(b, a) for b in ("glibc", "go") for a in ("none", "tar", "plain")}
PY
grep -q "^tar_copy  *tar  *go  *0.0  *0.0  *0.0  *1$" "$work/fake.out" && ok "fake runners: the table row" \
  || nok "fake runners: table: $(cat "$work/fake.out")"
FAIL_PLAIN=1 python3 "$bw" --bin "$work/fake" --processes 1 --kernels tar_copy \
  --backends glibc --out "$work/fail.json" >"$work/out" 2>"$work/err"
check_eq "a failing runner: exit code" "$?" 1
grep -q "pb-glibc-bare.*--pools plain.*exited 3: boom" "$work/err" && ok "a failing runner: named, with its stderr" \
  || nok "a failing runner: $(cat "$work/err")"
[ ! -e "$work/fail.json" ] && ok "a failing runner: no JSON written" || nok "a failing runner wrote JSON"

# the real runners, one process per case
python3 "$bw" --bin "$bin" --processes 1 --warmups 0,1 --kernels tar_copy,checksum_concurrent \
  --backends glibc,go --out "$work/real.json" >"$work/real.out" 2>"$work/real.err"
check_eq "real runners: exit code" "$?" 0
python3 - "$work/real.json" <<'PY' && ok "real runners: positive medians for 2 kernels x 2 backends x 3 arms" || nok "real runners: JSON ($work/real.out)"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["rows"]) == 12, len(d["rows"])
for r in d["rows"]:
    assert len(r["median_ns"]) == 2 and min(r["median_ns"]) > 0, r
PY
finish
