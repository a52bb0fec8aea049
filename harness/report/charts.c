/* charts.c: data files and gnuplot runs for the report's charts (charts.h).
 * For: grouping ok samples into arms, the median/CI (or ratio) table of each panel, one
 * data file per panel, one variable file per chart, then gnuplot.
 * Guarantees: see charts.h; a failing gnuplot is a chart status, never an error.
 * Must not: print, exit, run cells, write outside DIR/charts.
 *
 * Data file layout (one per panel, tab-separated, "NaN" where an arm has no data):
 *   column 1: x (category index 0.. for bar charts, the swept value for sweep charts)
 *   column 2: x label
 *   columns 3k, 3k+1, 3k+2: median, CI low, CI high of series (policy) k = 1..npol
 * The variable file NAME.vars.gp sets npanels, ncols, nrows, width, height, npol, the
 * arrays ptitle/pylabel/pfile/polname, chart_title, chart_note, outbase, and for the ratio
 * chart band and keep. Nothing here prints or exits.
 */
#define _GNU_SOURCE 1   /* strverscmp */
#include "charts.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"
#include "util.h"

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

static const char *const chart_names[CHARTS_COUNT] = {
    "time", "ratio", "memory", "pressure", "scaling", "sizes"
};
static const char *const chart_titles[CHARTS_COUNT] = {
    "Time per operation: median and 95 % CI per scenario x backend x policy",
    "Time relative to glibc without pool (log scale), with the equivalence band and keep threshold",
    "Peak memory: live heap high-water mark and peak RSS",
    "Allocator pressure: allocation calls per operation and pool cleanup cycles",
    "Thread scaling: time per operation versus threads",
    "Buffer-size sweep: time per operation versus pool buffer size",
};

const char *charts_name(charts_id_t id) { return id < CHARTS_COUNT ? chart_names[id] : "?"; }
const char *charts_title(charts_id_t id) { return id < CHARTS_COUNT ? chart_titles[id] : "?"; }

void charts_default_options(charts_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->equivalence_margin = 0.10;
    o->keep_time_ratio = 1.0 / 1.15;
    o->bootstrap_seed = 1;
    o->gnuplot_timeout_s = 120;
}

/* ================================================================== arms */

typedef enum { M_TIME, M_PEAK_LIVE, M_RSS, M_ALLOCS_PER_OP, M_CYCLES } metric_t;

typedef struct arm {
    const char *scenario, *variant, *backend, *policy;
    pb_metrics_t *m;
    journal_present_t *pr;
    size_t n, cap;
} arm_t;

typedef struct arms {
    arm_t *v;
    size_t n, cap;
    const char **backends, **policies;   /* ordered, unique */
    size_t n_backends, n_policies;
} arms_t;

static const char *nz(const char *s) { return s ? s : ""; }

static void arms_free(arms_t *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].m);
        free(a->v[i].pr);
    }
    free(a->v);
    free(a->backends);
    free(a->policies);
    memset(a, 0, sizeof *a);
}

static int add_unique(const char ***list, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], s) == 0)
            return 0;
    const char **g = realloc(*list, (*n + 1) * sizeof *g);
    if (!g)
        return -1;
    g[(*n)++] = s;
    *list = g;
    return 0;
}

static int backend_rank(const char *b)
{
    static const char *const order[] = {"glibc", "glibc-mmap128k", "mimalloc", "jemalloc", "tcmalloc"};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (strcmp(b, order[i]) == 0)
            return (int)i;
    return 100;
}

static int cmp_backend(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    int ra = backend_rank(a), rb = backend_rank(b);
    return ra != rb ? ra - rb : strcmp(a, b);
}

static int policy_rank(const char *p)
{
    return strcmp(p, "none") == 0 ? 0 : strcmp(p, "all") == 0 ? 1 : 2;
}

static int cmp_policy(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    int ra = policy_rank(a), rb = policy_rank(b);
    return ra != rb ? ra - rb : strcmp(a, b);
}

static int arms_build(const journal_t *j, arms_t *a)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < j->n_cells; i++) {
        json_object *c = j->cells[i];
        const char *st = journal_str(c, "status");
        if (!st || strcmp(st, "ok") != 0)
            continue;
        const char *sc = nz(journal_str(c, "scenario")), *va = nz(journal_str(c, "variant"));
        const char *be = nz(journal_str(c, "backend")), *po = nz(journal_str(c, "policy"));
        arm_t *arm = NULL;
        for (size_t k = 0; k < a->n && !arm; k++)
            if (!strcmp(a->v[k].scenario, sc) && !strcmp(a->v[k].variant, va) &&
                !strcmp(a->v[k].backend, be) && !strcmp(a->v[k].policy, po))
                arm = &a->v[k];
        if (!arm) {
            if (a->n == a->cap) {
                size_t nc = a->cap ? a->cap * 2 : 32;
                arm_t *g = realloc(a->v, nc * sizeof *g);
                if (!g)
                    return -1;
                a->v = g;
                a->cap = nc;
            }
            arm = &a->v[a->n++];
            memset(arm, 0, sizeof *arm);
            arm->scenario = sc;
            arm->variant = va;
            arm->backend = be;
            arm->policy = po;
            if (add_unique(&a->backends, &a->n_backends, be) < 0 ||
                add_unique(&a->policies, &a->n_policies, po) < 0)
                return -1;
        }
        if (arm->n == arm->cap) {
            size_t nc = arm->cap ? arm->cap * 2 : 8;
            pb_metrics_t *gm = realloc(arm->m, nc * sizeof *gm);
            if (!gm)
                return -1;
            arm->m = gm;
            journal_present_t *gp = realloc(arm->pr, nc * sizeof *gp);
            if (!gp)
                return -1;
            arm->pr = gp;
            arm->cap = nc;
        }
        memset(&arm->m[arm->n], 0, sizeof *arm->m);
        memset(&arm->pr[arm->n], 0, sizeof *arm->pr);
        json_object *mo = NULL;
        if (json_object_object_get_ex(c, "metrics", &mo) && json_object_is_type(mo, json_type_object))
            journal_metrics_get(mo, &arm->m[arm->n], &arm->pr[arm->n]);
        arm->n++;
    }
    if (a->n_backends)
        qsort(a->backends, a->n_backends, sizeof *a->backends, cmp_backend);
    if (a->n_policies)
        qsort(a->policies, a->n_policies, sizeof *a->policies, cmp_policy);
    return 0;
}

