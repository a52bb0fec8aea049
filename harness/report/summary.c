/* summary.c: the plain summary table and arm comparisons (summary.h). Statistics only
 * through pb_stats (stats.h); this file formats and groups. */
#include "summary.h"
#include "metrics.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_BOOTSTRAP_SEED 20240601u

typedef struct group {
    const char *scenario, *variant, *backend, *policy;
    json_object **cells;
    size_t n, cap;
} group_t;

typedef struct groups {
    group_t *g;
    size_t n, cap;
} groups_t;

static const char *nz(const char *s) { return s ? s : ""; }

static int cmp_group(const void *a, const void *b)
{
    const group_t *x = a, *y = b;
    int c = strcmp(x->scenario, y->scenario);
    if (!c)
        c = strcmp(x->variant, y->variant);
    if (!c)
        c = strcmp(x->backend, y->backend);
    if (!c)
        c = strcmp(x->policy, y->policy);
    return c;
}

static int groups_build(const journal_t *j, groups_t *gs)
{
    memset(gs, 0, sizeof *gs);
    for (size_t i = 0; i < j->n_cells; i++) {
        json_object *c = j->cells[i];
        const char *sc = nz(journal_str(c, "scenario")), *va = nz(journal_str(c, "variant"));
        const char *be = nz(journal_str(c, "backend")), *po = nz(journal_str(c, "policy"));
        group_t *g = NULL;
        for (size_t k = 0; k < gs->n && !g; k++)
            if (!strcmp(gs->g[k].scenario, sc) && !strcmp(gs->g[k].variant, va) &&
                !strcmp(gs->g[k].backend, be) && !strcmp(gs->g[k].policy, po))
                g = &gs->g[k];
        if (!g) {
            if (gs->n == gs->cap) {
                size_t nc = gs->cap ? gs->cap * 2 : 32;
                group_t *ng = realloc(gs->g, nc * sizeof *ng);
                if (!ng)
                    return -1;
                gs->g = ng;
                gs->cap = nc;
            }
            g = &gs->g[gs->n++];
            memset(g, 0, sizeof *g);
            g->scenario = sc;
            g->variant = va;
            g->backend = be;
            g->policy = po;
        }
        if (g->n == g->cap) {
            size_t nc = g->cap ? g->cap * 2 : 8;
            json_object **nc_ = realloc(g->cells, nc * sizeof *nc_);
            if (!nc_)
                return -1;
            g->cells = nc_;
            g->cap = nc;
        }
        g->cells[g->n++] = c;
    }
    if (gs->n > 1)  /* rows sorted by scenario, variant, backend, policy */
        qsort(gs->g, gs->n, sizeof *gs->g, cmp_group);
    return 0;
}

static void groups_free(groups_t *gs)
{
    for (size_t i = 0; i < gs->n; i++)
        free(gs->g[i].cells);
    free(gs->g);
}

static int cell_ok(json_object *c)
{
    const char *st = journal_str(c, "status");
    return st && strcmp(st, "ok") == 0;
}

/* metric by index in PB_METRICS order; returns 1 when present */
static int metric_value(json_object *cell, int idx, double *out)
{
    pb_metrics_t m;
    journal_present_t p;
    journal_metrics_get(json_object_object_get(cell, "metrics"), &m, &p);
    int i = 0;
#define PICK(name, kind, desc)                                                             \
    if (i++ == idx) {                                                                      \
        *out = (double)m.name;                                                             \
        return p.name;                                                                     \
    }
    PB_METRICS(PICK)
#undef PICK
    return 0;
}

static int metric_index(const char *name)
{
    int i = 0;
#define FIND(n_, kind, desc)                                                               \
    if (strcmp(name, #n_) == 0)                                                            \
        return i;                                                                          \
    i++;
    PB_METRICS(FIND)
#undef FIND
    return -1;
}

#define IDX(name) metric_index(#name)

/* ok samples of one metric in a group; returns count (array malloc'd into *out) */
static size_t samples(const group_t *g, int idx, double **out)
{
    *out = malloc((g->n ? g->n : 1) * sizeof **out);
    if (!*out)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++) {
        double v;
        if (cell_ok(g->cells[i]) && metric_value(g->cells[i], idx, &v))
            (*out)[k++] = v;
    }
    return k;
}

static void fmt_num(double v, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else if (fabs(v) >= 1e9)
        snprintf(buf, cap, "%.3ge9", v / 1e9);
    else if (fabs(v) >= 100)
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, "%.3g", v);
}

