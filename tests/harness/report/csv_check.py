#!/usr/bin/env python3
"""csv_check.py: samples.csv read back with Python's csv module (not the exporter's own
code, nor a hand-written reader) and compared with the journal it came from.

usage: csv_check.py DIR METRICS_H   (DIR/samples.csv and DIR/results.jsonl, from
                           `test_export --write-csv DIR`; METRICS_H = harness/common/metrics.h)
Checks: CRLF record ends (RFC 4180); header = scenario, workload, backend, policy, variant,
rep, status, source, result, then the metric names of PB_METRICS in metrics.h (read here
with a regular expression) in that order; one
row per cell line in journal order; every field equals the journal's value (empty for
null or absent); at least one field needed quoting, so the quoting was exercised.
Exit 0 when every check passes, 1 otherwise (each failure printed).
"""
import csv
import json
import re
import sys

ID_COLUMNS = ["scenario", "workload", "backend", "policy", "variant", "rep", "status",
              "source", "result"]


def main(d, metrics_h):
    fails = []
    raw = open(d + "/samples.csv", "rb").read()
    lines = raw.split(b"\r\n")
    if lines[-1] != b"":
        fails.append("the file does not end in CRLF")
    with open(d + "/samples.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    journal = [json.loads(l) for l in open(d + "/results.jsonl", encoding="utf-8")]
    cells = [o for o in journal if o.get("type") == "cell"]
    metric_names = re.findall(r"^\s*X\((\w+),", open(metrics_h).read(), re.M)
    if len(metric_names) < 10:
        fails.append("only %d metric names found in %s" % (len(metric_names), metrics_h))
    want_header = ID_COLUMNS + metric_names
    if rows[0] != want_header:
        fails.append("header %r, want %r" % (rows[0], want_header))
    body = rows[1:]
    if len(body) != len(cells):
        fails.append("%d rows for %d cells" % (len(body), len(cells)))
    quoted = 0
    nulls = 0
    for i, (row, cell) in enumerate(zip(body, cells)):
        want = []
        for c in ID_COLUMNS:
            v = cell.get(c)
            want.append("" if v is None else str(v))
        for m in metric_names:
            v = cell.get("metrics", {}).get(m)
            nulls += v is None
            want.append("" if v is None else str(v))
        if row != want:
            fails.append("row %d: %r, want %r" % (i + 1, row, want))
        quoted += sum(1 for v in want if any(ch in v for ch in ',"\r\n'))
    if quoted == 0:
        fails.append("no field needed quoting: the journal does not exercise the quoting")
    if nulls == 0:
        fails.append("no null metric: the journal does not exercise empty fields")
    for f in fails[:10]:
        print("not ok - " + f)
    print("%d rows, %d columns, %d fields that needed quoting, %d nulls; %d failures"
          % (len(body), len(want_header), quoted, nulls, len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