/* one sample's value of metric m; 0 when not measured */
static int sample_value(const pb_metrics_t *m, const journal_present_t *p, metric_t id, double *out)
{
    switch (id) {
    case M_TIME:
        if (p->ns_per_op) {
            *out = (double)m->ns_per_op;
            return 1;
        }
        *out = (double)m->wall_ns;   /* hyperfine cells: wall time of the whole run */
        return p->wall_ns;
    case M_PEAK_LIVE:
        *out = (double)m->peak_live_bytes;
        return p->peak_live_bytes;
    case M_RSS:
        *out = (double)m->max_rss_bytes;
        return p->max_rss_bytes;
    case M_ALLOCS_PER_OP:
        if (p->alloc_calls && p->ops && m->ops) {
            *out = (double)m->alloc_calls / (double)m->ops;
            return 1;
        }
        *out = (double)m->allocs_per_op;
        return p->allocs_per_op;
    case M_CYCLES:
        *out = (double)m->pool_cycles;
        return p->pool_cycles;
    }
    return 0;
}

/* values of an arm; caller frees. Returns n (0 = none), -1 on OOM */
static long arm_values(const arm_t *a, metric_t id, double **out)
{
    *out = NULL;
    if (a->n == 0)
        return 0;
    double *v = malloc(a->n * sizeof *v);
    if (!v)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++)
        if (sample_value(&a->m[i], &a->pr[i], id, &v[n]))
            n++;
    if (n == 0) {
        free(v);
        return 0;
    }
    *out = v;
    return (long)n;
}

typedef struct triple { double med, lo, hi; } triple_t;

static const triple_t NO_TRIPLE = {NAN, NAN, NAN};

/* median and CI of an arm's metric; NO_TRIPLE when no data. -1 on OOM */
static int arm_triple(const arm_t *a, metric_t id, triple_t *t)
{
    *t = NO_TRIPLE;
    double *v;
    long n = arm_values(a, id, &v);
    if (n < 0)
        return -1;
    if (n == 0)
        return 0;
    stats_median_ci_t ci;
    int rc = stats_median_ci(v, (size_t)n, 0.95, &ci);
    if (rc == STATS_OK) {
        t->med = ci.median;
        t->lo = ci.lo;
        t->hi = ci.hi;
    } else if (rc == STATS_ENOCI) {
        rc = stats_median(v, (size_t)n, &t->med);
        t->lo = t->hi = t->med;
    }
    free(v);
    return rc == STATS_ENOMEM ? -1 : 0;
}

static const arm_t *find_arm(const arms_t *a, const char *sc, const char *va, const char *be,
                             const char *po)
{
    for (size_t k = 0; k < a->n; k++)
        if (!strcmp(a->v[k].scenario, sc) && !strcmp(a->v[k].variant, va) &&
            !strcmp(a->v[k].backend, be) && !strcmp(a->v[k].policy, po))
            return &a->v[k];
    return NULL;
}

/* ================================================================== groups (panels) */

typedef struct group {
    const char *scenario, *variant;
} group_t;

/* no sample of the group has ns_per_op (hyperfine scenarios): times are whole runs */
static int group_time_is_wall(const arms_t *a, const group_t *g)
{
    for (size_t k = 0; k < a->n; k++)
        if (!strcmp(a->v[k].scenario, g->scenario) && !strcmp(a->v[k].variant, g->variant))
            for (size_t i = 0; i < a->v[k].n; i++)
                if (a->v[k].pr[i].ns_per_op)
                    return 0;
    return 1;
}

static int cmp_group(const void *x, const void *y)
{
    const group_t *a = x, *b = y;
    int c = strcmp(a->scenario, b->scenario);
    return c ? c : strverscmp(a->variant, b->variant);
}

/* distinct (scenario, variant) pairs, sorted */
static int groups_build(const arms_t *a, group_t **out, size_t *n_out)
{
    group_t *g = malloc((a->n ? a->n : 1) * sizeof *g);
    if (!g)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) {
        int seen = 0;
        for (size_t k = 0; k < n && !seen; k++)
            seen = !strcmp(g[k].scenario, a->v[i].scenario) && !strcmp(g[k].variant, a->v[i].variant);
        if (!seen)
            g[n++] = (group_t){a->v[i].scenario, a->v[i].variant};
    }
    if (n)
        qsort(g, n, sizeof *g, cmp_group);
    *out = g;
    *n_out = n;
    return 0;
}

/* value of key k in a variant "k=v k=v" (copied into buf), or NULL */
static const char *variant_get(const char *variant, const char *key, char *buf, size_t cap)
{
    size_t kl = strlen(key);
    const char *p = variant;
    while (p && *p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t vl = n - kl - 1;
            if (vl >= cap)
                vl = cap - 1;
            memcpy(buf, p + kl + 1, vl);
            buf[vl] = '\0';
            return buf;
        }
        p += n;
    }
    return NULL;
}

/* the variant without key k */
static void variant_without(const char *variant, const char *key, char *buf, size_t cap)
{
    size_t kl = strlen(key), len = 0;
    buf[0] = '\0';
    const char *p = variant;
    while (p && *p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n && !(n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=')) {
            if (len && len + 1 < cap)
                buf[len++] = ' ';
            size_t c = n < cap - len - 1 ? n : cap - len - 1;
            memcpy(buf + len, p, c);
            len += c;
            buf[len] = '\0';
        }
        p += n;
    }
}

/* ================================================================== writing helpers */

typedef struct panel {
    char title[256];
    char ylabel[128];
    char file[64];
    char series[256];          /* 1-based indices of series with data: "1 3 4" */
} panel_t;

