/* analysis.c: builds the decision model of a report from a loaded journal (analysis.h).
 *
 * Decision rules per scenario x backend x variant x class (b = class pooled, a = none;
 * ratios b/a; "exact" comparisons have CI [r, r] and count as significant):
 * Comparisons whose ratio is undefined (a zero baseline, e.g. pool_cycles of the no-pool
 * arm) are reported and warned about but take no part in the rules.
 *  0. DISQUALIFIED "failed_cells" when the backend has any failed cell in the scenario
 *     (the failed cells are listed).
 *  1. INCONCLUSIVE "too_few_samples" when either arm has fewer ok cells than
 *     min_samples_per_arm (no claim); "no_data" when no metric could be compared.
 *  2. KEEP when a comparison's whole CI is past its threshold, in the order ns_per_op
 *     ("speedup": CI high < 1/(1+speedup)), peak_live_bytes then max_rss_bytes
 *     ("peak_memory": CI high < 1-reduction), alloc_calls then pool_cycles ("pressure":
 *     CI high < 1-reduction), that comparison is significant (exact, or Holm-adjusted
 *     p < alpha: the percentile bootstrap undercovers at 4-6 samples, so an interval
 *     alone is not trusted to claim a difference), and no OTHER metric is significantly
 *     worse by more than the tolerance (p_adjusted < alpha and CI low > 1+tolerance;
 *     exact: r > 1+tolerance).
 *  3. REMOVE "worse" when a time or memory metric is significantly worse by more than
 *     the equivalence margin (p_adjusted < alpha and CI low > 1+equivalence; exact:
 *     r > 1+equivalence). A worsening inside +-equivalence is, by the seed's rule
 *     ("< 10 % difference"), no difference: it is judged by rule 4 with the rest, so a
 *     pool that keeps a few buffers (a constant +0.5 % peak) is not "worse" while its
 *     time is still undecided.
 *  4. REMOVE "equivalence" when every compared metric's CI lies within +-equivalence.
 *  5. INCONCLUSIVE "undecided" otherwise; reps_needed = the largest, over the unsettled
 *     statistical comparisons, of the smaller non-zero stats_reps_needed estimate
 *     (significance or equivalence); for a significant improvement whose CI straddles
 *     the KEEP limit t, the equivalence formula with margin |r-1| + |r-t| (reps until
 *     the CI clears t); when the estimate is not above the current sample count it is
 *     replaced by twice that count (the formula thought it enough).
 * Class verdict (basis: the reference backend's verdicts for the class when it has any,
 * else every backend's): KEEP when KEEP in at least one scenario and REMOVE "worse" in
 * none; REMOVE when every basis verdict is REMOVE; INCONCLUSIVE otherwise ("mixed"), or
 * "no_evidence" when every basis verdict is DISQUALIFIED. Overall: REMOVE_ALL when every
 * class is REMOVE, KEEP_ALL when every class is KEEP, else SELECTIVE; NO_DATA without
 * classes.
 * Nothing here prints, exits or writes files.
 */
#include "analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ----------------------------------------------------------------- */

static int an_grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return -1;
    memset((char *)q + *cap * elem, 0, (nc - *cap) * elem);
    *p = q;
    *cap = nc;
    return 0;
}

#define AN_PUSH(arr, n, cap) an_grow((void **)&(arr), &(cap), (n), sizeof *(arr))

static void an_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static const char *const an_metric_names[] = {
#define AN_NAME(name, kind, desc) #name,
    PB_METRICS(AN_NAME)
#undef AN_NAME
};

const char *analysis_metric_name(analysis_metric_t m)
{
    if ((int)m < 0 || m >= ANALYSIS_METRIC_COUNT)
        return "?";
    return an_metric_names[m];
}

const char *analysis_verdict_name(analysis_verdict_kind_t v)
{
    switch (v) {
    case ANALYSIS_KEEP: return "KEEP";
    case ANALYSIS_REMOVE: return "REMOVE";
    case ANALYSIS_INCONCLUSIVE: return "INCONCLUSIVE";
    case ANALYSIS_DISQUALIFIED: return "DISQUALIFIED";
    }
    return "?";
}

const char *analysis_overall_name(analysis_overall_kind_t o)
{
    switch (o) {
    case ANALYSIS_REMOVE_ALL: return "REMOVE_ALL";
    case ANALYSIS_SELECTIVE: return "SELECTIVE";
    case ANALYSIS_KEEP_ALL: return "KEEP_ALL";
    case ANALYSIS_NO_DATA: return "NO_DATA";
    }
    return "?";
}

static const char *an_group(analysis_metric_t m)
{
    switch (m) {
    case ANALYSIS_M_ns_per_op:
    case ANALYSIS_M_wall_ns: return "time";
    case ANALYSIS_M_peak_live_bytes:
    case ANALYSIS_M_max_rss_bytes: return "memory";
    default: return "pressure";
    }
}

bool analysis_counts_deterministic(const char *workload, const char *mode, long long threads)
{
    static const char *const multi[] = {"checksum_concurrent", "tar_create_concurrent",
                                        "tar_create", "build", "pool_churn"};
    if (threads > 1)
        return false;
    if (mode && mode[0] && strcmp(mode, "cell") != 0)
        return false;
    if (!workload)
        return false;
    for (size_t i = 0; i < sizeof multi / sizeof multi[0]; i++)
        if (strcmp(workload, multi[i]) == 0)
            return false;
    return true;
}

analysis_metric_t analysis_time_metric(const analysis_arm_t *arm)
{
    return arm->stat[ANALYSIS_M_ns_per_op].n > 0 ? ANALYSIS_M_ns_per_op : ANALYSIS_M_wall_ns;
}

static int an_is_single_class(const char *policy)
{
    return strcmp(policy, "none") != 0 && strcmp(policy, "all") != 0 && !strchr(policy, '+') &&
           !strchr(policy, ',') && policy[0] != '\0';
}

/* config.threads: an integer, a numeric string, or absent/"default" (0). */
static long long an_threads(json_object *cell)
{
    json_object *cfg, *v;
    if (!json_object_object_get_ex(cell, "config", &cfg) ||
        !json_object_object_get_ex(cfg, "threads", &v))
        return 0;
    if (json_object_is_type(v, json_type_int))
        return (long long)json_object_get_int64(v);
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end;
        long long x = strtoll(s, &end, 10);
        if (end != s && *end == '\0')
            return x;
    }
    return 0;
}

/* ---- arms ----------------------------------------------------------------------------- */

typedef struct an_build {
    analysis_model_t *m;
    size_t cap_arms, cap_failed, cap_cmp, cap_verdicts, cap_classes, cap_avp, cap_zero, cap_warn;
    char *err;
} an_build_t;

static int an_oom(an_build_t *b)
{
    snprintf(b->err, ANALYSIS_ERR_BYTES, "out of memory");
    return -1;
}

