/* stats.c: medians, distribution-free CIs, Mann-Whitney U, bootstrap ratio CIs, the
 * paired t test of log ratios (Student's t by the incomplete beta function), Holm,
 * and the decision helpers declared (with their contracts) in stats.h.
 *
 * Guarantees: libm only; deterministic (integer RNG, order statistics, fixed evaluation
 * order; built with -ffp-contract=off); the caller's arrays are never modified; every
 * allocation is checked and reported as STATS_ENOMEM; no output, no exit, no globals.
 * Must not: print, abort, decide verdicts (that is the decision module's job).
 *
 * Reference behaviour: scipy 1.10 / numpy 1.24 (mannwhitneyu, binom, bootstrap,
 * percentile, ttest_rel, t.sf, t.ppf) and statsmodels 0.13 (multipletests 'holm'); the tests in
 * tests/harness/stats/test_stats.c pin values produced by scripts/stats_reference.py.
 */
#define _DEFAULT_SOURCE   /* lgamma_r: lgamma writes the global signgam */
#include "stats.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- small helpers --- */

const char *stats_strerror(int status)
{
    switch (status) {
    case STATS_OK: return "ok";
    case STATS_EINVAL: return "invalid argument";
    case STATS_ENOMEM: return "out of memory";
    case STATS_ENOCI: return "too few samples for a confidence interval";
    case STATS_EDEGENERATE: return "degenerate data: quantity undefined";
    default: return "unknown status";
    }
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static bool all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

static int check_sample(const double *x, size_t n)
{
    if (x == NULL || n == 0 || !all_finite(x, n))
        return STATS_EINVAL;
    return STATS_OK;
}

/* Sorted private copy of x (caller frees). NULL on allocation failure. */
static double *sorted_copy(const double *x, size_t n)
{
    double *c = malloc(n * sizeof *c);
    if (c == NULL)
        return NULL;
    memcpy(c, x, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    return c;
}

/* Median of an already sorted array (numpy.median: mean of the two middle values). */
static double median_sorted(const double *s, size_t n)
{
    if (n % 2 == 1)
        return s[n / 2];
    return (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

/* numpy's _lerp: a + (b-a) t, or b - (b-a)(1-t) when t >= 0.5. */
static double numpy_lerp(double a, double b, double t)
{
    double d = b - a;
    if (t >= 0.5)
        return b - d * (1.0 - t);
    return a + d * t;
}

/* Type-7 quantile of a sorted array, as numpy.quantile(method='linear'). */
static double quantile_sorted(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    if (h >= (double)(n - 1))
        return s[n - 1];
    if (h < 0)
        return s[0];
    double fl = floor(h);
    size_t i = (size_t)fl;
    return numpy_lerp(s[i], s[i + 1], h - fl);
}

/* k-th smallest (0-based) of v[0..n), partially reordering v so that v[0..k) <= v[k]
 * (Wirth's selection; the value returned does not depend on the reordering). */
static double select_kth(double *v, size_t n, size_t k)
{
    ptrdiff_t l = 0, m = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (l < m) {
        double pivot = v[kk];
        ptrdiff_t i = l, j = m;
        do {
            while (v[i] < pivot)
                i++;
            while (pivot < v[j])
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            m = j;
    }
    return v[kk];
}

/* Median of v[0..n), reordering v. */
static double median_inplace(double *v, size_t n)
{
    double upper = select_kth(v, n, n / 2);
    if (n % 2 == 1)
        return upper;
    /* after selection, v[0..n/2) <= upper: the lower middle is their maximum */
    double lower = v[0];
    for (size_t i = 1; i < n / 2; i++)
        if (v[i] > lower)
            lower = v[i];
    return (lower + upper) / 2.0;
}

/* ------------------------------------------------------------------------ RNG --- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void stats_rng_seed(stats_rng_t *rng, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&st);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t stats_rng_next_u64(stats_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

uint64_t stats_rng_below(stats_rng_t *rng, uint64_t n)
{
    if (n <= 1)
        return 0;
    uint64_t threshold = (0 - n) % n; /* (2^64 - n) mod n */
    uint64_t x;
    do {
        x = stats_rng_next_u64(rng);
    } while (x < threshold);
    return x % n;
}

/* ------------------------------------------------------------- normal helpers --- */

double stats_normal_sf(double z)
{
    return 0.5 * erfc(z / sqrt(2.0));
}

/* Acklam's rational approximation refined by one Halley step on erfc (|error| ~ 1e-15). */
double stats_normal_quantile(double p)
{
    if (!(p > 0.0 && p < 1.0))
        return NAN;
    static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
                                -2.759285104469687e+02, 1.383577518672690e+02,
                                -3.066479806614716e+01, 2.506628277459239e+00 };
    static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
                                -1.556989798598866e+02, 6.680131188771972e+01,
                                -1.328068155288572e+01 };
    static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
                                -2.400758277161838e+00, -2.549732539343734e+00,
                                4.374664141464968e+00, 2.938163982698783e+00 };
    static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
                                2.445134137142996e+00, 3.754408661907416e+00 };
    const double plow = 0.02425, phigh = 1 - plow;
    double x, q, r;
    if (p < plow) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= phigh) {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    /* Halley refinement: e = Phi(x) - p */
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    x = x - u / (1 + x * u / 2);
    return x;
}