typedef struct chart_out {
    panel_t *p;
    size_t n, cap;
    const char **series;       /* legend names (policies)  */
    size_t n_series;
    char note[512];
    char title[256];
    int ncols;
    double ymin, ymax;         /* ratio chart: range of every CI (0 = none yet) */
} chart_out_t;

static panel_t *chart_add_panel(chart_out_t *c)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        panel_t *g = realloc(c->p, nc * sizeof *g);
        if (!g)
            return NULL;
        c->p = g;
        c->cap = nc;
    }
    panel_t *p = &c->p[c->n++];
    memset(p, 0, sizeof *p);
    return p;
}

/* records in p->series the series (policies) of table t[rows][np] that have data */
static void panel_series(panel_t *p, const triple_t *t, size_t rows, size_t np)
{
    size_t len = 0;
    p->series[0] = '\0';
    for (size_t k = 0; k < np; k++) {
        int any = 0;
        for (size_t r = 0; r < rows && !any; r++)
            any = !isnan(t[r * np + k].med);
        if (any && len + 8 < sizeof p->series)
            len += (size_t)snprintf(p->series + len, sizeof p->series - len, "%s%zu", len ? " " : "", k + 1);
    }
}

static void put_num(FILE *f, double x)
{
    if (isnan(x))
        fputs("\tNaN", f);
    else
        fprintf(f, "\t%.6g", x);
}

/* gnuplot single-quoted string: ' doubled */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputc('\'', f);
}

/* unit for time values whose largest is max_ns */
static void time_unit(double max_ns, double *div, const char **unit)
{
    if (!(max_ns < 1e4)) {
        if (max_ns < 1e7)
            *div = 1e3, *unit = "µs";
        else if (max_ns < 1e10)
            *div = 1e6, *unit = "ms";
        else
            *div = 1e9, *unit = "s";
    } else {
        *div = 1, *unit = "ns";
    }
}

static void size_label(double bytes, char *buf, size_t cap)
{
    if (bytes >= 1048576 && fmod(bytes, 1048576) == 0)
        snprintf(buf, cap, "%.0fM", bytes / 1048576);
    else if (bytes >= 1024 && fmod(bytes, 1024) == 0)
        snprintf(buf, cap, "%.0fK", bytes / 1024);
    else
        snprintf(buf, cap, "%.0f", bytes);
}

static int path_join(char *buf, size_t cap, const char *a, const char *b)
{
    int n = snprintf(buf, cap, "%s/%s", a, b);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ================================================================== the charts' data */

/* Opens DATADIR/FILE for writing and writes the header row (x, label, and median, CI
 * low, CI high per policy). NULL with err when the path is too long or not writable. */
static FILE *data_open(const arms_t *a, const char *datadir, const char *file, char *path,
                       size_t path_cap, char *err, size_t err_cap)
{
    if (path_join(path, path_cap, datadir, file) < 0) {
        snprintf(err, err_cap, "%s: path too long", datadir);
        return NULL;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, err_cap, "%s: cannot write: %s", path, strerror(errno));
        return NULL;
    }
    fputs("# x\tlabel", f);
    for (size_t p = 0; p < a->n_policies; p++)
        fprintf(f, "\t%s\t%s_lo\t%s_hi", a->policies[p], a->policies[p], a->policies[p]);
    fputc('\n', f);
    return f;
}

/* The rest of one data row: median, CI low and CI high of each of the np series. */
static void data_row(FILE *f, const triple_t *row, size_t np, double div)
{
    for (size_t p = 0; p < np; p++) {
        put_num(f, row[p].med / div);
        put_num(f, row[p].lo / div);
        put_num(f, row[p].hi / div);
    }
    fputc('\n', f);
}

/* Closes a data file. 0, or -1 with err. */
static int data_close(FILE *f, const char *path, char *err, size_t err_cap)
{
    if (fclose(f) != 0) {
        snprintf(err, err_cap, "%s: write error", path);
        return -1;
    }
    return 0;
}

/* The ratio chart's control: the time samples of the group's glibc/none arm. Returns 1
 * with *cv (malloc'd, *cn >= 2 values), 0 when the group has no usable control, -1 on
 * out of memory. */
static int bars_control(const arms_t *a, const group_t *g, double **cv, long *cn)
{
    *cv = NULL;
    *cn = 0;
    const arm_t *ctrl = find_arm(a, g->scenario, g->variant, "glibc", "none");
    if (!ctrl)
        return 0;
    *cn = arm_values(ctrl, M_TIME, cv);
    if (*cn < 0)
        return -1;
    if (*cn < 2) {
        free(*cv);
        *cv = NULL;
        return 0;
    }
    return 1;
}

/* One bar: the arm's median and CI of metric, or (ratio) the ratio of its median time to
 * the control's cv[cn] with a seeded bootstrap CI. 0, or -1 on out of memory. */
static int bars_value(const arm_t *arm, metric_t metric, int ratio, const double *cv, long cn,
                      const charts_options_t *opt, triple_t *x)
{
    if (!ratio)
        return arm_triple(arm, metric, x) < 0 ? -1 : 0;
    double *v;
    long n = arm_values(arm, M_TIME, &v);
    if (n < 0)
        return -1;
    stats_ratio_ci_t r;
    int rc = n >= 2 ? stats_bootstrap_ratio_ci(cv, (size_t)cn, v, (size_t)n,
                                                0.95, 0, opt->bootstrap_seed, &r)
                    : STATS_EDEGENERATE;
    free(v);
    if (rc == STATS_ENOMEM)
        return -1;
    if (rc == STATS_OK)
        *x = (triple_t){r.estimate, r.lo, r.hi};
    return 0;
}

/* Fills t[backends x policies] for one group and metric, widening the chart's y range.
 * Returns 1 when some bar has data (*maxv = the highest bar top), 0 when none, -1 on
 * out of memory. */
