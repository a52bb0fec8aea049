#!/usr/bin/python3
"""verify_summary.py: independent check of a poolbench summary.json with scipy.

What it is for: every p-value, median, median CI and ratio CI in summary.json must be
reproducible from the raw samples stored next to it by another statistics package.
This script recomputes them with scipy 1.10 / numpy (Debian 12's python3-scipy) and
statsmodels when present (Holm), and prints "N passed, M failed".

  /usr/bin/python3 scripts/verify_summary.py DIR/summary.json [-v]

Checks, per comparison / allocator_vs_pool / zeroing_cost row:
  - medians: numpy.median of each side's samples, relative 1e-9;
  - median CI of each side (order statistics): the largest rank r >= 1 with
    scipy.stats.binom.cdf(r-1, n, 1/2) <= alpha/2, interval [x_(r), x_(n+1-r)];
    null when no such r exists;
  - method "mannwhitneyu": scipy.stats.mannwhitneyu(a, b, use_continuity=True,
    alternative='two-sided', method=<recorded mwu_method>): p and U to 1e-6 relative;
    the recorded method must be the one scipy's 'auto' picks;
    ratio CI: scipy.stats.bootstrap((a, b), median(b)/median(a), method='percentile',
    independent resampling, same resamples and confidence): each recorded bound must lie
    within scipy's bootstrap distribution quantiles at its nominal level +-0.01 (a
    Monte-Carlo tolerance of about 6 standard errors at 10000 resamples);
  - method "paired_t" (time whose arms ran the same repetitions): its "pairs" (reps, a, b)
    are the repetitions both sides have, each side's samples in repetition order, at least
    80 % of the larger side; d = ln(b/a); scipy.stats.trim_mean(d, 0.2) and
    scipy.stats.mstats.trimmed_stde(d, (0.2, 0.2)), df = n - 2 floor(0.2 n) - 1:
    ratio = exp(mean), t = mean / se, p = 2 scipy.stats.t.sf(|t|, df), CI = exp(mean -+
    scipy.stats.t.ppf((1 + conf) / 2, df) se), each to 1e-6 relative;
  - method "exact": both sides constant, ratio = b/a, CI = [ratio, ratio], no p-value;
  - Holm: every p_adjusted recomputed within its family (the comparison's "family";
    allocator_vs_pool and zeroing_cost together as "questions"), each family's size
    checked against statistics.family_sizes,
    1e-6 relative.
Exit status: 0 when nothing failed, 1 otherwise, 2 on unreadable input.
Must not: modify the summary or depend on the C code.
"""
import json
import math
import sys

import numpy as np
import scipy.stats as st

try:
    from statsmodels.stats.multitest import multipletests
except ImportError:  # statsmodels is optional: an own Holm implementation is used then
    multipletests = None

REL = 1e-6


class Checker:
    def __init__(self, verbose):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def check(self, ok, what):
        if ok:
            self.passed += 1
            if self.verbose:
                print("ok    " + what)
        else:
            self.failed += 1
            print("FAIL  " + what)


def close(x, y, rel=REL, abs_tol=1e-12):
    if x is None or y is None:
        return x is None and y is None
    return math.isclose(float(x), float(y), rel_tol=rel, abs_tol=abs_tol)


def median_ci(x, conf):
    """Distribution-free CI of the median from order statistics (binomial)."""
    n = len(x)
    alpha = 1.0 - conf
    lo_rank = 0
    for r in range(1, n + 1):
        if st.binom.cdf(r - 1, n, 0.5) <= alpha / 2:
            lo_rank = r
        else:
            break
    if lo_rank == 0:
        return None
    s = np.sort(np.asarray(x, dtype=float))
    return [float(s[lo_rank - 1]), float(s[n - lo_rank])]


def auto_method(a, b):
    """scipy 1.10's choice for method='auto'."""
    pooled = np.concatenate([a, b])
    ties = len(np.unique(pooled)) != len(pooled)
    return "exact" if (min(len(a), len(b)) <= 8 and not ties) else "asymptotic"


def ratio_stat(x, y, axis=-1):
    return np.median(y, axis=axis) / np.median(x, axis=axis)