long analysis_arm_find(const analysis_model_t *m, const char *scenario, const char *backend,
                       const char *policy, const char *variant)
{
    if (!variant)
        variant = "";
    for (size_t i = 0; i < m->n_arms; i++) {
        const analysis_arm_t *a = &m->arms[i];
        if (strcmp(a->scenario, scenario) == 0 && strcmp(a->backend, backend) == 0 &&
            strcmp(a->policy, policy) == 0 && strcmp(a->variant, variant) == 0)
            return (long)i;
    }
    return -1;
}

static long an_arm_get(an_build_t *b, json_object *cell)
{
    analysis_model_t *m = b->m;
    const char *sc = journal_str(cell, "scenario");
    const char *be = journal_str(cell, "backend");
    const char *po = journal_str(cell, "policy");
    const char *va = journal_str(cell, "variant");
    sc = sc ? sc : "";
    be = be ? be : "";
    po = po ? po : "";
    long i = analysis_arm_find(m, sc, be, po, va);
    if (i >= 0)
        return i;
    if (AN_PUSH(m->arms, m->n_arms, b->cap_arms) != 0)
        return -1;
    analysis_arm_t *a = &m->arms[m->n_arms];
    memset(a, 0, sizeof *a);
    an_copy(a->scenario, sizeof a->scenario, sc);
    an_copy(a->backend, sizeof a->backend, be);
    an_copy(a->policy, sizeof a->policy, po);
    an_copy(a->variant, sizeof a->variant, va);
    an_copy(a->workload, sizeof a->workload, journal_str(cell, "workload"));
    an_copy(a->mode, sizeof a->mode, journal_str(cell, "mode"));
    an_copy(a->source, sizeof a->source, journal_str(cell, "source"));
    a->threads = an_threads(cell);
    a->counts_deterministic = analysis_counts_deterministic(a->workload, a->mode, a->threads);
    return (long)m->n_arms++;
}

static int an_cell_cmp(const void *pa, const void *pb)
{
    json_object *a = *(json_object *const *)pa, *b = *(json_object *const *)pb;
    long long ra = journal_int(a, "rep", 0), rb = journal_int(b, "rep", 0);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    const char *ka = journal_str(a, "key"), *kb = journal_str(b, "key");
    return strcmp(ka ? ka : "", kb ? kb : "");
}

static int an_arm_stats(analysis_arm_t *a, double confidence)
{
    for (int mi = 0; mi < ANALYSIS_METRIC_COUNT; mi++) {
        analysis_arm_stat_t *s = &a->stat[mi];
        s->median = s->ci_lo = s->ci_hi = s->mad = s->min = s->max = NAN;
        s->ci_status = STATS_EINVAL;
        if (s->n == 0)
            continue;
        const double *x = a->samples[mi];
        int rc = stats_median(x, s->n, &s->median);
        if (rc == STATS_ENOMEM)
            return -1;
        stats_median_ci_t ci;
        s->ci_status = stats_median_ci(x, s->n, confidence, &ci);
        if (s->ci_status == STATS_ENOMEM)
            return -1;
        if (s->ci_status == STATS_OK) {
            s->ci_lo = ci.lo;
            s->ci_hi = ci.hi;
        }
        if (stats_mad(x, s->n, &s->mad) == STATS_ENOMEM)
            return -1;
        s->min = s->max = x[0];
        for (size_t i = 1; i < s->n; i++) {
            if (x[i] < s->min)
                s->min = x[i];
            if (x[i] > s->max)
                s->max = x[i];
        }
        s->constant = s->min == s->max;
    }
    return 0;
}