static int bars_table(const arms_t *a, const group_t *g, metric_t metric, int ratio,
                      const double *cv, long cn, const charts_options_t *opt, chart_out_t *c,
                      triple_t *t, double *maxv)
{
    size_t nb = a->n_backends, np = a->n_policies;
    int any = 0;
    *maxv = 0;
    for (size_t b = 0; b < nb; b++)
        for (size_t p = 0; p < np; p++) {
            triple_t *x = &t[b * np + p];
            *x = NO_TRIPLE;
            const arm_t *arm = find_arm(a, g->scenario, g->variant, a->backends[b],
                                        a->policies[p]);
            if (!arm)
                continue;
            if (bars_value(arm, metric, ratio, cv, cn, opt, x) < 0)
                return -1;
            if (!isnan(x->med)) {
                any = 1;
                double lo = isnan(x->lo) ? x->med : x->lo, hi = isnan(x->hi) ? x->med : x->hi;
                if (c->ymin == 0 || lo < c->ymin)
                    c->ymin = lo;
                if (hi > c->ymax)
                    c->ymax = hi;
                double top = isnan(x->hi) ? x->med : x->hi;
                if (top > *maxv)
                    *maxv = top;
            }
        }
    return any;
}

/* The y label of a bar panel and the divisor of its values (time units, MiB). */
static void bars_ylabel(const arms_t *a, const group_t *g, metric_t metric, const char *ylabel,
                        int ratio, double maxv, double *div, char *out, size_t cap)
{
    const char *unit = NULL;
    *div = 1;
    if (metric == M_TIME && !ratio) {
        time_unit(maxv, div, &unit);
        /* hyperfine-only groups have no ns_per_op: wall time per process */
        snprintf(out, cap, group_time_is_wall(a, g) ? "wall time per run (%s)" : ylabel, unit);
    } else if (metric == M_PEAK_LIVE || metric == M_RSS) {
        *div = 1048576.0;
        snprintf(out, cap, "%s", ylabel);
    } else {
        snprintf(out, cap, "%s", ylabel);
    }
}

/* Adds the panel of one group and metric (n_metrics > 1: the metric is in the title). */
static panel_t *bars_panel(chart_out_t *c, const group_t *g, metric_t metric, size_t n_metrics,
                           const char *ylabel, const triple_t *t, size_t nb, size_t np,
                           const char *stem)
{
    panel_t *pn = chart_add_panel(c);
    if (!pn)
        return NULL;
    snprintf(pn->title, sizeof pn->title, "%s%s%s%s%s", g->scenario,
             *g->variant ? " (" : "", g->variant, *g->variant ? ")" : "",
             n_metrics > 1 ? "" : "");
    if (n_metrics > 1) {
        size_t l = strlen(pn->title);
        static const char *const short_names[] = {"", "peak live heap", "peak RSS",
                                                  "alloc calls per op", "cleanup cycles"};
        snprintf(pn->title + l, sizeof pn->title - l, ": %s", short_names[metric]);
    }
    snprintf(pn->ylabel, sizeof pn->ylabel, "%s", ylabel);
    panel_series(pn, t, nb, np);
    snprintf(pn->file, sizeof pn->file, "%s_%zu.tsv", stem, c->n);
    return pn;
}

/* Writes a bar panel's data file: one row per backend with data. 0, or -1 with err. */
static int bars_write(const arms_t *a, const triple_t *t, double div, const char *datadir,
                      const char *file, char *err, size_t err_cap)
{
    char path[CHARTS_PATH_BYTES];
    size_t nb = a->n_backends, np = a->n_policies;
    FILE *f = data_open(a, datadir, file, path, sizeof path, err, err_cap);
    if (!f)
        return -1;
    size_t row = 0;
    for (size_t b = 0; b < nb; b++) {
        int has = 0;   /* backends without data in this panel are left out */
        for (size_t p = 0; p < np && !has; p++)
            has = !isnan(t[b * np + p].med);
        if (!has)
            continue;
        fprintf(f, "%zu\t%s", row++, a->backends[b]);
        data_row(f, &t[b * np], np, div);
    }
    return data_close(f, path, err, err_cap);
}

/* One bar panel of group g and metric mi (none when no arm has data). 0, or -1 (out of
 * memory, err untouched; or a file error, with err). */
static int bars_one(const arms_t *a, const group_t *g, const metric_t *metrics,
                    const char *const *ylabels, size_t n_metrics, size_t mi, int ratio,
                    const double *cv, long cn, const char *datadir, const char *stem,
                    const charts_options_t *opt, chart_out_t *c, char *err, size_t err_cap)
{
    /* gather the table first: backends x policies */
    size_t nb = a->n_backends, np = a->n_policies;
    triple_t *t = malloc(nb * np * sizeof *t);
    if (!t)
        return -1;
    double maxv = 0;
    int any = bars_table(a, g, metrics[mi], ratio, cv, cn, opt, c, t, &maxv);
    if (any <= 0) {
        free(t);
        return any;
    }
    double div = 1;
    char ylabel[128];
    bars_ylabel(a, g, metrics[mi], ylabels[mi], ratio, maxv, &div, ylabel, sizeof ylabel);
    panel_t *pn = bars_panel(c, g, metrics[mi], n_metrics, ylabel, t, nb, np, stem);
    int rc = pn ? bars_write(a, t, div, datadir, pn->file, err, err_cap) : -1;
    free(t);
    return rc;
}

/* Bar-style panels: one per group (x metric panels), backends on x, policies as series.
 * ratio != 0: values are median ratios to glibc/none of the same group, bootstrap CI. */
static int data_bars(const arms_t *a, const group_t *g, size_t ng, const metric_t *metrics,
                     const char *const *ylabels, size_t n_metrics, int ratio,
                     const char *datadir, const char *stem, const charts_options_t *opt,
                     chart_out_t *c, char *err, size_t err_cap)
{
    for (size_t gi = 0; gi < ng; gi++) {
        double *cv = NULL;
        long cn = 0;
        if (ratio) {
            int has = bars_control(a, &g[gi], &cv, &cn);
            if (has < 0)
                return -1;
            if (!has)
                continue;
        }
        for (size_t mi = 0; mi < n_metrics; mi++)
            if (bars_one(a, &g[gi], metrics, ylabels, n_metrics, mi, ratio, cv, cn, datadir,
                         stem, opt, c, err, err_cap) < 0) {
                free(cv);
                return -1;
            }
        free(cv);
    }
    return 0;
}

