/* stats.h: the statistics behind every comparison in a poolbench report.
 *
 * What it is for: per-cell medians with distribution-free confidence intervals, the
 * A-versus-B tests (two-sided Mann-Whitney U, bootstrap CI of the ratio of medians; for
 * two arms measured in the same repetition blocks, the trimmed paired t test of the
 * per-block log ratios with its CI), Holm's correction across one report's comparisons,
 * and the helpers the decision rules need (equivalence within a margin, repetitions that
 * would likely settle a comparison, outlier counts a report warns about). DESIGN.md, "Statistics and the decision".
 *
 * Guarantees:
 *  - Dependency-free (libm only) and deterministic: the same input (and, for the
 *    bootstrap, the same seed) gives the same output on every IEEE-754 machine. The RNG
 *    is specified bit for bit below; pb_stats is compiled with -ffp-contract=off so no
 *    compiler fuses multiply-adds differently on another architecture.
 *  - No function reorders or modifies the caller's arrays (they are const); work is done
 *    on private copies.
 *  - Every allocation is checked: out of memory returns STATS_ENOMEM, never aborts.
 *  - Library code: never prints, never exits, keeps no global state (thread-safe).
 *  - Non-finite input (NaN, +-inf) is rejected with STATS_EINVAL, as scipy rejects NaN.
 *
 * What it must not do: decide. "Fewer than 4 samples per arm: no claim" and the
 * KEEP/REMOVE/INCONCLUSIVE thresholds belong to the caller (the decision module); this
 * module exposes what they need (sample counts, CI positions, reps estimates) and reports
 * degenerate cases with a status code instead of a made-up number.
 *
 * Conventions: sample sizes are size_t `*_count`; ranks are 1-based (rank 1 is the
 * smallest value), as in textbooks and scipy's order statistics; quantiles use linear
 * interpolation between order statistics (Hyndman-Fan type 7, numpy's default).
 */
#ifndef PB_STATS_H
#define PB_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Status codes returned by every fallible function (0 on success, negative on error). */
typedef enum stats_status {
    STATS_OK = 0,
    STATS_EINVAL = -1,      /* NULL pointer, empty sample, non-finite value, bad level  */
    STATS_ENOMEM = -2,      /* an allocation failed; outputs are untouched              */
    STATS_ENOCI = -3,       /* too few samples for the requested confidence: no interval */
    STATS_EDEGENERATE = -4  /* the quantity is undefined (e.g. ratio with median(a)==0) */
} stats_status_t;

/* Short English name of a status ("ok", "invalid argument", ...); never NULL. */
const char *stats_strerror(int status);

/* ===================================================================================
 * Random numbers: xoshiro256** 1.0 (Blackman & Vigna, 2018), seeded by splitmix64.
 * stats_rng_seed(r, seed): s[0..3] = four successive splitmix64 outputs starting from
 *   state = seed (splitmix64: state += 0x9e3779b97f4a7c15; z = state;
 *   z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9; z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
 *   return z ^ (z >> 31)).
 * stats_rng_next_u64: the reference xoshiro256** step (rotl(s1 * 5, 7) * 9).
 * stats_rng_below(r, n): uniform integer in [0, n) for n >= 1, by rejection: draw x,
 *   reject while x < (2^64 - n) mod n, return x mod n. Unbiased and portable.
 * The whole stream is pinned by tests against an independent Python implementation.
 * =================================================================================== */
typedef struct stats_rng {
    uint64_t s[4];
} stats_rng_t;

void stats_rng_seed(stats_rng_t *rng, uint64_t seed);
uint64_t stats_rng_next_u64(stats_rng_t *rng);
uint64_t stats_rng_below(stats_rng_t *rng, uint64_t n);

/* ===================================================================================
 * Location and spread of one sample.
 * =================================================================================== */

/* Median of x[0..n). Even n: mean of the two middle values (numpy.median).
 * Errors: STATS_EINVAL (x or out NULL, n == 0, non-finite value), STATS_ENOMEM. */
int stats_median(const double *x, size_t n, double *out);

/* Quantile q in [0,1] of x[0..n), linear interpolation (numpy.quantile's default,
 * Hyndman-Fan type 7): h = (n-1)q, result = x_(floor h) + (h - floor h) * (next - that).
 * Errors: as stats_median, plus STATS_EINVAL for q outside [0,1] or NaN. */