static int an_collect(an_build_t *b)
{
    analysis_model_t *m = b->m;
    const journal_t *j = m->journal;
    /* pass 1: arms, counts, failed cells */
    for (size_t ci = 0; ci < j->n_cells; ci++) {
        json_object *cell = j->cells[ci];
        long ai = an_arm_get(b, cell);
        if (ai < 0)
            return an_oom(b);
        analysis_arm_t *a = &m->arms[ai];
        const char *st = journal_str(cell, "status");
        if (st && strcmp(st, "ok") == 0) {
            a->n_cells++;
            continue;
        }
        a->n_failed++;
        if (AN_PUSH(m->failed, m->n_failed, b->cap_failed) != 0)
            return an_oom(b);
        analysis_failed_t *f = &m->failed[m->n_failed++];
        f->cell = cell;
        f->arm = (size_t)ai;
        f->status = st ? st : "missing";
        f->key = journal_str(cell, "key");
        f->rep = journal_int(cell, "rep", -1);
    }
    for (size_t i = 0; i < m->n_failed; i++) {   /* arms no longer move */
        analysis_failed_t *f = &m->failed[i];
        f->scenario = m->arms[f->arm].scenario;
        f->backend = m->arms[f->arm].backend;
        f->policy = m->arms[f->arm].policy;
        f->variant = m->arms[f->arm].variant;
    }
    /* pass 2: cells and samples */
    for (size_t ai = 0; ai < m->n_arms; ai++) {
        analysis_arm_t *a = &m->arms[ai];
        if (a->n_cells == 0)
            continue;
        a->cells = calloc(a->n_cells, sizeof *a->cells);
        if (!a->cells)
            return an_oom(b);
        for (int mi = 0; mi < ANALYSIS_METRIC_COUNT; mi++) {
            a->samples[mi] = calloc(a->n_cells, sizeof(double));
            if (!a->samples[mi])
                return an_oom(b);
        }
        a->n_cells = 0;
    }
    for (size_t ci = 0; ci < j->n_cells; ci++) {
        json_object *cell = j->cells[ci];
        const char *st = journal_str(cell, "status");
        if (!st || strcmp(st, "ok") != 0)
            continue;
        long ai = an_arm_get(b, cell);
        if (ai < 0)
            return an_oom(b);
        analysis_arm_t *a = &m->arms[ai];
        a->cells[a->n_cells++] = cell;
    }
    for (size_t ai = 0; ai < m->n_arms; ai++) {
        analysis_arm_t *a = &m->arms[ai];
        if (a->n_cells == 0)
            continue;
        /* repetition order, so the bootstrap does not depend on the run order */
        qsort(a->cells, a->n_cells, sizeof *a->cells, an_cell_cmp);
        for (size_t i = 0; i < a->n_cells; i++) {
            pb_metrics_t mv;
            journal_present_t pr;
            json_object *metrics = NULL;
            json_object_object_get_ex(a->cells[i], "metrics", &metrics);
            journal_metrics_get(metrics, &mv, &pr);
#define AN_TAKE(name, kind, desc)                                                           \
    if (pr.name)                                                                            \
        a->samples[ANALYSIS_M_##name][a->stat[ANALYSIS_M_##name].n++] = (double)mv.name;
            PB_METRICS(AN_TAKE)
#undef AN_TAKE
        }
        if (an_arm_stats(a, m->th.confidence_level) != 0)
            return an_oom(b);
    }
    return 0;
}

/* ---- comparisons ---------------------------------------------------------------------- */

/* Fills ratio/CI/p of two samples (statistical method). Returns 0 or -1 (OOM). */
static int an_two_sample(const analysis_model_t *m, const double *a, size_t na, const double *b,
                         size_t nb, double *ratio, double *lo, double *hi, int *ci_status,
                         double *u1, double *p, const char **mwu_method, const char **note)
{
    double ma, mb;
    *ratio = *lo = *hi = *u1 = *p = NAN;
    *mwu_method = NULL;
    *ci_status = STATS_EINVAL;
    if (na == 0 || nb == 0)
        return 0;
    if (stats_median(a, na, &ma) == STATS_ENOMEM || stats_median(b, nb, &mb) == STATS_ENOMEM)
        return -1;
    stats_mwu_t mw;
    int rc = stats_mann_whitney(a, na, b, nb, &mw);
    if (rc == STATS_ENOMEM)
        return -1;
    if (rc == STATS_OK) {
        *u1 = mw.u1;
        *p = mw.p;
        *mwu_method = mw.exact ? "exact" : "asymptotic";
    }
    stats_ratio_ci_t rci;
    rc = stats_bootstrap_ratio_ci(a, na, b, nb, m->th.confidence_level,
                                  (size_t)m->th.bootstrap_resamples, m->th.bootstrap_seed, &rci);
    *ci_status = rc;
    if (rc == STATS_ENOMEM)
        return -1;
    if (ma != 0)
        *ratio = mb / ma;
    if (rc == STATS_OK) {
        *lo = rci.lo;
        *hi = rci.hi;
    } else if (note) {
        *note = ma == 0 ? "baseline median is 0: ratio undefined"
                        : (na < 2 || nb < 2) ? "fewer than 2 samples: no bootstrap interval"
                                             : "a bootstrap resample has median 0: no interval";
    }
    return 0;
}

static int an_compare(an_build_t *b, size_t ia, size_t ib, const char *cls, analysis_metric_t mi)
{
    analysis_model_t *m = b->m;
    analysis_arm_t *A = &m->arms[ia], *B = &m->arms[ib];
    size_t na = A->stat[mi].n, nb = B->stat[mi].n;
    if (na == 0 || nb == 0)
        return 0;
    if (AN_PUSH(m->comparisons, m->n_comparisons, b->cap_cmp) != 0)
        return an_oom(b);
    analysis_comparison_t *c = &m->comparisons[m->n_comparisons];
    memset(c, 0, sizeof *c);
    c->scenario = A->scenario;
    c->backend = A->backend;
    c->variant = A->variant;
    an_copy(c->cls, sizeof c->cls, cls);
    c->metric = mi;
    c->metric_name = analysis_metric_name(mi);
    c->group = an_group(mi);
    c->arm_a = ia;
    c->arm_b = ib;
    c->n_a = na;
    c->n_b = nb;
    c->median_a = A->stat[mi].median;
    c->median_b = B->stat[mi].median;
    c->p_value = c->p_adjusted = c->u1 = NAN;
    c->deterministic_expected = strcmp(c->group, "pressure") == 0 && A->counts_deterministic &&
                                B->counts_deterministic;
    if (A->stat[mi].constant && B->stat[mi].constant) {
        c->method = ANALYSIS_METHOD_EXACT;
        c->method_name = "exact";
        c->ci_status = STATS_OK;
        if (c->median_a != 0)
            c->ratio = c->median_b / c->median_a;
        else if (c->median_b == 0)
            c->ratio = 1.0, c->note = "both arms are 0: no difference";
        else
            c->ratio = INFINITY, c->note = "baseline is 0 and the pooled arm is not";
        c->ci_lo = c->ci_hi = c->ratio;
    } else {
        c->method = ANALYSIS_METHOD_MWU;
        c->method_name = "mannwhitneyu";
        c->count_varies = c->deterministic_expected;
        if (an_two_sample(m, A->samples[mi], na, B->samples[mi], nb, &c->ratio, &c->ci_lo,
                          &c->ci_hi, &c->ci_status, &c->u1, &c->p_value, &c->mwu_method,
                          &c->note) != 0)
            return an_oom(b);
    }
    m->n_comparisons++;
    return 0;
}

static const analysis_metric_t an_cmp_metrics[] = {
    ANALYSIS_M_ns_per_op, ANALYSIS_M_peak_live_bytes, ANALYSIS_M_max_rss_bytes,
    ANALYSIS_M_alloc_calls, ANALYSIS_M_pool_cycles,
};
#define AN_N_CMP_METRICS (sizeof an_cmp_metrics / sizeof an_cmp_metrics[0])

static analysis_metric_t an_pair_time_metric(const analysis_arm_t *A, const analysis_arm_t *B)
{
    return A->stat[ANALYSIS_M_ns_per_op].n > 0 && B->stat[ANALYSIS_M_ns_per_op].n > 0
               ? ANALYSIS_M_ns_per_op
               : ANALYSIS_M_wall_ns;
}

static int an_same_group(const analysis_arm_t *x, const analysis_arm_t *y)
{
    return strcmp(x->scenario, y->scenario) == 0 && strcmp(x->backend, y->backend) == 0 &&
           strcmp(x->variant, y->variant) == 0;
}

static int an_scenario_backend_failed(const analysis_model_t *m, const char *sc, const char *be)
{
    for (size_t i = 0; i < m->n_failed; i++)
        if (strcmp(m->failed[i].scenario, sc) == 0 && strcmp(m->failed[i].backend, be) == 0)
            return 1;
    return 0;
}

/* Verdict shells: one per (none arm, class arm); comparisons filled in. */
static int an_comparisons(an_build_t *b)
{
    analysis_model_t *m = b->m;
    for (size_t ia = 0; ia < m->n_arms; ia++) {
        analysis_arm_t *A = &m->arms[ia];
        if (strcmp(A->policy, "none") != 0)
            continue;
        int have_single = 0;
        for (size_t ib = 0; ib < m->n_arms; ib++)
            if (an_same_group(A, &m->arms[ib]) && an_is_single_class(m->arms[ib].policy))
                have_single = 1;
        for (size_t ib = 0; ib < m->n_arms; ib++) {
            analysis_arm_t *B = &m->arms[ib];
            if (ib == ia || !an_same_group(A, B))
                continue;
            if (have_single ? !an_is_single_class(B->policy) : strcmp(B->policy, "all") != 0)
                continue;
            if (AN_PUSH(m->verdicts, m->n_verdicts, b->cap_verdicts) != 0)
                return an_oom(b);
            analysis_verdict_t *v = &m->verdicts[m->n_verdicts];
            memset(v, 0, sizeof *v);
            v->scenario = A->scenario;
            v->backend = A->backend;
            v->variant = A->variant;
            an_copy(v->cls, sizeof v->cls, B->policy);
            v->n_a = A->n_cells;
            v->n_b = B->n_cells;
            v->metric = -1;
            v->ratio = v->ci_lo = v->ci_hi = v->p_adjusted = v->threshold = NAN;
            size_t first = m->n_comparisons;
            for (size_t k = 0; k < AN_N_CMP_METRICS; k++) {
                analysis_metric_t mi = an_cmp_metrics[k];
                if (mi == ANALYSIS_M_ns_per_op)
                    mi = an_pair_time_metric(A, B);
                if (an_compare(b, ia, ib, B->policy, mi) != 0)
                    return -1;
            }
            v = &m->verdicts[m->n_verdicts];
            v->n_comparisons = m->n_comparisons - first;
            if (v->n_comparisons) {
                v->comparisons = calloc(v->n_comparisons, sizeof *v->comparisons);
                if (!v->comparisons)
                    return an_oom(b);
                for (size_t k = 0; k < v->n_comparisons; k++)
                    v->comparisons[k] = first + k;
            }
            m->n_verdicts++;
        }
    }
    return 0;
}

/* ---- allocator_vs_pool and zeroing_cost ---------------------------------------------- */

static int an_allocator_vs_pool(an_build_t *b)
{
    analysis_model_t *m = b->m;
    const char *ref = m->th.reference_backend;
    for (size_t ig = 0; ig < m->n_arms; ig++) {
        analysis_arm_t *G = &m->arms[ig];
        if (strcmp(G->backend, ref) != 0 || strcmp(G->policy, "none") == 0)
            continue;
        /* G must be the reference backend's pooled arm: "all", else the only non-none */
        if (strcmp(G->policy, "all") != 0) {
            if (analysis_arm_find(m, G->scenario, ref, "all", G->variant) >= 0)
                continue;
            int others = 0;
            for (size_t k = 0; k < m->n_arms; k++)
                if (an_same_group(G, &m->arms[k]) && strcmp(m->arms[k].policy, "none") != 0)
                    others++;
            if (others != 1)
                continue;
        }
        for (size_t ix = 0; ix < m->n_arms; ix++) {
            analysis_arm_t *X = &m->arms[ix];
            if (strcmp(X->policy, "none") != 0 || strcmp(X->backend, ref) == 0 ||
                strcmp(X->scenario, G->scenario) != 0 || strcmp(X->variant, G->variant) != 0)
                continue;
            analysis_metric_t mi = an_pair_time_metric(G, X);
            if (AN_PUSH(m->avp, m->n_avp, b->cap_avp) != 0)
                return an_oom(b);
            analysis_avp_t *r = &m->avp[m->n_avp];
            memset(r, 0, sizeof *r);
            r->scenario = G->scenario;
            r->variant = G->variant;
            r->backend = X->backend;
            r->arm_a = ig;
            r->arm_b = ix;
            r->metric = mi;
            r->n_a = G->stat[mi].n;
            r->n_b = X->stat[mi].n;
            r->median_a = G->stat[mi].median;
            r->median_b = X->stat[mi].median;
            r->p_adjusted = NAN;
            int cs;
            if (an_two_sample(m, G->samples[mi], r->n_a, X->samples[mi], r->n_b, &r->ratio,
                              &r->ci_lo, &r->ci_hi, &cs, &r->u1, &r->p_value, &r->mwu_method,
                              NULL) != 0)
                return an_oom(b);
            m->n_avp++;
        }
    }
    return 0;
}

/* Removes the token tok (and one separating space) from variant into out. */
static void an_variant_without(const char *variant, const char *tok, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = variant;
    size_t tl = strlen(tok);
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (!(len == tl && strncmp(p, tok, tl) == 0)) {
            size_t ol = strlen(out);
            snprintf(out + ol, cap - ol, "%s%.*s", ol ? " " : "", (int)len, p);
        }
        p += len;
        while (*p == ' ')
            p++;
    }
}