/* A swept value as the variant label prints it: a number with an optional binary
 * suffix (the driver labels sizes "32K", "1M"). */
static double sweep_value(const char *s)
{
    char *end = NULL;
    double x = strtod(s, &end);
    switch (end ? *end : '\0') {
    case 'k': case 'K': return x * 1024.0;
    case 'm': case 'M': return x * 1024.0 * 1024.0;
    case 'g': case 'G': return x * 1024.0 * 1024.0 * 1024.0;
    default: return x;
    }
}

typedef struct sweep_key {
    const char *scenario;
    char rest[192];
    const char *backend;
    const char *key;           /* the swept variant key */
} sweep_key_t;

/* Does arm sweep sk's key within sk's panel? Then vbuf gets the arm's value of it. */
static int sweep_match(const arm_t *arm, const sweep_key_t *sk, char *vbuf, size_t vcap)
{
    char rest[192];
    if (strcmp(arm->scenario, sk->scenario) || strcmp(arm->backend, sk->backend) ||
        !variant_get(arm->variant, sk->key, vbuf, vcap))
        return 0;
    variant_without(arm->variant, sk->key, rest, sizeof rest);
    return strcmp(rest, sk->rest) == 0;
}

/* The sweep panels: distinct (scenario, variant without key, backend, key), in the
 * order of the arms. Returns their number. */
static size_t sweep_panels(const arms_t *a, const char *const *keys, size_t n_keys,
                           sweep_key_t *sk)
{
    char vbuf[64], rest[192];
    size_t nsk = 0;
    for (size_t i = 0; i < a->n; i++)
        for (size_t k = 0; k < n_keys; k++) {
            if (!variant_get(a->v[i].variant, keys[k], vbuf, sizeof vbuf))
                continue;
            variant_without(a->v[i].variant, keys[k], rest, sizeof rest);
            int seen = 0;
            for (size_t s = 0; s < nsk && !seen; s++)
                seen = !strcmp(sk[s].scenario, a->v[i].scenario) && !strcmp(sk[s].rest, rest) &&
                       !strcmp(sk[s].backend, a->v[i].backend) && sk[s].key == keys[k];
            if (!seen) {
                sk[nsk].scenario = a->v[i].scenario;
                snprintf(sk[nsk].rest, sizeof sk[nsk].rest, "%s", rest);
                sk[nsk].backend = a->v[i].backend;
                sk[nsk].key = keys[k];
                nsk++;
            }
        }
    return nsk;
}

/* The distinct swept values of one panel, sorted ascending. Returns their number. */
static size_t sweep_xs(const arms_t *a, const sweep_key_t *sk, double *xs)
{
    char vbuf[64];
    size_t nx = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (!sweep_match(&a->v[i], sk, vbuf, sizeof vbuf))
            continue;
        double x = sweep_value(vbuf);
        int seen = 0;
        for (size_t k = 0; k < nx && !seen; k++)
            seen = xs[k] == x;
        if (!seen)
            xs[nx++] = x;
    }
    for (size_t p = 1; p < nx; p++)
        for (size_t q = p; q > 0 && xs[q - 1] > xs[q]; q--) {
            double tmp = xs[q];
            xs[q] = xs[q - 1];
            xs[q - 1] = tmp;
        }
    return nx;
}

/* Fills t[xs x policies] with the time per op of each point; *maxv gets the highest CI
 * top. 0, or -1 on out of memory. */
static int sweep_table(const arms_t *a, const sweep_key_t *sk, const double *xs, size_t nx,
                       triple_t *t, double *maxv)
{
    char vbuf[64];
    size_t np = a->n_policies;
    *maxv = 0;
    for (size_t xi = 0; xi < nx; xi++)
        for (size_t p = 0; p < np; p++) {
            triple_t *tr = &t[xi * np + p];
            *tr = NO_TRIPLE;
            for (size_t i = 0; i < a->n; i++) {
                const arm_t *arm = &a->v[i];
                if (strcmp(arm->policy, a->policies[p]) ||
                    !sweep_match(arm, sk, vbuf, sizeof vbuf) || sweep_value(vbuf) != xs[xi])
                    continue;
                if (arm_triple(arm, M_TIME, tr) < 0)
                    return -1;
                break;
            }
            if (!isnan(tr->med) && tr->hi > *maxv)
                *maxv = tr->hi;
        }
    return 0;
}

/* Writes a sweep panel's data file: one row per swept value (sizes: K/M labels). 0, or
 * -1 with err. */
static int sweep_write(const arms_t *a, const triple_t *t, const double *xs, size_t nx,
                       double div, int sizes, const char *datadir, const char *file, char *err,
                       size_t err_cap)
{
    char path[CHARTS_PATH_BYTES];
    size_t np = a->n_policies;
    FILE *f = data_open(a, datadir, file, path, sizeof path, err, err_cap);
    if (!f)
        return -1;
    for (size_t xi = 0; xi < nx; xi++) {
        char lab[32];
        if (sizes)
            size_label(xs[xi], lab, sizeof lab);
        else
            snprintf(lab, sizeof lab, "%.0f", xs[xi]);
        fprintf(f, "%.0f\t%s", xs[xi], lab);
        data_row(f, &t[xi * np], np, div);
    }
    return data_close(f, path, err, err_cap);
}

