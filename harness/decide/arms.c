/* arms.c: the model of arms and comparisons (arms.h): groups a journal's cells into arms
 * with their samples and statistics, compares two sample vectors, adjusts a family of
 * p-values (Holm).
 * Guarantees: statistics only from pb_stats; every allocation checked (-1 and nothing
 * leaked); the journal is only read.
 * What it must not do: decide, print, exit, write files.
 */
#include "arms.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ------------------------------------------------------------------------ */

static const char *const arms_metric_names[] = {
#define ARMS_NAME(name, kind, desc) #name,
    PB_METRICS(ARMS_NAME)
#undef ARMS_NAME
};

const char *arms_metric_name(arms_metric_t m)
{
    if ((int)m < 0 || m >= ARMS_METRIC_COUNT)
        return "?";
    return arms_metric_names[m];
}

int arms_metric_index(const char *name)
{
    for (int i = 0; i < ARMS_METRIC_COUNT; i++)
        if (strcmp(name, arms_metric_names[i]) == 0)
            return i;
    return -1;
}

bool arms_counts_deterministic(const char *workload, const char *mode, long long threads)
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

arms_metric_t arms_pair_time_metric(const arms_arm_t *a, const arms_arm_t *b)
{
    return a->stat[ARMS_M_ns_per_op].n > 0 && b->stat[ARMS_M_ns_per_op].n > 0
               ? ARMS_M_ns_per_op
               : ARMS_M_wall_ns;
}

/* ---- collection --------------------------------------------------------------------- */

static void arms_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* config.threads: an integer, a numeric string, or absent/"default" (0). */
static long long arms_threads(json_object *cell)
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

long arms_find(const arms_model_t *m, const char *scenario, const char *backend,
               const char *policy, const char *variant)
{
    if (!variant)
        variant = "";
    for (size_t i = 0; i < m->n_arms; i++) {
        const arms_arm_t *a = &m->arms[i];
        if (strcmp(a->scenario, scenario) == 0 && strcmp(a->backend, backend) == 0 &&
            strcmp(a->policy, policy) == 0 && strcmp(a->variant, variant) == 0)
            return (long)i;
    }
    return -1;
}

typedef struct arms_collector {
    arms_model_t *m;
    size_t cap_arms, cap_failed;
    size_t *cap_cells;          /* per arm: capacity of all_cells                        */
    size_t cap_cap_cells;
} arms_collector_t;

/* The arm of a cell, created from it when new (-1 on out of memory). */
static long arms_of_cell(arms_collector_t *c, json_object *cell, const char *sc,
                         const char *be, const char *po, const char *va)
{
    arms_model_t *m = c->m;
    long i = arms_find(m, sc, be, po, va);
    if (i >= 0)
        return i;
    if (util_grow((void **)&m->arms, &c->cap_arms, m->n_arms, sizeof *m->arms) != 0 ||
        util_grow((void **)&c->cap_cells, &c->cap_cap_cells, m->n_arms, sizeof *c->cap_cells))
        return -1;
    arms_arm_t *a = &m->arms[m->n_arms];
    memset(a, 0, sizeof *a);
    c->cap_cells[m->n_arms] = 0;
    arms_copy(a->scenario, sizeof a->scenario, sc);
    arms_copy(a->backend, sizeof a->backend, be);
    arms_copy(a->policy, sizeof a->policy, po);
    arms_copy(a->variant, sizeof a->variant, va);
    arms_copy(a->workload, sizeof a->workload, journal_str(cell, "workload"));
    arms_copy(a->mode, sizeof a->mode, journal_str(cell, "mode"));
    arms_copy(a->source, sizeof a->source, journal_str(cell, "source"));
    a->threads = arms_threads(cell);
    a->counts_deterministic = arms_counts_deterministic(a->workload, a->mode, a->threads);
    return (long)m->n_arms++;
}

static int arms_is_ok(json_object *cell)
{
    const char *st = journal_str(cell, "status");
    return st && strcmp(st, "ok") == 0;
}

/* The first result digest of the ok cells (journal order), and whether others differ. */
static void arms_note_result(arms_arm_t *a, json_object *cell)
{
    const char *res = journal_str(cell, "result");
    if (!res)
        return;
    if (!a->result[0])
        snprintf(a->result, sizeof a->result, "%s", res);
    else if (strncmp(a->result, res, sizeof a->result - 1) != 0)
        a->result_mixed = true;
}