static int an_zeroing(an_build_t *b)
{
    analysis_model_t *m = b->m;
    for (size_t ion = 0; ion < m->n_arms; ion++) {
        analysis_arm_t *On = &m->arms[ion];
        if (strcmp(On->policy, "none") == 0 || !strstr(On->variant, "zero_on_put=on"))
            continue;
        char off[ANALYSIS_VARIANT_BYTES];
        const char *at = strstr(On->variant, "zero_on_put=on");
        snprintf(off, sizeof off, "%.*szero_on_put=off%s", (int)(at - On->variant), On->variant,
                 at + strlen("zero_on_put=on"));
        long ioff = analysis_arm_find(m, On->scenario, On->backend, On->policy, off);
        if (ioff < 0)
            continue;
        analysis_arm_t *Off = &m->arms[ioff];
        analysis_metric_t mi = an_pair_time_metric(Off, On);
        if (AN_PUSH(m->zeroing, m->n_zeroing, b->cap_zero) != 0)
            return an_oom(b);
        analysis_zeroing_t *z = &m->zeroing[m->n_zeroing];
        memset(z, 0, sizeof *z);
        z->scenario = On->scenario;
        z->backend = On->backend;
        z->policy = On->policy;
        an_variant_without(On->variant, "zero_on_put=on", z->variant, sizeof z->variant);
        z->arm_a = (size_t)ioff;
        z->arm_b = ion;
        z->metric = mi;
        z->n_a = Off->stat[mi].n;
        z->n_b = On->stat[mi].n;
        z->median_a = Off->stat[mi].median;
        z->median_b = On->stat[mi].median;
        z->p_adjusted = NAN;
        int cs;
        if (an_two_sample(m, Off->samples[mi], z->n_a, On->samples[mi], z->n_b, &z->ratio,
                          &z->ci_lo, &z->ci_hi, &cs, &z->u1, &z->p_value, &z->mwu_method,
                          NULL) != 0)
            return an_oom(b);
        m->n_zeroing++;
    }
    return 0;
}

/* ---- Holm over every p-value of the report ------------------------------------------- */