/* One sweep panel (none when fewer than 2 values). 0, or -1 with err. */
static int sweep_one(const arms_t *a, const sweep_key_t *sk, int sizes, double *xs,
                     const char *datadir, const char *stem, chart_out_t *c, char *err,
                     size_t err_cap)
{
    size_t nx = sweep_xs(a, sk, xs);
    if (nx < 2)
        return 0;
    size_t np = a->n_policies;
    triple_t *t = malloc(nx * np * sizeof *t);
    double maxv;
    if (!t || sweep_table(a, sk, xs, nx, t, &maxv) < 0)
        goto oom;
    double div;
    const char *unit;
    time_unit(maxv, &div, &unit);
    panel_t *pn = chart_add_panel(c);
    if (!pn)
        goto oom;
    snprintf(pn->title, sizeof pn->title, "%s%s%s%s, %s", sk->scenario, *sk->rest ? " (" : "",
             sk->rest, *sk->rest ? ")" : "", sk->backend);
    snprintf(pn->ylabel, sizeof pn->ylabel, "time per op (%s)", unit);
    panel_series(pn, t, nx, np);
    snprintf(pn->file, sizeof pn->file, "%s_%zu.tsv", stem, c->n);
    if (sizes)
        snprintf(c->title, sizeof c->title, "%s", "");
    int rc = sweep_write(a, t, xs, nx, div, sizes, datadir, pn->file, err, err_cap);
    free(t);
    return rc;
oom:
    free(t);
    snprintf(err, err_cap, "charts: out of memory");
    return -1;
}

/* Sweep panels: for each (scenario, variant without key, backend) with >= 2 values of key,
 * x = the key's value, one line per policy. */
static int data_sweep(const arms_t *a, const char *const *keys, size_t n_keys, int sizes,
                      const char *datadir, const char *stem, chart_out_t *c, char *err,
                      size_t err_cap)
{
    sweep_key_t *sk = malloc((a->n ? a->n : 1) * sizeof *sk);
    double *xs = malloc((a->n ? a->n : 1) * sizeof *xs);
    int rc = 0;
    if (!sk || !xs) {
        snprintf(err, err_cap, "charts: out of memory");
        rc = -1;
    } else {
        size_t nsk = sweep_panels(a, keys, n_keys, sk);
        for (size_t s = 0; s < nsk && rc == 0; s++)
            rc = sweep_one(a, &sk[s], sizes, xs, datadir, stem, c, err, err_cap);
    }
    free(sk);
    free(xs);
    return rc;
}

/* ================================================================== vars file, gnuplot */

static int write_vars(const char *path, const chart_out_t *c, const char *outbase,
                      const char *scriptdir, const char *datadir, const charts_options_t *opt)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ncols = c->ncols > 0 ? c->ncols : 2;
    if ((size_t)ncols > c->n)
        ncols = (int)c->n;
    int nrows = (int)((c->n + (size_t)ncols - 1) / (size_t)ncols);
    int width = ncols == 1 ? 900 : ncols == 2 ? 1400 : 1800;
    int height = 200 + 380 * nrows;
    fprintf(f, "# generated by poolbench (charts.c): variables for the chart script\n");
    fprintf(f, "npanels = %zu\nncols = %d\nnrows = %d\nwidth = %d\nheight = %d\nnpol = %zu\n",
            c->n, ncols, nrows, width, height, c->n_series);
    /* margins in screen fractions: room for the title and the shared legend on top */
    fprintf(f, "top_margin = %.4f\nbottom_margin = %.4f\n", 1.0 - 150.0 / height, 125.0 / height);
    fprintf(f, "band = %.6g\nkeep = %.6g\n", opt->equivalence_margin, opt->keep_time_ratio);
    /* ratio chart: the data's range, always showing the band and the keep line */
    double lo = c->ymin > 0 ? c->ymin : 1, hi = c->ymax > 0 ? c->ymax : 1;
    if (lo > opt->keep_time_ratio * 0.95)
        lo = opt->keep_time_ratio * 0.95;
    if (hi < (1 + opt->equivalence_margin) * 1.05)
        hi = (1 + opt->equivalence_margin) * 1.05;
    fprintf(f, "ymin = %.6g\nymax = %.6g\n", lo / 1.05, hi * 1.05);
    fputs("outbase = ", f);
    gp_str(f, outbase);
    fputs("\nscriptdir = ", f);
    gp_str(f, scriptdir);
    fputs("\nchart_title = ", f);
    gp_str(f, c->title);
    fputs("\nchart_note = ", f);
    gp_str(f, c->note);
    fputc('\n', f);
    const char *names[4] = {"ptitle", "pylabel", "pfile", "pser"};
    char full[CHARTS_PATH_BYTES];
    for (int k = 0; k < 4; k++) {
        fprintf(f, "array %s[%zu] = [", names[k], c->n);
        for (size_t i = 0; i < c->n; i++) {
            if (i)
                fputs(", ", f);
            if (k == 2 && path_join(full, sizeof full, datadir, c->p[i].file) == 0)
                gp_str(f, full);
            else
                gp_str(f, k == 0 ? c->p[i].title : k == 1 ? c->p[i].ylabel
                        : k == 2 ? c->p[i].file : c->p[i].series);
        }
        fputs("]\n", f);
    }
    /* the legend lists only the series that appear in some panel */
    fputs("legend_ser = '", f);
    int first = 1;
    for (size_t k = 1; k <= c->n_series; k++) {
        char tok[16];
        snprintf(tok, sizeof tok, "%zu", k);
        int used = 0;
        for (size_t i = 0; i < c->n && !used; i++) {
            const char *q = c->p[i].series;
            size_t tl = strlen(tok);
            while (*q && !used) {
                size_t n = strcspn(q, " ");
                used = n == tl && strncmp(q, tok, n) == 0;
                q += n;
                q += strspn(q, " ");
            }
        }
        if (used) {
            fprintf(f, "%s%s", first ? "" : " ", tok);
            first = 0;
        }
    }
    fputs("'\n", f);
    fprintf(f, "array polname[%zu] = [", c->n_series);
    for (size_t i = 0; i < c->n_series; i++) {
        if (i)
            fputs(", ", f);
        gp_str(f, c->series[i]);
    }
    fputs("]\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

/* last non-empty lines of a log file, joined by " / " */
static void log_tail(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512], last[3][512] = {"", "", ""};
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || strspn(p, "^ ") == strlen(p))
            continue;
        memmove(last[0], last[1], sizeof last[0]);
        memmove(last[1], last[2], sizeof last[1]);
        snprintf(last[2], sizeof last[2], "%s", p);
    }
    fclose(f);
    for (int i = 0; i < 3; i++)
        if (last[i][0]) {
            size_t l = strlen(buf);
            snprintf(buf + l, cap - l, "%s%s", l ? " / " : "", last[i]);
        }
}