/* ---------------------------------------------------- one-sample statistics --- */

int stats_median(const double *x, size_t n, double *out)
{
    if (out == NULL || check_sample(x, n) != STATS_OK)
        return STATS_EINVAL;
    double *c = malloc(n * sizeof *c);
    if (c == NULL)
        return STATS_ENOMEM;
    memcpy(c, x, n * sizeof *c);
    *out = median_inplace(c, n);
    free(c);
    return STATS_OK;
}

int stats_quantile(const double *x, size_t n, double q, double *out)
{
    if (out == NULL || check_sample(x, n) != STATS_OK || !(q >= 0.0 && q <= 1.0))
        return STATS_EINVAL;
    double *s = sorted_copy(x, n);
    if (s == NULL)
        return STATS_ENOMEM;
    *out = quantile_sorted(s, n, q);
    free(s);
    return STATS_OK;
}

/* MAD of a sorted array, using scratch[0..n). */
static double mad_sorted(const double *s, size_t n, double med, double *scratch)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = fabs(s[i] - med);
    return median_inplace(scratch, n);
}

int stats_mad(const double *x, size_t n, double *out)
{
    if (out == NULL || check_sample(x, n) != STATS_OK)
        return STATS_EINVAL;
    double *s = sorted_copy(x, n);
    if (s == NULL)
        return STATS_ENOMEM;
    double *scratch = malloc(n * sizeof *scratch);
    if (scratch == NULL) {
        free(s);
        return STATS_ENOMEM;
    }
    *out = mad_sorted(s, n, median_sorted(s, n), scratch);
    free(scratch);
    free(s);
    return STATS_OK;
}

/* log P(B = k), B ~ Binomial(n, 1/2). */
static double log_binom_half_pmf(size_t n, size_t k)
{
    double dn = (double)n, dk = (double)k;
    return lgamma(dn + 1) - lgamma(dk + 1) - lgamma(dn - dk + 1) - dn * log(2.0);
}

int stats_median_ci(const double *x, size_t n, double confidence_level, stats_median_ci_t *out)
{
    if (out == NULL || check_sample(x, n) != STATS_OK ||
        !(confidence_level > 0.0 && confidence_level < 1.0))
        return STATS_EINVAL;
    double *s = sorted_copy(x, n);
    if (s == NULL)
        return STATS_ENOMEM;
    double half_alpha = (1.0 - confidence_level) / 2.0;
    /* r = largest rank with P(B <= r-1) <= alpha/2; r = 0 means none. */
    size_t r = 0;
    double cdf = 0.0, cdf_at_r = 0.0;
    for (size_t k = 0; k < n; k++) {
        cdf += exp(log_binom_half_pmf(n, k));
        if (cdf <= half_alpha) {
            r = k + 1;
            cdf_at_r = cdf;
        } else {
            break;
        }
    }
    out->n = n;
    out->median = median_sorted(s, n);
    if (r == 0) {
        out->lo = out->hi = NAN;
        out->lo_rank = out->hi_rank = 0;
        out->achieved_confidence = NAN;
        free(s);
        return STATS_ENOCI;
    }
    out->lo_rank = r;
    out->hi_rank = n + 1 - r;
    out->lo = s[r - 1];
    out->hi = s[n - r];
    out->achieved_confidence = 1.0 - 2.0 * cdf_at_r;
    free(s);
    return STATS_OK;
}

