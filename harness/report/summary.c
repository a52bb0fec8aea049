/* summary.c: the plain summary table (summary.md of `poolbench report`) and `poolbench
 * compare` (summary.h).
 * Guarantees: the arms, their samples and every statistic come from the one model of
 * arms and comparisons (decide/arms.h), with this file's choices: time = the journal's
 * integer ns_per_op (issue 8 will make the report exact too), samples in journal order,
 * 95 % intervals, the fixed bootstrap seed SUMMARY_BOOTSTRAP_SEED. Output goes only to
 * the FILE given.
 * What it must not do: collect or compare samples itself (arms.h does), decide.
 */
#include "summary.h"
#include "arms.h"
#include "metrics.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_BOOTSTRAP_SEED 20240601u
#define SUMMARY_CONFIDENCE 0.95

static const char *nz(const char *s) { return s ? s : ""; }

/* The arms of summary.md and compare: every cell (unnamed ones under ""), journal order. */
static int summary_collect(const journal_t *j, arms_model_t *out)
{
    const arms_options_t opt = {.time = ARMS_TIME_EXACT_NS_PER_OP,
                                .order = ARMS_ORDER_JOURNAL,
                                .confidence_level = SUMMARY_CONFIDENCE,
                                .scenarios = NULL,
                                .skip_unnamed = false};
    return arms_collect(j, &opt, out);
}

static int summary_arm_cmp(const void *a, const void *b)
{
    const arms_arm_t *x = *(const arms_arm_t *const *)a, *y = *(const arms_arm_t *const *)b;
    int c = strcmp(x->scenario, y->scenario);
    if (!c)
        c = strcmp(x->variant, y->variant);
    if (!c)
        c = strcmp(x->backend, y->backend);
    if (!c)
        c = strcmp(x->policy, y->policy);
    return c;
}

/* The arms sorted by scenario, variant, backend, policy (malloc'd; NULL on OOM). */
static const arms_arm_t **summary_sorted(const arms_model_t *m)
{
    const arms_arm_t **rows = malloc((m->n_arms ? m->n_arms : 1) * sizeof *rows);
    if (!rows)
        return NULL;
    for (size_t i = 0; i < m->n_arms; i++)
        rows[i] = &m->arms[i];
    if (m->n_arms > 1)
        qsort(rows, m->n_arms, sizeof *rows, summary_arm_cmp);
    return rows;
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

/* ---- summary.md -------------------------------------------------------------------- */

static void summary_header(const journal_t *j, FILE *out)
{
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
}

/* "ok 9, timeout 1": the statuses of the arm's cells, in order of first appearance. */
static void summary_status_counts(const arms_arm_t *a, char *st, size_t cap)
{
    const char *seen[32];
    size_t cnt[32], ns = 0;
    st[0] = '\0';
    for (size_t i = 0; i < a->n_total; i++) {
        const char *s = nz(journal_str(a->all_cells[i], "status"));
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
        snprintf(st + l, cap - l, "%s%s %zu", k ? ", " : "", seen[k], cnt[k]);
    }
}

/* The median ns/op and its 95 % CI ("n<6: none" when there are too few samples). */
static void summary_ns_per_op(const arms_arm_t *a, char *med, size_t med_cap, char *ci,
                              size_t ci_cap)
{
    const arms_stat_t *s = &a->stat[ARMS_M_ns_per_op];
    snprintf(med, med_cap, "-");
    snprintf(ci, ci_cap, "-");
    if (s->n == 0)
        return;
    if (!isnan(s->median))
        fmt_num(s->median, med, med_cap);
    if (s->ci_status == STATS_OK) {
        char lo[24], hi[24];
        fmt_num(s->ci_lo, lo, sizeof lo);
        fmt_num(s->ci_hi, hi, sizeof hi);
        snprintf(ci, ci_cap, "[%s, %s]", lo, hi);
    } else if (s->ci_status == STATS_ENOCI) {
        snprintf(ci, ci_cap, "n<6: none");
    }
}

static void summary_row(const arms_arm_t *a, FILE *out)
{
    char med[32], ci[64], wall_s[32], peak[32], rss[32], apo[32], hits[32], miss[32], st[256];
    summary_ns_per_op(a, med, sizeof med, ci, sizeof ci);
    fmt_num(a->stat[ARMS_M_wall_ns].median / 1e6, wall_s, sizeof wall_s);
    fmt_bytes(a->stat[ARMS_M_peak_live_bytes].median, peak, sizeof peak);
    fmt_bytes(a->stat[ARMS_M_max_rss_bytes].max, rss, sizeof rss);
    fmt_num(a->stat[ARMS_M_allocs_per_op].median, apo, sizeof apo);
    fmt_num(a->stat[ARMS_M_pool_hits].median, hits, sizeof hits);
    fmt_num(a->stat[ARMS_M_pool_misses].median, miss, sizeof miss);
    summary_status_counts(a, st, sizeof st);
    fprintf(out, "| %s | %s | %s | %zu/%zu | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            a->variant[0] ? a->variant : "-", a->backend, a->policy, a->n_cells, a->n_total,
            wall_s, med, ci, peak, rss, apo, hits, miss, st);
}

static void summary_failed_cells(const journal_t *j, size_t n_failed, FILE *out)
{
    fprintf(out, "\n## Failed cells\n\n");
    if (n_failed == 0)
        fprintf(out, "None.\n");
    for (size_t i = 0; i < j->n_cells; i++) {
        json_object *c = j->cells[i];
        const char *status = journal_str(c, "status");
        if (status && strcmp(status, "ok") == 0)
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
                journal_int(c, "rep", -1), nz(status),
                e1[0] ? ": " : "", e1, why ? "; " : "", why ? why : "",
                exp ? "; expected " : "", exp ? exp : "", nz(journal_str(c, "key")));
    }
}