/* runs gnuplot -e "load vars" script, stdout/stderr to log. 0 ok, else -1 with msg */
static int run_gnuplot(const char *gnuplot, const char *vars, const char *script, const char *log,
                       double timeout_s, char *msg, size_t cap)
{
    char expr[CHARTS_PATH_BYTES + 16];
    /* vars path quoted for gnuplot */
    size_t l = (size_t)snprintf(expr, sizeof expr, "load '");
    for (const char *s = vars; *s && l + 3 < sizeof expr; s++) {
        if (*s == '\'')
            expr[l++] = '\'';
        expr[l++] = *s;
    }
    snprintf(expr + l, sizeof expr - l, "'");
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, cap, "cannot start gnuplot: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (in >= 0)
            dup2(in, 0);
        execlp(gnuplot, gnuplot, "-e", expr, script, (char *)NULL);
        dprintf(2, "cannot run %s: %s\n", gnuplot, strerror(errno));
        _exit(127);
    }
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            snprintf(msg, cap, "waiting for gnuplot: %s", strerror(errno));
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 > timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(msg, cap, "gnuplot did not finish within %.0f s", timeout_s);
            return -1;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char tail[512];
    log_tail(log, tail, sizeof tail);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        snprintf(msg, cap, "gnuplot not found (%s): install gnuplot (Debian: apt-get install gnuplot) "
                 "or set POOLBENCH_GNUPLOT; %s", gnuplot, tail);
    else
        snprintf(msg, cap, "gnuplot failed (%s %d): %s", WIFEXITED(status) ? "exit" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                 tail[0] ? tail : "no message");
    return -1;
}

static int nonempty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Where the chart scripts and gnuplot are: options, else the environment, else the
 * defaults; a timeout of 0 means 120 s. */
static void charts_resolve(const charts_options_t *optp, charts_options_t *opt,
                           const char **scripts, const char **gnuplot)
{
    if (optp)
        *opt = *optp;
    else
        charts_default_options(opt);
    *scripts = opt->scripts_dir ? opt->scripts_dir : getenv("POOLBENCH_CHARTS_DIR");
    if (!*scripts || !**scripts)
        *scripts = PB_SOURCE_DIR "/scripts/charts";
    *gnuplot = opt->gnuplot ? opt->gnuplot : getenv("POOLBENCH_GNUPLOT");
    if (!*gnuplot || !**gnuplot)
        *gnuplot = "gnuplot";
    if (opt->gnuplot_timeout_s <= 0)
        opt->gnuplot_timeout_s = 120;
}

/* Every chart starts as "no data", with its output names. */
static void charts_results_init(charts_result_t results[CHARTS_COUNT])
{
    for (int i = 0; i < CHARTS_COUNT; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].name = chart_names[i];
        results[i].title = chart_titles[i];
        results[i].status = CHARTS_NO_DATA;
        snprintf(results[i].png, sizeof results[i].png, "charts/%s.png", chart_names[i]);
        snprintf(results[i].svg, sizeof results[i].svg, "charts/%s.svg", chart_names[i]);
    }
}

/* The panels and data files of chart id; r->message says why when there is no data.
 * 0, or -1 (err set, or empty on out of memory). */
static int charts_data(int id, const arms_t *a, const group_t *g, size_t ng, const char *datadir,
                       const charts_options_t *opt, chart_out_t *c, charts_result_t *r,
                       char *err, size_t err_cap)
{
    int rc = 0;
    switch (id) {
    case CHARTS_TIME: {
        metric_t m[] = {M_TIME};
        const char *yl[] = {"time per op (%s)"};
        rc = data_bars(a, g, ng, m, yl, 1, 0, datadir, chart_names[id], opt, c, err, err_cap);
        snprintf(r->message, sizeof r->message, "no ok samples with a time");
        break;
    }
    case CHARTS_RATIO: {
        metric_t m[] = {M_TIME};
        const char *yl[] = {"time / time of glibc, no pool"};
        rc = data_bars(a, g, ng, m, yl, 1, 1, datadir, chart_names[id], opt, c, err, err_cap);
        snprintf(c->note, sizeof c->note,
                 "points: ratio of medians (below 1 = faster); error bars: bootstrap 95 %% CI; "
                 "grey band: +-%.0f %% (no difference); dashed: keep threshold (ratio %.3f)",
                 opt->equivalence_margin * 100, opt->keep_time_ratio);
        snprintf(r->message, sizeof r->message,
                 "no scenario has a glibc/none arm with at least 2 ok samples to compare with");
        break;
    }
    case CHARTS_MEMORY: {
        metric_t m[] = {M_PEAK_LIVE, M_RSS};
        const char *yl[] = {"peak live heap (MiB)", "peak RSS (MiB)"};
        rc = data_bars(a, g, ng, m, yl, 2, 0, datadir, chart_names[id], opt, c, err, err_cap);
        snprintf(r->message, sizeof r->message, "no ok samples with memory metrics");
        break;
    }
    case CHARTS_PRESSURE: {
        metric_t m[] = {M_ALLOCS_PER_OP, M_CYCLES};
        const char *yl[] = {"allocation calls per op", "cleanup cycles per run"};
        rc = data_bars(a, g, ng, m, yl, 2, 0, datadir, chart_names[id], opt, c, err, err_cap);
        snprintf(r->message, sizeof r->message, "no ok samples with allocator counts");
        break;
    }
    case CHARTS_SCALING: {
        const char *keys[] = {"threads"};
        c->ncols = a->n_backends >= 3 ? 3 : 2;
        rc = data_sweep(a, keys, 1, 0, datadir, chart_names[id], c, err, err_cap);
        snprintf(r->message, sizeof r->message,
                 "no scenario in this run sweeps threads (e.g. pool_contention with threads = 1,2,4)");
        break;
    }
    case CHARTS_SIZES: {
        /* buffer_size sets the hash and tar sizes together (scenarios/README.md) */
        const char *keys[] = {"buffer_size", "hash_size", "tar_size", "string_size"};
        c->ncols = a->n_backends >= 3 ? 3 : 2;
        rc = data_sweep(a, keys, 4, 1, datadir, chart_names[id], c, err, err_cap);
        snprintf(c->title, sizeof c->title, "%s", chart_titles[id]);
        snprintf(r->message, sizeof r->message,
                 "no scenario in this run sweeps a buffer size (buffer_size, hash_size, tar_size or string_size)");
        break;
    }
    }
    return rc;
}