int stats_quantile(const double *x, size_t n, double q, double *out);

/* Median absolute deviation, unscaled: median(|x - median(x)|)
 * (scipy.stats.median_abs_deviation(x, scale=1.0)). Multiply by 1.4826 for a robust
 * estimate of a normal standard deviation. Errors: as stats_median. */
int stats_mad(const double *x, size_t n, double *out);

/* Distribution-free CI of the median from order statistics.
 * With B ~ Binomial(n, 1/2) and alpha = 1 - confidence_level, lo_rank is the LARGEST rank
 * r >= 1 with P(B < r) = P(B <= r-1) <= alpha/2; hi_rank = n + 1 - lo_rank (symmetric).
 * The interval is [x_(lo_rank), x_(hi_rank)] of the sorted sample, and
 * achieved_confidence = 1 - 2 P(B <= lo_rank - 1) >= confidence_level.
 * Too few samples (no rank satisfies the condition; for 95 %: n < 6) -> STATS_ENOCI and
 * *out is filled with n, ranks 0 and NaN bounds: never a made-up interval.
 * confidence_level must be in (0, 1). Errors: STATS_EINVAL, STATS_ENOMEM, STATS_ENOCI. */
typedef struct stats_median_ci {
    double median;
    double lo, hi;              /* bounds: order statistics x_(lo_rank), x_(hi_rank) */
    size_t lo_rank, hi_rank;    /* 1-based ranks in the sorted sample                */
    double achieved_confidence; /* exact coverage of [x_(lo), x_(hi)] for continuous data */
    size_t n;
} stats_median_ci_t;

int stats_median_ci(const double *x, size_t n, double confidence_level, stats_median_ci_t *out);

/* Outlier counts a report can warn about (hyperfine-style), on a private sorted copy.
 * Tukey fences from q1, q3 (type-7 quantiles), iqr = q3 - q1:
 *   mild:    x < q1 - 1.5 iqr or x > q3 + 1.5 iqr   (tukey_low_count, tukey_high_count)
 *   extreme: x < q1 - 3 iqr   or x > q3 + 3 iqr     (tukey_extreme_count, subset of mild)
 * Modified z-score (Iglewicz & Hoaglin): |0.6745 (x - median) / mad| > 3.5 (mad_count);
 * mad == 0 counts nothing (a sample with more than half identical values has no scale).
 * Errors: as stats_median. */
typedef struct stats_outliers {
    double q1, q3, iqr, median, mad;
    size_t tukey_low_count, tukey_high_count, tukey_extreme_count, mad_count;
} stats_outliers_t;

int stats_outliers(const double *x, size_t n, stats_outliers_t *out);

/* ===================================================================================
 * Two-sample comparisons. Sample a is the baseline ("A", e.g. no pool), b the candidate.
 * =================================================================================== */

/* Two-sided Mann-Whitney U test, matching
 *   scipy.stats.mannwhitneyu(x, y, use_continuity=True, alternative='two-sided',
 *                            method='auto')   (scipy 1.10)
 * u1 = U of sample x: R1 - nx(nx+1)/2 with average ranks for ties (may be a half-integer).
 * Method choice (scipy's 'auto'): exact when min(nx, ny) <= 8 and there are no ties
 * anywhere in the pooled sample; otherwise asymptotic.
 *  exact: U = max(u1, nx ny - u1); p = 2 P(U' >= U) under the null, from the exact null
 *         distribution of U (counts of the Gaussian binomial [nx+ny choose nx], computed by
 *         polynomial multiply/divide, truncated at min(u1, u2)).
 *  asymptotic: z = (U - nx ny/2 - 0.5) / s, s = sqrt(nx ny/12 ((N+1) - T/(N(N-1)))),
 *         T = sum over tie groups of (t^3 - t); p = 2 * normal_sf(z). All values tied
 *         (s == 0): z = -inf, p = 1.
 *  p is clipped to [0, 1]. Identical samples give p = 1.
 * Errors: STATS_EINVAL (NULL, empty sample, non-finite value), STATS_ENOMEM. */