static int an_holm(an_build_t *b)
{
    analysis_model_t *m = b->m;
    size_t n = 0, cap = m->n_comparisons + m->n_avp + m->n_zeroing;
    if (cap == 0)
        return 0;
    double *p = calloc(cap, sizeof *p);
    double **dst = calloc(cap, sizeof *dst);
    if (!p || !dst) {
        free(p);
        free(dst);
        return an_oom(b);
    }
    for (size_t i = 0; i < m->n_comparisons; i++)
        if (!isnan(m->comparisons[i].p_value)) {
            p[n] = m->comparisons[i].p_value;
            dst[n++] = &m->comparisons[i].p_adjusted;
        }
    for (size_t i = 0; i < m->n_avp; i++)
        if (!isnan(m->avp[i].p_value)) {
            p[n] = m->avp[i].p_value;
            dst[n++] = &m->avp[i].p_adjusted;
        }
    for (size_t i = 0; i < m->n_zeroing; i++)
        if (!isnan(m->zeroing[i].p_value)) {
            p[n] = m->zeroing[i].p_value;
            dst[n++] = &m->zeroing[i].p_adjusted;
        }
    m->holm_family_size = n;
    int rc = n ? stats_holm(p, n, p) : STATS_OK;
    if (rc == STATS_OK)
        for (size_t i = 0; i < n; i++)
            *dst[i] = p[i];
    free(p);
    free(dst);
    if (rc == STATS_ENOMEM)
        return an_oom(b);
    if (rc != STATS_OK) {
        snprintf(b->err, ANALYSIS_ERR_BYTES, "Holm correction failed: %s", stats_strerror(rc));
        return -1;
    }
    return 0;
}

/* ---- verdicts ------------------------------------------------------------------------- */

static int an_significant(const analysis_model_t *m, const analysis_comparison_t *c)
{
    if (c->method == ANALYSIS_METHOD_EXACT)
        return 1;
    return !isnan(c->p_adjusted) && c->p_adjusted < m->th.alpha;
}

/* Significantly worse with the whole CI above t. */
static int an_worse_than(const analysis_model_t *m, const analysis_comparison_t *c, double t)
{
    if (c->method == ANALYSIS_METHOD_EXACT)
        return !isnan(c->ratio) && c->ratio > t;
    return an_significant(m, c) && !isnan(c->ci_lo) && c->ci_lo > t;
}

static double an_keep_limit(const analysis_model_t *m, const analysis_comparison_t *c)
{
    if (strcmp(c->group, "time") == 0)
        return thresholds_keep_time_ratio(&m->th);
    if (strcmp(c->group, "memory") == 0)
        return thresholds_keep_memory_ratio(&m->th);
    return thresholds_keep_pressure_ratio(&m->th);
}

static int an_equivalent(const analysis_model_t *m, const analysis_comparison_t *c)
{
    double margin = thresholds_equivalence_margin(&m->th);
    if (c->method == ANALYSIS_METHOD_EXACT)
        return !isnan(c->ratio) && stats_equivalence(c->ratio, c->ratio, margin);
    return stats_equivalence(c->ci_lo, c->ci_hi, margin);
}

/* A comparison the rules can use: its ratio is defined (not a zero baseline). */
static int an_usable(const analysis_comparison_t *c)
{
    return isfinite(c->ratio);
}

static void an_numbers(analysis_verdict_t *v, const analysis_comparison_t *c, double threshold)
{
    v->metric = (int)c->metric;
    v->ratio = c->ratio;
    v->ci_lo = c->ci_lo;
    v->ci_hi = c->ci_hi;
    v->p_adjusted = c->p_adjusted;
    v->threshold = threshold;
}

static void an_fmt_p(char *buf, size_t cap, const analysis_comparison_t *c)
{
    if (c->method == ANALYSIS_METHOD_EXACT)
        snprintf(buf, cap, "exact counts");
    else
        snprintf(buf, cap, "p_adj %.4g", c->p_adjusted);
}

