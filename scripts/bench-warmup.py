#!/usr/bin/env python3
# bench-warmup.py: how many warm-up operations does each kernel need? (issue 12: warm-up
# sized by the kernel's own stability). For each kernel, backend and arm it times the
# single operation that follows W warm-up operations in a fresh process (`--warmup W
# --iterations 1`), for every W of --warmups, in --processes processes, interleaved
# (every round runs every case once, in a shuffled order), and prints the median per W in
# ms. A kernel has settled at the first W from which the medians stay within --band of
# the last W's; the scenario files' warmup_iterations / go_warmup_iterations quote these
# tables. The inputs are the quick matrix's (scenarios/quick.matrix): tar_create 300
# files / 8 MiB, tar_copy 300 / 8 MiB, build 100 / 4 MiB, checksum_concurrent 16 MiB.
# C backends run on the uninstrumented runner (pb-<backend>-bare), go on pb-go.
# A benchmark, not a test: one process's single operation is noisy (on the Go runtime a
# GC cycle may or may not fall in it), so read the medians, and compare W's of one run.
# Usage: scripts/bench-warmup.py [--processes N (5)] [--warmups LIST (0,1,2,3,5)]
#        [--kernels LIST (tar_create,tar_copy,build,checksum_concurrent)]
#        [--backends LIST (glibc,go)] [--band FRACTION (0.15)] [--seed N (1)]
#        [--out FILE (results/bench-warmup.json)] [--bin DIR (build/bin)]
# Exit codes: 0 ok (whatever the figures), 1 a runner failed, 2 bad argument.
import json
import os
import random
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# kernel -> (runner arguments, arms): the quick matrix's inputs and arms
KERNELS = {
    "tar_create": (["--size", "8388608", "--seed", "4", "--files", "300", "--threads", "2"],
                   ["none", "tar", "plain"]),
    "tar_copy": (["--size", "8388608", "--seed", "6", "--files", "300", "--threads", "1"],
                 ["none", "tar", "plain"]),
    "build": (["--size", "4194304", "--seed", "11", "--files", "100", "--threads", "2"],
              ["all", "none", "plain"]),
    "checksum_concurrent": (["--size", "16777216", "--seed", "3", "--threads", "2"],
                            ["none", "hash", "plain"]),
}
BACKENDS = ("glibc", "mimalloc", "jemalloc", "tcmalloc", "go")


def bad(msg):
    print("bench-warmup.py: %s" % msg, file=sys.stderr)
    sys.exit(2)


def count(opt, v, lo):
    try:
        n = int(v)
    except ValueError:
        bad("%s: '%s' is not a number" % (opt, v))
    if n < lo:
        bad("%s: '%s' is below %d" % (opt, v, lo))
    return n


def parse(argv):
    a = {"processes": 5, "warmups": [0, 1, 2, 3, 5], "band": 0.15, "seed": 1,
         "kernels": ["tar_create", "tar_copy", "build", "checksum_concurrent"],
         "backends": ["glibc", "go"], "out": os.path.join(ROOT, "results", "bench-warmup.json"),
         "bin": os.path.join(ROOT, "build", "bin")}
    i = 0
    while i < len(argv):
        opt = argv[i]
        if opt in ("-h", "--help"):
            for line in open(__file__).read().split("\nimport ")[0].splitlines()[1:]:
                print(line[2:])
            sys.exit(0)
        if i + 1 >= len(argv):
            bad("%s needs a value" % opt)
        v = argv[i + 1]
        if opt == "--processes":
            a["processes"] = count(opt, v, 1)
        elif opt == "--warmups":
            a["warmups"] = sorted({count(opt, x, 0) for x in v.split(",")})
        elif opt == "--kernels":
            a["kernels"] = v.split(",")
            for k in a["kernels"]:
                if k not in KERNELS:
                    bad("--kernels: unknown kernel '%s' (known: %s)" % (k, ", ".join(KERNELS)))
        elif opt == "--backends":
            a["backends"] = v.split(",")
            for b in a["backends"]:
                if b not in BACKENDS:
                    bad("--backends: unknown backend '%s' (known: %s)" % (b, ", ".join(BACKENDS)))
        elif opt == "--band":
            try:
                a["band"] = float(v)
            except ValueError:
                bad("--band: '%s' is not a number" % v)
            if not 0 < a["band"] < 1:
                bad("--band: '%s' is not between 0 and 1" % v)
        elif opt == "--seed":
            a["seed"] = count(opt, v, 0)
        elif opt == "--out":
            a["out"] = v
        elif opt == "--bin":
            a["bin"] = v
        else:
            bad("unknown argument '%s'" % opt)
        i += 2
    for b in a["backends"]:
        exe = runner(a["bin"], b)
        if not os.access(exe, os.X_OK):
            bad("--bin: no runner %s (build first: scripts/build.sh)" % exe)
    return a