void arms_cell_origin(const journal_t *j, json_object *cell, const char **host,
                      const char **shard)
{
    json_object *o = NULL;
    json_object *from = json_object_object_get_ex(cell, "origin", &o) &&
                        json_object_is_type(o, json_type_object) ? o : j->context;
    const char *h = from ? journal_str(from, "host") : NULL;
    const char *s = from ? journal_str(from, "shard") : NULL;
    *host = h ? h : "";
    *shard = s ? s : "";
}

bool arms_same_host(const arms_arm_t *a, const arms_arm_t *b)
{
    return !a->host_mixed && !b->host_mixed && strcmp(a->host, b->host) == 0;
}

/* The arm's host and shard: the first cell's, and whether another cell differs. */
static void arms_note_origin(const journal_t *j, arms_arm_t *a, json_object *cell)
{
    const char *host, *shard;
    arms_cell_origin(j, cell, &host, &shard);
    if (a->n_total == 1) {
        a->host = host;
        a->shard = shard;
        return;
    }
    if (strcmp(a->host, host) != 0)
        a->host_mixed = true;
    if (strcmp(a->shard, shard) != 0)
        a->shard_mixed = true;
}

/* Pass 1: every cell into its arm (all_cells, counts, failed list, results, origin). */
static int arms_group(arms_collector_t *c)
{
    arms_model_t *m = c->m;
    const journal_t *j = m->journal;
    for (size_t ci = 0; ci < j->n_cells; ci++) {
        json_object *cell = j->cells[ci];
        const char *sc = journal_str(cell, "scenario"), *be = journal_str(cell, "backend");
        const char *po = journal_str(cell, "policy"), *va = journal_str(cell, "variant");
        if (m->opt.skip_unnamed && (!sc || !be || !po))
            continue;
        sc = sc ? sc : "";
        be = be ? be : "";
        po = po ? po : "";
        va = va ? va : "";
        if (!util_list_has(m->opt.scenarios, sc))
            continue;
        long ai = arms_of_cell(c, cell, sc, be, po, va);
        if (ai < 0)
            return -1;
        arms_arm_t *a = &m->arms[ai];
        if (util_grow((void **)&a->all_cells, &c->cap_cells[ai], a->n_total, sizeof *a->all_cells))
            return -1;
        a->all_cells[a->n_total++] = cell;
        arms_note_origin(j, a, cell);
        if (arms_is_ok(cell)) {
            a->n_cells++;
            arms_note_result(a, cell);
            continue;
        }
        a->n_failed++;
        if (util_grow((void **)&m->failed, &c->cap_failed, m->n_failed, sizeof *m->failed))
            return -1;
        m->failed[m->n_failed++] = (arms_failed_t){.cell = cell, .arm = (size_t)ai};
    }
    return 0;
}

static int arms_cell_cmp(const void *pa, const void *pb)
{
    json_object *a = *(json_object *const *)pa, *b = *(json_object *const *)pb;
    long long ra = journal_int(a, "rep", 0), rb = journal_int(b, "rep", 0);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    const char *ka = journal_str(a, "key"), *kb = journal_str(b, "key");
    return strcmp(ka ? ka : "", kb ? kb : "");
}

/* The time of one ok cell under ARMS_TIME_EXACT_WALL_PER_OP; 0 when it has none. */
static int arms_exact_time(const pb_metrics_t *v, const journal_present_t *pr, double *out)
{
    if (pr->wall_ns && pr->ops && v->ops > 0)
        *out = (double)v->wall_ns / (double)v->ops;
    else if (pr->ns_per_op)
        *out = (double)v->ns_per_op;
    else if (pr->wall_ns)
        *out = (double)v->wall_ns;
    else
        return 0;
    return 1;
}

/* Metrics only the counting runner measures, or that must come from the same process
 * as those (the pool's counters follow the GOGC rule, which counts allocated bytes). */