static int an_decide_one(an_build_t *b, analysis_verdict_t *v)
{
    analysis_model_t *m = b->m;
    const thresholds_t *th = &m->th;
    if (an_scenario_backend_failed(m, v->scenario, v->backend)) {
        v->verdict = ANALYSIS_DISQUALIFIED;
        v->rule = "failed_cells";
        for (size_t i = 0; i < m->n_failed; i++)
            if (strcmp(m->failed[i].scenario, v->scenario) == 0 &&
                strcmp(m->failed[i].backend, v->backend) == 0)
                v->n_failed++;
        v->failed = calloc(v->n_failed, sizeof *v->failed);
        if (!v->failed)
            return an_oom(b);
        size_t k = 0;
        for (size_t i = 0; i < m->n_failed; i++)
            if (strcmp(m->failed[i].scenario, v->scenario) == 0 &&
                strcmp(m->failed[i].backend, v->backend) == 0)
                v->failed[k++] = i;
        snprintf(v->detail, sizeof v->detail,
                 "%zu failed cell(s) of backend %s in scenario %s (first: policy %s rep %lld "
                 "status %s): its verdicts there are withheld",
                 v->n_failed, v->backend, v->scenario, m->failed[v->failed[0]].policy,
                 m->failed[v->failed[0]].rep, m->failed[v->failed[0]].status);
        return 0;
    }
    if (v->n_a < th->min_samples_per_arm || v->n_b < th->min_samples_per_arm) {
        v->verdict = ANALYSIS_INCONCLUSIVE;
        v->rule = "too_few_samples";
        v->threshold = (double)th->min_samples_per_arm;
        v->reps_needed = (size_t)th->min_samples_per_arm;
        snprintf(v->detail, sizeof v->detail,
                 "%zu (none) and %zu (%s) ok samples; at least %llu per arm are needed for "
                 "any claim", v->n_a, v->n_b, v->cls,
                 (unsigned long long)th->min_samples_per_arm);
        return 0;
    }
    const analysis_comparison_t *cs = m->comparisons;
    size_t n_usable = 0, first_usable = 0;
    for (size_t k = v->n_comparisons; k-- > 0;)
        if (an_usable(&cs[v->comparisons[k]])) {
            n_usable++;
            first_usable = k;
        }
    if (n_usable == 0) {
        v->verdict = ANALYSIS_INCONCLUSIVE;
        v->rule = "no_data";
        snprintf(v->detail, sizeof v->detail, "no metric with a defined ratio in both arms");
        return 0;
    }
    double worse_t = thresholds_worse_ratio(th);
    char pbuf[48];
    /* 2. KEEP */
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &cs[v->comparisons[k]];
        double limit = an_keep_limit(m, c);
        if (!an_usable(c) || isnan(c->ci_hi) || !(c->ci_hi < limit) || !an_significant(m, c))
            continue;
        const analysis_comparison_t *blocker = NULL;
        for (size_t o = 0; o < v->n_comparisons && !blocker; o++)
            if (o != k && an_usable(&cs[v->comparisons[o]]) &&
                an_worse_than(m, &cs[v->comparisons[o]], worse_t))
                blocker = &cs[v->comparisons[o]];
        if (blocker)
            continue;
        v->verdict = ANALYSIS_KEEP;
        v->rule = strcmp(c->group, "time") == 0     ? "speedup"
                  : strcmp(c->group, "memory") == 0 ? "peak_memory"
                                                    : "pressure";
        an_numbers(v, c, limit);
        an_fmt_p(pbuf, sizeof pbuf, c);
        snprintf(v->detail, sizeof v->detail,
                 "%s ratio %.3f, CI [%.3f, %.3f] entirely below %.3f (%s); no other metric "
                 "significantly worse by more than %.0f %%",
                 c->metric_name, c->ratio, c->ci_lo, c->ci_hi, limit, pbuf,
                 th->worse_tolerance_percent);
        return 0;
    }
    /* 3. REMOVE worse */
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &cs[v->comparisons[k]];
        double worse_limit = 1.0 + thresholds_equivalence_margin(th);
        if (!an_usable(c) || strcmp(c->group, "pressure") == 0 ||
            !an_worse_than(m, c, worse_limit))
            continue;
        v->verdict = ANALYSIS_REMOVE;
        v->rule = "worse";
        an_numbers(v, c, worse_limit);
        an_fmt_p(pbuf, sizeof pbuf, c);
        snprintf(v->detail, sizeof v->detail,
                 "the pool is significantly worse: %s ratio %.3f, CI [%.3f, %.3f] above %.3f "
                 "(%s < alpha %.3g)",
                 c->metric_name, c->ratio, c->ci_lo, c->ci_hi, worse_limit, pbuf, th->alpha);
        return 0;
    }
    /* 4. REMOVE equivalence */
    int all_eq = 1;
    const analysis_comparison_t *widest = NULL;
    double widest_dev = -1;
    for (size_t k = 0; k < v->n_comparisons && all_eq; k++) {
        const analysis_comparison_t *c = &cs[v->comparisons[k]];
        if (!an_usable(c))
            continue;
        if (!an_equivalent(m, c)) {
            all_eq = 0;
            break;
        }
        double dev = fmax(fabs(c->ci_lo - 1.0), fabs(c->ci_hi - 1.0));
        if (dev > widest_dev) {
            widest_dev = dev;
            widest = c;
        }
    }
    if (all_eq && widest) {
        v->verdict = ANALYSIS_REMOVE;
        v->rule = "equivalence";
        an_numbers(v, widest, thresholds_equivalence_margin(th));
        snprintf(v->detail, sizeof v->detail,
                 "every metric's CI lies within +-%.0f %%; the widest is %s, CI [%.3f, %.3f]",
                 th->equivalence_percent, widest->metric_name, widest->ci_lo, widest->ci_hi);
        return 0;
    }
    /* 5. INCONCLUSIVE */
    v->verdict = ANALYSIS_INCONCLUSIVE;
    v->rule = "undecided";
    const analysis_comparison_t *basis = &cs[v->comparisons[first_usable]];
    size_t reps = 0;
    double margin = thresholds_equivalence_margin(th);
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &cs[v->comparisons[k]];
        if (!an_usable(c) || c->method == ANALYSIS_METHOD_EXACT || an_equivalent(m, c))
            continue;
        double limit = an_keep_limit(m, c), mg = margin;
        if (an_significant(m, c)) {
            /* a real improvement whose CI straddles the KEEP limit: reps until the CI
               clears the limit (the equivalence formula with margin |r-1| + |r-limit|) */
            if (!(c->ratio < 1.0) || isnan(c->ci_lo) || isnan(c->ci_hi) ||
                !(c->ci_lo <= limit && limit <= c->ci_hi))
                continue;
            mg = fabs(c->ratio - 1.0) + fabs(c->ratio - limit);
            if (!(mg > 0))
                continue;
        }
        const analysis_arm_t *A = &m->arms[c->arm_a], *B = &m->arms[c->arm_b];
        stats_reps_t r;
        int rc = stats_reps_needed(A->samples[c->metric], c->n_a, B->samples[c->metric], c->n_b,
                                   mg, &r);
        if (rc == STATS_ENOMEM)
            return an_oom(b);
        if (rc != STATS_OK)
            continue;
        size_t cand = 0;
        if (mg != margin)
            cand = r.equivalence_reps;
        else if (r.significance_reps && r.equivalence_reps)
            cand = r.significance_reps < r.equivalence_reps ? r.significance_reps
                                                            : r.equivalence_reps;
        else
            cand = r.significance_reps ? r.significance_reps : r.equivalence_reps;
        if (cand > reps) {
            reps = cand;
            basis = c;
        }
    }
    size_t have = v->n_a > v->n_b ? v->n_a : v->n_b;
    if (reps > 0 && reps <= have)
        reps = 2 * have;
    v->reps_needed = reps;
    an_numbers(v, basis, an_keep_limit(m, basis));
    an_fmt_p(pbuf, sizeof pbuf, basis);
    if (reps)
        snprintf(v->detail, sizeof v->detail,
                 "no rule fired: %s ratio %.3f, CI [%.3f, %.3f], %s; about %zu repetitions per "
                 "arm would likely settle it",
                 basis->metric_name, basis->ratio, basis->ci_lo, basis->ci_hi, pbuf, reps);
    else
        snprintf(v->detail, sizeof v->detail,
                 "no rule fired: %s ratio %.3f, CI [%.3f, %.3f], %s; more repetitions are "
                 "unlikely to settle it (the effect lies between the equivalence margin and "
                 "the KEEP threshold, or is too small to estimate)",
                 basis->metric_name, basis->ratio, basis->ci_lo, basis->ci_hi, pbuf);
    return 0;
}

static int an_class_index(an_build_t *b, const char *cls)
{
    analysis_model_t *m = b->m;
    for (size_t i = 0; i < m->n_classes; i++)
        if (strcmp(m->classes[i].cls, cls) == 0)
            return (int)i;
    if (AN_PUSH(m->classes, m->n_classes, b->cap_classes) != 0)
        return -1;
    analysis_class_verdict_t *c = &m->classes[m->n_classes];
    memset(c, 0, sizeof *c);
    an_copy(c->cls, sizeof c->cls, cls);
    return (int)m->n_classes++;
}