static void fmt_bytes(double v, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else if (v >= 1024.0 * 1024 * 1024)
        snprintf(buf, cap, "%.2f GiB", v / (1024.0 * 1024 * 1024));
    else if (v >= 1024.0 * 1024)
        snprintf(buf, cap, "%.1f MiB", v / (1024.0 * 1024));
    else if (v >= 1024.0)
        snprintf(buf, cap, "%.1f KiB", v / 1024.0);
    else
        snprintf(buf, cap, "%.0f B", v);
}

static double median_of(const group_t *g, int idx, size_t *n_out)
{
    double *x, med = NAN;
    size_t n = samples(g, idx, &x);
    if (n && stats_median(x, n, &med) != STATS_OK)
        med = NAN;
    free(x);
    if (n_out)
        *n_out = n;
    return med;
}

static double max_of(const group_t *g, int idx)
{
    double *x, mx = NAN;
    size_t n = samples(g, idx, &x);
    for (size_t i = 0; i < n; i++)
        if (isnan(mx) || x[i] > mx)
            mx = x[i];
    free(x);
    return mx;
}

int summary_write(const journal_t *j, FILE *out)
{
    groups_t gs;
    if (groups_build(j, &gs) != 0) {
        groups_free(&gs);
        return -1;
    }
    json_object *ctx = j->context;
    fprintf(out, "# poolbench summary\n\n");
    fprintf(out, "Matrix `%s` (hash %.12s), seed %lld, shard %s; %zu cells; CPU %s, %lld cores, "
                 "glibc %s.\n\n",
            nz(journal_str(ctx, "matrix")), nz(journal_str(ctx, "matrix_hash")),
            journal_int(ctx, "seed", -1), nz(journal_str(ctx, "shard")), j->n_cells,
            nz(journal_str(ctx, "cpu_model")), journal_int(ctx, "cores", 0),
            nz(journal_str(ctx, "glibc")));
    fprintf(out, "Medians over the ok cells of each row; CI = distribution-free 95 %% CI of the "
                 "median (none below 6 samples). Process-level rows (hyperfine) have wall time "
                 "only. max RSS is the largest of the cells' own wait4 values.\n\n");
    const char *last_sc = NULL;
    size_t n_failed = 0;
    for (size_t gi = 0; gi < gs.n; gi++) {
        group_t *g = &gs.g[gi];
        if (!last_sc || strcmp(last_sc, g->scenario) != 0) {
            fprintf(out, "\n## %s\n\n", g->scenario);
            fprintf(out, "| variant | backend | policy | n ok/all | wall ms | ns/op | ns/op 95%% CI "
                         "| peak live | max RSS | allocs/op | pool hits | pool misses | status |\n");
            fprintf(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            last_sc = g->scenario;
        }
        size_t n_ok = 0;
        for (size_t i = 0; i < g->n; i++)
            n_ok += cell_ok(g->cells[i]);
        n_failed += g->n - n_ok;
        double *x;
        size_t n = samples(g, IDX(ns_per_op), &x);
        char med[32] = "-", ci[64] = "-";
        if (n) {
            stats_median_ci_t mc;
            int rc = stats_median_ci(x, n, 0.95, &mc);
            double m;
            if (stats_median(x, n, &m) == STATS_OK)
                fmt_num(m, med, sizeof med);
            if (rc == STATS_OK) {
                char lo[24], hi[24];
                fmt_num(mc.lo, lo, sizeof lo);
                fmt_num(mc.hi, hi, sizeof hi);
                snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
            } else if (rc == STATS_ENOCI) {
                snprintf(ci, sizeof ci, "n<6: none");
            }
        }
        free(x);
        double wall = median_of(g, IDX(wall_ns), NULL) / 1e6;
        char wall_s[32], peak[32], rss[32], apo[32], hits[32], miss[32];
        fmt_num(wall, wall_s, sizeof wall_s);
        fmt_bytes(median_of(g, IDX(peak_live_bytes), NULL), peak, sizeof peak);
        fmt_bytes(max_of(g, IDX(max_rss_bytes)), rss, sizeof rss);
        fmt_num(median_of(g, IDX(allocs_per_op), NULL), apo, sizeof apo);
        fmt_num(median_of(g, IDX(pool_hits), NULL), hits, sizeof hits);
        fmt_num(median_of(g, IDX(pool_misses), NULL), miss, sizeof miss);
        /* status counts */
        char st[256] = "";
        const char *seen[32];
        size_t cnt[32], ns = 0;
        for (size_t i = 0; i < g->n; i++) {
            const char *s = nz(journal_str(g->cells[i], "status"));
            size_t k = 0;
            while (k < ns && strcmp(seen[k], s) != 0)
                k++;
            if (k == ns && ns < 32) {
                seen[ns] = s;
                cnt[ns++] = 0;
            }
            if (k < 32)
                cnt[k]++;
        }
        for (size_t k = 0; k < ns; k++) {
            size_t l = strlen(st);
            snprintf(st + l, sizeof st - l, "%s%s %zu", k ? ", " : "", seen[k], cnt[k]);
        }
        fprintf(out, "| %s | %s | %s | %zu/%zu | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                g->variant[0] ? g->variant : "-", g->backend, g->policy, n_ok, g->n, wall_s, med,
                ci, peak, rss, apo, hits, miss, st);
    }
    fprintf(out, "\n## Failed cells\n\n");
    if (n_failed == 0)
        fprintf(out, "None.\n");
    for (size_t i = 0; i < j->n_cells; i++) {
        json_object *c = j->cells[i];
        if (cell_ok(c))
            continue;
        const char *err = journal_str(c, "stderr");
        const char *why = journal_str(c, "bad_output_reason");
        const char *exp = journal_str(c, "expected");
        char e1[160] = "";
        if (err) {
            snprintf(e1, sizeof e1, "%s", err);
            for (char *p = e1; *p; p++)
                if (*p == '\n' || *p == '|')
                    *p = ' ';
        }
        fprintf(out, "- %s %s/%s %s rep %lld: **%s**%s%s%s%s%s%s (key %.12s)\n",
                nz(journal_str(c, "scenario")), nz(journal_str(c, "backend")),
                nz(journal_str(c, "policy")), nz(journal_str(c, "variant")),
                journal_int(c, "rep", -1), nz(journal_str(c, "status")),
                e1[0] ? ": " : "", e1, why ? "; " : "", why ? why : "",
                exp ? "; expected " : "", exp ? exp : "", nz(journal_str(c, "key")));
    }
    groups_free(&gs);
    return 0;
}

int summary_compare(const journal_t *j, const char *a, const char *b, const char *metric,
                    FILE *out, char *err, size_t err_cap)
{
    int idx = metric_index(metric);
    if (idx < 0) {
        snprintf(err, err_cap, "unknown metric '%s' (see harness/common/metrics.h)", metric);
        return -3;
    }
    char ab[2][128], *pol[2];
    const char *spec[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        snprintf(ab[k], sizeof ab[k], "%s", spec[k]);
        pol[k] = strchr(ab[k], '/');
        if (!pol[k] || pol[k] == ab[k] || !pol[k][1]) {
            snprintf(err, err_cap, "bad arm '%s' (BACKEND/POLICY, e.g. glibc/none)", spec[k]);
            return -2;
        }
        *pol[k]++ = '\0';
    }
    groups_t gs;
    if (groups_build(j, &gs) != 0) {
        groups_free(&gs);
        return -1;
    }
    /* rows: (scenario, variant) with both arms present */
    size_t rows = 0;
    group_t **ga = malloc((gs.n + 1) * sizeof *ga), **gb = malloc((gs.n + 1) * sizeof *gb);
    double *p = malloc((gs.n + 1) * sizeof *p), *padj = malloc((gs.n + 1) * sizeof *padj);
    if (!ga || !gb || !p || !padj) {
        free(ga); free(gb); free(p); free(padj);
        groups_free(&gs);
        return -1;
    }
    for (size_t i = 0; i < gs.n; i++) {
        group_t *x = &gs.g[i];
        if (strcmp(x->backend, ab[0]) || strcmp(x->policy, pol[0]))
            continue;
        for (size_t k = 0; k < gs.n; k++) {
            group_t *y = &gs.g[k];
            if (!strcmp(y->backend, ab[1]) && !strcmp(y->policy, pol[1]) &&
                !strcmp(y->scenario, x->scenario) && !strcmp(y->variant, x->variant)) {
                ga[rows] = x;
                gb[rows] = y;
                rows++;
            }
        }
    }
    if (rows == 0) {
        snprintf(err, err_cap, "no scenario has both arms %s and %s", a, b);
        free(ga); free(gb); free(p); free(padj);
        groups_free(&gs);
        return -2;
    }
    typedef struct row_res {
        size_t na, nb;
        double ma, mb;
        stats_ratio_ci_t r;
        int rrc;
        stats_mwu_t mw;
        int mrc;
    } row_res_t;
    row_res_t *rr = calloc(rows, sizeof *rr);
    if (!rr) {
        free(ga); free(gb); free(p); free(padj);
        groups_free(&gs);
        return -1;
    }
    size_t np = 0;
    for (size_t i = 0; i < rows; i++) {
        double *xa, *xb;
        rr[i].na = samples(ga[i], idx, &xa);
        rr[i].nb = samples(gb[i], idx, &xb);
        rr[i].ma = rr[i].mb = NAN;
        rr[i].rrc = rr[i].mrc = STATS_EINVAL;
        if (rr[i].na && stats_median(xa, rr[i].na, &rr[i].ma) != STATS_OK)
            rr[i].ma = NAN;
        if (rr[i].nb && stats_median(xb, rr[i].nb, &rr[i].mb) != STATS_OK)
            rr[i].mb = NAN;
        if (rr[i].na && rr[i].nb) {
            rr[i].rrc = stats_bootstrap_ratio_ci(xa, rr[i].na, xb, rr[i].nb, 0.95, 0,
                                                 SUMMARY_BOOTSTRAP_SEED, &rr[i].r);
            rr[i].mrc = stats_mann_whitney(xa, rr[i].na, xb, rr[i].nb, &rr[i].mw);
            if (rr[i].mrc == STATS_OK)
                p[np++] = rr[i].mw.p;
        }
        free(xa);
        free(xb);
    }
    if (np && stats_holm(p, np, padj) != STATS_OK)
        for (size_t i = 0; i < np; i++)
            padj[i] = NAN;
    fprintf(out, "# poolbench compare: %s = b / a, a = %s, b = %s\n\n", metric, a, b);
    fprintf(out, "Ratio of medians b/a with a seeded (seed %u) bootstrap 95 %% CI (10000 "
                 "resamples); two-sided Mann-Whitney p; Holm-adjusted over the %zu rows with a "
                 "p-value. Fewer than 4 samples per arm: no claim.\n\n",
            SUMMARY_BOOTSTRAP_SEED, np);
    fprintf(out, "| scenario | variant | n a | n b | median a | median b | ratio b/a | 95%% CI | p | p (Holm) |\n");
    fprintf(out, "|---|---|---|---|---|---|---|---|---|---|\n");
    size_t pi = 0;
    for (size_t i = 0; i < rows; i++) {
        char ma[32], mb[32], ratio[32] = "-", ci[64] = "-", ps[32] = "-", pa[32] = "-";
        fmt_num(rr[i].ma, ma, sizeof ma);
        fmt_num(rr[i].mb, mb, sizeof mb);
        if (rr[i].rrc == STATS_OK || (rr[i].rrc == STATS_EDEGENERATE && !isnan(rr[i].r.estimate)))
            snprintf(ratio, sizeof ratio, "%.3f", rr[i].r.estimate);
        if (rr[i].rrc == STATS_OK)
            snprintf(ci, sizeof ci, "[%.3f, %.3f]", rr[i].r.lo, rr[i].r.hi);
        else if (rr[i].na && rr[i].nb)
            snprintf(ci, sizeof ci, "%s", stats_strerror(rr[i].rrc));
        if (rr[i].mrc == STATS_OK) {
            snprintf(ps, sizeof ps, "%.3g", rr[i].mw.p);
            snprintf(pa, sizeof pa, "%.3g", padj[pi++]);
        }
        const char *note = (rr[i].na < 4 || rr[i].nb < 4) ? " (n<4: no claim)" : "";
        fprintf(out, "| %s | %s | %zu | %zu | %s | %s | %s%s | %s | %s | %s |\n", ga[i]->scenario,
                ga[i]->variant[0] ? ga[i]->variant : "-", rr[i].na, rr[i].nb, ma, mb, ratio, note,
                ci, ps, pa);
    }
    free(rr);
    free(ga); free(gb); free(p); free(padj);
    groups_free(&gs);
    return 0;
}