def check_sides(ck, name, row, conf):
    for side in ("a", "b"):
        s = row[side]
        x = np.asarray(s["samples"], dtype=float)
        n_key = "n_" + side
        ck.check(len(x) == row[n_key], f"{name} {side}: n = {row[n_key]}")
        if len(x) == 0:
            continue
        med = float(np.median(x))
        ck.check(close(med, row["median_" + side], 1e-9), f"{name} {side}: median {med}")
        if "median_ci" in s:
            ref = median_ci(x, conf)
            got = s["median_ci"]
            if ref is None:
                ok = got[0] is None and got[1] is None
            else:
                ok = close(got[0], ref[0], 1e-12) and close(got[1], ref[1], 1e-12)
            ck.check(ok, f"{name} {side}: median CI {got} vs order statistics {ref}")


def check_mwu(ck, name, row, conf, resamples, rng):
    a = np.asarray(row["a"]["samples"], dtype=float)
    b = np.asarray(row["b"]["samples"], dtype=float)
    method = row.get("mwu_method")
    if len(a) == 0 or len(b) == 0:
        ck.check(row.get("p_value") is None, f"{name}: no p-value without samples")
        return
    ck.check(method == auto_method(a, b), f"{name}: method {method} is scipy's auto choice")
    res = st.mannwhitneyu(a, b, use_continuity=True, alternative="two-sided",
                          method=method or "auto")
    ck.check(close(row["p_value"], res.pvalue), f"{name}: p {row['p_value']} vs scipy {res.pvalue}")
    if row.get("u_statistic") is not None:
        ck.check(close(row["u_statistic"], res.statistic),
                 f"{name}: U {row['u_statistic']} vs scipy {res.statistic}")
    ma, mb = float(np.median(a)), float(np.median(b))
    if ma != 0:
        ck.check(close(row["ratio"], mb / ma, 1e-9), f"{name}: ratio {row['ratio']}")
    lo, hi = row["ci"]
    if lo is None or hi is None:
        degenerate = ma == 0 or len(a) < 2 or len(b) < 2
        if not degenerate:
            # the C bootstrap reports a resample with median(a*) == 0 as degenerate
            degenerate = bool(np.any(a == 0))
        ck.check(degenerate, f"{name}: CI missing only when degenerate")
        return
    boot = st.bootstrap((a, b), ratio_stat, vectorized=True, paired=False,
                        confidence_level=conf, n_resamples=resamples, method="percentile",
                        random_state=rng)
    dist = boot.bootstrap_distribution
    tail = (1.0 - conf) / 2.0
    d = 0.01
    for got, q in ((lo, tail), (hi, 1.0 - tail)):
        lo_q = float(np.quantile(dist, max(0.0, q - d)))
        hi_q = float(np.quantile(dist, min(1.0, q + d)))
        eps = 1e-9 * max(1.0, abs(got))
        ck.check(lo_q - eps <= got <= hi_q + eps,
                 f"{name}: CI bound {got} within scipy bootstrap [{lo_q}, {hi_q}] "
                 f"(quantile {q:.3f} +- {d})")


PAIRED_TRIM = 0.2


def check_paired(ck, name, row, conf):
    pr = row.get("pairs") or {}
    reps, a, b = pr.get("reps", []), pr.get("a", []), pr.get("b", [])
    n = len(reps)
    ck.check(n == len(a) == len(b) == row.get("n_pairs"),
             f"{name}: {n} pairs, n_pairs {row.get('n_pairs')}")
    ck.check(all(x < y for x, y in zip(reps, reps[1:])), f"{name}: pair reps increase")
    ck.check(n >= 0.8 * max(row["n_a"], row["n_b"]) and n >= 2,
             f"{name}: {n} pairs of {row['n_a']}/{row['n_b']} samples (>= 80 %)")
    # every pair is a sample of each side (the sides' samples are in repetition order)
    for side, vals in (("a", a), ("b", b)):
        pool = list(row[side]["samples"])
        ok = True
        for v in vals:
            if v in pool:
                pool.remove(v)
            else:
                ok = False
        ck.check(ok, f"{name}: the pairs' {side} values are samples of side {side}")
    if n < 2:
        return
    d = np.log(np.asarray(b, dtype=float) / np.asarray(a, dtype=float))
    k = int(PAIRED_TRIM * n)
    df = n - 2 * k - 1
    mean = float(st.trim_mean(d, PAIRED_TRIM))
    se = float(st.mstats.trimmed_stde(d, limits=(PAIRED_TRIM, PAIRED_TRIM)))
    t = mean / se
    p = float(2.0 * st.t.sf(abs(t), df))
    h = float(st.t.ppf(0.5 + conf / 2.0, df)) * se
    ck.check(close(row["ratio"], math.exp(mean)), f"{name}: paired ratio {row['ratio']} vs "
             f"exp(trimmed mean) {math.exp(mean)}")
    ck.check(close(row["t_statistic"], t), f"{name}: t {row['t_statistic']} vs {t}")
    ck.check(close(row["p_value"], p), f"{name}: paired p {row['p_value']} vs scipy {p}")
    lo, hi = row["ci"]
    ck.check(close(lo, math.exp(mean - h)) and close(hi, math.exp(mean + h)),
             f"{name}: paired CI {row['ci']} vs [{math.exp(mean - h)}, {math.exp(mean + h)}]")