int stats_outliers(const double *x, size_t n, stats_outliers_t *out)
{
    if (out == NULL || check_sample(x, n) != STATS_OK)
        return STATS_EINVAL;
    double *s = sorted_copy(x, n);
    if (s == NULL)
        return STATS_ENOMEM;
    double *scratch = malloc(n * sizeof *scratch);
    if (scratch == NULL) {
        free(s);
        return STATS_ENOMEM;
    }
    stats_outliers_t o = { 0 };
    o.q1 = quantile_sorted(s, n, 0.25);
    o.q3 = quantile_sorted(s, n, 0.75);
    o.iqr = o.q3 - o.q1;
    o.median = median_sorted(s, n);
    o.mad = mad_sorted(s, n, o.median, scratch);
    double lo_mild = o.q1 - 1.5 * o.iqr, hi_mild = o.q3 + 1.5 * o.iqr;
    double lo_ext = o.q1 - 3.0 * o.iqr, hi_ext = o.q3 + 3.0 * o.iqr;
    for (size_t i = 0; i < n; i++) {
        double v = s[i];
        if (v < lo_mild)
            o.tukey_low_count++;
        if (v > hi_mild)
            o.tukey_high_count++;
        if (v < lo_ext || v > hi_ext)
            o.tukey_extreme_count++;
        if (o.mad > 0 && fabs(0.6745 * (v - o.median) / o.mad) > 3.5)
            o.mad_count++;
    }
    *out = o;
    free(scratch);
    free(s);
    return STATS_OK;
}

/* ------------------------------------------------------------- Mann-Whitney --- */

typedef struct ranked {
    double v;
    int group; /* 0: x, 1: y */
} ranked_t;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked_t *a = pa, *b = pb;
    return (a->v > b->v) - (a->v < b->v);
}

/* P(U <= k) under the null, no ties, m + n observations, via the counts of the Gaussian
 * binomial [m+n choose m] = prod_{j=1..m} (1 - q^{n+j}) / (1 - q^j), truncated at k.
 * Returns NAN on allocation failure (the caller checks). Uses m = min(nx, ny). */
static double mwu_exact_cdf(size_t nx, size_t ny, size_t k)
{
    size_t m = nx < ny ? nx : ny, n = nx < ny ? ny : nx;
    double *c = calloc(k + 1, sizeof *c);
    if (c == NULL)
        return NAN;
    c[0] = 1.0;
    for (size_t j = 1; j <= m; j++) {
        size_t sh = n + j;
        if (k >= sh)                                 /* multiply by (1 - q^{n+j}) */
            for (size_t t = k; t >= sh; t--)
                c[t] -= c[t - sh];
        for (size_t t = j; t <= k; t++)              /* divide by (1 - q^j) */
            c[t] += c[t - j];
    }
    double sum = 0.0;
    for (size_t t = 0; t <= k; t++)
        sum += c[t];
    free(c);
    double total = 1.0; /* C(m+n, m) */
    for (size_t i = 1; i <= m; i++)
        total = total * (double)(n + i) / (double)i;
    return sum / total;
}

int stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, stats_mwu_t *out)
{
    if (out == NULL || check_sample(x, nx) != STATS_OK || check_sample(y, ny) != STATS_OK)
        return STATS_EINVAL;
    size_t N = nx + ny;
    ranked_t *r = malloc(N * sizeof *r);
    if (r == NULL)
        return STATS_ENOMEM;
    for (size_t i = 0; i < nx; i++)
        r[i] = (ranked_t){ x[i], 0 };
    for (size_t i = 0; i < ny; i++)
        r[nx + i] = (ranked_t){ y[i], 1 };
    qsort(r, N, sizeof *r, cmp_ranked);

    double rank_sum_x = 0.0, tie_term = 0.0;
    bool ties = false;
    for (size_t i = 0; i < N;) {
        size_t j = i;
        while (j + 1 < N && r[j + 1].v == r[i].v)
            j++;
        double t = (double)(j - i + 1);
        double avg_rank = ((double)(i + 1) + (double)(j + 1)) / 2.0;
        for (size_t k = i; k <= j; k++)
            if (r[k].group == 0)
                rank_sum_x += avg_rank;
        if (j > i) {
            ties = true;
            tie_term += t * t * t - t;
        }
        i = j + 1;
    }
    free(r);

    double dnx = (double)nx, dny = (double)ny, dN = (double)N;
    double u1 = rank_sum_x - dnx * (dnx + 1) / 2.0;
    double u2 = dnx * dny - u1;
    double u = u1 > u2 ? u1 : u2;
    bool exact = !(nx > 8 && ny > 8) && !ties;

    stats_mwu_t res = { .u1 = u1, .z = NAN, .exact = exact, .ties = ties, .nx = nx, .ny = ny };
    double p;
    if (exact) {
        size_t kmin = (size_t)(dnx * dny - u); /* min(u1, u2), an integer without ties */
        double cdf = mwu_exact_cdf(nx, ny, kmin);
        if (isnan(cdf))
            return STATS_ENOMEM;
        p = 2.0 * cdf;
    } else {
        double mu = dnx * dny / 2.0;
        double s = sqrt(dnx * dny / 12.0 * ((dN + 1) - tie_term / (dN * (dN - 1))));
        double num = u - mu - 0.5;
        double z;
        if (s > 0)
            z = num / s;
        else
            z = num > 0 ? INFINITY : (num < 0 ? -INFINITY : NAN);
        res.z = z;
        p = isnan(z) ? 1.0 : 2.0 * stats_normal_sf(z);
    }
    if (p > 1.0)
        p = 1.0;
    if (p < 0.0)
        p = 0.0;
    res.p = p;
    *out = res;
    return STATS_OK;
}

/* ---------------------------------------------------------------- bootstrap --- */

int stats_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb,
                             double confidence_level, size_t resamples, uint64_t seed,
                             stats_ratio_ci_t *out)
{
    if (out == NULL || check_sample(a, na) != STATS_OK || check_sample(b, nb) != STATS_OK ||
        !(confidence_level > 0.0 && confidence_level < 1.0))
        return STATS_EINVAL;
    if (resamples == 0)
        resamples = STATS_BOOTSTRAP_MIN_RESAMPLES;
    if (resamples < STATS_BOOTSTRAP_MIN_RESAMPLES)
        return STATS_EINVAL;

    size_t nmax = na > nb ? na : nb;
    double *buf = malloc(nmax * sizeof *buf);
    double *theta = malloc(resamples * sizeof *theta);
    if (buf == NULL || theta == NULL) {
        free(buf);
        free(theta);
        return STATS_ENOMEM;
    }
    out->estimate = out->lo = out->hi = NAN;
    out->confidence_level = confidence_level;
    out->resamples = resamples;
    out->seed = seed;
    memcpy(buf, a, na * sizeof *buf);
    double med_a = median_inplace(buf, na);
    memcpy(buf, b, nb * sizeof *buf);
    double med_b = median_inplace(buf, nb);
    int rc = STATS_OK;
    if (med_a == 0.0) {
        rc = STATS_EDEGENERATE;
        goto done;
    }
    out->estimate = med_b / med_a;
    if (na < 2 || nb < 2) {
        rc = STATS_EDEGENERATE;
        goto done;
    }

    stats_rng_t rng;
    stats_rng_seed(&rng, seed);
    for (size_t r = 0; r < resamples; r++) {
        for (size_t i = 0; i < na; i++)
            buf[i] = a[stats_rng_below(&rng, na)];
        double ma = median_inplace(buf, na);
        for (size_t i = 0; i < nb; i++)
            buf[i] = b[stats_rng_below(&rng, nb)];
        double mb = median_inplace(buf, nb);
        if (ma == 0.0) {
            rc = STATS_EDEGENERATE;
            goto done;
        }
        theta[r] = mb / ma;
    }
    qsort(theta, resamples, sizeof *theta, cmp_double);
    /* mirror scipy: alpha = (1 - c)/2, percentiles alpha*100 and (1-alpha)*100, which
     * numpy divides by 100 again before computing the virtual index (n-1) q */
    double alpha = (1.0 - confidence_level) / 2.0;
    out->lo = quantile_sorted(theta, resamples, (alpha * 100.0) / 100.0);
    out->hi = quantile_sorted(theta, resamples, ((1.0 - alpha) * 100.0) / 100.0);
done:
    free(buf);
    free(theta);
    return rc;
}