def runner(bin_dir, backend):
    return os.path.join(bin_dir, "pb-go" if backend == "go" else "pb-%s-bare" % backend)


def one(a, kernel, backend, arm, w):
    """Wall time in ns of the one operation after w warm-ups, in a fresh process."""
    args, _ = KERNELS[kernel]
    cmd = [runner(a["bin"], backend), "--workload", kernel, "--pools", arm,
           "--warmup", str(w), "--iterations", "1"] + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print("bench-warmup.py: %s exited %d: %s" % (" ".join(cmd), p.returncode,
                                                      p.stderr.strip()[-300:]), file=sys.stderr)
        sys.exit(1)
    return json.loads(p.stdout)["wall_ns"]


def settled(medians, warmups, band):
    """The first W from which every median is within band of the last W's, or None."""
    last = medians[-1]
    for i, w in enumerate(warmups):
        if all(abs(m / last - 1) <= band for m in medians[i:]):
            return w
    return None


def main():
    a = parse(sys.argv[1:])
    cases = [(k, b, arm, w) for k in a["kernels"] for b in a["backends"]
             for arm in KERNELS[k][1] for w in a["warmups"]]
    times = {c: [] for c in cases}
    rng = random.Random(a["seed"])
    for r in range(a["processes"]):
        order = cases[:]
        rng.shuffle(order)
        for c in order:
            times[c].append(one(a, *c))
        print("round %d of %d done" % (r + 1, a["processes"]), file=sys.stderr, flush=True)
    rows = []
    head = "%-20s %-6s %-6s " % ("kernel", "arm", "backend") + \
        " ".join("%8s" % ("W=%d" % w) for w in a["warmups"]) + "  settled at W (band %g)" % a["band"]
    print("time of the operation after W warm-ups, ms (median of %d processes)" % a["processes"])
    print(head)
    for k in a["kernels"]:
        for b in a["backends"]:
            for arm in KERNELS[k][1]:
                med = [statistics.median(times[(k, b, arm, w)]) for w in a["warmups"]]
                s = settled(med, a["warmups"], a["band"])
                rows.append({"kernel": k, "backend": b, "arm": arm, "warmups": a["warmups"],
                             "median_ns": med, "settled_at_warmups": s,
                             "samples_ns": [times[(k, b, arm, w)] for w in a["warmups"]]})
                print("%-20s %-6s %-6s " % (k, arm, b) +
                      " ".join("%8.1f" % (m / 1e6) for m in med) +
                      "  %s" % (s if s is not None else "no"))
    os.makedirs(os.path.dirname(os.path.abspath(a["out"])), exist_ok=True)
    with open(a["out"], "w") as f:
        json.dump({"processes": a["processes"], "band": a["band"], "seed": a["seed"],
                   "load_avg_1m": os.getloadavg()[0], "rows": rows}, f, indent=1)
    print("wrote %s" % a["out"])


if __name__ == "__main__":
    main()
