#!/usr/bin/env python3
"""test_runner_faults.py: SQLite-style allocation-failure loop over every runner workload.

For each workload (every kernel, the composite build, pool_churn, touch) on small inputs,
in both modes -- persistent (--fail-after N: every call from the N+1st fails) and
transient (--fail-after N --fail-count 1: only that one fails) -- it runs pb-glibc with
N = 0, 1, 2, ... until a run reports that no fault fired, always with --check-leaks.
Each run must end in one of two ways:
  * exit 4 (out of memory, the documented code), nothing on stdout;
  * exit 0 with exactly one JSON object on stdout whose result equals the clean run's
    (the failed allocation was optional and recovered, or nothing failed);
never a signal (crash), never the timeout (hang), and the leak check's leaked bytes must
be 0 (the front end's live bytes at exit back to those after OpenSSL's one-time set-up).
The runs set GLIBC_TUNABLES=glibc.pthread.stack_cache_size=0: glibc keeps each cached
thread stack's DTV, a calloc through the front end (360 bytes per thread here), which
would otherwise look like a leak of every threaded workload.
It counts the runs in which the injector failed at least one call and the distinct call
sites failed (module+offset of the return address, from the runner's stderr), prints
both, and fails if either is zero. Exit status 0 when every check holds.
In a sanitizer build (PB_SANITIZER_BUILD=1 in the environment, set by CMake) no call
can be made to fail (the front end counts through the sanitizer's hooks, which run after
its malloc has decided): the test checks that pb-glibc refuses --fail-after there (exit 2,
naming the sanitizer build, nothing on stdout) and exits 77, which CTest reports as
skipped (SKIP_RETURN_CODE).
usage: test_runner_faults.py BIN_DIR [WORKLOAD ...]
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 60          # a hang: far above any run here (each is < 1 s when quiet)
MAX_N = 100000          # a loop that never ends is a failure too

# name -> runner arguments (small inputs; the cheap kernels with one warm-up before the
# timed operation, so the pool's reuse path runs too; the archive kernels, whose
# libarchive set-up dominates the number of allocation calls, without)
WORKLOADS = {
    "checksum": ["--size", "64K", "--seed", "2", "--warmup", "1"],
    "sum_checksum": ["--size", "4K", "--seed", "2", "--warmup", "1"],
    "checksum_concurrent": ["--size", "1100K", "--seed", "2", "--threads", "2", "--warmup", "1"],
    "tar_create": ["--size", "16K", "--seed", "2", "--files", "2", "--warmup", "0"],
    "tar_create_seq": ["--size", "16K", "--seed", "2", "--files", "2", "--warmup", "0"],
    "tar_create_concurrent": ["--size", "16K", "--seed", "2", "--files", "2", "--cores", "2",
                              "--warmup", "0"],
    "tar_read": ["--size", "16K", "--seed", "2", "--files", "2", "--warmup", "0"],
    "tar_copy": ["--size", "16K", "--seed", "2", "--files", "2", "--warmup", "0"],
    "image_tag": ["--warmup", "1"],
    "build": ["--size", "16K", "--seed", "2", "--files", "2", "--threads", "2", "--warmup", "0"],
    "pool_churn": ["--threads", "2", "--iterations", "30", "--warmup", "10"],
    "touch": ["--size", "64K", "--warmup", "1"],
}

FAULT_RE = re.compile(r"^pb: fault injection: after=(\d+) count=(-?\d+) fired=(\d+) sites=(\d+)",
                      re.M)
SITE_RE = re.compile(r"^pb: fault site (\S+)", re.M)
LEAK_RE = re.compile(r"^pb: leak check: .* leaked_bytes=(-?\d+)", re.M)
LEAK_SKIPPED = "pb: leak check: skipped"
LIBARCHIVE_EXIT = "libarchive exited on a failed allocation"


def run(pb, args, env):
    t0 = time.monotonic()
    try:
        p = subprocess.run([pb] + args, capture_output=True, text=True, timeout=TIMEOUT_S,
                           env=env)
    except subprocess.TimeoutExpired:
        return None, "", "", time.monotonic() - t0
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def loop(pb, name, extra, transient, env):
    """One workload in one mode. Returns (problems, runs, runs_failed, sites set,
    runs that ended in libarchive's exit(1))."""
    mode = "transient" if transient else "persistent"
    base = ["--workload", name] + extra + ["--check-leaks"]
    rc, out, err, _ = run(pb, base, env)
    problems = []
    if rc != 0:
        return [f"{name}: clean run exit {rc}: {err[:300]}"], 0, 0, set(), 0
    clean = json.loads(out)
    m = LEAK_RE.search(err)
    if not m:
        return [f"{name}: clean run printed no leak check line"], 0, 0, set(), 0
    baseline_leak = int(m.group(1))
    if baseline_leak != 0:
        problems.append(f"{name}: clean run leaves {baseline_leak} bytes live at exit")
    runs = failed_runs = lib_exits = 0
    sites = set()
    n = 0
    while n <= MAX_N:
        args = base + ["--fail-after", str(n)] + (["--fail-count", "1"] if transient else [])
        rc, out, err, secs = run(pb, args, env)
        runs += 1
        where = f"{name} {mode} N={n}"
        if rc is None:
            problems.append(f"{where}: hang (no exit within {TIMEOUT_S} s)")
            break
        if rc < 0:
            problems.append(f"{where}: crash (signal {-rc}): {err[-400:]}")
            break
        fm = FAULT_RE.search(err)
        if not fm:
            problems.append(f"{where}: exit {rc} without a fault report: {err[-300:]}")
            break
        fired = int(fm.group(3))
        here = set(SITE_RE.findall(err))
        if int(fm.group(4)) != len(here):
            problems.append(f"{where}: {fm.group(4)} sites reported, {len(here)} lines")
        if fired:
            failed_runs += 1
            sites |= {f"{name}:{s}" for s in here}   # per workload: the same libc site
            #                                         in two kernels counts for both
        lm = LEAK_RE.search(err)
        if LEAK_SKIPPED in err and LIBARCHIVE_EXIT in err and rc == 4:
            lib_exits += 1      # libarchive 3.6 calls exit(1): nothing can be freed
        elif not lm:
            problems.append(f"{where}: no leak check line")
        elif int(lm.group(1)) != baseline_leak:
            problems.append(f"{where}: leak: {lm.group(1)} bytes live at exit "
                            f"(clean run: {baseline_leak}); sites {sorted(here)[:5]}")
        if rc == 4:
            if out:
                problems.append(f"{where}: exit 4 with {len(out)} bytes on stdout")
        elif rc == 0:
            lines = out.splitlines()
            try:
                got = json.loads(out) if len(lines) == 1 else None
            except ValueError:
                got = None
            if got is None:
                problems.append(f"{where}: exit 0 but stdout is not one JSON line: {out[:200]!r}")
            elif got.get("result") != clean.get("result"):
                problems.append(f"{where}: exit 0 with result {got.get('result')!r}, clean run "
                                f"{clean.get('result')!r} (a failure was swallowed)")
            elif got.get("fault_injection", {}).get("fired") != fired:
                problems.append(f"{where}: JSON fault_injection {got.get('fault_injection')} "
                                f"vs stderr fired={fired}")
        else:
            problems.append(f"{where}: exit {rc} (want 0 or 4): {err.splitlines()[:1]}")
        if len(problems) > 20:
            break
        if fired == 0:
            if rc != 0:
                problems.append(f"{where}: no fault fired but exit {rc}")
            break
        n += 1
    else:
        problems.append(f"{name} {mode}: faults still fire at N={MAX_N}")
    return problems, runs, failed_runs, sites, lib_exits


SKIP_RC = 77            # CTest's SKIP_RETURN_CODE for this test


def sanitizer_refusal(pb):
    """Sanitizer build: --fail-after must be refused, then the test is skipped."""
    p = subprocess.run([pb, "--workload", "checksum", "--size", "4K", "--fail-after", "0"],
                       capture_output=True, text=True, timeout=TIMEOUT_S)
    if p.returncode != 2 or p.stdout or "sanitizer build" not in p.stderr:
        print(f"not ok - sanitizer build: pb-glibc --fail-after 0 gave exit {p.returncode}, "
              f"{len(p.stdout)} bytes on stdout, stderr {p.stderr[:300]!r} (want exit 2 "
              f"naming the sanitizer build)")
        return 1
    print("ok - sanitizer build: pb-glibc refuses --fail-after (exit 2)")
    print("skip - the fault-injection loop: a sanitizer build cannot fail an allocation "
          "(README, Sanitizer builds); run it from a normal build", flush=True)
    return SKIP_RC


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    pb = os.path.join(sys.argv[1], "pb-glibc")
    names = sys.argv[2:] or list(WORKLOADS)
    for nm in names:
        if nm not in WORKLOADS:
            print(f"unknown workload {nm!r} (known: {' '.join(WORKLOADS)})")
            return 2
    if os.environ.get("PB_SANITIZER_BUILD") == "1":
        return sanitizer_refusal(pb)
    tmp = tempfile.mkdtemp(prefix="pb-faults-")
    env = dict(os.environ, XDG_CACHE_HOME=tmp,
               GLIBC_TUNABLES="glibc.pthread.stack_cache_size=0")
    t0 = time.monotonic()
    jobs = [(nm, tr) for nm in names for tr in (False, True)]
    # the clean runs create the cached input trees: one per workload before the loops
    for nm in names:
        run(pb, ["--workload", nm] + WORKLOADS[nm], env)
    problems, total_runs, total_failed, all_sites, total_lib = [], 0, 0, set(), 0
    workers = int(os.environ.get("PB_FAULTS_JOBS", "2"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        futs = {ex.submit(loop, pb, nm, WORKLOADS[nm], tr, env): (nm, tr) for nm, tr in jobs}
        for f in concurrent.futures.as_completed(futs):
            nm, tr = futs[f]
            p, runs, failed, sites, lib = f.result()
            mode = "transient" if tr else "persistent"
            status = "ok" if not p else "not ok"
            print(f"{status} - {nm} {mode}: {runs} runs, {failed} with failed allocations, "
                  f"{len(sites)} distinct sites failed, {lib} ended by libarchive's exit(1) "
                  f"(leak check skipped)", flush=True)
            for x in p:
                print(f"#   {x}")
            problems += p
            total_runs += runs
            total_failed += failed
            all_sites |= sites
            total_lib += lib
    print(f"fault injection: {total_runs} runs, {total_failed} runs with failed allocations, "
          f"{len(all_sites)} distinct allocation sites failed (per workload), "
          f"{len({s.split(':', 1)[1] for s in all_sites})} distinct return addresses, "
          f"{total_lib} runs ended by libarchive's exit(1), {time.monotonic() - t0:.0f} s")
    if total_failed == 0 or not all_sites:
        problems.append("the injector never failed a call: the loop proves nothing")
    subprocess.run(["rm", "-rf", tmp])
    print(f"{'FAIL' if problems else 'PASS'}: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
