/* analysis.c: builds the decision model of a report from a loaded journal (analysis.h).
 *
 * Arms and baselines. Per scenario x backend x variant, the baseline is Branch B, the
 * code without pkg/memory (policy "plain"; in an older journal without it, "none"); each
 * pooled arm (a single class, "hash" or "hash+plain", else "all") is compared with it
 * (b = pooled, a = baseline; ratios b/a). Where the baseline is plain and a "none" arm
 * exists, the pooled arm is also compared with "none" (allocate instead of each get):
 * the explanation, how much of the difference is the allocator, which never votes.
 *
 * The headline is the configuration the Go code has: zero on put, zeroed allocation
 * without the pool (calloc), the default buffer sizes, a real allocator and a scenario
 * that votes (config "headline" not false). Every other arm is a what-if: its verdicts
 * are computed alike, in their own Holm family, and never move a class verdict; the
 * settings that would flip a class are listed (model flips).
 *
 * Costs and evidence. Time (wall_ns/ops unrounded, wall_ns for hyperfine cells), peak
 * memory (peak_live_bytes, max_rss_bytes) and, where a garbage collector runs (pb-go),
 * gc_cycles and gc_pause_ns are costs: they decide. Allocation calls and simulated
 * cleanup cycles are evidence: compared, reported, never deciding.
 *
 * Holm runs within each family: headline costs, sensitivity costs, evidence, the
 * explanation, and the side questions (allocator_vs_pool, zeroing_cost).
 *
 * Rules per verdict (the first that fires; "exact" comparisons have CI [r, r] and count
 * as significant; a cost with an undefined ratio takes no part):
 *  0. DISQUALIFIED "failed_cells" when the backend has any failed cell in the scenario.
 *     INCONCLUSIVE "cross_host" when the pooled arm and its baseline did not all run on
 *     one host (a merge of shards that split them, or of journals of several machines):
 *     a ratio across machines mixes the pool's effect with the machines' difference, so
 *     the verdict is refused (the explanation against "none" and the side questions are
 *     flagged cross_host, allocator_vs_pool answers "cross_host"; a warning names each).
 *  1. INCONCLUSIVE "too_few_samples" when either arm has fewer ok cells than
 *     min_samples_per_arm; "no_data" when no cost could be compared.
 *  2. KEEP when a cost's whole CI is past its threshold ("speedup": CI high <
 *     1/(1+speedup); "peak_memory": CI high < 1-reduction; "gc": CI high <
 *     1-pressure reduction), that comparison is significant (exact, or Holm-adjusted p <
 *     alpha within its family), and every OTHER cost is non-inferior: its CI's upper
 *     bound (exact: its ratio) below 1 + worse_tolerance.
 *  3. REMOVE "worse" when a cost is significantly worse past the equivalence margin
 *     (p_adjusted < alpha and CI low > 1+equivalence; exact: r > 1+equivalence).
 *  4. REMOVE "equivalence" when every cost's CI lies within +-equivalence.
 *  4b. REMOVE "no_benefit" when no cost's CI reaches a gain past the band (every CI's
 *     lower bound at or above 1-equivalence; exact: the ratio): each cost is then within
 *     the band or worse, and every value the CIs allow leads to REMOVE by rule 3 or 4
 *     (the seed: "< 10 % performance difference", "complexity not justified by gains").
 *  5. INCONCLUSIVE "undecided" otherwise, with the repetitions per arm that would likely
 *     settle it (stats_reps_needed; see an_reps_to_settle).
 * Class verdicts (basis: the reference backend's headline verdicts for the class when it
 * has any, else every C backend's; the Go runtime's are its own, runtime_classes): KEEP
 * when KEEP in at least one scenario and REMOVE "worse" in none; REMOVE when every basis
 * verdict is REMOVE; INCONCLUSIVE otherwise ("mixed", with what would settle it), or
 * "no_evidence" when every basis verdict is DISQUALIFIED. Overall: KEEP_ALL (every class
 * KEEP), REMOVE_ALL (every class REMOVE), KEEP_SOME (at least one KEEP), else UNDECIDED;
 * NO_DATA without classes.
 * Nothing here prints, exits or writes files.
 */
#include "analysis.h"
#include "util.h"
#include "scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ----------------------------------------------------------------- */

#define AN_PUSH(arr, n, cap) util_grow((void **)&(arr), &(cap), (n), sizeof *(arr))

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
    case ANALYSIS_KEEP_SOME: return "KEEP_SOME";
    case ANALYSIS_KEEP_ALL: return "KEEP_ALL";
    case ANALYSIS_UNDECIDED: return "UNDECIDED";
    case ANALYSIS_NO_DATA: return "NO_DATA";
    }
    return "?";
}

const char *analysis_family_name(analysis_family_t f)
{
    static const char *const names[ANALYSIS_FAMILY_COUNT] = {
        "headline", "sensitivity", "evidence", "explain", "questions"};
    return (unsigned)f < ANALYSIS_FAMILY_COUNT ? names[f] : "?";
}

const char *analysis_role_name(analysis_role_t r)
{
    return r == ANALYSIS_ROLE_COST ? "cost" : r == ANALYSIS_ROLE_EVIDENCE ? "evidence" : "explain";
}

static const char *an_group(analysis_metric_t m)
{
    switch (m) {
    case ANALYSIS_M_ns_per_op:
    case ANALYSIS_M_wall_ns: return "time";
    case ANALYSIS_M_peak_live_bytes:
    case ANALYSIS_M_max_rss_bytes: return "memory";
    case ANALYSIS_M_gc_cycles:
    case ANALYSIS_M_gc_pause_ns: return "gc";
    default: return "pressure";
    }
}

/* The class an arm's policy pools on its own: "hash" and "hash+plain" give "hash", "all"
 * gives "all"; the baselines ("none", "plain") and multi-class lists give 0. */
static int an_policy_class(const char *policy, char *cls, size_t cap)
{
    char buf[ANALYSIS_NAME_BYTES];
    an_copy(buf, sizeof buf, policy);
    size_t n = strlen(buf);
    if (n > 6 && strcmp(buf + n - 6, "+plain") == 0)
        buf[n - 6] = '\0';
    if (!buf[0] || !strcmp(buf, "none") || !strcmp(buf, "plain") || strchr(buf, '+') ||
        strchr(buf, ','))
        return 0;
    an_copy(cls, cap, buf);
    return 1;
}

static int an_is_single_class(const char *policy)
{
    char cls[ANALYSIS_NAME_BYTES];
    return an_policy_class(policy, cls, sizeof cls) && strcmp(cls, "all") != 0;
}

