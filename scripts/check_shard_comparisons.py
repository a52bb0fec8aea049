#!/usr/bin/python3
"""check_shard_comparisons.py: does a merged, sharded run keep every comparison on one machine?

What it is for: `poolbench matrix --shard K/N` must put all cells of both arms of every
comparison on one shard (README, "Sharding the matrix"). This script checks that from the
journal itself, not from the report's own flags: for every row of summary.json's
comparisons, allocator_vs_pool and zeroing_cost it collects the cells of both arms
(scenario, backend, policy, variant) from DIR/results.jsonl and reads each cell's
"origin" (written by `poolbench merge`; a journal that is not a merge counts as its
context block's shard and host). Every row must find cells for both arms, and all of
them must name one shard and one host. With --headline OTHER, the headline of DIR (the
overall verdict, the classes kept, every class verdict of the C backends and of the Go
runtime) must equal OTHER's (for example the unsharded run on the same machine).

  /usr/bin/python3 scripts/check_shard_comparisons.py DIR [--headline OTHER_DIR]

Prints one line per failure and a summary line. Exit status: 0 when every check held,
1 when one failed, 2 on unreadable input (missing file, not JSON).
Must not: modify anything or depend on the C code.
"""
import json
import sys


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"check_shard_comparisons: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)


def load_journal(path):
    """Context block and cell lines (the last line may be partial: skipped)."""
    ctx, cells = {}, []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except OSError as e:
        print(f"check_shard_comparisons: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)
    for n, line in enumerate(lines, 1):
        try:
            o = json.loads(line)
        except ValueError:
            if n == len(lines):
                continue
            print(f"check_shard_comparisons: {path}:{n}: not JSON", file=sys.stderr)
            sys.exit(2)
        if o.get("type") == "context":
            ctx = o
        elif o.get("type") == "cell":
            cells.append(o)
    return ctx, cells


def origins(ctx, cells):
    """(scenario, backend, policy, variant) -> set of (shard, host) of its cells."""
    out = {}
    for c in cells:
        o = c.get("origin") if isinstance(c.get("origin"), dict) else ctx
        arm = (c.get("scenario", ""), c.get("backend", ""), c.get("policy", ""),
               c.get("variant", ""))
        out.setdefault(arm, set()).add((o.get("shard"), o.get("host")))
    return out


def check_rows(summary, where):
    failures, rows = [], 0
    for table in ("comparisons", "allocator_vs_pool", "zeroing_cost"):
        for i, row in enumerate(summary.get(table) or []):
            rows += 1
            seen = set()
            for side in ("a", "b"):
                s = row.get(side) or {}
                arm = (row.get("scenario", ""), s.get("backend", ""), s.get("policy", ""),
                       s.get("variant", ""))
                if arm not in where:
                    failures.append(f"{table}[{i}] {side}: no cells of arm {arm} in the journal")
                    continue
                seen |= where[arm]
            if len(seen) > 1:
                failures.append(f"{table}[{i}] {row.get('scenario')} / {row.get('backend', '')} "
                                f"{row.get('metric', '')}: cells from "
                                + ", ".join(f"shard {s} host {h}" for s, h in sorted(seen, key=str)))
    return rows, failures


def headline(summary):
    ov = summary.get("overall") or {}
    return {
        "overall": ov.get("verdict"),
        "keep": sorted(ov.get("keep") or []),
        "classes": sorted((c.get("class"), c.get("verdict"))
                          for c in summary.get("class_verdicts") or []),
        "runtime_classes": sorted((c.get("class"), c.get("verdict"))
                                  for c in summary.get("runtime_class_verdicts") or []),
    }


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--headline"):
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    d = argv[1]
    summary = load_json(f"{d}/summary.json")
    ctx, cells = load_journal(f"{d}/results.jsonl")
    rows, failures = check_rows(summary, origins(ctx, cells))
    shards = sorted({(c.get("origin") or ctx).get("shard") or "?" for c in cells}, key=str)
    if len(argv) == 4:
        other = load_json(f"{argv[3]}/summary.json")
        mine, theirs = headline(summary), headline(other)
        for k in mine:
            if mine[k] != theirs[k]:
                failures.append(f"headline {k}: {d}: {mine[k]} vs {argv[3]}: {theirs[k]}")
        print(f"headline: {mine['overall']} keep={mine['keep']} classes={mine['classes']} "
              f"runtime={mine['runtime_classes']}")
    for f in failures:
        print(f"FAIL {f}")
    print(f"{rows} comparison rows over {len(cells)} cells from shards {', '.join(shards)}: "
          f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