/* --------------------------------------------------------------------- Holm --- */

typedef struct pidx {
    double p;
    size_t i;
} pidx_t;

static int cmp_pidx(const void *pa, const void *pb)
{
    const pidx_t *a = pa, *b = pb;
    if (a->p != b->p)
        return (a->p > b->p) - (a->p < b->p);
    return (a->i > b->i) - (a->i < b->i);
}

/* ---------------------------------------------------------- Student's t --- */

/* Continued fraction of the incomplete beta function (modified Lentz), for
 * x < (a + 1) / (a + b + 2) where it converges fast. */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-16;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 1000; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        c = 1.0 + aa / c;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        if (fabs(c) < tiny)
            c = tiny;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        c = 1.0 + aa / c;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        if (fabs(c) < tiny)
            c = tiny;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < eps)
            break;
    }
    return h;
}

/* The regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1]. */
static double beta_inc(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    int sign;
    double ln_front = lgamma_r(a + b, &sign) - lgamma_r(a, &sign) - lgamma_r(b, &sign) +
                      a * log(x) + b * log1p(-x);
    double front = exp(ln_front);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

double stats_t_sf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 0.0 : 1.0;
    /* P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2) */
    double tail = 0.5 * beta_inc(0.5 * df, 0.5, df / (df + t * t));
    return t >= 0 ? tail : 1.0 - tail;
}

double stats_t_quantile(double p, double df)
{
    if (!(p > 0.0 && p < 1.0) || !(df > 0))
        return NAN;
    if (p == 0.5)
        return 0.0;
    double q = p < 0.5 ? p : 1.0 - p;    /* the upper tail probability to reach */
    double lo = 0.0, hi = 1.0;
    while (stats_t_sf(hi, df) > q && hi < 1e300)
        hi *= 2.0;
    for (int i = 0; i < 2000 && hi - lo > 1e-15 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (stats_t_sf(mid, df) > q)
            lo = mid;
        else
            hi = mid;
    }
    double t = 0.5 * (lo + hi);
    return p < 0.5 ? -t : t;
}

int stats_paired_log_ratio(const double *a, const double *b, size_t n, double trim,
                           double confidence_level, stats_paired_t *out)
{
    if (!a || !b || !out || n == 0 || !(trim >= 0 && trim < 0.5) ||
        !(confidence_level > 0 && confidence_level < 1))
        return STATS_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!(isfinite(a[i]) && isfinite(b[i]) && a[i] > 0 && b[i] > 0))
            return STATS_EINVAL;
    double *d = malloc(n * sizeof *d);
    if (!d)
        return STATS_ENOMEM;
    for (size_t i = 0; i < n; i++)
        d[i] = log(b[i]) - log(a[i]);
    qsort(d, n, sizeof *d, cmp_double);
    size_t k = (size_t)(trim * (double)n);
    stats_paired_t r = {.n = n, .trim = trim, .se_log = NAN, .t = NAN, .p = NAN,
                        .lo = NAN, .hi = NAN};
    r.df = (double)n - 2.0 * (double)k - 1.0;
    double sum = 0.0;
    for (size_t i = k; i < n - k; i++)
        sum += d[i];
    r.mean_log = sum / (double)(n - 2 * k);
    r.ratio = exp(r.mean_log);
    /* winsorize: the k lowest become d[k], the k highest d[n-k-1] */
    for (size_t i = 0; i < k; i++) {
        d[i] = d[k];
        d[n - 1 - i] = d[n - 1 - k];
    }
    double wsum = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        wsum += d[i];
    double wmean = wsum / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (d[i] - wmean) * (d[i] - wmean);
    free(d);
    if (r.df < 1.0) {
        *out = r;
        return STATS_EDEGENERATE;
    }
    r.se_log = sqrt(ss / (double)(n - 1)) / ((1.0 - 2.0 * trim) * sqrt((double)n));
    if (!(r.se_log > 1e-12)) {   /* every log ratio equal, to rounding */
        *out = r;
        return STATS_EDEGENERATE;
    }
    r.t = r.mean_log / r.se_log;
    r.p = 2.0 * stats_t_sf(fabs(r.t), r.df);
    if (r.p > 1.0)
        r.p = 1.0;
    double half = stats_t_quantile(0.5 + confidence_level / 2.0, r.df) * r.se_log;
    r.lo = exp(r.mean_log - half);
    r.hi = exp(r.mean_log + half);
    *out = r;
    return STATS_OK;
}

