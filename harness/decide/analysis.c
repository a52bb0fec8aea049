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

const char *analysis_metric_name(analysis_metric_t m)
{
    return arms_metric_name((arms_metric_t)m);
}

/* The report's time metric of a pair of arms (arms_pair_time_metric). */
static analysis_metric_t an_pair_time_metric(const analysis_arm_t *a, const analysis_arm_t *b)
{
    return (analysis_metric_t)arms_pair_time_metric(a, b);
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

static int an_is_single_class(const char *policy)
{
    return strcmp(policy, "none") != 0 && strcmp(policy, "all") != 0 && !strchr(policy, '+') &&
           !strchr(policy, ',') && policy[0] != '\0';
}

/* ---- arms ----------------------------------------------------------------------------- */

typedef struct an_build {
    analysis_model_t *m;
    size_t cap_cmp, cap_verdicts, cap_classes, cap_avp, cap_zero, cap_warn;
    char *err;
} an_build_t;

static int an_oom(an_build_t *b)
{
    snprintf(b->err, ANALYSIS_ERR_BYTES, "out of memory");
    return -1;
}

/* The report's arms (arms.h): time is the journal's integer ns_per_op (issue 8 will make
 * the report exact too); an arm's cells in repetition order, so the bootstrap does not
 * depend on the run's shuffle. Then the failed cells, in journal order. */
static int an_collect(an_build_t *b)
{
    analysis_model_t *m = b->m;
    const arms_options_t opt = {.time = ARMS_TIME_JOURNAL_NS_PER_OP,
                                .order = ARMS_ORDER_REPETITION,
                                .confidence_level = m->th.confidence_level,
                                .scenarios = NULL,
                                .skip_unnamed = false};
    if (arms_collect(m->journal, &opt, &m->arm_model) != 0)
        return an_oom(b);
    m->arms = m->arm_model.arms;
    m->n_arms = m->arm_model.n_arms;
    if (m->arm_model.n_failed == 0)
        return 0;
    m->failed = calloc(m->arm_model.n_failed, sizeof *m->failed);
    if (!m->failed)
        return an_oom(b);
    for (size_t i = 0; i < m->arm_model.n_failed; i++) {
        const arms_failed_t *src = &m->arm_model.failed[i];
        const analysis_arm_t *arm = &m->arms[src->arm];
        const char *status = journal_str(src->cell, "status");
        m->failed[m->n_failed++] = (analysis_failed_t){
            .cell = src->cell, .arm = src->arm, .scenario = arm->scenario,
            .backend = arm->backend, .policy = arm->policy, .variant = arm->variant,
            .status = status ? status : "missing", .key = journal_str(src->cell, "key"),
            .rep = journal_int(src->cell, "rep", -1)};
    }
    return 0;
}

/* ---- comparisons ---------------------------------------------------------------------- */

/* Compares two samples with the report's bootstrap settings (arms_compare). Returns 0 or
 * -1 (out of memory). */
static int an_two_sample(const analysis_model_t *m, const double *a, size_t na, const double *b,
                         size_t nb, bool exact_when_constant, arms_comparison_t *out)
{
    const arms_compare_options_t opt = {.confidence_level = m->th.confidence_level,
                                        .resamples = (size_t)m->th.bootstrap_resamples,
                                        .seed = m->th.bootstrap_seed,
                                        .exact_when_constant = exact_when_constant};
    return arms_compare(a, na, b, nb, &opt, out);
}

/* The fields of a statistical comparison as the report keeps them: ratio of medians (NAN
 * if undefined), bootstrap CI (NAN when none), Mann-Whitney U and p (NAN when none), and
 * why there is no interval (note may be NULL). */
static void an_statistical_fields(const arms_comparison_t *r, double *ratio, double *lo,
                                  double *hi, int *ci_status, double *u1, double *p,
                                  const char **mwu_method, const char **note)
{
    *ratio = r->ratio;
    *lo = *hi = *u1 = *p = NAN;
    *mwu_method = NULL;
    *ci_status = r->ci_status;
    if (r->n_a == 0 || r->n_b == 0)
        return;
    if (r->mwu_status == STATS_OK) {
        *u1 = r->mwu.u1;
        *p = r->mwu.p;
        *mwu_method = r->mwu.exact ? "exact" : "asymptotic";
    }
    if (r->ci_status == STATS_OK) {
        *lo = r->ci.lo;
        *hi = r->ci.hi;
    } else if (note) {
        *note = r->median_a == 0 ? "baseline median is 0: ratio undefined"
                : (r->n_a < 2 || r->n_b < 2) ? "fewer than 2 samples: no bootstrap interval"
                                             : "a bootstrap resample has median 0: no interval";
    }
}

/* Compares metric mi of arm ia (policy none) with arm ib (pooling class cls): exact when
 * both arms are constant, else statistical. */
static int an_compare(an_build_t *b, size_t ia, size_t ib, const char *cls, analysis_metric_t mi)
{
    analysis_model_t *m = b->m;
    const analysis_arm_t *none_arm = &m->arms[ia], *class_arm = &m->arms[ib];
    size_t na = none_arm->stat[mi].n, nb = class_arm->stat[mi].n;
    if (na == 0 || nb == 0)
        return 0;
    arms_comparison_t r;
    if (an_two_sample(m, none_arm->samples[mi], na, class_arm->samples[mi], nb, true, &r) != 0 ||
        AN_PUSH(m->comparisons, m->n_comparisons, b->cap_cmp) != 0)
        return an_oom(b);
    analysis_comparison_t *c = &m->comparisons[m->n_comparisons];
    memset(c, 0, sizeof *c);
    c->scenario = none_arm->scenario;
    c->backend = none_arm->backend;
    c->variant = none_arm->variant;
    an_copy(c->cls, sizeof c->cls, cls);
    c->metric = mi;
    c->metric_name = analysis_metric_name(mi);
    c->group = an_group(mi);
    c->arm_a = ia;
    c->arm_b = ib;
    c->n_a = na;
    c->n_b = nb;
    c->median_a = none_arm->stat[mi].median;
    c->median_b = class_arm->stat[mi].median;
    c->p_value = c->p_adjusted = c->u1 = NAN;
    c->deterministic_expected = strcmp(c->group, "pressure") == 0 &&
                                none_arm->counts_deterministic && class_arm->counts_deterministic;
    if (r.method == ARMS_METHOD_EXACT) {
        c->method = ANALYSIS_METHOD_EXACT;
        c->method_name = "exact";
        c->ci_status = r.ci_status;
        c->ratio = c->ci_lo = c->ci_hi = r.ratio;
        if (c->median_a == 0)
            c->note = c->median_b == 0 ? "both arms are 0: no difference"
                                       : "baseline is 0 and the pooled arm is not";
    } else {
        c->method = ANALYSIS_METHOD_MWU;
        c->method_name = "mannwhitneyu";
        c->count_varies = c->deterministic_expected;
        an_statistical_fields(&r, &c->ratio, &c->ci_lo, &c->ci_hi, &c->ci_status, &c->u1,
                              &c->p_value, &c->mwu_method, &c->note);
    }
    m->n_comparisons++;
    return 0;
}

static const analysis_metric_t an_cmp_metrics[] = {
    ANALYSIS_M_ns_per_op, ANALYSIS_M_peak_live_bytes, ANALYSIS_M_max_rss_bytes,
    ANALYSIS_M_alloc_calls, ANALYSIS_M_pool_cycles,
};
#define AN_N_CMP_METRICS (sizeof an_cmp_metrics / sizeof an_cmp_metrics[0])

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

/* One verdict shell for (none arm, class arm), with its comparisons filled in. */
static int an_verdict_shell(an_build_t *b, size_t i_none, size_t i_class)
{
    analysis_model_t *m = b->m;
    const analysis_arm_t *none_arm = &m->arms[i_none], *class_arm = &m->arms[i_class];
    if (AN_PUSH(m->verdicts, m->n_verdicts, b->cap_verdicts) != 0)
        return an_oom(b);
    analysis_verdict_t *v = &m->verdicts[m->n_verdicts];
    memset(v, 0, sizeof *v);
    v->scenario = none_arm->scenario;
    v->backend = none_arm->backend;
    v->variant = none_arm->variant;
    an_copy(v->cls, sizeof v->cls, class_arm->policy);
    v->n_a = none_arm->n_cells;
    v->n_b = class_arm->n_cells;
    v->metric = -1;
    v->ratio = v->ci_lo = v->ci_hi = v->p_adjusted = v->threshold = NAN;
    size_t first = m->n_comparisons;
    for (size_t k = 0; k < AN_N_CMP_METRICS; k++) {
        analysis_metric_t mi = an_cmp_metrics[k];
        if (mi == ANALYSIS_M_ns_per_op)
            mi = an_pair_time_metric(none_arm, class_arm);
        if (an_compare(b, i_none, i_class, class_arm->policy, mi) != 0)
            return -1;
    }
    v->n_comparisons = m->n_comparisons - first;
    if (v->n_comparisons) {
        v->comparisons = calloc(v->n_comparisons, sizeof *v->comparisons);
        if (!v->comparisons)
            return an_oom(b);
        for (size_t k = 0; k < v->n_comparisons; k++)
            v->comparisons[k] = first + k;
    }
    m->n_verdicts++;
    return 0;
}

/* Verdict shells: one per (none arm, class arm) of a scenario x backend x variant; the
 * class arms are the single-class policies, or policy "all" where there is none. */
static int an_comparisons(an_build_t *b)
{
    analysis_model_t *m = b->m;
    for (size_t i_none = 0; i_none < m->n_arms; i_none++) {
        const analysis_arm_t *none_arm = &m->arms[i_none];
        if (strcmp(none_arm->policy, "none") != 0)
            continue;
        int have_single = 0;
        for (size_t k = 0; k < m->n_arms; k++)
            if (an_same_group(none_arm, &m->arms[k]) && an_is_single_class(m->arms[k].policy))
                have_single = 1;
        for (size_t i_class = 0; i_class < m->n_arms; i_class++) {
            const analysis_arm_t *class_arm = &m->arms[i_class];
            if (i_class == i_none || !an_same_group(none_arm, class_arm))
                continue;
            if (have_single ? !an_is_single_class(class_arm->policy)
                            : strcmp(class_arm->policy, "all") != 0)
                continue;
            if (an_verdict_shell(b, i_none, i_class) != 0)
                return -1;
        }
    }
    return 0;
}

/* ---- allocator_vs_pool and zeroing_cost ---------------------------------------------- */

/* Is arm ref_pooled the reference backend's pooled arm of its scenario x variant: policy
 * "all", else its only policy other than "none"? */
static int an_is_reference_pooled(const analysis_model_t *m, const analysis_arm_t *ref_pooled)
{
    const char *ref = m->th.reference_backend;
    if (strcmp(ref_pooled->backend, ref) != 0 || strcmp(ref_pooled->policy, "none") == 0)
        return 0;
    if (strcmp(ref_pooled->policy, "all") == 0)
        return 1;
    if (arms_find(&m->arm_model, ref_pooled->scenario, ref, "all", ref_pooled->variant) >= 0)
        return 0;
    int pooled_policies = 0;
    for (size_t k = 0; k < m->n_arms; k++)
        if (an_same_group(ref_pooled, &m->arms[k]) && strcmp(m->arms[k].policy, "none") != 0)
            pooled_policies++;
    return pooled_policies == 1;
}

/* a = the reference backend's pooled arm, b = another backend's "none" arm; time. */
static int an_allocator_vs_pool_one(an_build_t *b, size_t i_ref_pooled, size_t i_other_none)
{
    analysis_model_t *m = b->m;
    const analysis_arm_t *ref_pooled = &m->arms[i_ref_pooled];
    const analysis_arm_t *other_none = &m->arms[i_other_none];
    analysis_metric_t mi = an_pair_time_metric(ref_pooled, other_none);
    if (AN_PUSH(m->avp, m->n_avp, b->cap_avp) != 0)
        return an_oom(b);
    analysis_avp_t *r = &m->avp[m->n_avp];
    memset(r, 0, sizeof *r);
    r->scenario = ref_pooled->scenario;
    r->variant = ref_pooled->variant;
    r->backend = other_none->backend;
    r->arm_a = i_ref_pooled;
    r->arm_b = i_other_none;
    r->metric = mi;
    r->n_a = ref_pooled->stat[mi].n;
    r->n_b = other_none->stat[mi].n;
    r->median_a = ref_pooled->stat[mi].median;
    r->median_b = other_none->stat[mi].median;
    r->p_adjusted = NAN;
    arms_comparison_t cmp;
    int ci_status;
    if (an_two_sample(m, ref_pooled->samples[mi], r->n_a, other_none->samples[mi], r->n_b,
                      false, &cmp) != 0)
        return an_oom(b);
    an_statistical_fields(&cmp, &r->ratio, &r->ci_lo, &r->ci_hi, &ci_status, &r->u1,
                          &r->p_value, &r->mwu_method, NULL);
    m->n_avp++;
    return 0;
}

static int an_allocator_vs_pool(an_build_t *b)
{
    analysis_model_t *m = b->m;
    const char *ref = m->th.reference_backend;
    for (size_t i_ref = 0; i_ref < m->n_arms; i_ref++) {
        const analysis_arm_t *ref_pooled = &m->arms[i_ref];
        if (!an_is_reference_pooled(m, ref_pooled))
            continue;
        for (size_t i_other = 0; i_other < m->n_arms; i_other++) {
            const analysis_arm_t *other_none = &m->arms[i_other];
            if (strcmp(other_none->policy, "none") != 0 || strcmp(other_none->backend, ref) == 0 ||
                strcmp(other_none->scenario, ref_pooled->scenario) != 0 ||
                strcmp(other_none->variant, ref_pooled->variant) != 0)
                continue;
            if (an_allocator_vs_pool_one(b, i_ref, i_other) != 0)
                return -1;
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

/* a = the pooled arm with zero_on_put=off, b = the same arm with zero_on_put=on; time. */
static int an_zeroing_one(an_build_t *b, size_t i_zero_off, size_t i_zero_on)
{
    analysis_model_t *m = b->m;
    const analysis_arm_t *zero_off = &m->arms[i_zero_off], *zero_on = &m->arms[i_zero_on];
    analysis_metric_t mi = an_pair_time_metric(zero_off, zero_on);
    if (AN_PUSH(m->zeroing, m->n_zeroing, b->cap_zero) != 0)
        return an_oom(b);
    analysis_zeroing_t *z = &m->zeroing[m->n_zeroing];
    memset(z, 0, sizeof *z);
    z->scenario = zero_on->scenario;
    z->backend = zero_on->backend;
    z->policy = zero_on->policy;
    an_variant_without(zero_on->variant, "zero_on_put=on", z->variant, sizeof z->variant);
    z->arm_a = i_zero_off;
    z->arm_b = i_zero_on;
    z->metric = mi;
    z->n_a = zero_off->stat[mi].n;
    z->n_b = zero_on->stat[mi].n;
    z->median_a = zero_off->stat[mi].median;
    z->median_b = zero_on->stat[mi].median;
    z->p_adjusted = NAN;
    arms_comparison_t cmp;
    int ci_status;
    if (an_two_sample(m, zero_off->samples[mi], z->n_a, zero_on->samples[mi], z->n_b, false,
                      &cmp) != 0)
        return an_oom(b);
    an_statistical_fields(&cmp, &z->ratio, &z->ci_lo, &z->ci_hi, &ci_status, &z->u1,
                          &z->p_value, &z->mwu_method, NULL);
    m->n_zeroing++;
    return 0;
}

static int an_zeroing(an_build_t *b)
{
    analysis_model_t *m = b->m;
    for (size_t i_on = 0; i_on < m->n_arms; i_on++) {
        const analysis_arm_t *zero_on = &m->arms[i_on];
        if (strcmp(zero_on->policy, "none") == 0 || !strstr(zero_on->variant, "zero_on_put=on"))
            continue;
        char off_variant[ANALYSIS_VARIANT_BYTES];
        const char *at = strstr(zero_on->variant, "zero_on_put=on");
        snprintf(off_variant, sizeof off_variant, "%.*szero_on_put=off%s",
                 (int)(at - zero_on->variant), zero_on->variant, at + strlen("zero_on_put=on"));
        long i_off = arms_find(&m->arm_model, zero_on->scenario, zero_on->backend,
                               zero_on->policy, off_variant);
        if (i_off >= 0 && an_zeroing_one(b, (size_t)i_off, i_on) != 0)
            return -1;
    }
    return 0;
}

/* ---- Holm over every p-value of the report ------------------------------------------- */

static int an_holm(an_build_t *b)
{
    analysis_model_t *m = b->m;
    arms_family_t family = {0};
    int rc = 0;
    for (size_t i = 0; i < m->n_comparisons && rc == 0; i++)
        rc = arms_family_add(&family, m->comparisons[i].p_value, &m->comparisons[i].p_adjusted);
    for (size_t i = 0; i < m->n_avp && rc == 0; i++)
        rc = arms_family_add(&family, m->avp[i].p_value, &m->avp[i].p_adjusted);
    for (size_t i = 0; i < m->n_zeroing && rc == 0; i++)
        rc = arms_family_add(&family, m->zeroing[i].p_value, &m->zeroing[i].p_adjusted);
    if (rc != 0) {
        arms_family_free(&family);
        return an_oom(b);
    }
    m->holm_family_size = family.n;
    rc = arms_family_adjust(&family);
    arms_family_free(&family);
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

/* Each rule of an_decide_one returns 1 when it fired (v filled), 0 when it did not, -1 on
 * out of memory. */

/* 0. DISQUALIFIED "failed_cells": the backend has failed cells in the scenario. */
static int an_rule_failed_cells(an_build_t *b, analysis_verdict_t *v)
{
    analysis_model_t *m = b->m;
    if (!an_scenario_backend_failed(m, v->scenario, v->backend))
        return 0;
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
    const analysis_failed_t *first = &m->failed[v->failed[0]];
    snprintf(v->detail, sizeof v->detail,
             "%zu failed cell(s) of backend %s in scenario %s (first: policy %s rep %lld "
             "status %s): its verdicts there are withheld",
             v->n_failed, v->backend, v->scenario, first->policy, first->rep, first->status);
    return 1;
}

/* 1. INCONCLUSIVE "too_few_samples" (either arm below min_samples_per_arm), or
 *    "no_data" (no comparison with a defined ratio). */
static int an_rule_no_claim(const analysis_model_t *m, analysis_verdict_t *v)
{
    const thresholds_t *th = &m->th;
    if (v->n_a < th->min_samples_per_arm || v->n_b < th->min_samples_per_arm) {
        v->verdict = ANALYSIS_INCONCLUSIVE;
        v->rule = "too_few_samples";
        v->threshold = (double)th->min_samples_per_arm;
        v->reps_needed = (size_t)th->min_samples_per_arm;
        snprintf(v->detail, sizeof v->detail,
                 "%zu (none) and %zu (%s) ok samples; at least %llu per arm are needed for "
                 "any claim", v->n_a, v->n_b, v->cls,
                 (unsigned long long)th->min_samples_per_arm);
        return 1;
    }
    for (size_t k = 0; k < v->n_comparisons; k++)
        if (an_usable(&m->comparisons[v->comparisons[k]]))
            return 0;
    v->verdict = ANALYSIS_INCONCLUSIVE;
    v->rule = "no_data";
    snprintf(v->detail, sizeof v->detail, "no metric with a defined ratio in both arms");
    return 1;
}

/* Is another usable comparison of v than `except` significantly worse past worse_t? */
static int an_blocked(const analysis_model_t *m, const analysis_verdict_t *v, size_t except,
                      double worse_t)
{
    for (size_t o = 0; o < v->n_comparisons; o++) {
        const analysis_comparison_t *other = &m->comparisons[v->comparisons[o]];
        if (o != except && an_usable(other) && an_worse_than(m, other, worse_t))
            return 1;
    }
    return 0;
}

/* 2. KEEP: a significant comparison whose whole CI is below its KEEP limit, with no
 *    other metric significantly worse by more than the tolerance. */
static int an_rule_keep(const analysis_model_t *m, analysis_verdict_t *v)
{
    const thresholds_t *th = &m->th;
    double worse_t = thresholds_worse_ratio(th);
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &m->comparisons[v->comparisons[k]];
        double limit = an_keep_limit(m, c);
        if (!an_usable(c) || isnan(c->ci_hi) || !(c->ci_hi < limit) || !an_significant(m, c))
            continue;
        if (an_blocked(m, v, k, worse_t))
            continue;
        v->verdict = ANALYSIS_KEEP;
        v->rule = strcmp(c->group, "time") == 0     ? "speedup"
                  : strcmp(c->group, "memory") == 0 ? "peak_memory"
                                                    : "pressure";
        an_numbers(v, c, limit);
        char pbuf[48];
        an_fmt_p(pbuf, sizeof pbuf, c);
        snprintf(v->detail, sizeof v->detail,
                 "%s ratio %.3f, CI [%.3f, %.3f] entirely below %.3f (%s); no other metric "
                 "significantly worse by more than %.0f %%",
                 c->metric_name, c->ratio, c->ci_lo, c->ci_hi, limit, pbuf,
                 th->worse_tolerance_percent);
        return 1;
    }
    return 0;
}

/* 3. REMOVE "worse": a time or memory metric significantly worse past the margin. */
static int an_rule_worse(const analysis_model_t *m, analysis_verdict_t *v)
{
    const thresholds_t *th = &m->th;
    double worse_limit = 1.0 + thresholds_equivalence_margin(th);
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &m->comparisons[v->comparisons[k]];
        if (!an_usable(c) || strcmp(c->group, "pressure") == 0 ||
            !an_worse_than(m, c, worse_limit))
            continue;
        v->verdict = ANALYSIS_REMOVE;
        v->rule = "worse";
        an_numbers(v, c, worse_limit);
        char pbuf[48];
        an_fmt_p(pbuf, sizeof pbuf, c);
        snprintf(v->detail, sizeof v->detail,
                 "the pool is significantly worse: %s ratio %.3f, CI [%.3f, %.3f] above %.3f "
                 "(%s < alpha %.3g)",
                 c->metric_name, c->ratio, c->ci_lo, c->ci_hi, worse_limit, pbuf, th->alpha);
        return 1;
    }
    return 0;
}

/* 4. REMOVE "equivalence": every usable comparison's CI within +-margin. */
static int an_rule_equivalence(const analysis_model_t *m, analysis_verdict_t *v)
{
    const thresholds_t *th = &m->th;
    const analysis_comparison_t *widest = NULL;
    double widest_deviation = -1;
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &m->comparisons[v->comparisons[k]];
        if (!an_usable(c))
            continue;
        if (!an_equivalent(m, c))
            return 0;
        double deviation = fmax(fabs(c->ci_lo - 1.0), fabs(c->ci_hi - 1.0));
        if (deviation > widest_deviation) {
            widest_deviation = deviation;
            widest = c;
        }
    }
    if (!widest)
        return 0;
    v->verdict = ANALYSIS_REMOVE;
    v->rule = "equivalence";
    an_numbers(v, widest, thresholds_equivalence_margin(th));
    snprintf(v->detail, sizeof v->detail,
             "every metric's CI lies within +-%.0f %%; the widest is %s, CI [%.3f, %.3f]",
             th->equivalence_percent, widest->metric_name, widest->ci_lo, widest->ci_hi);
    return 1;
}

/* Repetitions per arm that would likely settle one unsettled statistical comparison (0:
 * settled, exact, or no estimate): the smaller non-zero stats_reps_needed estimate; for
 * a significant improvement whose CI straddles the KEEP limit, the equivalence formula
 * with margin |r-1| + |r-limit| (reps until the CI clears the limit). Returns 0 or -1. */
static int an_reps_to_settle(an_build_t *b, const analysis_comparison_t *c, size_t *reps)
{
    const analysis_model_t *m = b->m;
    double equivalence_margin = thresholds_equivalence_margin(&m->th);
    double limit = an_keep_limit(m, c), reps_margin = equivalence_margin;
    *reps = 0;
    if (!an_usable(c) || c->method == ANALYSIS_METHOD_EXACT || an_equivalent(m, c))
        return 0;
    if (an_significant(m, c)) {
        if (!(c->ratio < 1.0) || isnan(c->ci_lo) || isnan(c->ci_hi) ||
            !(c->ci_lo <= limit && limit <= c->ci_hi))
            return 0;
        reps_margin = fabs(c->ratio - 1.0) + fabs(c->ratio - limit);
        if (!(reps_margin > 0))
            return 0;
    }
    const analysis_arm_t *none_arm = &m->arms[c->arm_a], *class_arm = &m->arms[c->arm_b];
    stats_reps_t r;
    int rc = stats_reps_needed(none_arm->samples[c->metric], c->n_a,
                               class_arm->samples[c->metric], c->n_b, reps_margin, &r);
    if (rc == STATS_ENOMEM)
        return an_oom(b);
    if (rc != STATS_OK)
        return 0;
    if (reps_margin != equivalence_margin)
        *reps = r.equivalence_reps;
    else if (r.significance_reps && r.equivalence_reps)
        *reps = r.significance_reps < r.equivalence_reps ? r.significance_reps
                                                         : r.equivalence_reps;
    else
        *reps = r.significance_reps ? r.significance_reps : r.equivalence_reps;
    return 0;
}

/* 5. INCONCLUSIVE "undecided", with the repetitions that would likely settle it. */
static int an_rule_undecided(an_build_t *b, analysis_verdict_t *v)
{
    const analysis_model_t *m = b->m;
    const analysis_comparison_t *basis = NULL;
    for (size_t k = 0; k < v->n_comparisons && !basis; k++)
        if (an_usable(&m->comparisons[v->comparisons[k]]))
            basis = &m->comparisons[v->comparisons[k]];
    v->verdict = ANALYSIS_INCONCLUSIVE;
    v->rule = "undecided";
    size_t reps = 0;
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &m->comparisons[v->comparisons[k]];
        size_t candidate;
        if (an_reps_to_settle(b, c, &candidate) != 0)
            return -1;
        if (candidate > reps) {
            reps = candidate;
            basis = c;
        }
    }
    size_t have = v->n_a > v->n_b ? v->n_a : v->n_b;
    if (reps > 0 && reps <= have)
        reps = 2 * have;
    v->reps_needed = reps;
    an_numbers(v, basis, an_keep_limit(m, basis));
    char pbuf[48];
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
    return 1;
}

/* The verdict of one scenario x backend x variant x class: the first rule that fires. */
static int an_decide_one(an_build_t *b, analysis_verdict_t *v)
{
    int fired = an_rule_failed_cells(b, v);
    if (fired == 0)
        fired = an_rule_no_claim(b->m, v);
    if (fired == 0)
        fired = an_rule_keep(b->m, v);
    if (fired == 0)
        fired = an_rule_worse(b->m, v);
    if (fired == 0)
        fired = an_rule_equivalence(b->m, v);
    if (fired == 0)
        fired = an_rule_undecided(b, v);
    return fired < 0 ? -1 : 0;
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

/* A class verdict from its basis (the reference backend's verdicts for the class when it
 * has any, else every backend's). */
static void an_class_verdict(const analysis_model_t *m, analysis_class_verdict_t *c)
{
    const char *ref = m->th.reference_backend;
    int ref_has = 0;
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (strcmp(m->verdicts[i].cls, c->cls) == 0 && strcmp(m->verdicts[i].backend, ref) == 0)
            ref_has = 1;
    an_copy(c->basis, sizeof c->basis, ref_has ? ref : "all backends");
    size_t total = 0;
    for (size_t i = 0; i < m->n_verdicts; i++) {
        const analysis_verdict_t *v = &m->verdicts[i];
        if (strcmp(v->cls, c->cls) != 0 || (ref_has && strcmp(v->backend, ref) != 0))
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

/* The overall answer and the lists of KEEP and INCONCLUSIVE classes. */
static int an_overall(an_build_t *b)
{
    analysis_model_t *m = b->m;
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

static int an_decide(an_build_t *b)
{
    analysis_model_t *m = b->m;
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (an_decide_one(b, &m->verdicts[i]) != 0)
            return -1;
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (an_class_index(b, m->verdicts[i].cls) < 0)
            return an_oom(b);
    for (size_t ci = 0; ci < m->n_classes; ci++)
        an_class_verdict(m, &m->classes[ci]);
    return an_overall(b);
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

/* Warnings about the journal itself: a partial last line, duplicates, corrections. */
static int an_warn_journal(an_build_t *b)
{
    const journal_t *j = b->m->journal;
    char msg[ANALYSIS_TEXT_BYTES];
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
    return 0;
}

static int an_same_failed_pair(const analysis_failed_t *x, const analysis_failed_t *y)
{
    return strcmp(x->scenario, y->scenario) == 0 && strcmp(x->backend, y->backend) == 0;
}

/* One warning per disqualified scenario x backend pair (at its first failed cell). */
static int an_warn_disqualified(an_build_t *b)
{
    const analysis_model_t *m = b->m;
    char msg[ANALYSIS_TEXT_BYTES], adv[ANALYSIS_TEXT_BYTES];
    for (size_t i = 0; i < m->n_failed; i++) {
        const analysis_failed_t *f = &m->failed[i];
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            if (an_same_failed_pair(&m->failed[k], f))
                first = 0;
        if (!first)
            continue;
        size_t n = 0;
        for (size_t k = i; k < m->n_failed; k++)
            if (an_same_failed_pair(&m->failed[k], f))
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
    return 0;
}

/* count_varies: a count expected deterministic that varies between the arm's runs. */
static int an_warn_count_varies(an_build_t *b, const analysis_arm_t *a)
{
    static const analysis_metric_t counts[] = {ANALYSIS_M_alloc_calls, ANALYSIS_M_pool_cycles};
    char msg[ANALYSIS_TEXT_BYTES];
    if (!a->counts_deterministic)
        return 0;
    for (size_t k = 0; k < 2; k++) {
        const analysis_arm_stat_t *cs = &a->stat[counts[k]];
        if (cs->n < 2 || cs->constant)
            continue;
        snprintf(msg, sizeof msg, "%s varies between runs (%.0f to %.0f) although "
                 "the kernel is single-threaded", analysis_metric_name(counts[k]),
                 cs->min, cs->max);
        if (an_warn(b, "count_varies", a, NULL, NULL, msg,
                    "look for nondeterminism (time-triggered pool cleanup, "
                    "environment, uninitialised state); the comparison falls back "
                    "to rank statistics and is flagged count_varies") != 0)
            return -1;
    }
    return 0;
}

/* Tukey outliers in the arm's time samples (5 or more samples). */
static int an_warn_outliers(an_build_t *b, const analysis_arm_t *a)
{
    analysis_metric_t tm = (analysis_metric_t)a->time_metric;
    const analysis_arm_stat_t *s = &a->stat[tm];
    char msg[ANALYSIS_TEXT_BYTES];
    if (s->n < 5)
        return 0;
    stats_outliers_t o;
    int rc = stats_outliers(a->samples[tm], s->n, &o);
    if (rc == STATS_ENOMEM)
        return an_oom(b);
    if (rc != STATS_OK || o.tukey_low_count + o.tukey_high_count == 0)
        return 0;
    snprintf(msg, sizeof msg, "%zu Tukey outlier(s) in %s (%zu low, %zu high, %zu "
             "extreme) among %zu samples",
             o.tukey_low_count + o.tukey_high_count, analysis_metric_name(tm),
             o.tukey_low_count, o.tukey_high_count, o.tukey_extreme_count, s->n);
    return an_warn(b, "outliers", a, NULL, NULL, msg,
                   "medians and rank tests are robust to a few; many suggest "
                   "interference (other processes, frequency scaling): rerun");
}

/* Per-arm warnings: too few samples, high spread (its MAD/median goes into rel[]),
 * outliers, varying counts. */
static int an_warn_arm(an_build_t *b, const analysis_arm_t *a, double *rel, size_t *n_rel)
{
    const thresholds_t *th = &b->m->th;
    analysis_metric_t tm = (analysis_metric_t)a->time_metric;
    const analysis_arm_stat_t *s = &a->stat[tm];
    char msg[ANALYSIS_TEXT_BYTES], adv[ANALYSIS_TEXT_BYTES];
    if (a->n_cells < th->min_samples_per_arm) {
        snprintf(msg, sizeof msg, "%zu ok sample(s), fewer than %llu: no claim is made",
                 a->n_cells, (unsigned long long)th->min_samples_per_arm);
        snprintf(adv, sizeof adv, "rerun with more repetitions (--repetitions %llu or more)",
                 (unsigned long long)(th->min_samples_per_arm * 2));
        if (an_warn(b, "too_few_samples", a, NULL, NULL, msg, adv) != 0)
            return -1;
    }
    if (s->n >= 2 && s->median > 0) {
        double r = s->mad / s->median;
        rel[(*n_rel)++] = r;
        if (r * 100.0 > th->high_spread_percent) {
            snprintf(msg, sizeof msg, "%s spread MAD/median = %.1f %% (> %.0f %%)",
                     analysis_metric_name(tm), 100.0 * r, th->high_spread_percent);
            if (an_warn(b, "high_spread", a, NULL, NULL, msg,
                        "quiesce the machine (no other jobs, performance CPU governor, "
                        "fixed frequency) or add repetitions") != 0)
                return -1;
        }
    }
    if (an_warn_outliers(b, a) != 0)
        return -1;
    return an_warn_count_varies(b, a);
}

/* degenerate: comparisons without a ratio or interval (a zero baseline). */
static int an_warn_degenerate(an_build_t *b)
{
    const analysis_model_t *m = b->m;
    char msg[ANALYSIS_TEXT_BYTES];
    for (size_t i = 0; i < m->n_comparisons; i++) {
        const analysis_comparison_t *c = &m->comparisons[i];
        if (!c->note || strcmp(c->note, "both arms are 0: no difference") == 0)
            continue;
        snprintf(msg, sizeof msg, "%s: %s", c->metric_name, c->note);
        if (an_warn(b, "degenerate", &m->arms[c->arm_b], NULL, NULL, msg,
                    "a ratio needs a non-zero baseline; read the medians instead") != 0)
            return -1;
    }
    return 0;
}

/* noisy_machine: the median over arms of the time spread MAD/median (3 arms or more). */
static int an_warn_noisy(an_build_t *b, double *rel, size_t n_rel)
{
    const thresholds_t *th = &b->m->th;
    char msg[ANALYSIS_TEXT_BYTES];
    if (n_rel < 3)
        return 0;
    qsort(rel, n_rel, sizeof *rel, an_dbl_cmp);
    double med = (n_rel % 2) ? rel[n_rel / 2] : (rel[n_rel / 2 - 1] + rel[n_rel / 2]) / 2;
    if (!(med * 100.0 > th->noisy_machine_percent))
        return 0;
    snprintf(msg, sizeof msg, "noisy machine: the typical arm's time spread (median "
             "MAD/median over %zu arms) is %.1f %% (> %.0f %%)", n_rel, 100.0 * med,
             th->noisy_machine_percent);
    return an_warn(b, "noisy_machine", NULL, "", "", msg,
                   "run `poolbench calibrate` to measure the A/A false-alarm rate and the "
                   "smallest detectable difference here; quiesce the machine");
}

static int an_warnings(an_build_t *b)
{
    analysis_model_t *m = b->m;
    if (an_warn_journal(b) != 0 || an_warn_disqualified(b) != 0)
        return -1;
    double *rel = calloc(m->n_arms ? m->n_arms : 1, sizeof *rel);
    if (!rel)
        return an_oom(b);
    size_t n_rel = 0;
    int rc = 0;
    for (size_t i = 0; i < m->n_arms && rc == 0; i++)
        if (m->arms[i].n_cells > 0)
            rc = an_warn_arm(b, &m->arms[i], rel, &n_rel);
    if (rc == 0)
        rc = an_warn_degenerate(b);
    if (rc == 0)
        rc = an_warn_noisy(b, rel, n_rel);
    free(rel);
    return rc;
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

/* The answers of allocator_vs_pool (they need the adjusted p-values). */
static void an_avp_answers(analysis_model_t *m)
{
    double margin = thresholds_equivalence_margin(&m->th);
    for (size_t i = 0; i < m->n_avp; i++) {
        analysis_avp_t *r = &m->avp[i];
        const analysis_arm_t *other_none = &m->arms[r->arm_b];
        const analysis_arm_t *ref_pooled = &m->arms[r->arm_a];
        int significant = !isnan(r->p_adjusted) && r->p_adjusted < m->th.alpha;
        if (an_scenario_backend_failed(m, other_none->scenario, other_none->backend) ||
            an_scenario_backend_failed(m, ref_pooled->scenario, ref_pooled->backend))
            r->answer = "disqualified";
        else if (r->n_a < m->th.min_samples_per_arm || r->n_b < m->th.min_samples_per_arm)
            r->answer = "too_few_samples";
        else if (stats_equivalence(r->ci_lo, r->ci_hi, margin))
            r->answer = "matches";
        else if (significant && r->ci_hi < 1.0)
            r->answer = "faster";
        else if (significant && r->ci_lo > 1.0)
            r->answer = "slower";
        else
            r->answer = "unclear";
    }
}

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
    an_avp_answers(out);
    return 0;
}

void analysis_free(analysis_model_t *m)
{
    if (!m)
        return;
    arms_free(&m->arm_model);
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