static int an_decide(an_build_t *b)
{
    analysis_model_t *m = b->m;
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (an_decide_one(b, &m->verdicts[i]) != 0)
            return -1;
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (an_class_index(b, m->verdicts[i].cls) < 0)
            return an_oom(b);
    for (size_t ci = 0; ci < m->n_classes; ci++) {
        analysis_class_verdict_t *c = &m->classes[ci];
        int ref_has = 0;
        for (size_t i = 0; i < m->n_verdicts; i++)
            if (strcmp(m->verdicts[i].cls, c->cls) == 0 &&
                strcmp(m->verdicts[i].backend, m->th.reference_backend) == 0)
                ref_has = 1;
        an_copy(c->basis, sizeof c->basis, ref_has ? m->th.reference_backend : "all backends");
        size_t total = 0;
        for (size_t i = 0; i < m->n_verdicts; i++) {
            const analysis_verdict_t *v = &m->verdicts[i];
            if (strcmp(v->cls, c->cls) != 0 ||
                (ref_has && strcmp(v->backend, m->th.reference_backend) != 0))
                continue;
            total++;
            switch (v->verdict) {
            case ANALYSIS_KEEP: c->n_keep++; break;
            case ANALYSIS_REMOVE:
                c->n_remove++;
                if (strcmp(v->rule, "worse") == 0)
                    c->n_worse++;
                break;
            case ANALYSIS_INCONCLUSIVE: c->n_inconclusive++; break;
            case ANALYSIS_DISQUALIFIED: c->n_disqualified++; break;
            }
        }
        if (c->n_keep > 0 && c->n_worse == 0) {
            c->verdict = ANALYSIS_KEEP;
            c->rule = "keep_somewhere_worse_nowhere";
        } else if (total > 0 && c->n_remove == total) {
            c->verdict = ANALYSIS_REMOVE;
            c->rule = "remove_everywhere";
        } else if (total == c->n_disqualified) {
            c->verdict = ANALYSIS_INCONCLUSIVE;
            c->rule = "no_evidence";
        } else {
            c->verdict = ANALYSIS_INCONCLUSIVE;
            c->rule = "mixed";
        }
    }
    if (m->n_classes == 0) {
        m->overall = ANALYSIS_NO_DATA;
        return 0;
    }
    m->keep_classes = calloc(m->n_classes, sizeof *m->keep_classes);
    m->inconclusive_classes = calloc(m->n_classes, sizeof *m->inconclusive_classes);
    if (!m->keep_classes || !m->inconclusive_classes)
        return an_oom(b);
    size_t n_remove = 0;
    for (size_t ci = 0; ci < m->n_classes; ci++) {
        const analysis_class_verdict_t *c = &m->classes[ci];
        if (c->verdict == ANALYSIS_KEEP)
            m->keep_classes[m->n_keep_classes++] = c->cls;
        else if (c->verdict == ANALYSIS_REMOVE)
            n_remove++;
        else
            m->inconclusive_classes[m->n_inconclusive_classes++] = c->cls;
    }
    if (n_remove == m->n_classes)
        m->overall = ANALYSIS_REMOVE_ALL;
    else if (m->n_keep_classes == m->n_classes)
        m->overall = ANALYSIS_KEEP_ALL;
    else
        m->overall = ANALYSIS_SELECTIVE;
    return 0;
}

/* ---- warnings ------------------------------------------------------------------------- */

static int an_warn(an_build_t *b, const char *kind, const analysis_arm_t *arm, const char *scenario,
                   const char *backend, const char *message, const char *advice)
{
    analysis_model_t *m = b->m;
    if (AN_PUSH(m->warnings, m->n_warnings, b->cap_warn) != 0)
        return an_oom(b);
    analysis_warning_t *w = &m->warnings[m->n_warnings++];
    memset(w, 0, sizeof *w);
    w->kind = kind;
    if (arm) {
        an_copy(w->scenario, sizeof w->scenario, arm->scenario);
        an_copy(w->backend, sizeof w->backend, arm->backend);
        an_copy(w->policy, sizeof w->policy, arm->policy);
        an_copy(w->variant, sizeof w->variant, arm->variant);
    } else {
        an_copy(w->scenario, sizeof w->scenario, scenario);
        an_copy(w->backend, sizeof w->backend, backend);
    }
    an_copy(w->message, sizeof w->message, message);
    an_copy(w->advice, sizeof w->advice, advice);
    return 0;
}

static int an_dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int an_warnings(an_build_t *b)
{
    analysis_model_t *m = b->m;
    const thresholds_t *th = &m->th;
    const journal_t *j = m->journal;
    char msg[ANALYSIS_TEXT_BYTES], adv[ANALYSIS_TEXT_BYTES];
    if (j->truncated_line) {
        snprintf(msg, sizeof msg, "the journal ends with a partial line (line %d), skipped",
                 j->truncated_line);
        if (an_warn(b, "truncated_journal", NULL, "", "", msg,
                    "the run was interrupted: `poolbench run --resume DIR` completes it") != 0)
            return -1;
    }
    if (j->n_duplicates) {
        snprintf(msg, sizeof msg, "%zu duplicate cell line(s) ignored (first one kept)",
                 j->n_duplicates);
        if (an_warn(b, "duplicate_cells", NULL, "", "", msg,
                    "merged shards overlapped; check the --shard K/N arguments") != 0)
            return -1;
    }
    if (j->n_corrections) {
        snprintf(msg, sizeof msg, "%zu cell(s) were corrected to wrong_result by the "
                 "cross-check of results", j->n_corrections);
        if (an_warn(b, "wrong_result", NULL, "", "", msg,
                    "a kernel returned a different digest on some backend/policy: a "
                    "correctness bug to fix before trusting any timing") != 0)
            return -1;
    }
    /* disqualified scenario x backend pairs */
    for (size_t i = 0; i < m->n_failed; i++) {
        const analysis_failed_t *f = &m->failed[i];
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            if (strcmp(m->failed[k].scenario, f->scenario) == 0 &&
                strcmp(m->failed[k].backend, f->backend) == 0)
                first = 0;
        if (!first)
            continue;
        size_t n = 0;
        for (size_t k = i; k < m->n_failed; k++)
            if (strcmp(m->failed[k].scenario, f->scenario) == 0 &&
                strcmp(m->failed[k].backend, f->backend) == 0)
                n++;
        snprintf(msg, sizeof msg, "backend %s is disqualified in scenario %s: %zu failed "
                 "cell(s), first policy %s rep %lld status %s",
                 f->backend, f->scenario, n, f->policy, f->rep, f->status);
        snprintf(adv, sizeof adv, "read the failed cells' stderr in results.jsonl (key %.16s...), "
                 "fix the cause and rerun with --resume; no verdict is given for this backend "
                 "here", f->key ? f->key : "?");
        if (an_warn(b, "disqualified", NULL, f->scenario, f->backend, msg, adv) != 0)
            return -1;
    }
    /* per arm */
    double *rel = calloc(m->n_arms ? m->n_arms : 1, sizeof *rel);
    if (!rel)
        return an_oom(b);
    size_t n_rel = 0;
    for (size_t i = 0; i < m->n_arms; i++) {
        const analysis_arm_t *a = &m->arms[i];
        if (a->n_cells == 0)
            continue;
        analysis_metric_t tm = analysis_time_metric(a);
        const analysis_arm_stat_t *s = &a->stat[tm];
        if (a->n_cells < th->min_samples_per_arm) {
            snprintf(msg, sizeof msg, "%zu ok sample(s), fewer than %llu: no claim is made",
                     a->n_cells, (unsigned long long)th->min_samples_per_arm);
            snprintf(adv, sizeof adv, "rerun with more repetitions (--repetitions %llu or more)",
                     (unsigned long long)(th->min_samples_per_arm * 2));
            if (an_warn(b, "too_few_samples", a, NULL, NULL, msg, adv) != 0)
                goto oom;
        }
        if (s->n >= 2 && s->median > 0) {
            double r = s->mad / s->median;
            rel[n_rel++] = r;
            if (r * 100.0 > th->high_spread_percent) {
                snprintf(msg, sizeof msg, "%s spread MAD/median = %.1f %% (> %.0f %%)",
                         analysis_metric_name(tm), 100.0 * r, th->high_spread_percent);
                if (an_warn(b, "high_spread", a, NULL, NULL, msg,
                            "quiesce the machine (no other jobs, performance CPU governor, "
                            "fixed frequency) or add repetitions") != 0)
                    goto oom;
            }
        }
        if (s->n >= 5) {
            stats_outliers_t o;
            int rc = stats_outliers(a->samples[tm], s->n, &o);
            if (rc == STATS_ENOMEM)
                goto oom;
            if (rc == STATS_OK && o.tukey_low_count + o.tukey_high_count > 0) {
                snprintf(msg, sizeof msg, "%zu Tukey outlier(s) in %s (%zu low, %zu high, %zu "
                         "extreme) among %zu samples",
                         o.tukey_low_count + o.tukey_high_count, analysis_metric_name(tm),
                         o.tukey_low_count, o.tukey_high_count, o.tukey_extreme_count, s->n);
                if (an_warn(b, "outliers", a, NULL, NULL, msg,
                            "medians and rank tests are robust to a few; many suggest "
                            "interference (other processes, frequency scaling): rerun") != 0)
                    goto oom;
            }
        }
        if (a->counts_deterministic) {
            static const analysis_metric_t counts[] = {ANALYSIS_M_alloc_calls,
                                                       ANALYSIS_M_pool_cycles};
            for (size_t k = 0; k < 2; k++) {
                const analysis_arm_stat_t *cs = &a->stat[counts[k]];
                if (cs->n >= 2 && !cs->constant) {
                    snprintf(msg, sizeof msg, "%s varies between runs (%.0f to %.0f) although "
                             "the kernel is single-threaded", analysis_metric_name(counts[k]),
                             cs->min, cs->max);
                    if (an_warn(b, "count_varies", a, NULL, NULL, msg,
                                "look for nondeterminism (time-triggered pool cleanup, "
                                "environment, uninitialised state); the comparison falls back "
                                "to rank statistics and is flagged count_varies") != 0)
                        goto oom;
                }
            }
        }
    }
    for (size_t i = 0; i < m->n_comparisons; i++) {
        const analysis_comparison_t *c = &m->comparisons[i];
        if (!c->note || strcmp(c->note, "both arms are 0: no difference") == 0)
            continue;
        const analysis_arm_t *B = &m->arms[c->arm_b];
        snprintf(msg, sizeof msg, "%s: %s", c->metric_name, c->note);
        if (an_warn(b, "degenerate", B, NULL, NULL, msg,
                    "a ratio needs a non-zero baseline; read the medians instead") != 0)
            goto oom;
    }
    if (n_rel >= 3) {
        qsort(rel, n_rel, sizeof *rel, an_dbl_cmp);
        double med = (n_rel % 2) ? rel[n_rel / 2] : (rel[n_rel / 2 - 1] + rel[n_rel / 2]) / 2;
        if (med * 100.0 > th->noisy_machine_percent) {
            snprintf(msg, sizeof msg, "noisy machine: the typical arm's time spread (median "
                     "MAD/median over %zu arms) is %.1f %% (> %.0f %%)", n_rel, 100.0 * med,
                     th->noisy_machine_percent);
            if (an_warn(b, "noisy_machine", NULL, "", "", msg,
                        "run `poolbench calibrate` to measure the A/A false-alarm rate and the "
                        "smallest detectable difference here; quiesce the machine") != 0)
                goto oom;
        }
    }
    free(rel);
    return 0;
oom:
    free(rel);
    if (b->err[0] == '\0')
        an_oom(b);
    return -1;
}