int stats_holm(const double *p, size_t m, double *adj)
{
    if (p == NULL || adj == NULL || m == 0)
        return STATS_EINVAL;
    for (size_t i = 0; i < m; i++)
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            return STATS_EINVAL;
    pidx_t *s = malloc(m * sizeof *s);
    if (s == NULL)
        return STATS_ENOMEM;
    for (size_t i = 0; i < m; i++)
        s[i] = (pidx_t){ p[i], i };
    qsort(s, m, sizeof *s, cmp_pidx);
    double running = 0.0;
    for (size_t j = 0; j < m; j++) {
        double v = (double)(m - j) * s[j].p;
        if (v > running)
            running = v;
        adj[s[j].i] = running < 1.0 ? running : 1.0;
    }
    free(s);
    return STATS_OK;
}

/* --------------------------------------------------------- decision helpers --- */

stats_ci_position_t stats_ci_position(double lo, double hi, double t)
{
    if (isnan(lo) || isnan(hi) || isnan(t))
        return STATS_CI_STRADDLES;
    if (hi < t)
        return STATS_CI_BELOW;
    if (lo > t)
        return STATS_CI_ABOVE;
    return STATS_CI_STRADDLES;
}

bool stats_equivalence(double lo, double hi, double margin)
{
    if (isnan(lo) || isnan(hi) || !(margin > 0))
        return false;
    return lo >= 1.0 - margin && hi <= 1.0 + margin;
}

static size_t reps_from(double n)
{
    if (!(n <= (double)STATS_REPS_CAP))
        return 0;
    size_t r = (size_t)ceil(n);
    return r < 4 ? 4 : r;
}

int stats_reps_needed(const double *a, size_t na, const double *b, size_t nb, double margin,
                      stats_reps_t *out)
{
    if (out == NULL || a == NULL || b == NULL || na < 2 || nb < 2 || !all_finite(a, na) ||
        !all_finite(b, nb) || !(margin > 0 && isfinite(margin)))
        return STATS_EINVAL;
    double med_a, med_b, mad_a, mad_b;
    int rc;
    if ((rc = stats_median(a, na, &med_a)) != STATS_OK ||
        (rc = stats_median(b, nb, &med_b)) != STATS_OK ||
        (rc = stats_mad(a, na, &mad_a)) != STATS_OK ||
        (rc = stats_mad(b, nb, &mad_b)) != STATS_OK)
        return rc;
    if (med_a == 0.0 || med_b == 0.0)
        return STATS_EDEGENERATE;

    const double z_sum = stats_normal_quantile(0.975) + stats_normal_quantile(0.8);
    double sig_a = 1.4826 * mad_a, sig_b = 1.4826 * mad_b;
    double effect = fabs(med_b - med_a);
    double pooled = sqrt((sig_a * sig_a + sig_b * sig_b) / 2.0);
    stats_reps_t r = { 0 };
    r.ratio = med_b / med_a;
    if (effect == 0.0) {
        r.delta = 0.0;
        r.significance_reps = 0;
    } else {
        r.delta = pooled > 0 ? effect / pooled : INFINITY;
        double p_sup = 1.0 - stats_normal_sf(r.delta / sqrt(2.0));
        double d = p_sup - 0.5;
        r.significance_reps = reps_from(z_sum * z_sum / (6.0 * d * d));
    }
    double dev = fabs(r.ratio - 1.0);
    if (dev >= margin) {
        r.equivalence_reps = 0;
    } else {
        double s_a = sig_a / fabs(med_a), s_b = sig_b / fabs(med_b);
        double k = z_sum * 1.2533;
        double room = margin - dev;
        r.equivalence_reps = reps_from(k * k * (s_a * s_a + s_b * s_b) / (room * room));
    }
    *out = r;
    return STATS_OK;
}