typedef struct stats_mwu {
    double u1;          /* statistic of sample x (scipy's `statistic`)       */
    double p;           /* two-sided p-value                                 */
    double z;           /* standardized statistic (asymptotic only; else NaN) */
    bool exact;         /* true: exact distribution was used                 */
    bool ties;          /* the pooled sample contains tied values            */
    size_t nx, ny;
} stats_mwu_t;

int stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, stats_mwu_t *out);

/* Percentile bootstrap CI of ratio = median(b) / median(a).
 * Each of `resamples` (>= 10000; 0 means 10000) bootstrap replicates draws na indices
 * from a and nb indices from b independently, uniformly with replacement
 * (stats_rng_below on one xoshiro256** stream seeded with `seed`: first the na indices
 * of a, then the nb indices of b, replicate after replicate), and computes
 * median(b*)/median(a*). lo/hi are the (1-c)/2 and (1+c)/2 percentiles of the replicates
 * with numpy.percentile's linear interpolation (scipy.stats.bootstrap(...,
 * method='percentile') does the same, with numpy's RNG instead).
 * estimate = median(b)/median(a) of the observed samples.
 * Degenerate: na < 2 or nb < 2, median(a) == 0, or some replicate has median(a*) == 0
 * -> STATS_EDEGENERATE (out->estimate is set when median(a) != 0, bounds are NaN).
 * confidence_level in (0, 1). Errors: STATS_EINVAL, STATS_ENOMEM, STATS_EDEGENERATE. */
typedef struct stats_ratio_ci {
    double estimate;
    double lo, hi;
    double confidence_level;
    size_t resamples;
    uint64_t seed;
} stats_ratio_ci_t;

#define STATS_BOOTSTRAP_MIN_RESAMPLES 10000u

int stats_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb,
                             double confidence_level, size_t resamples, uint64_t seed,
                             stats_ratio_ci_t *out);

/* Paired comparison of b against a, pair i being a[i] and b[i] (the two arms' cells of
 * one repetition block, which ran close together in time): the Tukey-McLaughlin trimmed
 * t test of the log ratios d_i = ln(b_i / a_i) (Wilcox's trimci), with trim proportion
 * g in [0, 0.5) and k = floor(g n) values cut from each end:
 *   mean   = the g-trimmed mean of d            (scipy.stats.trim_mean(d, g))
 *   se     = sd of the g-winsorized d (n - 1) / ((1 - 2g) sqrt n)
 *                                               (scipy.stats.mstats.trimmed_stde(d, (g, g)))
 *   df     = n - 2k - 1,  t = mean / se,  p = 2 P(T_df > |t|)
 *   ratio  = exp(mean),  lo, hi = exp(mean -+ t_{(1+c)/2, df} se)
 * g = 0 is the ordinary paired t test (scipy.stats.ttest_rel(ln b, ln a)).
 * Why: a host slow spell (this guest has them: 30 % for tens of seconds) slows both cells
 * of a block and cancels in d_i, where it widens both arms of an unpaired comparison; the
 * trimming keeps the pair that straddles a spell's edge from widening the interval. p is
 * continuous: 10 pairs reach the p-values a Holm-corrected family of 60 needs (a
 * signed-rank test cannot go below 2/2^10).
 * Degenerate: df < 1, or se <= 1e-12 (every winsorized d equal, to rounding) ->
 * STATS_EDEGENERATE with ratio
 * set. Errors: STATS_EINVAL (NULL, n == 0, a value <= 0 or non-finite, g outside [0, 0.5),
 * confidence outside (0, 1)), STATS_ENOMEM. */
typedef struct stats_paired {
    size_t n;               /* pairs                                               */
    double trim;            /* g                                                   */
    double df;              /* n - 2 floor(g n) - 1                                */
    double mean_log;        /* trimmed mean of d                                   */
    double se_log;          /* its standard error (above)                          */
    double t;               /* mean_log / se_log                                   */
    double p;               /* two-sided p                                         */
    double ratio, lo, hi;   /* exp(mean_log) and its CI                            */
} stats_paired_t;

/* The trim proportion poolbench uses (Wilcox's default). */
#define STATS_PAIRED_TRIM 0.2

int stats_paired_log_ratio(const double *a, const double *b, size_t n, double trim,
                           double confidence_level, stats_paired_t *out);