static bool arms_metric_from_counting(int mi)
{
    switch (mi) {
    case ARMS_M_alloc_calls: case ARMS_M_free_calls: case ARMS_M_alloc_bytes:
    case ARMS_M_peak_live_bytes: case ARMS_M_bytes_per_op: case ARMS_M_allocs_per_op:
    case ARMS_M_pool_gets: case ARMS_M_pool_hits: case ARMS_M_pool_misses:
    case ARMS_M_pool_drops: case ARMS_M_pool_cycles:
        return true;
    default:
        return false;
    }
}

/* A cell's "instrument": 1 bare (pb-<backend>-bare), 2 counting (pb-<backend>), 0 not
 * recorded (older journals, pb-go, hyperfine: every metric from the cell). */
static int arms_instrument(json_object *cell)
{
    const char *s = journal_str(cell, "instrument");
    return !s ? 0 : strcmp(s, "bare") == 0 ? 1 : strcmp(s, "counting") == 0 ? 2 : 0;
}

/* Samples of every metric and the time samples, from the arm's ok cells in order. In an
 * arm with bare cells (instrument_split), each metric comes from one kind of cell only:
 * counts (arms_metric_from_counting) from the counting cells, time and everything else
 * from the bare cells, so the instrument's cost never enters a time sample. */