/* ---- pool_code_lines from the context ------------------------------------------------ */

static long long an_find_int(json_object *o, const char *key, int depth)
{
    if (!o || depth > 3 || !json_object_is_type(o, json_type_object))
        return -1;
    json_object *v;
    if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int))
        return (long long)json_object_get_int64(v);
    json_object_object_foreach(o, k, child)
    {
        (void)k;
        long long r = an_find_int(child, key, depth + 1);
        if (r >= 0)
            return r;
    }
    return -1;
}

/* ---- public ----------------------------------------------------------------------------- */

int analysis_build(const journal_t *j, const thresholds_t *th, analysis_model_t *out,
                   char err[ANALYSIS_ERR_BYTES])
{
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    out->journal = j;
    out->context = j->context;
    if (th)
        out->th = *th;
    else
        thresholds_default(&out->th);
    out->pool_code_lines = an_find_int(j->context, "pool_code_lines", 0);
    an_build_t b = {.m = out, .err = err};
    if (an_collect(&b) != 0 || an_comparisons(&b) != 0 || an_allocator_vs_pool(&b) != 0 ||
        an_zeroing(&b) != 0 || an_holm(&b) != 0 || an_decide(&b) != 0 || an_warnings(&b) != 0) {
        analysis_free(out);
        out->journal = j;
        return -1;
    }
    /* answers of allocator_vs_pool need the adjusted p-values */
    double margin = thresholds_equivalence_margin(&out->th);
    for (size_t i = 0; i < out->n_avp; i++) {
        analysis_avp_t *r = &out->avp[i];
        const analysis_arm_t *X = &out->arms[r->arm_b];
        const analysis_arm_t *G = &out->arms[r->arm_a];
        if (an_scenario_backend_failed(out, X->scenario, X->backend) ||
            an_scenario_backend_failed(out, G->scenario, G->backend))
            r->answer = "disqualified";
        else if (r->n_a < out->th.min_samples_per_arm || r->n_b < out->th.min_samples_per_arm)
            r->answer = "too_few_samples";
        else if (stats_equivalence(r->ci_lo, r->ci_hi, margin))
            r->answer = "matches";
        else if (!isnan(r->p_adjusted) && r->p_adjusted < out->th.alpha && r->ci_hi < 1.0)
            r->answer = "faster";
        else if (!isnan(r->p_adjusted) && r->p_adjusted < out->th.alpha && r->ci_lo > 1.0)
            r->answer = "slower";
        else
            r->answer = "unclear";
    }
    return 0;
}

void analysis_free(analysis_model_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_arms; i++) {
        free(m->arms[i].cells);
        for (int k = 0; k < ANALYSIS_METRIC_COUNT; k++)
            free(m->arms[i].samples[k]);
    }
    free(m->arms);
    free(m->failed);
    free(m->comparisons);
    for (size_t i = 0; i < m->n_verdicts; i++) {
        free(m->verdicts[i].comparisons);
        free(m->verdicts[i].failed);
    }
    free(m->verdicts);
    free(m->classes);
    free(m->keep_classes);
    free(m->inconclusive_classes);
    free(m->avp);
    free(m->zeroing);
    free(m->warnings);
    memset(m, 0, sizeof *m);
}