/* Holm step-down adjusted p-values, in the caller's order (statsmodels
 * multipletests(method='holm')): sort p ascending, adj_(i) = max_{j<=i} (m - j) p_(j)
 * (0-based j), capped at 1. Monotone in p; ties get equal adjusted values. adj may alias
 * p. Errors: STATS_EINVAL (NULL, m == 0, p outside [0,1] or NaN), STATS_ENOMEM. */
int stats_holm(const double *p, size_t m, double *adj);

/* ===================================================================================
 * Decision helpers (the thresholds themselves belong to the caller).
 * =================================================================================== */

/* Where an interval [lo, hi] lies relative to a threshold t:
 *   STATS_CI_BELOW  hi < t  (the whole interval is below t)
 *   STATS_CI_ABOVE  lo > t  (the whole interval is above t)
 *   STATS_CI_STRADDLES otherwise (or any input NaN). */
typedef enum stats_ci_position { STATS_CI_BELOW, STATS_CI_STRADDLES, STATS_CI_ABOVE } stats_ci_position_t;

stats_ci_position_t stats_ci_position(double lo, double hi, double t);

/* Equivalence of a ratio CI within a relative margin (TOST-like use of the CI): true iff
 * 1 - margin <= lo and hi <= 1 + margin, i.e. the whole interval lies within +-margin
 * of "no difference". margin = 0.10 for the design's +-10 %. NaN bounds -> false. */
bool stats_equivalence(double lo, double hi, double margin);

/* Repetitions per arm that would likely settle a comparison, from the observed samples.
 * Robust spread: sigma_x = 1.4826 MAD(x); med_x = median(x).
 * significance (Noether's power formula for the Mann-Whitney test, equal arms, two-sided
 *   alpha = 0.05, power 0.8, under a normal shift model):
 *     delta = |med_b - med_a| / sqrt((sigma_a^2 + sigma_b^2) / 2)
 *     p_sup = Phi(delta / sqrt 2)            (P(B > A) for the shift)
 *     n     = ceil((z_0.975 + z_0.8)^2 / (6 (p_sup - 1/2)^2)),  at least 4
 *   (both spreads 0 and medians differ: p_sup = 1 and n = ceil(7.85 / 1.5) = 6, the
 *   formula's floor; 4 per arm is the exact test's own minimum for two-sided 0.05).
 *   Equal medians: significance_reps = 0 (no effect to detect).
 * equivalence (the ratio CI fits within +-margin): with relative spreads
 *   s_x = sigma_x / |med_x| and the normal-theory standard error of a median
 *   1.2533 sigma / sqrt(n), the ratio's relative standard error is
 *   1.2533 sqrt(s_a^2 + s_b^2) / sqrt(n); require (z_0.975 + z_0.8) * se <= margin - |r - 1|
 *   with r = med_b / med_a:
 *     n = ceil(((z_0.975 + z_0.8) 1.2533)^2 (s_a^2 + s_b^2) / (margin - |r-1|)^2), >= 4
 *   |r - 1| >= margin: equivalence_reps = 0 (not reachable at this effect).
 * Estimates above STATS_REPS_CAP are reported as 0 (not reachable in practice).
 * Errors: STATS_EINVAL (NULL, na or nb < 2, non-finite, margin <= 0), STATS_ENOMEM,
 * STATS_EDEGENERATE (median(a) == 0 or median(b) == 0). */
#define STATS_REPS_CAP 1000000u

typedef struct stats_reps {
    size_t significance_reps;   /* per arm; 0 = no effect / not reachable */
    size_t equivalence_reps;    /* per arm; 0 = not reachable             */
    double delta;               /* standardized effect used above         */
    double ratio;               /* med_b / med_a                          */
} stats_reps_t;

int stats_reps_needed(const double *a, size_t na, const double *b, size_t nb, double margin,
                      stats_reps_t *out);

/* Standard normal helpers (exposed for reports and tests). */
double stats_normal_sf(double z);          /* P(Z > z) = erfc(z / sqrt 2) / 2 */
double stats_normal_quantile(double p);    /* Phi^-1(p), p in (0,1); NaN outside */

/* Student's t with df > 0 degrees of freedom (exposed for tests): P(T > t), from the
 * regularized incomplete beta function (continued fraction, relative error ~1e-14); and
 * its quantile, p in (0, 1), by bisection on that (NaN outside). */
double stats_t_sf(double t, double df);
double stats_t_quantile(double p, double df);

#endif