static int arms_take_samples(arms_arm_t *a, arms_time_t time)
{
    for (int mi = 0; mi < ARMS_METRIC_COUNT; mi++)
        if (!(a->samples[mi] = calloc(a->n_cells, sizeof(double))) ||
            !(a->reps[mi] = calloc(a->n_cells, sizeof(long long))))
            return -1;
    if (!(a->time = calloc(a->n_cells, sizeof(double))))
        return -1;
    a->instrument_split = false;
    for (size_t i = 0; i < a->n_cells; i++)
        if (arms_instrument(a->cells[i]) == 1)
            a->instrument_split = true;
    for (size_t i = 0; i < a->n_cells; i++) {
        pb_metrics_t mv;
        journal_present_t pr;
        json_object *metrics = NULL;
        json_object_object_get_ex(a->cells[i], "metrics", &metrics);
        journal_metrics_get(metrics, &mv, &pr);
        int inst = arms_instrument(a->cells[i]);
        long long rep = journal_int(a->cells[i], "rep", -1);
        /* which metrics this cell gives: all, its counts only, or all but counts */
        bool counts = !a->instrument_split || inst != 1;
        bool others = !a->instrument_split || inst != 2;
#define ARMS_TAKE(name, kind, desc)                                                         \
    if (pr.name && (arms_metric_from_counting(ARMS_M_##name) ? counts : others)) {          \
        a->reps[ARMS_M_##name][a->stat[ARMS_M_##name].n] = rep;                             \
        a->samples[ARMS_M_##name][a->stat[ARMS_M_##name].n++] = (double)mv.name;            \
    }
        PB_METRICS(ARMS_TAKE)
#undef ARMS_TAKE
        if (!others)
            continue;
        if (time == ARMS_TIME_EXACT_NS_PER_OP && pr.ns_per_op && pr.wall_ns && mv.ops > 0)
            a->samples[ARMS_M_ns_per_op][a->stat[ARMS_M_ns_per_op].n - 1] =
                (double)mv.wall_ns / (double)mv.ops;
        if (time == ARMS_TIME_EXACT_WALL_PER_OP && arms_exact_time(&mv, &pr, &a->time[a->n_time]))
            a->n_time++;
    }
    a->time_metric = ARMS_M_ns_per_op;
    if (time == ARMS_TIME_JOURNAL_NS_PER_OP || time == ARMS_TIME_EXACT_NS_PER_OP) {
        if (a->stat[ARMS_M_ns_per_op].n == 0)
            a->time_metric = ARMS_M_wall_ns;
        a->n_time = a->stat[a->time_metric].n;
        memcpy(a->time, a->samples[a->time_metric], a->n_time * sizeof *a->time);
    }
    return 0;
}

static int arms_stats(arms_arm_t *a, double confidence)
{
    for (int mi = 0; mi < ARMS_METRIC_COUNT; mi++) {
        arms_stat_t *s = &a->stat[mi];
        s->median = s->ci_lo = s->ci_hi = s->mad = s->min = s->max = NAN;
        s->ci_status = STATS_EINVAL;
        if (s->n == 0)
            continue;
        const double *x = a->samples[mi];
        if (stats_median(x, s->n, &s->median) == STATS_ENOMEM)
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

/* Pass 2: per arm, its ok cells in the model's order, their samples and statistics. */
static int arms_fill(arms_model_t *m)
{
    for (size_t ai = 0; ai < m->n_arms; ai++) {
        arms_arm_t *a = &m->arms[ai];
        for (int mi = 0; mi < ARMS_METRIC_COUNT; mi++) {
            arms_stat_t *s = &a->stat[mi];
            s->median = s->ci_lo = s->ci_hi = s->mad = s->min = s->max = NAN;
            s->ci_status = STATS_EINVAL;
        }
        a->time_metric = m->opt.time != ARMS_TIME_EXACT_WALL_PER_OP ? ARMS_M_wall_ns
                                                                    : ARMS_M_ns_per_op;
        if (a->n_cells == 0)
            continue;
        if (!(a->cells = calloc(a->n_cells, sizeof *a->cells)))
            return -1;
        size_t k = 0;
        for (size_t i = 0; i < a->n_total; i++)
            if (arms_is_ok(a->all_cells[i]))
                a->cells[k++] = a->all_cells[i];
        if (m->opt.order == ARMS_ORDER_REPETITION)
            qsort(a->cells, a->n_cells, sizeof *a->cells, arms_cell_cmp);
        if (arms_take_samples(a, m->opt.time) != 0 || arms_stats(a, m->opt.confidence_level) != 0)
            return -1;
    }
    return 0;
}

int arms_collect(const journal_t *j, const arms_options_t *opt, arms_model_t *out)
{
    memset(out, 0, sizeof *out);
    out->journal = j;
    out->opt = *opt;
    arms_collector_t c = {.m = out};
    int rc = arms_group(&c);
    free(c.cap_cells);
    if (rc == 0)
        rc = arms_fill(out);
    if (rc != 0) {
        arms_free(out);
        out->journal = j;
        out->opt = *opt;
        return -1;
    }
    return 0;
}

void arms_free(arms_model_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_arms; i++) {
        arms_arm_t *a = &m->arms[i];
        free(a->all_cells);
        free(a->cells);
        free(a->time);
        for (int k = 0; k < ARMS_METRIC_COUNT; k++) {
            free(a->samples[k]);
            free(a->reps[k]);
        }
    }
    free(m->arms);
    free(m->failed);
    memset(m, 0, sizeof *m);
}

/* ---- comparison ---------------------------------------------------------------------- */

static bool arms_constant(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (x[i] != x[0])
            return false;
    return n > 0;
}

/* Both vectors constant: the ratio of the constants (1 when both are 0, +inf when only
 * the baseline is). */
static void arms_compare_exact(arms_comparison_t *out)
{
    double va = out->median_a, vb = out->median_b;
    out->method = ARMS_METHOD_EXACT;
    out->ratio = va != 0 ? vb / va : (vb == 0 ? 1.0 : INFINITY);
    out->ci_status = STATS_OK;
    out->ci.estimate = out->ci.lo = out->ci.hi = out->ratio;
}

int arms_compare(const double *a, size_t na, const double *b, size_t nb,
                 const arms_compare_options_t *opt, arms_comparison_t *out)
{
    memset(out, 0, sizeof *out);
    out->method = ARMS_METHOD_STATISTICAL;
    out->n_a = na;
    out->n_b = nb;
    out->median_a = out->median_b = out->ratio = NAN;
    out->ci.estimate = out->ci.lo = out->ci.hi = NAN;
    out->mwu.u1 = out->mwu.p = out->mwu.z = NAN;
    out->ci_status = out->mwu_status = STATS_EINVAL;
    if (na && stats_median(a, na, &out->median_a) == STATS_ENOMEM)
        return -1;
    if (nb && stats_median(b, nb, &out->median_b) == STATS_ENOMEM)
        return -1;
    if (na == 0 || nb == 0)
        return 0;
    if (opt->exact_when_constant && arms_constant(a, na) && arms_constant(b, nb)) {
        arms_compare_exact(out);
        return 0;
    }
    stats_mwu_t mw;
    out->mwu_status = stats_mann_whitney(a, na, b, nb, &mw);
    if (out->mwu_status == STATS_ENOMEM)
        return -1;
    if (out->mwu_status == STATS_OK)
        out->mwu = mw;
    out->ci_status = stats_bootstrap_ratio_ci(a, na, b, nb, opt->confidence_level,
                                              opt->resamples, opt->seed, &out->ci);
    if (out->ci_status == STATS_ENOMEM)
        return -1;
    if (out->median_a != 0)
        out->ratio = out->median_b / out->median_a;
    return 0;
}

/* Are the first n values of reps non-negative and strictly increasing? */
static bool arms_reps_ordered(const long long *reps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (reps[i] < 0 || (i > 0 && reps[i] <= reps[i - 1]))
            return false;
    return true;
}

size_t arms_pairs(const arms_arm_t *a, const arms_arm_t *b, arms_metric_t m, double *xa,
                  double *xb, long long *reps)
{
    if ((int)m < 0 || m >= ARMS_METRIC_COUNT || !a->reps[m] || !b->reps[m])
        return 0;
    size_t na = a->stat[m].n, nb = b->stat[m].n, i = 0, j = 0, k = 0;
    if (!arms_reps_ordered(a->reps[m], na) || !arms_reps_ordered(b->reps[m], nb))
        return 0;
    while (i < na && j < nb) {
        long long ra = a->reps[m][i], rb = b->reps[m][j];
        if (ra < rb) {
            i++;
        } else if (rb < ra) {
            j++;
        } else {
            if (xa)
                xa[k] = a->samples[m][i];
            if (xb)
                xb[k] = b->samples[m][j];
            if (reps)
                reps[k] = ra;
            k++, i++, j++;
        }
    }
    return k;
}

int arms_compare_paired(const double *a, const double *b, size_t n,
                        const arms_compare_options_t *opt, arms_comparison_t *out)
{
    if (n == 0 || (opt->exact_when_constant && arms_constant(a, n) && arms_constant(b, n)))
        return arms_compare(a, n, b, n, opt, out);
    stats_paired_t pr;
    int prc = stats_paired_log_ratio(a, b, n, STATS_PAIRED_TRIM, opt->confidence_level, &pr);
    if (prc == STATS_ENOMEM)
        return -1;
    if (prc != STATS_OK)
        return arms_compare(a, n, b, n, opt, out);
    memset(out, 0, sizeof *out);
    out->method = ARMS_METHOD_PAIRED;
    out->n_a = out->n_b = n;
    if (stats_median(a, n, &out->median_a) == STATS_ENOMEM ||
        stats_median(b, n, &out->median_b) == STATS_ENOMEM)
        return -1;
    out->paired = pr;
    out->ratio = pr.ratio;
    out->ci_status = STATS_OK;
    out->ci = (stats_ratio_ci_t){.estimate = pr.ratio, .lo = pr.lo, .hi = pr.hi,
                                 .confidence_level = opt->confidence_level};
    out->mwu_status = STATS_EINVAL;
    out->mwu.u1 = out->mwu.p = out->mwu.z = NAN;
    return 0;
}

/* ---- Holm over a family --------------------------------------------------------------- */

int arms_family_add(arms_family_t *f, double p, double *adjusted)
{
    if (isnan(p))
        return 0;
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 32;
        double *np = realloc(f->p, nc * sizeof *np);
        if (!np)
            return -1;
        f->p = np;
        double **na = realloc(f->adjusted, nc * sizeof *na);
        if (!na)
            return -1;
        f->adjusted = na;
        f->cap = nc;
    }
    f->p[f->n] = p;
    f->adjusted[f->n++] = adjusted;
    return 0;
}

int arms_family_adjust(arms_family_t *f)
{
    if (f->n == 0)
        return STATS_OK;
    double *adj = malloc(f->n * sizeof *adj);
    if (!adj)
        return STATS_ENOMEM;
    int rc = stats_holm(f->p, f->n, adj);
    if (rc == STATS_OK)
        for (size_t i = 0; i < f->n; i++)
            *f->adjusted[i] = adj[i];
    free(adj);
    return rc;
}

void arms_family_free(arms_family_t *f)
{
    free(f->p);
    free(f->adjusted);
    memset(f, 0, sizeof *f);
}