/* The folders of a report's charts. */
typedef struct charts_dirs {
    const char *dir;                      /* the report's folder            */
    char chart[CHARTS_PATH_BYTES];        /* DIR/charts                     */
    char data[CHARTS_PATH_BYTES];         /* DIR/charts/data                */
    const char *scripts, *gnuplot;
} charts_dirs_t;

/* Writes chart id's variable file and runs gnuplot on its script; r gets the status.
 * A failing gnuplot is not an error. 0, or -1 with err (path too long, vars file). */
static int charts_render(int id, const chart_out_t *c, charts_result_t *r,
                         const charts_dirs_t *d, const charts_options_t *opt, char *err,
                         size_t err_cap)
{
    char vars[CHARTS_PATH_BYTES], script[CHARTS_PATH_BYTES], log[CHARTS_PATH_BYTES],
         outbase[CHARTS_PATH_BYTES], name[128], png[CHARTS_PATH_BYTES], svg[CHARTS_PATH_BYTES];
    snprintf(name, sizeof name, "%s.vars.gp", chart_names[id]);
    int bad = path_join(vars, sizeof vars, d->data, name) < 0;
    snprintf(name, sizeof name, "%s.gp", chart_names[id]);
    bad |= path_join(script, sizeof script, d->scripts, name) < 0;
    snprintf(name, sizeof name, "%s.log", chart_names[id]);
    bad |= path_join(log, sizeof log, d->data, name) < 0;
    bad |= path_join(outbase, sizeof outbase, d->chart, chart_names[id]) < 0;
    bad |= path_join(png, sizeof png, d->dir, r->png) < 0;
    bad |= path_join(svg, sizeof svg, d->dir, r->svg) < 0;
    if (bad) {
        snprintf(err, err_cap, "%s: path too long", d->dir);
        return -1;
    }
    unlink(png);
    unlink(svg);
    if (write_vars(vars, c, outbase, d->scripts, d->data, opt) < 0) {
        snprintf(err, err_cap, "%s: cannot write: %s", vars, strerror(errno));
        return -1;
    }
    r->status = CHARTS_FAILED;
    char msg[CHARTS_MSG_BYTES - 64];
    if (access(script, R_OK) != 0) {
        snprintf(r->message, sizeof r->message, "chart %s: script %s not readable: %s",
                 chart_names[id], script, strerror(errno));
    } else if (run_gnuplot(d->gnuplot, vars, script, log, opt->gnuplot_timeout_s, msg,
                           sizeof msg) < 0) {
        snprintf(r->message, sizeof r->message, "chart %s: %s", chart_names[id], msg);
    } else if (!nonempty(png) || !nonempty(svg)) {
        snprintf(r->message, sizeof r->message,
                 "chart %s: gnuplot ran but %s or %s is missing or empty (see %s)",
                 chart_names[id], r->png, r->svg, log);
    } else {
        r->status = CHARTS_OK;
    }
    return 0;
}

/* One chart: its data, then (when it has any) gnuplot. 0, or -1 with err. */
static int charts_one(int id, const arms_t *a, const group_t *g, size_t ng,
                      const charts_dirs_t *d, const charts_options_t *opt, charts_result_t *r,
                      char *err, size_t err_cap)
{
    chart_out_t c;
    memset(&c, 0, sizeof c);
    c.series = a->policies;
    c.n_series = a->n_policies;
    c.ncols = 2;
    snprintf(c.title, sizeof c.title, "%s", chart_titles[id]);
    const char *ci_note = "bars/points: median of the ok samples; error bars: distribution-free "
                          "95 % CI of the median (none when n < 6)";
    snprintf(c.note, sizeof c.note, "%s", ci_note);
    int rc = charts_data(id, a, g, ng, d->data, opt, &c, r, err, err_cap);
    if (rc < 0) {
        if (!err[0])
            snprintf(err, err_cap, "charts: out of memory");
    } else if (c.n > 0 && c.n_series > 0) {
        r->message[0] = '\0';
        rc = charts_render(id, &c, r, d, opt, err, err_cap);
    }
    free(c.p);
    return rc;
}

int charts_write(const journal_t *j, const char *dir, const charts_options_t *optp,
                 charts_result_t results[CHARTS_COUNT], char *err, size_t err_cap)
{
    charts_options_t opt;
    charts_dirs_t d = { .dir = dir };
    charts_resolve(optp, &opt, &d.scripts, &d.gnuplot);
    charts_results_init(results);
    if (path_join(d.chart, sizeof d.chart, dir, "charts") < 0 ||
        path_join(d.data, sizeof d.data, d.chart, "data") < 0) {
        snprintf(err, err_cap, "%s: path too long", dir);
        return -1;
    }
    if (util_mkdir_p(d.data) < 0) {
        snprintf(err, err_cap, "%s: cannot create: %s", d.data, strerror(errno));
        return -1;
    }
    arms_t a;
    group_t *g = NULL;
    size_t ng = 0;
    if (arms_build(j, &a) < 0 || groups_build(&a, &g, &ng) < 0) {
        arms_free(&a);
        snprintf(err, err_cap, "charts: out of memory");
        return -1;
    }
    int rc = 0;
    for (int id = 0; id < CHARTS_COUNT && rc == 0; id++)
        rc = charts_one(id, &a, g, ng, &d, &opt, &results[id], err, err_cap);
    free(g);
    arms_free(&a);
    return rc;
}
