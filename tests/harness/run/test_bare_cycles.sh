#!/usr/bin/env bash
# test_bare_cycles.sh BIN_DIR SCENARIO_DIR: the uninstrumented (bare) cells of an arm get
# the cleanup cycles their arm really has. A small matrix (micro_tar_copy on glibc, 3
# repetitions): every arm's counting cell runs before its bare cells, and each bare cell's
# window shows the counting cell's pool_cycles (within one), where without the feed it
# would show none (the bare runner counts no bytes). Exit 0 when every check holds.
set -uo pipefail
bin=$1 sdir=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/t.matrix" <<'M'
[matrix]
name = bare_cycles
description = bare cells get the counting cell's cycle rate

[micro_tar_copy]
backends = glibc
iterations = 3
repetitions = 3
M
"$bin/poolbench" matrix --matrix "$T/t.matrix" --scenario-dir "$sdir" --out "$T/out" \
  --bin-dir "$bin" --cache-dir "$T/cache" >"$T/log" 2>&1 || { cat "$T/log"; echo "FAIL: matrix"; exit 1; }
python3 - "$T/out/results.jsonl" <<'P'
import json, sys
cells = [json.loads(l) for l in open(sys.argv[1])]
cells = [c for c in cells if c.get("type") == "cell"]
count = {c["arm_key"]: c for c in cells if c.get("counting_repetition")}
bare = [c for c in cells if c.get("instrument") == "bare"]
bad = []
if len(count) != 3 or len(bare) != 9:
    bad.append(f"expected 3 counting and 9 bare cells, got {len(count)} and {len(bare)}")
first_bare = min(c["order"] for c in bare)
for k, c in count.items():
    if c["order"] > first_bare:
        bad.append(f"{c['policy']}: counting cell (order {c['order']}) after a bare cell")
    if not c["metrics"]["pool_cycles"]:
        bad.append(f"{c['policy']}: the counting cell saw no cycle (the check needs some)")
for b in bare:
    want = count[b["arm_key"]]["metrics"]["pool_cycles"]
    got = b["metrics"]["pool_cycles"]
    if got is None or abs(got - want) > 1:
        bad.append(f"{b['policy']} rep {b['rep']}: bare pool_cycles {got}, counting {want}")
for m in bad:
    print("FAIL:", m)
print(f"bare cycles: {len(bare)} bare cells, counting cycles "
      f"{sorted(c['metrics']['pool_cycles'] for c in count.values())}, {len(bad)} problems")
sys.exit(1 if bad else 0)
P