int summary_write(const journal_t *j, FILE *out)
{
    arms_model_t m;
    if (summary_collect(j, &m) != 0)
        return -1;
    const arms_arm_t **rows = summary_sorted(&m);
    if (!rows) {
        arms_free(&m);
        return -1;
    }
    summary_header(j, out);
    const char *last_scenario = NULL;
    size_t n_failed = 0;
    for (size_t i = 0; i < m.n_arms; i++) {
        const arms_arm_t *a = rows[i];
        if (!last_scenario || strcmp(last_scenario, a->scenario) != 0) {
            fprintf(out, "\n## %s\n\n", a->scenario);
            fprintf(out, "| variant | backend | policy | n ok/all | wall ms | ns/op | ns/op 95%% CI "
                         "| peak live | max RSS | allocs/op | pool hits | pool misses | status |\n");
            fprintf(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            last_scenario = a->scenario;
        }
        n_failed += a->n_total - a->n_cells;
        summary_row(a, out);
    }
    summary_failed_cells(j, n_failed, out);
    free(rows);
    arms_free(&m);
    return 0;
}

/* ---- poolbench compare ------------------------------------------------------------- */

/* One row of compare: arm a and arm b of a scenario x variant, compared on the metric. */
typedef struct summary_pair {
    const arms_arm_t *a, *b;
    arms_comparison_t cmp;
    double p_adjusted;          /* Holm over the rows with a p-value; NAN otherwise */
} summary_pair_t;

/* Splits "BACKEND/POLICY" into backend[128] and *policy (pointing into backend). */
static int summary_arm_spec(const char *spec, char backend[128], char **policy, char *err,
                            size_t err_cap)
{
    snprintf(backend, 128, "%s", spec);
    *policy = strchr(backend, '/');
    if (!*policy || *policy == backend || !(*policy)[1]) {
        snprintf(err, err_cap, "bad arm '%s' (BACKEND/POLICY, e.g. glibc/none)", spec);
        return -2;
    }
    *(*policy)++ = '\0';
    return 0;
}

/* The rows: (scenario, variant) in sorted order where both arms are present. */
static size_t summary_pairs(const arms_arm_t **rows, size_t n, const char *be_a,
                            const char *po_a, const char *be_b, const char *po_b,
                            summary_pair_t *pairs)
{
    size_t n_pairs = 0;
    for (size_t i = 0; i < n; i++) {
        const arms_arm_t *x = rows[i];
        if (strcmp(x->backend, be_a) || strcmp(x->policy, po_a))
            continue;
        for (size_t k = 0; k < n; k++) {
            const arms_arm_t *y = rows[k];
            if (!strcmp(y->backend, be_b) && !strcmp(y->policy, po_b) &&
                !strcmp(y->scenario, x->scenario) && !strcmp(y->variant, x->variant))
                pairs[n_pairs++] = (summary_pair_t){.a = x, .b = y, .p_adjusted = NAN};
        }
    }
    return n_pairs;
}

/* Compares every row (seeded bootstrap, Mann-Whitney), then Holm over the rows with a
 * p-value. Returns the family size, or -1 on out of memory. */
static long summary_compare_rows(summary_pair_t *pairs, size_t n_pairs, int metric)
{
    const arms_compare_options_t opt = {.confidence_level = SUMMARY_CONFIDENCE,
                                        .resamples = 0,
                                        .seed = SUMMARY_BOOTSTRAP_SEED,
                                        .exact_when_constant = false};
    arms_family_t family = {0};
    for (size_t i = 0; i < n_pairs; i++) {
        summary_pair_t *r = &pairs[i];
        if (arms_compare(r->a->samples[metric], r->a->stat[metric].n, r->b->samples[metric],
                         r->b->stat[metric].n, &opt, &r->cmp) != 0 ||
            (r->cmp.mwu_status == STATS_OK &&
             arms_family_add(&family, r->cmp.mwu.p, &r->p_adjusted) != 0)) {
            arms_family_free(&family);
            return -1;
        }
    }
    long n_family = (long)family.n;
    arms_family_adjust(&family);   /* on failure the adjusted p-values stay NAN */
    arms_family_free(&family);
    return n_family;
}

static void summary_compare_row(const summary_pair_t *r, FILE *out)
{
    const arms_comparison_t *c = &r->cmp;
    char ma[32], mb[32], ratio[32] = "-", ci[64] = "-", ps[32] = "-", pa[32] = "-";
    fmt_num(c->median_a, ma, sizeof ma);
    fmt_num(c->median_b, mb, sizeof mb);
    if (c->ci_status == STATS_OK || (c->ci_status == STATS_EDEGENERATE && !isnan(c->ci.estimate)))
        snprintf(ratio, sizeof ratio, "%.3f", c->ci.estimate);
    if (c->ci_status == STATS_OK)
        snprintf(ci, sizeof ci, "[%.3f, %.3f]", c->ci.lo, c->ci.hi);
    else if (c->n_a && c->n_b)
        snprintf(ci, sizeof ci, "%s", stats_strerror(c->ci_status));
    if (c->mwu_status == STATS_OK) {
        snprintf(ps, sizeof ps, "%.3g", c->mwu.p);
        snprintf(pa, sizeof pa, "%.3g", r->p_adjusted);
    }
    const char *note = (c->n_a < 4 || c->n_b < 4) ? " (n<4: no claim)" : "";
    fprintf(out, "| %s | %s | %zu | %zu | %s | %s | %s%s | %s | %s | %s |\n", r->a->scenario,
            r->a->variant[0] ? r->a->variant : "-", c->n_a, c->n_b, ma, mb, ratio, note, ci, ps,
            pa);
}

int summary_compare(const journal_t *j, const char *a, const char *b, const char *metric,
                    FILE *out, char *err, size_t err_cap)
{
    int idx = arms_metric_index(metric);
    if (idx < 0) {
        snprintf(err, err_cap, "unknown metric '%s' (see harness/common/metrics.h)", metric);
        return -3;
    }
    char backend_a[128], backend_b[128], *policy_a, *policy_b;
    if (summary_arm_spec(a, backend_a, &policy_a, err, err_cap) != 0 ||
        summary_arm_spec(b, backend_b, &policy_b, err, err_cap) != 0)
        return -2;
    arms_model_t m;
    if (summary_collect(j, &m) != 0)
        return -1;
    const arms_arm_t **rows = summary_sorted(&m);
    summary_pair_t *pairs = calloc(m.n_arms + 1, sizeof *pairs);
    int rc = -1;
    if (!rows || !pairs)
        goto done;
    size_t n_pairs = summary_pairs(rows, m.n_arms, backend_a, policy_a, backend_b, policy_b,
                                   pairs);
    if (n_pairs == 0) {
        snprintf(err, err_cap, "no scenario has both arms %s and %s", a, b);
        rc = -2;
        goto done;
    }
    long n_family = summary_compare_rows(pairs, n_pairs, idx);
    if (n_family < 0)
        goto done;
    fprintf(out, "# poolbench compare: %s = b / a, a = %s, b = %s\n\n", metric, a, b);
    fprintf(out, "Ratio of medians b/a with a seeded (seed %u) bootstrap 95 %% CI (10000 "
                 "resamples); two-sided Mann-Whitney p; Holm-adjusted over the %ld rows with a "
                 "p-value. Fewer than 4 samples per arm: no claim.\n\n",
            SUMMARY_BOOTSTRAP_SEED, n_family);
    fprintf(out, "| scenario | variant | n a | n b | median a | median b | ratio b/a | 95%% CI | p | p (Holm) |\n");
    fprintf(out, "|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n_pairs; i++)
        summary_compare_row(&pairs[i], out);
    rc = 0;
done:
    free(pairs);
    free(rows);
    arms_free(&m);
    return rc;
}