static int an_is_baseline(const char *policy)
{
    return !strcmp(policy, "none") || !strcmp(policy, "plain");
}

/* ---- arms ----------------------------------------------------------------------------- */

typedef struct an_build {
    analysis_model_t *m;
    size_t cap_cmp, cap_verdicts, cap_avp, cap_zero, cap_warn;
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
    const arms_options_t opt = {.time = ARMS_TIME_EXACT_NS_PER_OP,
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

/* The report's comparison settings: its confidence level and bootstrap. */
static arms_compare_options_t an_compare_options(const analysis_model_t *m,
                                                 bool exact_when_constant)
{
    return (arms_compare_options_t){.confidence_level = m->th.confidence_level,
                                    .resamples = (size_t)m->th.bootstrap_resamples,
                                    .seed = m->th.bootstrap_seed,
                                    .exact_when_constant = exact_when_constant};
}

/* Compares two samples with the report's bootstrap settings (arms_compare). Returns 0 or
 * -1 (out of memory). */
static int an_two_sample(const analysis_model_t *m, const double *a, size_t na, const double *b,
                         size_t nb, bool exact_when_constant, arms_comparison_t *out)
{
    const arms_compare_options_t opt = an_compare_options(m, exact_when_constant);
    return arms_compare(a, na, b, nb, &opt, out);
}

/* A time comparison is paired when at least this share of the larger arm's samples pair
 * up by repetition (a look cut short by its budget leaves a cell or two without its
 * partner; anything else, such as a journal from before repetition blocks, is compared
 * unpaired). */
#define AN_PAIRED_MIN_SHARE 0.8

/* The pairs a paired comparison tested (owned by its comparison once stored). */
typedef struct an_pairs {
    double *a, *b;
    long long *reps;
    size_t n;
} an_pairs_t;

static void an_pairs_free(an_pairs_t *p)
{
    free(p->a);
    free(p->b);
    free(p->reps);
    *p = (an_pairs_t){0};
}

/* Compares metric mi of arms A (baseline) and B by their repetition pairs
 * (arms_compare_paired at the report's settings; it falls back to the unpaired comparison
 * when the pairs cannot be tested). Returns 1 (r filled with the paired method, *pairs
 * the pairs tested, which the caller owns), 0 when the arms do not pair up well enough
 * (AN_PAIRED_MIN_SHARE, and at least min_samples_per_arm pairs) or the pairs cannot be
 * tested (the caller then compares the whole arms unpaired; *pairs empty), -1 on out of
 * memory. */
static int an_paired(const analysis_model_t *m, const analysis_arm_t *A, const analysis_arm_t *B,
                     analysis_metric_t mi, arms_comparison_t *r, an_pairs_t *pairs)
{
    size_t na = A->stat[mi].n, nb = B->stat[mi].n, most = na > nb ? na : nb;
    size_t cap = na < nb ? na : nb;
    an_pairs_t p = {.a = malloc(cap * sizeof *p.a), .b = malloc(cap * sizeof *p.b),
                    .reps = malloc(cap * sizeof *p.reps)};
    if (!p.a || !p.b || !p.reps) {
        an_pairs_free(&p);
        return -1;
    }
    p.n = arms_pairs(A, B, (arms_metric_t)mi, p.a, p.b, p.reps);
    int rc = 0;
    if (p.n >= m->th.min_samples_per_arm && (double)p.n >= AN_PAIRED_MIN_SHARE * (double)most) {
        const arms_compare_options_t opt = an_compare_options(m, true);
        rc = arms_compare_paired(p.a, p.b, p.n, &opt, r) != 0 ? -1 : 1;
        /* pairs it could not test (every ratio equal): the whole arms, unpaired */
        if (rc == 1 && r->method != ARMS_METHOD_PAIRED)
            rc = 0;
    }
    if (rc == 1)
        *pairs = p;
    else
        an_pairs_free(&p);
    return rc;
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
    an_pairs_t pairs = {0};
    /* time pairs up by repetition block (arms.h): a host slow spell slows both cells of
       a pair and cancels in its ratio */
    int rc = strcmp(an_group(mi), "time") == 0
                 ? an_paired(m, none_arm, class_arm, mi, &r, &pairs)
                 : 0;
    if (rc == 0)
        rc = an_two_sample(m, none_arm->samples[mi], na, class_arm->samples[mi], nb, true, &r);
    if (rc < 0 || AN_PUSH(m->comparisons, m->n_comparisons, b->cap_cmp) != 0) {
        an_pairs_free(&pairs);
        return an_oom(b);
    }
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
    c->p_value = c->p_adjusted = c->u1 = c->t_statistic = NAN;
    c->paired_df = c->paired_se_log = NAN;
    c->cross_host = !arms_same_host(none_arm, class_arm);
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
    } else if (r.method == ARMS_METHOD_PAIRED) {
        c->method = ANALYSIS_METHOD_PAIRED;
        c->method_name = "paired_t";
        c->n_pairs = pairs.n;
        c->pair_a = pairs.a;
        c->pair_b = pairs.b;
        c->pair_reps = pairs.reps;
        c->ratio = r.ratio;
        c->ci_lo = r.ci.lo;
        c->ci_hi = r.ci.hi;
        c->ci_status = r.ci_status;
        c->p_value = r.paired.p;
        c->t_statistic = r.paired.t;
        c->paired_df = r.paired.df;
        c->paired_se_log = r.paired.se_log;
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

/* The metrics of a verdict: the costs first (time, peak memory, real GC work), then the
 * evidence (allocation calls, simulated cleanup cycles). */
static const analysis_metric_t an_cmp_metrics[] = {
    ANALYSIS_M_ns_per_op,   ANALYSIS_M_peak_live_bytes, ANALYSIS_M_max_rss_bytes,
    ANALYSIS_M_gc_cycles,   ANALYSIS_M_gc_pause_ns,     ANALYSIS_M_alloc_calls,
    ANALYSIS_M_pool_cycles,
};
#define AN_N_CMP_METRICS (sizeof an_cmp_metrics / sizeof an_cmp_metrics[0])

static analysis_role_t an_metric_role(analysis_metric_t mi)
{
    return mi == ANALYSIS_M_alloc_calls || mi == ANALYSIS_M_pool_cycles ? ANALYSIS_ROLE_EVIDENCE
                                                                         : ANALYSIS_ROLE_COST;
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

/* "64K", "1M", or bytes. */
static void an_size_label(char *out, size_t cap, unsigned long long v)
{
    if (v && v % (1ull << 20) == 0)
        snprintf(out, cap, "%lluM", v >> 20);
    else if (v && v % 1024 == 0)
        snprintf(out, cap, "%lluK", v >> 10);
    else
        snprintf(out, cap, "%llu", v);
}

static void an_setting_add(char *out, size_t cap, const char *word)
{
    size_t l = strlen(out);
    snprintf(out + l, cap - l, "%s%s", l ? " " : "", word);
}

/* A size setting of the cell's config differing from Go's default, or 0 (unset/default). */
static unsigned long long an_config_size(json_object *cfg, const char *key,
                                         unsigned long long dflt)
{
    json_object *v;
    if (!cfg || !json_object_object_get_ex(cfg, key, &v) || !v)
        return 0;
    unsigned long long x = (unsigned long long)json_object_get_uint64(v);
    return x == dflt ? 0 : x;
}

/* What an arm's configuration changes against the one the Go code has (zero on put,
 * zeroed allocation without the pool, the default buffer sizes, a real allocator, a
 * scenario that votes), as "key=value" words; "" for the headline configuration. */
static void an_arm_setting(const analysis_arm_t *a, char *out, size_t cap)
{
    out[0] = '\0';
    json_object *cfg = NULL, *v;
    if (a->n_total)
        json_object_object_get_ex(a->all_cells[0], "config", &cfg);
    if (cfg && json_object_object_get_ex(cfg, "zero_on_put", &v) && v &&
        !json_object_get_boolean(v))
        an_setting_add(out, cap, "zero_on_put=off");
    if (cfg && json_object_object_get_ex(cfg, "standard_alloc", &v) && v &&
        strcmp(json_object_get_string(v), "calloc") != 0) {
        char w[64];
        snprintf(w, sizeof w, "standard_alloc=%s", json_object_get_string(v));
        an_setting_add(out, cap, w);
    }
    unsigned long long hash = an_config_size(cfg, "hash_size_bytes", 65536),
                       tar = an_config_size(cfg, "tar_size_bytes", 65536),
                       str = an_config_size(cfg, "string_size_bytes", 1024);
    char w[64], lbl[32];
    if (hash && hash == tar) {
        an_size_label(lbl, sizeof lbl, hash);
        snprintf(w, sizeof w, "buffer_size=%s", lbl);
        an_setting_add(out, cap, w);
        hash = tar = 0;
    }
    const struct { const char *name; unsigned long long v; } sizes[] = {
        {"hash_size", hash}, {"tar_size", tar}, {"string_size", str}};
    for (size_t i = 0; i < 3; i++)
        if (sizes[i].v) {
            an_size_label(lbl, sizeof lbl, sizes[i].v);
            snprintf(w, sizeof w, "%s=%s", sizes[i].name, lbl);
            an_setting_add(out, cap, w);
        }
    if (scenario_backend_env(a->backend)) {     /* a control (glibc-mmap128k) */
        snprintf(w, sizeof w, "backend=%s", a->backend);
        an_setting_add(out, cap, w);
    }
    if (cfg && json_object_object_get_ex(cfg, "headline", &v) && v &&
        !json_object_get_boolean(v)) {
        snprintf(w, sizeof w, "scenario=%s", a->scenario);
        an_setting_add(out, cap, w);
    }
}

/* Compares metric mi of the pooled arm ib with arm ia; the comparison's role and family
 * follow from the metric, the shell's family and whether ia is the explanation arm. */
static int an_compare_in(an_build_t *b, size_t ia, size_t ib, const char *cls,
                         analysis_metric_t mi, bool headline, bool explain)
{
    size_t before = b->m->n_comparisons;
    if (an_compare(b, ia, ib, cls, mi) != 0)
        return -1;
    if (b->m->n_comparisons == before)
        return 0;
    analysis_comparison_t *c = &b->m->comparisons[before];
    c->role = explain ? ANALYSIS_ROLE_EXPLAIN : an_metric_role(mi);
    c->family = explain                          ? ANALYSIS_FAMILY_EXPLAIN
                : c->role == ANALYSIS_ROLE_EVIDENCE ? ANALYSIS_FAMILY_EVIDENCE
                : headline                         ? ANALYSIS_FAMILY_HEADLINE
                                                   : ANALYSIS_FAMILY_SENSITIVITY;
    return 0;
}

/* The comparisons of the pooled arm ic against ia, every metric; their indices in *ids. */
static int an_compare_all(an_build_t *b, size_t ia, size_t ic, const char *cls, bool headline,
                          bool explain, size_t **ids, size_t *n_ids)
{
    analysis_model_t *m = b->m;
    size_t first = m->n_comparisons;
    for (size_t k = 0; k < AN_N_CMP_METRICS; k++) {
        analysis_metric_t mi = an_cmp_metrics[k];
        if (mi == ANALYSIS_M_ns_per_op)
            mi = an_pair_time_metric(&m->arms[ia], &m->arms[ic]);
        if (explain && an_metric_role(mi) != ANALYSIS_ROLE_COST)
            continue;
        if (an_compare_in(b, ia, ic, cls, mi, headline, explain) != 0)
            return -1;
    }
    *n_ids = m->n_comparisons - first;
    if (*n_ids == 0)
        return 0;
    if (!(*ids = calloc(*n_ids, sizeof **ids)))
        return an_oom(b);
    for (size_t k = 0; k < *n_ids; k++)
        (*ids)[k] = first + k;
    return 0;
}

/* One verdict shell: the pooled arm i_class against the baseline i_base (Branch B,
 * "plain", or "none" in a journal without it), with the explanation against "none"
 * (i_none, or -1) when the baseline is plain. */
static int an_verdict_shell(an_build_t *b, size_t i_base, size_t i_class, long i_none)
{
    analysis_model_t *m = b->m;
    const analysis_arm_t *base_arm = &m->arms[i_base], *class_arm = &m->arms[i_class];
    if (AN_PUSH(m->verdicts, m->n_verdicts, b->cap_verdicts) != 0)
        return an_oom(b);
    analysis_verdict_t *v = &m->verdicts[m->n_verdicts];
    memset(v, 0, sizeof *v);
    v->scenario = base_arm->scenario;
    v->backend = base_arm->backend;
    v->variant = base_arm->variant;
    v->baseline_policy = strcmp(base_arm->policy, "plain") == 0 ? "plain" : "none";
    an_policy_class(class_arm->policy, v->cls, sizeof v->cls);
    an_arm_setting(class_arm, v->setting, sizeof v->setting);
    v->headline = v->setting[0] == '\0';
    v->n_a = base_arm->n_cells;
    v->n_b = class_arm->n_cells;
    v->metric = -1;
    v->ratio = v->ci_lo = v->ci_hi = v->p_adjusted = v->threshold = NAN;
    m->n_verdicts++;
    if (an_compare_all(b, i_base, i_class, v->cls, v->headline, false, &v->comparisons,
                       &v->n_comparisons) != 0)
        return -1;
    if (i_none >= 0 && (size_t)i_none != i_base &&
        an_compare_all(b, (size_t)i_none, i_class, v->cls, v->headline, true, &v->explain,
                       &v->n_explain) != 0)
        return -1;
    return 0;
}

/* Verdict shells: per scenario x backend x variant with a baseline arm ("plain", else
 * "none"), one per pooled arm: the single-class policies ("hash", "hash+plain"), or
 * policy "all" where there is none. */
static int an_comparisons(an_build_t *b)
{
    analysis_model_t *m = b->m;
    for (size_t i_base = 0; i_base < m->n_arms; i_base++) {
        const analysis_arm_t *base_arm = &m->arms[i_base];
        if (!an_is_baseline(base_arm->policy))
            continue;
        long i_plain = arms_find(&m->arm_model, base_arm->scenario, base_arm->backend, "plain",
                                 base_arm->variant);
        long i_none = arms_find(&m->arm_model, base_arm->scenario, base_arm->backend, "none",
                                base_arm->variant);
        if (strcmp(base_arm->policy, "none") == 0 && i_plain >= 0)
            continue;   /* the group's baseline is its plain arm */
        int have_single = 0;
        for (size_t k = 0; k < m->n_arms; k++)
            if (an_same_group(base_arm, &m->arms[k]) && an_is_single_class(m->arms[k].policy))
                have_single = 1;
        for (size_t i_class = 0; i_class < m->n_arms; i_class++) {
            const analysis_arm_t *class_arm = &m->arms[i_class];
            char cls[ANALYSIS_NAME_BYTES];
            if (!an_same_group(base_arm, class_arm) ||
                !an_policy_class(class_arm->policy, cls, sizeof cls))
                continue;
            if (have_single ? strcmp(cls, "all") == 0 : strcmp(cls, "all") != 0)
                continue;
            if (an_verdict_shell(b, i_base, i_class, i_none) != 0)
                return -1;
        }
    }
    return 0;
}

/* ---- allocator_vs_pool and zeroing_cost ---------------------------------------------- */

/* Is arm ref_pooled the reference backend's pooled arm of its scenario x variant: policy
 * "all", else its only pooled policy? */
static int an_is_reference_pooled(const analysis_model_t *m, const analysis_arm_t *ref_pooled)
{
    const char *ref = m->th.reference_backend;
    if (strcmp(ref_pooled->backend, ref) != 0 || an_is_baseline(ref_pooled->policy))
        return 0;
    if (strcmp(ref_pooled->policy, "all") == 0)
        return 1;
    if (arms_find(&m->arm_model, ref_pooled->scenario, ref, "all", ref_pooled->variant) >= 0)
        return 0;
    int pooled_policies = 0;
    for (size_t k = 0; k < m->n_arms; k++)
        if (an_same_group(ref_pooled, &m->arms[k]) && !an_is_baseline(m->arms[k].policy))
            pooled_policies++;
    return pooled_policies == 1;
}

/* The "no pool" arm of a group: Branch B ("plain") when the journal has it, else "none". */
static int an_is_no_pool_arm(const analysis_model_t *m, const analysis_arm_t *a)
{
    if (strcmp(a->policy, "plain") == 0)
        return 1;
    return strcmp(a->policy, "none") == 0 &&
           arms_find(&m->arm_model, a->scenario, a->backend, "plain", a->variant) < 0;
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
            if (!an_is_no_pool_arm(m, other_none) || strcmp(other_none->backend, ref) == 0 ||
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
        if (an_is_baseline(zero_on->policy) || !strstr(zero_on->variant, "zero_on_put=on"))
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

/* ---- Holm, one family per question -------------------------------------------------- */

/* Holm within each family (analysis_family_t): the headline's comparisons are adjusted
 * among themselves only, so a what-if, an explanation or a count never dilutes it. */
static int an_holm(an_build_t *b)
{
    analysis_model_t *m = b->m;
    arms_family_t family[ANALYSIS_FAMILY_COUNT];
    memset(family, 0, sizeof family);
    int rc = 0;
    for (size_t i = 0; i < m->n_comparisons && rc == 0; i++) {
        analysis_comparison_t *c = &m->comparisons[i];
        rc = arms_family_add(&family[c->family], c->p_value, &c->p_adjusted);
    }
    for (size_t i = 0; i < m->n_avp && rc == 0; i++)
        rc = arms_family_add(&family[ANALYSIS_FAMILY_QUESTIONS], m->avp[i].p_value,
                             &m->avp[i].p_adjusted);
    for (size_t i = 0; i < m->n_zeroing && rc == 0; i++)
        rc = arms_family_add(&family[ANALYSIS_FAMILY_QUESTIONS], m->zeroing[i].p_value,
                             &m->zeroing[i].p_adjusted);
    for (int f = 0; f < ANALYSIS_FAMILY_COUNT && rc == 0; f++) {
        m->family_size[f] = family[f].n;
        rc = arms_family_adjust(&family[f]);
        if (rc == STATS_ENOMEM)
            rc = -1;
        else if (rc != STATS_OK) {
            snprintf(b->err, ANALYSIS_ERR_BYTES, "Holm correction failed: %s", stats_strerror(rc));
            rc = -2;
        }
    }
    for (int f = 0; f < ANALYSIS_FAMILY_COUNT; f++)
        arms_family_free(&family[f]);
    m->holm_family_size = m->family_size[ANALYSIS_FAMILY_HEADLINE];
    if (rc == -1)
        return an_oom(b);
    return rc == 0 ? 0 : -1;
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

/* A comparison the rules can use: a cost (not evidence, not the explanation) whose
 * ratio is defined (not a zero baseline). */
static int an_usable(const analysis_comparison_t *c)
{
    return c->role == ANALYSIS_ROLE_COST && isfinite(c->ratio);
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

/* 0b. INCONCLUSIVE "cross_host": a deciding comparison's arms ran on different hosts. */
static int an_rule_cross_host(const analysis_model_t *m, analysis_verdict_t *v)
{
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &m->comparisons[v->comparisons[k]];
        if (!c->cross_host)
            continue;
        const analysis_arm_t *A = &m->arms[c->arm_a], *B = &m->arms[c->arm_b];
        v->verdict = ANALYSIS_INCONCLUSIVE;
        v->rule = "cross_host";
        snprintf(v->detail, sizeof v->detail,
                 "the arms ran on different machines (%s: host %s%s, shard %s; %s: host %s%s, "
                 "shard %s): a ratio across hosts mixes the pool's effect with the machines' "
                 "difference, so no verdict; run the scenario on one machine (poolbench "
                 "matrix --shard keeps scenarios whole)",
                 A->policy, A->host[0] ? A->host : "?", A->host_mixed ? " and others" : "",
                 A->shard[0] ? A->shard : "?", B->policy, B->host[0] ? B->host : "?",
                 B->host_mixed ? " and others" : "", B->shard[0] ? B->shard : "?");
        return 1;
    }
    return 0;
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

/* Non-inferiority: is every other cost of v than `except` shown not worse past worse_t
 * (its CI's upper bound below worse_t; exact: the ratio)? Returns the first that is not
 * shown so, or NULL. */
static const analysis_comparison_t *an_not_noninferior(const analysis_model_t *m,
                                                       const analysis_verdict_t *v,
                                                       size_t except, double worse_t)
{
    for (size_t o = 0; o < v->n_comparisons; o++) {
        const analysis_comparison_t *other = &m->comparisons[v->comparisons[o]];
        if (o == except || !an_usable(other))
            continue;
        double upper = other->method == ANALYSIS_METHOD_EXACT ? other->ratio : other->ci_hi;
        if (!(upper < worse_t))
            return other;
    }
    return NULL;
}

/* 2. KEEP: a significant cost whose whole CI is below its KEEP limit, with every other
 *    cost shown non-inferior (CI upper bound below 1 + tolerance). */
static int an_rule_keep(const analysis_model_t *m, analysis_verdict_t *v)
{
    const thresholds_t *th = &m->th;
    double worse_t = thresholds_worse_ratio(th);
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &m->comparisons[v->comparisons[k]];
        double limit = an_keep_limit(m, c);
        if (!an_usable(c) || isnan(c->ci_hi) || !(c->ci_hi < limit) || !an_significant(m, c))
            continue;
        if (an_not_noninferior(m, v, k, worse_t))
            continue;
        v->verdict = ANALYSIS_KEEP;
        v->rule = strcmp(c->group, "time") == 0     ? "speedup"
                  : strcmp(c->group, "memory") == 0 ? "peak_memory"
                                                    : "gc";
        an_numbers(v, c, limit);
        char pbuf[48];
        an_fmt_p(pbuf, sizeof pbuf, c);
        snprintf(v->detail, sizeof v->detail,
                 "%s ratio %.3f, CI [%.3f, %.3f] entirely below %.3f (%s); every other cost's "
                 "CI stays below %.2f (non-inferior)",
                 c->metric_name, c->ratio, c->ci_lo, c->ci_hi, limit, pbuf, worse_t);
        return 1;
    }
    return 0;
}

/* 3. REMOVE "worse": a cost (time, memory, GC) significantly worse past the margin. */
static int an_rule_worse(const analysis_model_t *m, analysis_verdict_t *v)
{
    const thresholds_t *th = &m->th;
    double worse_limit = 1.0 + thresholds_equivalence_margin(th);
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &m->comparisons[v->comparisons[k]];
        if (!an_usable(c) || !an_worse_than(m, c, worse_limit))
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

/* 4. REMOVE "equivalence": every cost's CI within +-margin. */
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
             "every cost's CI lies within +-%.0f %%; the widest is %s, CI [%.3f, %.3f]",
             th->equivalence_percent, widest->metric_name, widest->ci_lo, widest->ci_hi);
    return 1;
}

/* The lower end of cost c's CI: its ratio when exact. */
static double an_ci_lower(const analysis_comparison_t *c)
{
    return c->method == ANALYSIS_METHOD_EXACT ? c->ratio : c->ci_lo;
}

/* Is cost c clear of a benefit past the band: its CI's lower bound at or above
 * 1 - margin? */
static int an_no_benefit_one(const analysis_model_t *m, const analysis_comparison_t *c)
{
    double lower = an_ci_lower(c);
    return !isnan(lower) && lower >= 1.0 - thresholds_equivalence_margin(&m->th);
}

/* 4b. REMOVE "no_benefit": no cost's CI reaches a gain past the band (every lower bound
 *     at or above 1 - margin). Each cost is then within the band or worse, and under the
 *     rules above every value the CIs allow leads to REMOVE ("no difference" or "worse"):
 *     a CI such as [1.03, 1.12], which neither equivalence nor "worse past the band"
 *     settles, is REMOVE whichever of its values is true. */
static int an_rule_no_benefit(const analysis_model_t *m, analysis_verdict_t *v)
{
    const thresholds_t *th = &m->th;
    const analysis_comparison_t *lowest = NULL;
    double lowest_lower = INFINITY;
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &m->comparisons[v->comparisons[k]];
        if (!an_usable(c))
            continue;
        if (!an_no_benefit_one(m, c))
            return 0;
        if (an_ci_lower(c) < lowest_lower) {
            lowest_lower = an_ci_lower(c);
            lowest = c;
        }
    }
    if (!lowest)
        return 0;
    double floor = 1.0 - thresholds_equivalence_margin(th);
    v->verdict = ANALYSIS_REMOVE;
    v->rule = "no_benefit";
    an_numbers(v, lowest, floor);
    snprintf(v->detail, sizeof v->detail,
             "no cost can be lower by more than %.0f %%: every cost's CI lies above %.3f (within "
             "the band or worse, so every value the CIs allow means REMOVE); the lowest is %s, "
             "ratio %.3f, CI [%.3f, %.3f]",
             th->equivalence_percent, floor, lowest->metric_name, lowest->ratio, lowest->ci_lo,
             lowest->ci_hi);
    return 1;
}

/* The pairs a paired comparison would likely need, from the spread of its pair ratios
 * (s = se_log sqrt(n), on the log scale, where a relative margin is about a log one):
 * the CI fits within margin of 1 when (z_0.975 + z_0.8) s / sqrt(n) <= margin -
 * |ln ratio|, n = ((z_0.975 + z_0.8) s / room)^2, at least 4; with interval_only false
 * also the significance estimate n = ((z_0.975 + z_0.8) s / |ln ratio|)^2, and the
 * smaller of the two. 0 when neither is reachable (room <= 0 and no effect) or the
 * estimate passes STATS_REPS_CAP. */
static size_t an_paired_reps(const analysis_comparison_t *c, double margin, int interval_only)
{
    double n = (double)c->n_pairs, effect = fabs(log(c->ratio));
    double s = c->paired_se_log * sqrt(n);
    double z = stats_normal_quantile(0.975) + stats_normal_quantile(0.8);
    if (!(s > 0) || !isfinite(s))
        return 0;
    double room = margin - fabs(c->ratio - 1.0), best = INFINITY;
    if (room > 0)
        best = pow(z * s / room, 2.0);
    if (!interval_only && effect > 0) {
        double sig = pow(z * s / effect, 2.0);
        if (sig < best)
            best = sig;
    }
    if (!isfinite(best) || best > (double)STATS_REPS_CAP)
        return 0;
    return best < 4.0 ? 4 : (size_t)ceil(best);
}

/* Repetitions per arm that would likely settle one unsettled statistical comparison (0:
 * settled, exact, or no estimate): the smaller non-zero stats_reps_needed estimate; for
 * an estimate between 1 - margin and the "worse" line that is above 1 or significant,
 * reps until the CI's lower bound clears 1 - margin (no_benefit); for a significant
 * effect whose CI straddles the KEEP limit or the "worse" line, the equivalence formula
 * with margin |r-1| + |r-limit| (reps until the CI clears that line). A cost already
 * clear of 1 - margin needs none (unless past the "worse" line, where it may decide
 * alone). A paired comparison takes the same margins through an_paired_reps (the
 * spread of its pair ratios instead of the arms'). Returns 0 or -1. */
static int an_reps_to_settle(an_build_t *b, const analysis_comparison_t *c, size_t *reps)
{
    const analysis_model_t *m = b->m;
    double equivalence_margin = thresholds_equivalence_margin(&m->th);
    double limit = an_keep_limit(m, c), reps_margin = equivalence_margin;
    *reps = 0;
    if (!an_usable(c) || c->method == ANALYSIS_METHOD_EXACT || an_equivalent(m, c))
        return 0;
    double floor = 1.0 - equivalence_margin, worse = thresholds_worse_ratio(&m->th);
    /* clear of a gain past the band: it no longer stands in the way of REMOVE
       (no_benefit); only a cost past the "worse" line may still decide alone */
    if (an_no_benefit_one(m, c) && !(c->ratio > worse))
        return 0;
    int one_sided = c->ratio > floor && c->ratio <= worse &&
                    (c->ratio > 1.0 || an_significant(m, c));
    int interval_only = 0;   /* the estimate is the CI-width one (equivalence_reps) */
    if (one_sided) {
        /* reps until the CI's lower bound clears 1 - margin (no_benefit): the equivalence
           formula with margin |r-1| + (r - floor), whose room is r - floor */
        interval_only = 1;
        reps_margin = fabs(c->ratio - 1.0) + (c->ratio - floor);
        /* an estimate below the KEEP limit (a limit above 1 - margin, from edited
           thresholds) whose CI straddles it: reps until the CI clears the limit (KEEP) */
        if (an_significant(m, c) && c->ratio < limit && !isnan(c->ci_lo) &&
            !isnan(c->ci_hi) && c->ci_lo <= limit && limit <= c->ci_hi)
            reps_margin = fabs(c->ratio - 1.0) + fabs(c->ratio - limit);
    } else if (an_significant(m, c)) {
        /* significant, its CI across a decision line: the KEEP limit below 1, or the
           "significantly worse" line above 1 (REMOVE); more repetitions narrow the CI
           until it clears the line on the side of the estimate */
        if (c->ratio > 1.0)
            limit = worse;
        if (c->ratio == 1.0 || isnan(c->ci_lo) || isnan(c->ci_hi) ||
            !(c->ci_lo <= limit && limit <= c->ci_hi))
            return 0;
        reps_margin = fabs(c->ratio - 1.0) + fabs(c->ratio - limit);
        if (!(reps_margin > 0))
            return 0;
        interval_only = 1;
    }
    if (c->method == ANALYSIS_METHOD_PAIRED) {
        *reps = an_paired_reps(c, reps_margin, interval_only);
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
    if (interval_only)
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
    /* Equivalence (REMOVE) needs every cost settled: the largest estimate. But a cost
       whose estimate is already past the KEEP limit or the "worse" line decides the
       verdict alone once its CI follows: then the smallest such estimate (the Go
       runtime's image_tag: ns_per_op at 1.3x would settle in tens of repetitions while
       its GC pause, near 1, needs hundreds). */
    size_t reps = 0, decisive = 0;
    const analysis_comparison_t *decisive_basis = NULL;
    double worse = thresholds_worse_ratio(&m->th);
    for (size_t k = 0; k < v->n_comparisons; k++) {
        const analysis_comparison_t *c = &m->comparisons[v->comparisons[k]];
        size_t candidate;
        if (an_reps_to_settle(b, c, &candidate) != 0)
            return -1;
        if (candidate > reps) {
            reps = candidate;
            basis = c;
        }
        if (candidate > 0 && (c->ratio > worse || c->ratio < an_keep_limit(m, c)) &&
            (decisive == 0 || candidate < decisive)) {
            decisive = candidate;
            decisive_basis = c;
        }
    }
    if (decisive_basis) {
        reps = decisive;
        basis = decisive_basis;
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
        fired = an_rule_cross_host(b->m, v);
    if (fired == 0)
        fired = an_rule_no_claim(b->m, v);
    if (fired == 0)
        fired = an_rule_keep(b->m, v);
    if (fired == 0)
        fired = an_rule_worse(b->m, v);
    if (fired == 0)
        fired = an_rule_equivalence(b->m, v);
    if (fired == 0)
        fired = an_rule_no_benefit(b->m, v);
    if (fired == 0)
        fired = an_rule_undecided(b, v);
    return fired < 0 ? -1 : 0;
}

/* Which verdicts a class verdict is built from: the headline's (setting NULL) or one
 * sensitivity setting's, on the C backends or on the Go runtime. */
typedef struct an_basis_filter {
    const char *setting;      /* NULL: headline verdicts                                 */
    bool runtime;             /* true: backend "go" only; false: every other backend      */
} an_basis_filter_t;

static bool an_is_runtime(const char *backend) { return strcmp(backend, "go") == 0; }

static bool an_in_filter(const analysis_verdict_t *v, const an_basis_filter_t *f)
{
    if (an_is_runtime(v->backend) != f->runtime)
        return false;
    return f->setting ? strcmp(v->setting, f->setting) == 0 : v->headline;
}

/* A class verdict from its basis: the reference backend's verdicts in the filter when it
 * has any (the Go runtime: its own), else every backend's in the filter. */
static void an_class_verdict(const analysis_model_t *m, const an_basis_filter_t *f,
                             analysis_class_verdict_t *c)
{
    const char *ref = f->runtime ? "go" : m->th.reference_backend;
    int ref_has = 0;
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (strcmp(m->verdicts[i].cls, c->cls) == 0 && an_in_filter(&m->verdicts[i], f) &&
            strcmp(m->verdicts[i].backend, ref) == 0)
            ref_has = 1;
    an_copy(c->basis, sizeof c->basis, ref_has ? ref : "all backends");
    size_t total = 0, settle_reps = 0;
    const analysis_verdict_t *settle = NULL;
    for (size_t i = 0; i < m->n_verdicts; i++) {
        const analysis_verdict_t *v = &m->verdicts[i];
        if (strcmp(v->cls, c->cls) != 0 || !an_in_filter(v, f) ||
            (ref_has && strcmp(v->backend, ref) != 0))
            continue;
        total++;
        switch (v->verdict) {
        case ANALYSIS_KEEP: c->n_keep++; break;
        case ANALYSIS_REMOVE:
            c->n_remove++;
            if (strcmp(v->rule, "worse") == 0)
                c->n_worse++;
            break;
        case ANALYSIS_INCONCLUSIVE:
            c->n_inconclusive++;
            if (!settle || v->reps_needed > settle_reps) {
                settle = v;
                settle_reps = v->reps_needed;
            }
            break;
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
        snprintf(c->settle, sizeof c->settle, "cells that run: every verdict of the class "
                 "was withheld for failed cells");
    } else {
        c->verdict = ANALYSIS_INCONCLUSIVE;
        c->rule = "mixed";
        if (c->n_keep > 0)
            snprintf(c->settle, sizeof c->settle, "KEEP in %zu scenario(s) but REMOVE (worse) "
                     "in %zu: the pool helps one workload and hurts another", c->n_keep,
                     c->n_worse);
        else if (settle && settle_reps)
            snprintf(c->settle, sizeof c->settle, "about %zu repetitions per arm (%s on %s)",
                     settle_reps, settle->scenario, settle->backend);
        else if (settle)
            snprintf(c->settle, sizeof c->settle, "%s on %s: the effect lies between the "
                     "equivalence band and the KEEP threshold; more repetitions will not "
                     "settle it", settle->scenario, settle->backend);
    }
}

/* Classes in one fixed order, whatever order the run's shuffle put their cells in: the
 * pool's classes as pkg/memory declares them (hash, tar, string), then `all`, then any
 * other alphabetically. The headline sentence lists them in this order, so it reads the
 * same from run to run. */
static int an_class_rank(const char *cls)
{
    static const char *const order[] = {"hash", "tar", "string", "all"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (strcmp(cls, order[i]) == 0)
            return (int)i;
    return (int)(sizeof order / sizeof order[0]);
}

static int an_class_cmp(const void *pa, const void *pb)
{
    const analysis_class_verdict_t *a = pa, *b = pb;
    int ra = an_class_rank(a->cls), rb = an_class_rank(b->cls);
    return ra != rb ? (ra < rb ? -1 : 1) : strcmp(a->cls, b->cls);
}

static int an_class_list(an_build_t *b, const an_basis_filter_t *f,
                         analysis_class_verdict_t **out, size_t *n_out)
{
    analysis_model_t *m = b->m;
    size_t cap = 0;
    for (size_t i = 0; i < m->n_verdicts; i++) {
        const analysis_verdict_t *v = &m->verdicts[i];
        if (!an_in_filter(v, f))
            continue;
        size_t k = 0;
        while (k < *n_out && strcmp((*out)[k].cls, v->cls) != 0)
            k++;
        if (k < *n_out)
            continue;
        if (AN_PUSH(*out, *n_out, cap) != 0)
            return an_oom(b);
        memset(&(*out)[*n_out], 0, sizeof **out);
        an_copy((*out)[*n_out].cls, sizeof (*out)[0].cls, v->cls);
        (*n_out)++;
    }
    if (*n_out > 1)
        qsort(*out, *n_out, sizeof **out, an_class_cmp);
    for (size_t k = 0; k < *n_out; k++)
        an_class_verdict(m, f, &(*out)[k]);
    return 0;
}

/* The what-ifs that would change a headline class verdict: per sensitivity setting, the
 * class verdict of that setting's verdicts, where it differs from the headline's. */
static int an_flips(an_build_t *b)
{
    analysis_model_t *m = b->m;
    size_t cap = 0;
    for (size_t i = 0; i < m->n_verdicts; i++) {
        const analysis_verdict_t *v = &m->verdicts[i];
        if (v->headline || an_is_runtime(v->backend))
            continue;
        int seen = 0;
        for (size_t k = 0; k < m->n_flips && !seen; k++)
            seen = !strcmp(m->flips[k].cls, v->cls) && !strcmp(m->flips[k].setting, v->setting);
        for (size_t k = 0; k < i && !seen; k++)
            seen = !m->verdicts[k].headline && !strcmp(m->verdicts[k].cls, v->cls) &&
                   !strcmp(m->verdicts[k].setting, v->setting);
        if (seen)
            continue;
        const analysis_class_verdict_t *head = NULL;
        for (size_t k = 0; k < m->n_classes; k++)
            if (!strcmp(m->classes[k].cls, v->cls))
                head = &m->classes[k];
        analysis_class_verdict_t what_if;
        memset(&what_if, 0, sizeof what_if);
        an_copy(what_if.cls, sizeof what_if.cls, v->cls);
        an_basis_filter_t f = {.setting = v->setting, .runtime = false};
        an_class_verdict(m, &f, &what_if);
        if (head && head->verdict == what_if.verdict)
            continue;
        if (AN_PUSH(m->flips, m->n_flips, cap) != 0)
            return an_oom(b);
        analysis_flip_t *x = &m->flips[m->n_flips++];
        memset(x, 0, sizeof *x);
        an_copy(x->cls, sizeof x->cls, v->cls);
        an_copy(x->setting, sizeof x->setting, v->setting);
        x->headline = head ? head->verdict : ANALYSIS_INCONCLUSIVE;
        x->what_if = what_if.verdict;
        an_copy(x->why, sizeof x->why, v->detail);
    }
    return 0;
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
    if (m->n_keep_classes == m->n_classes)
        m->overall = ANALYSIS_KEEP_ALL;
    else if (n_remove == m->n_classes)
        m->overall = ANALYSIS_REMOVE_ALL;
    else if (m->n_keep_classes > 0)
        m->overall = ANALYSIS_KEEP_SOME;
    else
        m->overall = ANALYSIS_UNDECIDED;
    return 0;
}

static int an_decide(an_build_t *b)
{
    analysis_model_t *m = b->m;
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (an_decide_one(b, &m->verdicts[i]) != 0)
            return -1;
    an_basis_filter_t headline = {.setting = NULL, .runtime = false};
    an_basis_filter_t runtime = {.setting = NULL, .runtime = true};
    if (an_class_list(b, &headline, &m->classes, &m->n_classes) != 0 ||
        an_class_list(b, &runtime, &m->runtime_classes, &m->n_runtime_classes) != 0 ||
        an_flips(b) != 0)
        return -1;
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

/* One "cross_host" warning per pair of arms that ran on different hosts: A and B. */
static int an_warn_cross_host_one(an_build_t *b, const char *what, const analysis_arm_t *A,
                                  const analysis_arm_t *B)
{
    char msg[ANALYSIS_TEXT_BYTES];
    snprintf(msg, sizeof msg, "%s: %s %s on host %s%s (shard %s), %s %s on host %s%s (shard %s)",
             what, A->backend, A->policy, A->host[0] ? A->host : "?",
             A->host_mixed ? " and others" : "", A->shard[0] ? A->shard : "?", B->backend,
             B->policy, B->host[0] ? B->host : "?", B->host_mixed ? " and others" : "",
             B->shard[0] ? B->shard : "?");
    return an_warn(b, "cross_host", B, NULL, NULL, msg,
                   "a comparison across machines is not a measurement of the pool: run each "
                   "scenario on one machine (poolbench matrix --shard K/N keeps scenarios "
                   "whole) and merge those journals");
}

static int an_warn_cross_host(an_build_t *b)
{
    analysis_model_t *m = b->m;
    for (size_t i = 0; i < m->n_verdicts; i++) {
        const analysis_verdict_t *v = &m->verdicts[i];
        const size_t *ids[2] = {v->comparisons, v->explain};
        size_t ns[2] = {v->n_comparisons, v->n_explain};
        for (int w = 0; w < 2; w++)
            if (ns[w] && m->comparisons[ids[w][0]].cross_host) {
                const analysis_comparison_t *c = &m->comparisons[ids[w][0]];
                if (an_warn_cross_host_one(b, w ? "explanation (against none) refused"
                                                : "verdict refused (INCONCLUSIVE cross_host)",
                                           &m->arms[c->arm_a], &m->arms[c->arm_b]) != 0)
                    return -1;
            }
    }
    for (size_t i = 0; i < m->n_avp; i++)
        if (!arms_same_host(&m->arms[m->avp[i].arm_a], &m->arms[m->avp[i].arm_b]) &&
            an_warn_cross_host_one(b, "allocator_vs_pool row refused", &m->arms[m->avp[i].arm_a],
                                   &m->arms[m->avp[i].arm_b]) != 0)
            return -1;
    for (size_t i = 0; i < m->n_zeroing; i++)
        if (!arms_same_host(&m->arms[m->zeroing[i].arm_a], &m->arms[m->zeroing[i].arm_b]) &&
            an_warn_cross_host_one(b, "zeroing_cost row flagged", &m->arms[m->zeroing[i].arm_a],
                                   &m->arms[m->zeroing[i].arm_b]) != 0)
            return -1;
    return 0;
}

static int an_warnings(an_build_t *b)
{
    analysis_model_t *m = b->m;
    if (an_warn_journal(b) != 0 || an_warn_disqualified(b) != 0 || an_warn_cross_host(b) != 0)
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

/* ---- adaptive repetitions: the alpha split over the planned looks ---------------------- */

/* The input journal a look came from ("origin"."journal" of a merge), or -1. */
static long long an_look_origin(json_object *look)
{
    json_object *o = NULL, *j = NULL;
    return json_object_object_get_ex(look, "origin", &o) &&
                   json_object_object_get_ex(o, "journal", &j)
               ? json_object_get_int64(j)
               : -1;
}

static void an_looks(analysis_model_t *m, size_t looks_planned_min)
{
    m->alpha_nominal = m->th.alpha;
    m->confidence_nominal = m->th.confidence_level;
    /* looks per run: a merge of shards holds every shard's looks, each with its origin;
       a comparison's cells come from one shard, so the taken count is the largest of any
       one shard and the planned count the largest planned */
    m->n_looks = 0;
    long long planned = 1;
    for (size_t i = 0; i < m->journal->n_looks; i++) {
        json_object *li = m->journal->looks[i];
        long long from = an_look_origin(li);
        size_t same = 0;
        for (size_t k = 0; k < m->journal->n_looks; k++)
            same += an_look_origin(m->journal->looks[k]) == from;
        if (same > m->n_looks)
            m->n_looks = same;
        long long p = journal_int(li, "looks_planned", 1);
        if (p > planned)
            planned = p;
    }
    m->looks_planned = 1;
    if (planned < (long long)looks_planned_min)
        planned = (long long)looks_planned_min;
    if (planned <= 1)
        return;
    if (planned < 1)
        planned = 1;
    if ((size_t)planned < m->n_looks)
        planned = (long long)m->n_looks;   /* never fewer than were taken */
    m->looks_planned = (size_t)planned;
    m->th.alpha = m->alpha_nominal / (double)planned;
    m->th.confidence_level = 1.0 - (1.0 - m->confidence_nominal) / (double)planned;
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
        else if (!arms_same_host(ref_pooled, other_none))
            r->answer = "cross_host";
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
    return analysis_build_planned(j, th, 1, out, err);
}

int analysis_build_planned(const journal_t *j, const thresholds_t *th, size_t looks_planned,
                           analysis_model_t *out, char err[ANALYSIS_ERR_BYTES])
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
    an_looks(out, looks_planned);
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
    for (size_t i = 0; i < m->n_comparisons; i++) {
        free(m->comparisons[i].pair_a);
        free(m->comparisons[i].pair_b);
        free(m->comparisons[i].pair_reps);
    }
    free(m->comparisons);
    for (size_t i = 0; i < m->n_verdicts; i++) {
        free(m->verdicts[i].comparisons);
        free(m->verdicts[i].explain);
        free(m->verdicts[i].failed);
    }
    free(m->verdicts);
    free(m->classes);
    free(m->runtime_classes);
    free(m->flips);
    free(m->keep_classes);
    free(m->inconclusive_classes);
    free(m->avp);
    free(m->zeroing);
    free(m->warnings);
    memset(m, 0, sizeof *m);
}