def check_exact(ck, name, row):
    a = np.asarray(row["a"]["samples"], dtype=float)
    b = np.asarray(row["b"]["samples"], dtype=float)
    const = len(a) > 0 and len(b) > 0 and np.all(a == a[0]) and np.all(b == b[0])
    ck.check(bool(const), f"{name}: exact comparison has constant arms")
    if not const:
        return
    if a[0] != 0:
        r = b[0] / a[0]
    elif b[0] == 0:
        r = 1.0
    else:
        r = None  # infinite: stored as null
    ok = close(row["ratio"], r, 1e-12) and close(row["ci"][0], r, 1e-12) and \
        close(row["ci"][1], r, 1e-12)
    ck.check(ok, f"{name}: exact ratio {row['ratio']} CI {row['ci']} vs {r}")
    ck.check(row.get("p_value") is None and row.get("p_adjusted") is None,
             f"{name}: exact comparison has no p-value")


def holm(p):
    if multipletests is not None:
        return list(multipletests(p, method="holm")[1])
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adj = [0.0] * m
    run = 0.0
    for k, i in enumerate(order):
        run = max(run, (m - k) * p[i])
        adj[i] = min(1.0, run)
    return adj


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("-")]
    verbose = "-v" in argv[1:]
    if len(args) != 1:
        print("usage: verify_summary.py SUMMARY.json [-v]", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as f:
            s = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{args[0]}: {e}", file=sys.stderr)
        return 2
    th = s.get("thresholds", {})
    conf = float(th.get("confidence_level", 0.95))
    resamples = int(th.get("bootstrap_resamples", 10000))
    rng = np.random.default_rng(12345)
    ck = Checker(verbose)
    ck.check(s.get("schema_version") == 2, "schema_version is 2")
    rows = []
    families = {}   # row name -> Holm family
    for i, c in enumerate(s.get("comparisons", [])):
        name = (f"comparison {i} ({c['scenario']}/{c['backend']}/{c['class']}/"
                f"{c['metric']})")
        rows.append((name, c))
        families[name] = c.get("family")
        ck.check(c.get("family") in ("headline", "sensitivity", "evidence", "explain"),
                 f"{name}: family {c.get('family')}")
    for i, c in enumerate(s.get("allocator_vs_pool", [])):
        name = f"allocator_vs_pool {i} ({c['scenario']}/{c['backend']})"
        rows.append((name, c))
        families[name] = "questions"
    for i, c in enumerate(s.get("zeroing_cost", [])):
        name = f"zeroing_cost {i} ({c['scenario']}/{c['backend']}/{c['policy']})"
        rows.append((name, c))
        families[name] = "questions"
    for name, row in rows:
        check_sides(ck, name, row, conf)
        if row.get("method") == "exact":
            check_exact(ck, name, row)
        elif row.get("method") == "paired_t":
            check_paired(ck, name, row, conf)
        else:
            check_mwu(ck, name, row, conf, resamples, rng)
    sizes = s.get("statistics", {}).get("family_sizes", {})
    for fam in ("headline", "sensitivity", "evidence", "explain", "questions"):
        ps = [(name, row) for name, row in rows
              if families[name] == fam and row.get("p_value") is not None]
        ck.check(sizes.get(fam) == len(ps), f"family {fam}: size {sizes.get(fam)} vs {len(ps)} "
                 "p-values")
        if ps:
            adj = holm([float(row["p_value"]) for _, row in ps])
            for (name, row), a in zip(ps, adj):
                ck.check(close(row.get("p_adjusted"), a), f"{name}: Holm ({fam}) p_adjusted "
                         f"{row.get('p_adjusted')} vs {a}")
    print(f"{ck.passed} passed, {ck.failed} failed")
    return 0 if ck.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
