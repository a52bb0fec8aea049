/* gate.c: the nightly regression gate (gate.h): comparison of two journals, the Markdown
 * summary, the interleaved runner of several sides (revisions or slowed copies), and the
 * `poolbench gate` command (saved journals, or two git revisions built side by side).
 *
 * Guarantees: statistics only from pb_stats; journals only through journal.h; a bad
 * input (journal, thresholds, revision, argument) exits 2 with a message naming it and
 * never damages an earlier result. The library part (everything above "command") never
 * prints or exits. What it must not do: edit the repository it builds from (revisions
 * are extracted with `git archive`, never checked out in place).
 */
#define _GNU_SOURCE
#include "util.h"
#include "gate.h"
#include "cell.h"
#include "context.h"
#include "history.h"
#include "journal.h"
#include "matrix.h"
#include "metrics.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

/* ================================================================ comparison ===== */

typedef struct dvec {
    double *v;
    size_t n, cap;
} dvec_t;

static int dvec_push(dvec_t *d, double x)
{
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 16;
        double *p = realloc(d->v, nc * sizeof *p);
        if (!p)
            return -1;
        d->v = p;
        d->cap = nc;
    }
    d->v[d->n++] = x;
    return 0;
}

enum { SIDE_B = 0, SIDE_C = 1 };
enum { GM_TIME, GM_ALLOC_CALLS, GM_ALLOCS_PER_OP, GM_COUNT };
static const char *const gm_name[GM_COUNT] = {"ns_per_op", "alloc_calls", "allocs_per_op"};

typedef struct garm {
    char scenario[GATE_NAME_BYTES], backend[GATE_NAME_BYTES], policy[GATE_NAME_BYTES];
    char variant[GATE_VARIANT_BYTES];
    int present[2];
    dvec_t s[2][GM_COUNT];
    size_t failed[2], total[2];
    char result[2][160];
    int result_mixed[2];
} garm_t;


static int metric_of(json_object *cell, const char *name, double *out)
{
    json_object *m, *v;
    if (!json_object_object_get_ex(cell, "metrics", &m) || !json_object_object_get_ex(m, name, &v) ||
        !v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        return 0;
    *out = json_object_get_double(v);
    return isfinite(*out);
}

static garm_t *arm_find(garm_t **arms, size_t *n, size_t *cap, const char *sc, const char *be,
                        const char *po, const char *va)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*arms)[i].scenario, sc) && !strcmp((*arms)[i].backend, be) &&
            !strcmp((*arms)[i].policy, po) && !strcmp((*arms)[i].variant, va))
            return &(*arms)[i];
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        garm_t *p = realloc(*arms, nc * sizeof *p);
        if (!p)
            return NULL;
        *arms = p;
        *cap = nc;
    }
    garm_t *a = &(*arms)[(*n)++];
    memset(a, 0, sizeof *a);
    snprintf(a->scenario, sizeof a->scenario, "%s", sc);
    snprintf(a->backend, sizeof a->backend, "%s", be);
    snprintf(a->policy, sizeof a->policy, "%s", po);
    snprintf(a->variant, sizeof a->variant, "%s", va);
    return a;
}

static int collect(const journal_t *j, int side, const char *filter, garm_t **arms, size_t *n,
                   size_t *cap)
{
    for (size_t i = 0; i < j->n_cells; i++) {
        json_object *c = j->cells[i];
        const char *sc = journal_str(c, "scenario"), *be = journal_str(c, "backend");
        const char *po = journal_str(c, "policy"), *va = journal_str(c, "variant");
        const char *st = journal_str(c, "status"), *res = journal_str(c, "result");
        if (!sc || !be || !po)
            continue;
        if (!va)
            va = "";
        if (!util_list_has(filter, sc))
            continue;
        garm_t *a = arm_find(arms, n, cap, sc, be, po, va);
        if (!a)
            return -1;
        a->present[side] = 1;
        a->total[side]++;
        if (!st || strcmp(st, "ok") != 0) {
            a->failed[side]++;
            continue;
        }
        if (res) {
            if (!a->result[side][0])
                snprintf(a->result[side], sizeof a->result[side], "%s", res);
            else if (strncmp(a->result[side], res, sizeof a->result[side] - 1) != 0)
                a->result_mixed[side] = 1;
        }
        double x, ops;
        for (int m = 0; m < GM_COUNT; m++) {
            int ok;
            /* time: wall_ns / ops unrounded (the journal's ns_per_op is an integer, a
             * 3 % step at ~35 ns/op); ns_per_op, or wall_ns for hyperfine cells, else */
            if (m == GM_TIME && metric_of(c, "wall_ns", &x) && metric_of(c, "ops", &ops) && ops > 0)
                x /= ops, ok = 1;
            else
                ok = metric_of(c, gm_name[m], &x);
            if (!ok && m == GM_TIME)
                ok = metric_of(c, "wall_ns", &x);
            if (ok && dvec_push(&a->s[side][m], x) != 0)
                return -1;
        }
    }
    return 0;
}

static gate_row_t *row_new(gate_report_t *r, const garm_t *a, const char *metric)
{
    if (r->n_rows == r->cap_rows) {
        size_t nc = r->cap_rows ? r->cap_rows * 2 : 32;
        gate_row_t *p = realloc(r->rows, nc * sizeof *p);
        if (!p)
            return NULL;
        r->rows = p;
        r->cap_rows = nc;
    }
    gate_row_t *w = &r->rows[r->n_rows++];
    memset(w, 0, sizeof *w);
    snprintf(w->scenario, sizeof w->scenario, "%s", a->scenario);
    snprintf(w->backend, sizeof w->backend, "%s", a->backend);
    snprintf(w->policy, sizeof w->policy, "%s", a->policy);
    snprintf(w->variant, sizeof w->variant, "%s", a->variant);
    snprintf(w->metric, sizeof w->metric, "%s", metric);
    snprintf(w->method, sizeof w->method, "-");
    w->med_base = w->med_cand = w->ratio = w->lo = w->hi = w->p = w->p_holm = NAN;
    w->failed_base = a->failed[SIDE_B];
    w->failed_cand = a->failed[SIDE_C];
    return w;
}

static int all_equal(const dvec_t *d)
{
    for (size_t i = 1; i < d->n; i++)
        if (d->v[i] != d->v[0])
            return 0;
    return d->n > 0;
}

/* Statistical comparison (time, or a count that varies). Returns -1 on OOM. */
static int stat_row(gate_row_t *w, const dvec_t *b, const dvec_t *c, const thresholds_t *th)
{
    w->n_base = b->n;
    w->n_cand = c->n;
    if (b->n)
        stats_median(b->v, b->n, &w->med_base);
    if (c->n)
        stats_median(c->v, c->n, &w->med_cand);
    if (b->n < th->min_samples_per_arm || c->n < th->min_samples_per_arm) {
        w->status = GATE_NO_DATA;
        snprintf(w->note, sizeof w->note, "too few ok samples (%zu vs %zu, need %llu per side): "
                 "no claim; raise --repetitions", b->n, c->n,
                 (unsigned long long)th->min_samples_per_arm);
        return 0;
    }
    stats_mwu_t mw;
    int rc = stats_mann_whitney(b->v, b->n, c->v, c->n, &mw);
    if (rc == STATS_ENOMEM)
        return -1;
    w->p = rc == 0 ? mw.p : NAN;
    stats_ratio_ci_t ci;
    rc = stats_bootstrap_ratio_ci(b->v, b->n, c->v, c->n, th->confidence_level,
                                  (size_t)th->bootstrap_resamples, th->bootstrap_seed, &ci);
    if (rc == STATS_ENOMEM)
        return -1;
    snprintf(w->method, sizeof w->method, "bootstrap");
    if (rc != 0) {
        w->status = GATE_NO_DATA;
        snprintf(w->note, sizeof w->note, "no ratio: %s (a median is 0?)", stats_strerror(rc));
        return 0;
    }
    w->ratio = ci.estimate;
    w->lo = ci.lo;
    w->hi = ci.hi;
    w->status = GATE_PASS; /* classified after Holm */
    return 0;
}

static void classify(gate_row_t *w, double limit, double alpha)
{
    if (strcmp(w->method, "bootstrap") != 0 || w->status == GATE_NO_DATA)
        return;
    stats_ci_position_t pos = stats_ci_position(w->lo, w->hi, limit);
    double p = isnan(w->p_holm) ? w->p : w->p_holm;
    if (pos == STATS_CI_ABOVE && p < alpha)
        w->status = GATE_REGRESSION;
    else if (pos == STATS_CI_ABOVE) {
        w->status = GATE_UNCLEAR;
        snprintf(w->note + strlen(w->note), sizeof w->note - strlen(w->note),
                 "%sCI past the threshold but p_holm %.3g >= alpha", w->note[0] ? "; " : "", p);
    } else if (pos == STATS_CI_BELOW || w->hi == limit)
        w->status = GATE_PASS;
    else
        w->status = GATE_UNCLEAR;
}

int gate_compare(const journal_t *base, const journal_t *cand, const gate_options_t *opt,
                 gate_report_t *out, char err[GATE_ERR_BYTES])
{
    memset(out, 0, sizeof *out);
    const thresholds_t *th = opt->th;
    out->max_regression = th->max_regression_percent / 100.0;
    out->max_count_increase = opt->max_count_increase_percent / 100.0;
    out->alpha = th->alpha;
    out->confidence_level = th->confidence_level;
    garm_t *arms = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    if (collect(base, SIDE_B, opt->scenarios, &arms, &n, &cap) != 0 ||
        collect(cand, SIDE_C, opt->scenarios, &arms, &n, &cap) != 0)
        goto done;
    double limit = 1.0 + out->max_regression;
    for (size_t i = 0; i < n; i++) {
        garm_t *a = &arms[i];
        gate_row_t *w;
        if (!a->present[SIDE_B] || !a->present[SIDE_C]) {
            if (!(w = row_new(out, a, "ns_per_op")))
                goto done;
            w->status = GATE_NO_DATA;
            snprintf(w->note, sizeof w->note, "arm only in the %s journal: not compared",
                     a->present[SIDE_B] ? "baseline" : "candidate");
            continue;
        }
        if (a->failed[SIDE_C] > 0 && a->failed[SIDE_B] == 0) {
            if (!(w = row_new(out, a, "status")))
                goto done;
            w->status = GATE_REGRESSION;
            snprintf(w->method, sizeof w->method, "exact");
            snprintf(w->note, sizeof w->note, "%zu of %zu candidate cells failed (baseline: none)",
                     a->failed[SIDE_C], a->total[SIDE_C]);
        }
        if (a->result[SIDE_B][0] && a->result[SIDE_C][0] && !a->result_mixed[SIDE_B] &&
            !a->result_mixed[SIDE_C] && strcmp(a->result[SIDE_B], a->result[SIDE_C]) != 0) {
            if (!(w = row_new(out, a, "result")))
                goto done;
            w->status = GATE_REGRESSION;
            snprintf(w->method, sizeof w->method, "exact");
            snprintf(w->note, sizeof w->note, "result digest changed: %.60s -> %.60s",
                     a->result[SIDE_B], a->result[SIDE_C]);
        }
        if (!(w = row_new(out, a, "ns_per_op")) ||
            stat_row(w, &a->s[SIDE_B][GM_TIME], &a->s[SIDE_C][GM_TIME], th) != 0)
            goto done;
        if (a->failed[SIDE_B])
            snprintf(w->note + strlen(w->note), sizeof w->note - strlen(w->note),
                     "%s%zu baseline cells failed", w->note[0] ? "; " : "", a->failed[SIDE_B]);
        for (int m = GM_ALLOC_CALLS; m < GM_COUNT; m++) {
            dvec_t *b = &a->s[SIDE_B][m], *c = &a->s[SIDE_C][m];
            if (b->n == 0 || c->n == 0)
                continue;
            if (!(w = row_new(out, a, gm_name[m])))
                goto done;
            if (all_equal(b) && all_equal(c)) {
                double vb = b->v[0], vc = c->v[0];
                w->n_base = b->n;
                w->n_cand = c->n;
                w->med_base = vb;
                w->med_cand = vc;
                w->ratio = w->lo = w->hi = vb > 0 ? vc / vb : (vc > 0 ? INFINITY : 1.0);
                snprintf(w->method, sizeof w->method, "exact");
                w->status = vc > vb * (1.0 + out->max_count_increase) ? GATE_REGRESSION : GATE_PASS;
                if (w->status == GATE_REGRESSION)
                    snprintf(w->note, sizeof w->note, "deterministic count up by %.0f (%+.2f %%)",
                             vc - vb, vb > 0 ? (vc / vb - 1) * 100 : 100.0);
            } else {
                w->varies = 1;
                if (stat_row(w, b, c, th) != 0)
                    goto done;
                snprintf(w->note + strlen(w->note), sizeof w->note - strlen(w->note),
                         "%scount varies between runs (multi-threaded?): compared statistically",
                         w->note[0] ? "; " : "");
            }
        }
    }
    /* Holm over every statistical p-value of this gate run (one family) */
    size_t np = 0;
    for (size_t i = 0; i < out->n_rows; i++)
        if (!isnan(out->rows[i].p))
            np++;
    if (np) {
        double *p = malloc(np * sizeof *p);
        if (!p)
            goto done;
        size_t k = 0;
        for (size_t i = 0; i < out->n_rows; i++)
            if (!isnan(out->rows[i].p))
                p[k++] = out->rows[i].p;
        if (stats_holm(p, np, p) == STATS_ENOMEM) {
            free(p);
            goto done;
        }
        k = 0;
        for (size_t i = 0; i < out->n_rows; i++)
            if (!isnan(out->rows[i].p))
                out->rows[i].p_holm = p[k++];
        free(p);
    }
    for (size_t i = 0; i < out->n_rows; i++)
        classify(&out->rows[i], limit, out->alpha);
    rc = 0;
done:
    for (size_t i = 0; i < n; i++)
        for (int s = 0; s < 2; s++)
            for (int m = 0; m < GM_COUNT; m++)
                free(arms[i].s[s][m].v);
    free(arms);
    if (rc != 0) {
        snprintf(err, GATE_ERR_BYTES, "out of memory while comparing journals");
        gate_report_free(out);
    }
    return rc;
}

static int same_row(const gate_row_t *a, const gate_row_t *b)
{
    return !strcmp(a->scenario, b->scenario) && !strcmp(a->backend, b->backend) &&
           !strcmp(a->policy, b->policy) && !strcmp(a->variant, b->variant) &&
           !strcmp(a->metric, b->metric);
}

void gate_apply_confirmation(gate_report_t *first, const gate_report_t *rerun)
{
    double limit = 1.0 + first->max_regression;
    for (size_t i = 0; i < first->n_rows; i++) {
        gate_row_t *w = &first->rows[i];
        int suspect = w->status == GATE_UNCLEAR && w->ratio > limit;
        if (w->status != GATE_REGRESSION && !suspect)
            continue;
        const gate_row_t *m = NULL;
        for (size_t k = 0; k < rerun->n_rows && !m; k++)
            if (same_row(w, &rerun->rows[k]))
                m = &rerun->rows[k];
        char add[160];
        if (m && m->status == GATE_REGRESSION) {
            w->confirm = GATE_CONFIRM_AGREED;
            snprintf(add, sizeof add, "confirmed by the rerun (ratio %.3f, CI [%.3f, %.3f])",
                     m->ratio, m->lo, m->hi);
        } else if (m && (m->status == GATE_NO_DATA ||
                         (m->status == GATE_UNCLEAR && m->ratio > limit))) {
            w->confirm = GATE_CONFIRM_UNSETTLED;
            snprintf(add, sizeof add, "rerun unsettled (%s, ratio %.3f): inconclusive",
                     gate_status_text(m->status), m->ratio);
        } else if (m) {
            w->confirm = GATE_CONFIRM_NOT_REPRODUCED;
            snprintf(add, sizeof add, "not reproduced by the rerun (ratio %.3f, CI [%.3f, %.3f]): "
                     "treated as noise", m->ratio, m->lo, m->hi);
        } else {
            w->confirm = GATE_CONFIRM_UNSETTLED;
            snprintf(add, sizeof add, "missing from the rerun: inconclusive");
        }
        size_t l = strlen(w->note);
        snprintf(w->note + l, sizeof w->note - l, "%s%s", l ? "; " : "", add);
    }
}

void gate_mark_unconfirmable(gate_report_t *r)
{
    r->saved_journals = 1;
    for (size_t i = 0; i < r->n_rows; i++)
        if (r->rows[i].status == GATE_REGRESSION ||
            (r->rows[i].status == GATE_UNCLEAR && r->rows[i].ratio > 1.0 + r->max_regression))
            r->rows[i].confirm = GATE_CONFIRM_IMPOSSIBLE;
}

int gate_exit_code(const gate_report_t *r)
{
    int reg = 0, incon = 0;
    size_t compared = 0;
    double limit = 1.0 + r->max_regression;
    for (size_t i = 0; i < r->n_rows; i++) {
        const gate_row_t *w = &r->rows[i];
        if (w->status != GATE_NO_DATA)
            compared++;
        if (w->status == GATE_REGRESSION) {
            if (w->confirm == GATE_CONFIRM_UNSETTLED)
                incon = 1;
            else if (w->confirm != GATE_CONFIRM_NOT_REPRODUCED)
                reg = 1;
        } else if (w->status == GATE_UNCLEAR && w->ratio > limit) {
            /* a suspect: its estimate is past the threshold, its CI is not */
            if (w->confirm == GATE_CONFIRM_AGREED)
                reg = 1;
            else if (w->confirm != GATE_CONFIRM_NOT_REPRODUCED)
                incon = 1;
        }
    }
    if (reg)
        return GATE_EXIT_REGRESSION;
    if (compared == 0 || incon)
        return GATE_EXIT_INCONCLUSIVE;
    return GATE_EXIT_PASS;
}

int gate_regressed_arms(const gate_report_t *r, char **arms_out)
{
    *arms_out = NULL;
    size_t cap = 1, len = 0;
    double limit = 1.0 + r->max_regression;
#define RERUN(w) ((w)->status == GATE_REGRESSION || ((w)->status == GATE_UNCLEAR && (w)->ratio > limit))
    for (size_t i = 0; i < r->n_rows; i++)
        if (RERUN(&r->rows[i]))
            cap += strlen(r->rows[i].scenario) + strlen(r->rows[i].backend) +
                   strlen(r->rows[i].policy) + strlen(r->rows[i].variant) + 8;
    if (cap == 1)
        return 0;
    char *s = malloc(cap);
    if (!s)
        return -1;
    s[0] = '\0';
    for (size_t i = 0; i < r->n_rows; i++) {
        const gate_row_t *w = &r->rows[i];
        if (!RERUN(w))
            continue;
        char line[512];
        snprintf(line, sizeof line, "%s\t%s\t%s\t%s\n", w->scenario, w->backend, w->policy, w->variant);
        if (!strstr(s, line)) {
            memcpy(s + len, line, strlen(line) + 1);
            len += strlen(line);
        }
    }
    *arms_out = s;
    return 1;
#undef RERUN
}

const char *gate_status_text(gate_status_t s)
{
    switch (s) {
    case GATE_PASS: return "pass";
    case GATE_REGRESSION: return "REGRESSION";
    case GATE_UNCLEAR: return "unclear";
    case GATE_NO_DATA: return "no data";
    }
    return "?";
}

static const char *row_label(const gate_row_t *w, double limit)
{
    if (w->status == GATE_UNCLEAR && w->ratio > limit) {
        switch (w->confirm) {
        case GATE_CONFIRM_AGREED: return "REGRESSION (suspect, confirmed)";
        case GATE_CONFIRM_NOT_REPRODUCED: return "suspect, not reproduced";
        default: return "suspect (inconclusive)";
        }
    }
    if (w->status != GATE_REGRESSION)
        return gate_status_text(w->status);
    switch (w->confirm) {
    case GATE_CONFIRM_AGREED: return "REGRESSION (confirmed)";
    case GATE_CONFIRM_NOT_REPRODUCED: return "not reproduced";
    case GATE_CONFIRM_UNSETTLED: return "REGRESSION? (rerun unsettled)";
    case GATE_CONFIRM_IMPOSSIBLE: return "REGRESSION (unconfirmed)";
    default: return "REGRESSION";
    }
}

static int row_rank(const gate_row_t *w, double limit)
{
    if (w->status == GATE_UNCLEAR && w->ratio > limit)
        return w->confirm == GATE_CONFIRM_AGREED ? 0 : w->confirm == GATE_CONFIRM_NOT_REPRODUCED ? 3 : 1;
    if (w->status == GATE_REGRESSION)
        return w->confirm == GATE_CONFIRM_NOT_REPRODUCED ? 3 : 0;
    return w->status == GATE_UNCLEAR ? 1 : w->status == GATE_NO_DATA ? 2 : 4;
}

static void fmt_num(char *b, size_t cap, double v)
{
    if (isnan(v))
        snprintf(b, cap, "-");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(b, cap, "%.0f", v);
    else if (fabs(v) >= 1e6)
        snprintf(b, cap, "%.4g", v);
    else
        snprintf(b, cap, "%.6g", v);
}

void gate_write_markdown(FILE *f, const gate_report_t *r, const char *baseline_label,
                         const char *candidate_label, const char *title_extra)
{
    int ec = gate_exit_code(r);
    const char *verdict = ec == 0 ? "PASS" : ec == 1 ? "REGRESSION" : "INCONCLUSIVE";
    size_t cnt[4] = {0};
    for (size_t i = 0; i < r->n_rows; i++)
        cnt[r->rows[i].status]++;
    fprintf(f, "## poolbench gate: %s (exit %d)\n\n", verdict, ec);
    fprintf(f, "Baseline **%s** vs candidate **%s**%s%s. A time regression needs the whole %.0f %% "
               "CI of the candidate/baseline ratio of median ns/op above **%.3f** (+%.0f %%) and "
               "a Holm-adjusted Mann-Whitney p below %.2g; allocation counts compare exactly "
               "(allowed increase %.1f %%).\n\n",
            baseline_label, candidate_label, title_extra ? ", " : "", title_extra ? title_extra : "",
            r->confidence_level * 100, 1 + r->max_regression, r->max_regression * 100, r->alpha,
            r->max_count_increase * 100);
    if (ec == 1 && r->saved_journals)
        fprintf(f, "> Saved journals cannot be rerun: the regression is **unconfirmed**. Rerun "
                   "with `poolbench gate --revs` to confirm it.\n\n");
    else if (ec == 2)
        fprintf(f, "> Inconclusive: no arm could be compared, or a slowdown past the threshold "
                   "could not be established or ruled out. Add repetitions (`--repetitions`) or "
                   "run on a quieter machine.\n\n");
    fprintf(f, "%zu rows: %zu pass, %zu regression, %zu unclear, %zu without data.\n\n",
            r->n_rows, cnt[GATE_PASS], cnt[GATE_REGRESSION], cnt[GATE_UNCLEAR], cnt[GATE_NO_DATA]);
    fprintf(f, "| status | scenario | backend | policy | variant | metric | baseline | candidate "
               "| ratio | %.0f %% CI | p (Holm) | n | note |\n", r->confidence_level * 100);
    fprintf(f, "|---|---|---|---|---|---|---:|---:|---:|---|---:|---|---|\n");
    for (int rank = 0; rank <= 4; rank++)
        for (size_t i = 0; i < r->n_rows; i++) {
            const gate_row_t *w = &r->rows[i];
            if (row_rank(w, 1 + r->max_regression) != rank)
                continue;
            char mb[32], mc[32], ra[32], ci[64], p[32];
            fmt_num(mb, sizeof mb, w->med_base);
            fmt_num(mc, sizeof mc, w->med_cand);
            if (isnan(w->ratio))
                snprintf(ra, sizeof ra, "-");
            else
                snprintf(ra, sizeof ra, "%.3f", w->ratio);
            if (isnan(w->lo))
                snprintf(ci, sizeof ci, "-");
            else if (!strcmp(w->method, "exact"))
                snprintf(ci, sizeof ci, "exact");
            else
                snprintf(ci, sizeof ci, "[%.3f, %.3f]", w->lo, w->hi);
            if (isnan(w->p_holm))
                snprintf(p, sizeof p, "-");
            else
                snprintf(p, sizeof p, "%.2g", w->p_holm);
            fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %zu/%zu | %s |\n",
                    row_label(w, 1 + r->max_regression), w->scenario, w->backend, w->policy,
                    w->variant[0] ? w->variant : "-", w->metric, mb, mc, ra, ci, p, w->n_base,
                    w->n_cand, w->note);
        }
    fprintf(f, "\nExit codes: 0 pass, 1 regression, 2 inconclusive or no baseline, 3 harness "
               "error.\n");
}

void gate_report_free(gate_report_t *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n_rows = r->cap_rows = 0;
}

/* ======================================================= interleaved runner ===== */

typedef struct argv_buf {
    char *argv[72];
    char store[56][256];
    size_t n, ns;
} argv_buf_t;

static void av_add(argv_buf_t *a, const char *s)
{
    if (a->n < 71) {
        a->argv[a->n++] = (char *)s;
        a->argv[a->n] = NULL;
    }
}

static void av_addu(argv_buf_t *a, unsigned long long v)
{
    if (a->ns < 56) {
        snprintf(a->store[a->ns], sizeof a->store[0], "%llu", v);
        av_add(a, a->store[a->ns++]);
    }
}

static void av_adds(argv_buf_t *a, const char *s)
{
    if (a->ns < 56) {
        snprintf(a->store[a->ns], sizeof a->store[0], "%s", s);
        av_add(a, a->store[a->ns++]);
    }
}

/* The runner command line of a cell: the same options the driver passes (poolbench.c). */
static void build_argv(const matrix_cell_t *c, const char *exe, const char *cache_dir,
                       unsigned inject_pct, argv_buf_t *a)
{
    const scenario_t *sc = c->sc;
    memset(a, 0, sizeof *a);
    av_add(a, exe);
    av_add(a, "--workload");
    av_add(a, sc->workload);
    if (sc->input_path[0]) {
        av_add(a, "--input");
        av_add(a, sc->input_path);
    } else {
        if (c->size_bytes != SCENARIO_UNSET) {
            av_add(a, "--size");
            av_addu(a, c->size_bytes);
        }
        av_add(a, "--seed");
        av_addu(a, sc->seed);
    }
#define OPT_U(flag, v) if ((v) != SCENARIO_UNSET) { av_add(a, flag); av_addu(a, v); }
#define OPT_S(flag, v) if ((v)[0]) { av_add(a, flag); av_add(a, v); }
    OPT_U("--files", sc->files);
    OPT_S("--member", sc->member);
    OPT_S("--image", sc->image);
    OPT_S("--tag", sc->tag);
    char pools[SCENARIO_NAME_BYTES];
    snprintf(pools, sizeof pools, "%s", c->policy);
    for (char *p = pools; *p; p++)
        if (*p == '+')
            *p = ',';
    av_add(a, "--pools");
    av_adds(a, pools);
    OPT_U("--threads", c->threads);
    OPT_U("--iterations", sc->iterations);
    OPT_U("--warmup", sc->warmup_iterations);
    av_add(a, "--zero-on-put");
    av_add(a, c->zero_on_put ? "on" : "off");
    av_add(a, "--standard-alloc");
    av_add(a, c->standard_alloc);
    OPT_U("--hash-size", c->hash_size_bytes);
    OPT_U("--tar-size", c->tar_size_bytes);
    OPT_U("--string-size", c->string_size_bytes);
    OPT_U("--gogc", sc->gogc_percent);
#undef OPT_U
#undef OPT_S
    if (cache_dir) {
        av_add(a, "--cache-dir");
        av_add(a, cache_dir);
    }
    if (inject_pct) {
        av_add(a, "--inject-slowdown");
        av_addu(a, inject_pct);
    }
}

/* One journal line for a finished cell (the driver's cell-line fields, plus "rev"). */
static json_object *cell_line(const matrix_cell_t *c, const gate_side_t *side, size_t order,
                              const cell_outcome_t *o)
{
    json_object *l = json_object_new_object();
    if (!l)
        return NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_object_object_add(l, "type", json_object_new_string("cell"));
    json_object_object_add(l, "key", json_object_new_string(c->key));
    json_object_object_add(l, "arm_key", json_object_new_string(c->arm_key));
    json_object_object_add(l, "input_key", json_object_new_string(c->input_key));
    json_object_object_add(l, "scenario", json_object_new_string(c->sc->name));
    json_object_object_add(l, "workload", json_object_new_string(c->sc->workload));
    json_object_object_add(l, "mode", json_object_new_string("cell"));
    json_object_object_add(l, "backend", json_object_new_string(c->backend));
    json_object_object_add(l, "policy", json_object_new_string(c->policy));
    json_object_object_add(l, "variant", json_object_new_string(c->variant));
    json_object_object_add(l, "rep", json_object_new_int(c->rep));
    json_object_object_add(l, "rev", json_object_new_string(side->label));
    json_object_object_add(l, "source", json_object_new_string("runner"));
    json_object_object_add(l, "order", json_object_new_uint64(order));
    json_object_object_add(l, "finished_unix_ns",
                           json_object_new_int64((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
    json_object *cfg = json_object_new_object();
    if (cfg) {
        if (c->threads != SCENARIO_UNSET)
            json_object_object_add(cfg, "threads", json_object_new_uint64(c->threads));
        if (c->sc->iterations != SCENARIO_UNSET)
            json_object_object_add(cfg, "iterations", json_object_new_uint64(c->sc->iterations));
        json_object_object_add(cfg, "zero_on_put", json_object_new_boolean(c->zero_on_put));
        json_object_object_add(cfg, "standard_alloc", json_object_new_string(c->standard_alloc));
        json_object_object_add(cfg, "inject_slowdown_pct",
                               json_object_new_int((int)side->inject_slowdown_pct));
        json_object_object_add(cfg, "canonical", json_object_new_string(c->canon));
    }
    json_object_object_add(l, "config", cfg);

    char status[64], why[200] = "";
    cell_status(o, status, sizeof status);
    pb_metrics_t m;
    journal_present_t pr;
    memset(&m, 0, sizeof m);
    memset(&pr, 0, sizeof pr);
    const char *result = NULL, *bver = NULL;
    json_object *root = NULL;
    if (!strcmp(status, "ok")) {
        root = o->out ? json_tokener_parse(o->out) : NULL;
        int n_all = 0, n_m = 0;
#define COUNT_ALL(name, kind, desc) n_all++;
        PB_METRICS(COUNT_ALL)
#undef COUNT_ALL
        if (root && json_object_is_type(root, json_type_object))
            n_m = journal_metrics_get(root, &m, &pr);
        const char *st = journal_str(root, "status"), *be = journal_str(root, "backend");
        if (!root || !json_object_is_type(root, json_type_object) || o->out_truncated)
            snprintf(why, sizeof why, "stdout is not one JSON object");
        else if (journal_int(root, "schema_version", -1) != PB_SCHEMA_VERSION)
            snprintf(why, sizeof why, "runner schema_version is not %d", PB_SCHEMA_VERSION);
        else if (!st || strcmp(st, "ok") != 0)
            snprintf(why, sizeof why, "runner status is not ok");
        else if (!be || strcmp(be, scenario_backend_runner(c->backend)) != 0)
            snprintf(why, sizeof why, "runner reports backend %s", be ? be : "?");
        else if (n_m != n_all)
            snprintf(why, sizeof why, "runner output lacks %d of the metrics", n_all - n_m);
        result = journal_str(root, "result");
        bver = journal_str(root, "backend_version");
        if (why[0]) {
            snprintf(status, sizeof status, "bad_output");
            memset(&pr, 0, sizeof pr);
            result = NULL;
        } else {
            m.max_rss_bytes = (uint64_t)o->ru.ru_maxrss * 1024u;
            m.minor_faults = (uint64_t)o->ru.ru_minflt;
            m.major_faults = (uint64_t)o->ru.ru_majflt;
            m.vol_ctx_switches = (uint64_t)o->ru.ru_nvcsw;
            m.invol_ctx_switches = (uint64_t)o->ru.ru_nivcsw;
        }
    }
    json_object_object_add(l, "status", json_object_new_string(status));
    json_object_object_add(l, "result", result ? json_object_new_string(result) : NULL);
    json_object_object_add(l, "metrics", journal_metrics_json(&m, &pr));
    json_object_object_add(l, "backend_version", bver ? json_object_new_string(bver) : NULL);
    json_object_object_add(l, "exit_code", o->exited ? json_object_new_int(o->exit_code) : NULL);
    json_object_object_add(l, "signal", o->signaled ? json_object_new_int(o->term_signal) : NULL);
    json_object_object_add(l, "stderr", json_object_new_string_len(o->err, (int)o->err_len));
    if (why[0])
        json_object_object_add(l, "bad_output_reason", json_object_new_string(why));
    if (root)
        json_object_put(root);
    return l;
}

static int arm_selected(const char *filter, const matrix_cell_t *c)
{
    if (!filter)
        return 1;
    char line[512];
    snprintf(line, sizeof line, "%s\t%s\t%s\t%s\n", c->sc->name, c->backend, c->policy, c->variant);
    /* match a whole line */
    size_t l = strlen(line);
    for (const char *p = filter; (p = strstr(p, line)); p += l)
        if (p == filter || p[-1] == '\n')
            return 1;
    return 0;
}

typedef struct unit {
    size_t cell;
    size_t side;
    int warmup;
} unit_t;

static void shuffle(unit_t *u, size_t n, uint64_t seed)
{
    stats_rng_t r;
    stats_rng_seed(&r, seed);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)stats_rng_below(&r, i);
        unit_t t = u[i - 1];
        u[i - 1] = u[j];
        u[j] = t;
    }
}

int gate_run_sides(const scenario_t *scs, size_t n_scs, const gate_side_t *sides,
                   size_t n_sides, const gate_run_options_t *opt, char err[GATE_ERR_BYTES])
{
    for (size_t i = 0; i < n_scs; i++)
        if (scs[i].mode != SCENARIO_MODE_CELL) {
            snprintf(err, GATE_ERR_BYTES, "%s: scenario %s runs in %s mode; the gate runs one "
                     "process per cell only (leave it out of --scenarios)", scs[i].path,
                     scs[i].name, scs[i].mode == SCENARIO_MODE_HYPERFINE ? "hyperfine" : "concurrent");
            return -1;
        }
    matrix_t mx;
    int er = matrix_expand(scs, n_scs, NULL, &mx);
    if (er == -2) {
        snprintf(err, GATE_ERR_BYTES, "the scenarios expand to no cells");
        return -1;
    }
    if (er != 0) {
        snprintf(err, GATE_ERR_BYTES, "out of memory expanding the scenarios");
        return -2;
    }
    int rc = -2;
    int *fds = calloc(n_sides, sizeof *fds);
    unit_t *units = NULL;
    size_t n_units = 0;
    if (!fds) {
        snprintf(err, GATE_ERR_BYTES, "out of memory");
        goto out;
    }
    for (size_t s = 0; s < n_sides; s++)
        fds[s] = -1;
    /* every runner must exist before a journal is created */
    for (size_t i = 0; i < mx.n_cells; i++)
        for (size_t s = 0; s < n_sides; s++) {
            char exe[PATH_MAX];
            snprintf(exe, sizeof exe, "%s/pb-%s", sides[s].bin_dir,
                     scenario_backend_runner(mx.cells[i].backend));
            if (access(exe, X_OK) != 0) {
                snprintf(err, GATE_ERR_BYTES, "runner %s not found (side %s, scenario %s)", exe,
                         sides[s].label, mx.cells[i].sc->name);
                rc = -1;
                goto out;
            }
        }
    int max_rep = 0, max_warm = 0;
    size_t n_sel = 0;
    for (size_t i = 0; i < mx.n_cells; i++)
        if (arm_selected(opt->arms_filter, &mx.cells[i])) {
            n_sel++;
            if (mx.cells[i].rep > max_rep)
                max_rep = mx.cells[i].rep;
            if ((int)mx.cells[i].sc->warmup_repetitions > max_warm)
                max_warm = (int)mx.cells[i].sc->warmup_repetitions;
        }
    if (n_sel == 0) {
        snprintf(err, GATE_ERR_BYTES, "no cell matches the arms to run");
        rc = -1;
        goto out;
    }
    units = calloc((n_sel + 1) * n_sides * (size_t)(1 + max_warm), sizeof *units);
    if (!units) {
        snprintf(err, GATE_ERR_BYTES, "out of memory");
        goto out;
    }
    /* journals: context block first */
    for (size_t s = 0; s < n_sides; s++) {
        fds[s] = open(sides[s].journal_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fds[s] < 0) {
            snprintf(err, GATE_ERR_BYTES, "cannot create %s: %s", sides[s].journal_path,
                     strerror(errno));
            rc = errno == EEXIST ? -1 : -2;
            goto out;
        }
        json_object *ctx = context_build();
        if (!ctx) {
            snprintf(err, GATE_ERR_BYTES, "out of memory");
            goto out;
        }
        json_object_object_add(ctx, "seed", json_object_new_uint64(opt->seed));
        json_object_object_add(ctx, "matrix", json_object_new_string("gate"));
        json_object_object_add(ctx, "matrix_hash", json_object_new_string(mx.hash));
        json_object_object_add(ctx, "rev", json_object_new_string(sides[s].label));
        json_object_object_add(ctx, "commit",
                               sides[s].commit ? json_object_new_string(sides[s].commit) : NULL);
        json_object_object_add(ctx, "bin_dir", json_object_new_string(sides[s].bin_dir));
        json_object_object_add(ctx, "inject_slowdown_pct",
                               json_object_new_int((int)sides[s].inject_slowdown_pct));
        json_object_object_add(ctx, "interleaved_sides", json_object_new_int((int)n_sides));
        json_object *runners = json_object_new_object();
        for (size_t i = 0; runners && i < n_scs; i++)
            for (size_t b = 0; b < scs[i].backends.n; b++) {
                const char *rb = scenario_backend_runner(scs[i].backends.v[b]);
                if (json_object_object_get_ex(runners, rb, NULL))
                    continue;
                char exe[PATH_MAX];
                snprintf(exe, sizeof exe, "%s/pb-%s", sides[s].bin_dir, rb);
                if (access(exe, X_OK) == 0)
                    json_object_object_add(runners, rb, context_runner_version(exe, NULL));
            }
        json_object_object_add(ctx, "runners", runners);
        int arc = journal_append(fds[s], ctx);
        json_object_put(ctx);
        if (arc != 0) {
            snprintf(err, GATE_ERR_BYTES, "cannot write %s: %s", sides[s].journal_path,
                     strerror(errno));
            goto out;
        }
    }
    size_t total = n_sel * n_sides, done_count = 0;
    for (int block = -max_warm; block <= max_rep; block++) {
        n_units = 0;
        for (size_t i = 0; i < mx.n_cells; i++) {
            const matrix_cell_t *c = &mx.cells[i];
            if (!arm_selected(opt->arms_filter, c))
                continue;
            if (block < 0 ? (c->rep != 0 || -block > (int)c->sc->warmup_repetitions) : c->rep != block)
                continue;
            for (size_t s = 0; s < n_sides; s++)
                units[n_units++] = (unit_t){.cell = i, .side = s, .warmup = block < 0};
        }
        uint64_t st = opt->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(block + 1000));
        shuffle(units, n_units, matrix_splitmix64(&st));
        for (size_t u = 0; u < n_units; u++) {
            const matrix_cell_t *c = &mx.cells[units[u].cell];
            const gate_side_t *sd = &sides[units[u].side];
            char exe[PATH_MAX];
            snprintf(exe, sizeof exe, "%s/pb-%s", sd->bin_dir, scenario_backend_runner(c->backend));
            argv_buf_t av;
            build_argv(c, exe, opt->cache_dir, sd->inject_slowdown_pct, &av);
            cell_spec_t spec = {.exe = exe, .argv = av.argv,
                                .extra_env = scenario_backend_env(c->backend),
                                .timeout_s = (double)c->sc->timeout_s, .grace_s = 2};
            cell_outcome_t o;
            if (cell_run(&spec, &o, opt->interrupt) != 0 && !o.spawn_errno) {
                cell_outcome_free(&o);
                snprintf(err, GATE_ERR_BYTES, "cannot start a runner (pipes or memory)");
                goto out;
            }
            if (opt->interrupt && *opt->interrupt) {
                cell_outcome_free(&o);
                rc = 130;
                goto out;
            }
            char status[64], msg[512];
            cell_status(&o, status, sizeof status);
            if (units[u].warmup) {
                if (opt->progress) {
                    snprintf(msg, sizeof msg, "warm-up %s %s/%s %s [%s]: %s", c->sc->name,
                             c->backend, c->policy, c->variant, sd->label, status);
                    opt->progress(opt->progress_user, msg);
                }
                cell_outcome_free(&o);
                continue;
            }
            json_object *line = cell_line(c, sd, done_count, &o);
            cell_outcome_free(&o);
            if (!line) {
                snprintf(err, GATE_ERR_BYTES, "out of memory");
                goto out;
            }
            const char *lst = journal_str(line, "status");
            snprintf(status, sizeof status, "%s", lst ? lst : "?");
            int arc = journal_append(fds[units[u].side], line);
            json_object_put(line);
            if (arc != 0) {
                snprintf(err, GATE_ERR_BYTES, "cannot append to %s: %s", sd->journal_path,
                         strerror(errno));
                goto out;
            }
            done_count++;
            if (opt->progress) {
                snprintf(msg, sizeof msg, "[%zu/%zu] %s %s/%s %s rep %d [%s]: %s", done_count,
                         total, c->sc->name, c->backend, c->policy, c->variant, c->rep, sd->label,
                         status);
                opt->progress(opt->progress_user, msg);
            }
        }
    }
    rc = 0;
out:
    if (fds)
        for (size_t s = 0; s < n_sides; s++)
            if (fds[s] >= 0)
                close(fds[s]);
    free(fds);
    free(units);
    matrix_free(&mx);
    return rc;
}

/* ==================================================== scenarios of the gate ===== */

static int apply(scenario_t *sc, const char *where, const char *key, const char *value,
                 char err[GATE_ERR_BYTES])
{
    scenario_override_t ov;
    memset(&ov, 0, sizeof ov);
    snprintf(ov.key, sizeof ov.key, "%s", key);
    snprintf(ov.value, sizeof ov.value, "%s", value);
    char e[SCENARIO_ERR_BYTES];
    if (scenario_apply_override(sc, where, &ov, e) != 0) {
        snprintf(err, GATE_ERR_BYTES, "%s", e);
        return -1;
    }
    return 0;
}

int gate_load_scenarios(const char *matrix_file, const char *scenarios,
                        const char *scenario_dir, unsigned repetitions, scenario_t **out,
                        size_t *n_out, char err[GATE_ERR_BYTES])
{
    *out = NULL;
    *n_out = 0;
    int builtin = !matrix_file && !scenarios;
    if (builtin)
        scenarios = GATE_DEFAULT_SCENARIOS;
    char dflt[PATH_MAX], name[SCENARIO_NAME_BYTES], e[SCENARIO_ERR_BYTES];
    snprintf(dflt, sizeof dflt, "%s/scenarios", PB_SOURCE_DIR);
    scenario_t *scs = NULL;
    size_t n = 0;
    if (scenario_load_set(matrix_file, scenarios, scenario_dir, dflt, &scs, &n, name, e) != 0) {
        snprintf(err, GATE_ERR_BYTES, "%s", e);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        /* the built-in set: glibc only, iterations giving a timed window of ~50 ms
         * per cell), so one gate run stays well under a minute on 2 cores */
        if (builtin) {
            if (apply(&scs[i], "gate defaults", "backends", "glibc", err) != 0)
                goto bad;
            const char *it = !strcmp(scs[i].name, "micro_checksum") ? "100"
                           : !strcmp(scs[i].name, "micro_image_tag") ? "1000000" : NULL;
            if (it && apply(&scs[i], "gate defaults", "iterations", it, err) != 0)
                goto bad;
        }
        if (repetitions || builtin) {
            char v[32];
            snprintf(v, sizeof v, "%u", repetitions ? repetitions : GATE_DEFAULT_REPETITIONS);
            if (apply(&scs[i], "--repetitions", "repetitions", v, err) != 0)
                goto bad;
        }
    }
    *out = scs;
    *n_out = n;
    return 0;
bad:
    free(scs);
    return -1;
}

/* ================================================================ command ===== */

static volatile sig_atomic_t g_interrupt;
static void on_signal(int sig) { g_interrupt = sig; }
static const char *history_path_note = "";

static int gate_run_mode(int revs, const char *bj, const char *cj, const char *rev_base,
                         const char *rev_cand, const thresholds_t *thp, double count_pct,
                         const char *scen, const char *matrix, const char *sdir, unsigned reps,
                         const char *repo, const char *work, const char *outd, int have_seed,
                         uint64_t seed, int no_confirm, unsigned inject, const char *cache_dir,
                         const char *summary, history_t *hdb);

static void usage(FILE *f)
{
    fprintf(f,
"usage: poolbench gate --baseline JOURNAL --candidate JOURNAL [options]\n"
"       poolbench gate --revs BASE CANDIDATE [options]\n"
"\n"
"The regression gate. Compares every arm (scenario, backend, policy, variant) present in\n"
"both runs: the ratio candidate/baseline of median ns/op with a bootstrap CI and a\n"
"Mann-Whitney p (Holm-adjusted). A time regression needs the WHOLE CI above\n"
"1 + max_regression_percent ([gate] of the thresholds file, default 10 %%) and\n"
"p_holm < alpha. Deterministic allocation counts (alloc_calls, allocs_per_op) gate on\n"
"their own, exactly: any increase is a regression (--max-count-increase PCT to allow\n"
"some). A candidate arm whose cells fail, or whose result digest changed, regresses too.\n"
"\n"
"Saved journals (--baseline/--candidate: folders or results.jsonl files): no\n"
"confirmation rerun is possible; a regression exits 1 and the summary marks it\n"
"\"unconfirmed\".\n"
"\n"
"Two revisions (--revs, the nightly mode): extracts both commits with `git archive`\n"
"into WORK/src-SHA, builds each into WORK/build-SHA (reused when it exists), runs the\n"
"same cells for both revisions interleaved in one job (shuffled within each repetition\n"
"block), journals OUT/base and OUT/candidate, compares, and reruns only the regressed\n"
"arms (interleaved again, OUT/confirm-*). It fails only when the rerun agrees.\n"
"A suspect (CI straddles the threshold, estimate past it) is rerun too: flagged by\n"
"the rerun it is a regression, passed it is cleared, unclear again it is inconclusive.\n"
"\n"
"  --thresholds FILE      thresholds file (default %s/scenarios/thresholds.ini)\n"
"  --scenarios LIST       scenario names (default with --revs: %s,\n"
"                         glibc only, %u repetitions); with saved journals: only\n"
"                         compare these scenarios\n"
"  --matrix FILE          (--revs) a matrix file instead of the default set\n"
"  --scenario-dir DIR     where scenario names are looked up\n"
"  --repetitions N        (--revs) repetitions per arm and revision (default %u)\n"
"  --repo DIR             (--revs) the git repository (default: the current one)\n"
"  --work-dir DIR         (--revs) sources and builds (default $TMPDIR/poolbench-gate)\n"
"  --out DIR              (--revs) journals (default results/gate-YYYYmmdd-HHMMSS)\n"
"  --seed N               (--revs) shuffle seed (default: from the clock)\n"
"  --no-confirm           (--revs) skip the confirmation rerun (regressions are then\n"
"                         reported unconfirmed, exit 1)\n"
"  --max-count-increase PCT  allowed increase of deterministic counts (default 0)\n"
"  --summary FILE.md      also write the Markdown summary there (it is always printed,\n"
"                         and appended to $GITHUB_STEP_SUMMARY when that is set)\n"
"  --history DB           record every cell of both runs in this SQLite history\n"
"  --inject-slowdown PCT  CALIBRATION ONLY (--revs): the candidate's runners busy-wait\n"
"                         PCT %% longer inside the timed window (a known regression)\n"
"\n"
"exit codes:\n"
"  0  pass: no regression past the threshold\n"
"  1  regression (confirmed by the rerun; with saved journals: unconfirmed)\n"
"  2  inconclusive (a slowdown past the threshold can be neither shown nor ruled out,\n"
"     or the rerun could not settle it) or no baseline (nothing comparable), or bad\n"
"     input: arguments, journals, thresholds file, revisions, a baseline that does not\n"
"     build\n"
"  3  harness error (cannot write results, a candidate that does not build, out of memory)\n",
            PB_SOURCE_DIR, GATE_DEFAULT_SCENARIOS, GATE_DEFAULT_REPETITIONS,
            GATE_DEFAULT_REPETITIONS);
}


static void journal_path_of(const char *in, char *out, size_t cap)
{
    struct stat st;
    if (stat(in, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(out, cap, "%s/%s", in, JOURNAL_FILE);
    else
        snprintf(out, cap, "%s", in);
}

static int load_journal(const char *what, const char *in, journal_t *j)
{
    char path[PATH_MAX + 32], err[JOURNAL_ERR_BYTES];
    journal_path_of(in, path, sizeof path);
    if (journal_load(path, j, err) != 0) {
        fprintf(stderr, "poolbench gate: %s journal: %s\n", what, err);
        return -1;
    }
    if (j->truncated_line)
        fprintf(stderr, "poolbench gate: warning: %s:%d: last line is cut off (interrupted "
                        "run); using the %zu complete cells before it\n", path,
                j->truncated_line, j->n_cells);
    if (!j->context) {
        fprintf(stderr, "poolbench gate: %s journal %s is empty (no context block)\n", what, path);
        journal_free(j);
        return -1;
    }
    return 0;
}

static void progress_print(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "gate: %s\n", line);
}

/* Runs a command (argv), output to log (appended). Returns its exit status or -1. */
static int run_logged(char *const argv[], const char *log, const char *extra_env, double timeout_s)
{
    cell_spec_t spec = {.exe = argv[0], .argv = argv, .extra_env = extra_env,
                        .timeout_s = timeout_s, .grace_s = 5};
    cell_outcome_t o;
    int rc = cell_run(&spec, &o, &g_interrupt);
    FILE *f = log ? fopen(log, "a") : NULL;
    if (f) {
        fprintf(f, "$");
        for (size_t i = 0; argv[i]; i++)
            fprintf(f, " %s", argv[i]);
        fprintf(f, "\n%s%s\n", o.out ? o.out : "", o.err);
        fclose(f);
    }
    int st = (rc == 0 && o.exited) ? o.exit_code : -1;
    cell_outcome_free(&o);
    return st;
}

/* The stdout of a short command, first line. Returns 0 or -1. */
static int capture(char *const argv[], char *out, size_t cap)
{
    cell_spec_t spec = {.exe = argv[0], .argv = argv, .timeout_s = 60, .grace_s = 2};
    cell_outcome_t o;
    int rc = cell_run(&spec, &o, NULL);
    int ok = rc == 0 && o.exited && o.exit_code == 0 && o.out;
    if (ok) {
        snprintf(out, cap, "%s", o.out);
        out[strcspn(out, "\r\n")] = '\0';
    } else {
        snprintf(out, cap, "%.*s", (int)strcspn(o.err, "\n"), o.err);
    }
    cell_outcome_free(&o);
    return ok ? 0 : -1;
}

/* Extracts (once) and builds (incrementally) one commit. Returns 0, or -1 with msg. */
static int prepare_rev(const char *repo, const char *sha, const char *work, const char *targets,
                       char *bin_dir, size_t cap, char *msg, size_t mcap)
{
    char src[PATH_MAX], build[PATH_MAX], stamp[PATH_MAX + 32], log[PATH_MAX + 32];
    snprintf(src, sizeof src, "%s/src-%s", work, sha);
    snprintf(build, sizeof build, "%s/build-%s", work, sha);
    snprintf(stamp, sizeof stamp, "%s/.gate-extracted", src);
    snprintf(log, sizeof log, "%s/gate-build.log", build);
    if (util_mkdir_p(build) != 0) {
        snprintf(msg, mcap, "cannot create %s: %s", build, strerror(errno));
        return -1;
    }
    if (access(stamp, F_OK) != 0) {
        char cmd[] = "git -C \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\" && touch \"$4\"";
        char *av[] = {"/bin/sh", "-c", cmd, "sh", (char *)repo, (char *)sha, src, stamp, NULL};
        if (util_mkdir_p(src) != 0 || run_logged(av, log, NULL, 600) != 0) {
            snprintf(msg, mcap, "cannot extract %s with git archive (log: %s)", sha, log);
            return -1;
        }
    }
    char cache[PATH_MAX + 32], ceiling[PATH_MAX + 32];
    snprintf(cache, sizeof cache, "%s/CMakeCache.txt", build);
    /* the extracted tree is not a repository: stop git from finding an enclosing one */
    snprintf(ceiling, sizeof ceiling, "GIT_CEILING_DIRECTORIES=%s", work);
    if (access(cache, F_OK) != 0) {
        char *av[] = {"cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                      "-DBUILD_TESTING=OFF", NULL};
        char exe[] = "/usr/bin/env";
        char *av2[16] = {exe};
        for (size_t i = 0; av[i]; i++)
            av2[i + 1] = av[i];
        if (run_logged(av2, log, ceiling, 1200) != 0) {
            unlink(cache); /* a failed configure is not reused */
            snprintf(msg, mcap, "cmake configure of %.12s failed (log: %s)", sha, log);
            return -1;
        }
    }
    char *av[40] = {"/usr/bin/env", "cmake", "--build", build, "-j2", "--target"};
    size_t k = 6;
    char tl[512];
    snprintf(tl, sizeof tl, "%s", targets);
    char *save = NULL;
    for (char *t = strtok_r(tl, " ", &save); t && k < 38; t = strtok_r(NULL, " ", &save))
        av[k++] = t;
    av[k] = NULL;
    if (run_logged(av, log, ceiling, 3600) != 0) {
        snprintf(msg, mcap, "build of %.12s failed (targets %s; log: %s)", sha, targets, log);
        return -1;
    }
    snprintf(bin_dir, cap, "%s/bin", build);
    return 0;
}

static void emit_summary(const gate_report_t *r, const char *bl, const char *cl,
                         const char *extra, const char *summary_path)
{
    gate_write_markdown(stdout, r, bl, cl, extra);
    fflush(stdout);
    const char *paths[2] = {summary_path, getenv("GITHUB_STEP_SUMMARY")};
    for (int i = 0; i < 2; i++) {
        if (!paths[i] || !paths[i][0])
            continue;
        FILE *f = fopen(paths[i], i == 0 ? "w" : "a");
        if (!f) {
            fprintf(stderr, "poolbench gate: warning: cannot write the summary to %s: %s\n",
                    paths[i], strerror(errno));
            continue;
        }
        gate_write_markdown(f, r, bl, cl, extra);
        fclose(f);
    }
}

static const char *journal_commit(const journal_t *j)
{
    const char *c = journal_str(j->context, "commit");
    if (!c)
        c = journal_str(j->context, "git_commit");
    if (!c)
        c = journal_str(j->context, "driver_git_commit");
    return c ? c : "unknown";
}

static int record_history(history_t *h, const journal_t *b, const journal_t *c, int64_t when)
{
    char err[HISTORY_ERR_BYTES], run_id[64];
    snprintf(run_id, sizeof run_id, "%lld-%d", (long long)when, (int)getpid());
    if (history_record(h, b, run_id, "baseline", journal_commit(b), when, err) != 0 ||
        history_record(h, c, run_id, "candidate", journal_commit(c), when, err) != 0) {
        fprintf(stderr, "poolbench gate: history: %s\n", err);
        return GATE_EXIT_HARNESS;
    }
    fprintf(stderr, "gate: recorded both runs in %s\n", history_path_note);
    return 0;
}

int gate_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"baseline", required_argument, 0, 'b'}, {"candidate", required_argument, 0, 'c'},
        {"revs", no_argument, 0, 'R'}, {"thresholds", required_argument, 0, 't'},
        {"scenarios", required_argument, 0, 's'}, {"matrix", required_argument, 0, 'm'},
        {"scenario-dir", required_argument, 0, 'S'}, {"repetitions", required_argument, 0, 'n'},
        {"repo", required_argument, 0, 'g'}, {"work-dir", required_argument, 0, 'w'},
        {"out", required_argument, 0, 'o'}, {"seed", required_argument, 0, 'e'},
        {"no-confirm", no_argument, 0, 'N'}, {"max-count-increase", required_argument, 0, 'x'},
        {"summary", required_argument, 0, 'M'}, {"history", required_argument, 0, 'H'},
        {"inject-slowdown", required_argument, 0, 'i'}, {"cache-dir", required_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *bj = NULL, *cj = NULL, *thr = NULL, *scen = NULL, *matrix = NULL, *sdir = NULL;
    const char *repo = NULL, *work = NULL, *outd = NULL, *summary = NULL, *hist = NULL;
    const char *cache_dir = NULL;
    int revs = 0, no_confirm = 0, c;
    unsigned reps = 0, inject = 0;
    double count_pct = 0;
    uint64_t seed = 0;
    int have_seed = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'b': bj = optarg; break;
        case 'c': cj = optarg; break;
        case 'R': revs = 1; break;
        case 't': thr = optarg; break;
        case 's': scen = optarg; break;
        case 'm': matrix = optarg; break;
        case 'S': sdir = optarg; break;
        case 'g': repo = optarg; break;
        case 'w': work = optarg; break;
        case 'o': outd = optarg; break;
        case 'N': no_confirm = 1; break;
        case 'M': summary = optarg; break;
        case 'H': hist = optarg; break;
        case 'C': cache_dir = optarg; break;
        case 'n': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (!optarg[0] || *end || optarg[0] == '-' || v < 1 || v > 10000) {
                fprintf(stderr, "poolbench gate: bad --repetitions '%s' (1..10000)\n", optarg);
                return GATE_EXIT_INCONCLUSIVE;
            }
            reps = (unsigned)v;
            break;
        }
        case 'i': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (!optarg[0] || *end || optarg[0] == '-' || v > 1000) {
                fprintf(stderr, "poolbench gate: bad --inject-slowdown '%s' (0..1000)\n", optarg);
                return GATE_EXIT_INCONCLUSIVE;
            }
            inject = (unsigned)v;
            break;
        }
        case 'x':
            count_pct = strtod(optarg, &end);
            if (!optarg[0] || *end || !(count_pct >= 0 && count_pct <= 1000)) {
                fprintf(stderr, "poolbench gate: bad --max-count-increase '%s' (0..1000)\n", optarg);
                return GATE_EXIT_INCONCLUSIVE;
            }
            break;
        case 'e':
            errno = 0;
            seed = strtoull(optarg, &end, 10);
            if (errno || !optarg[0] || *end || optarg[0] == '-') {
                fprintf(stderr, "poolbench gate: bad --seed '%s'\n", optarg);
                return GATE_EXIT_INCONCLUSIVE;
            }
            have_seed = 1;
            break;
        case 'h': usage(stdout); return GATE_EXIT_PASS;
        default: usage(stderr); return GATE_EXIT_INCONCLUSIVE;
        }
    }
    const char *rev_base = NULL, *rev_cand = NULL;
    if (revs) {
        if (argc - optind != 2) {
            fprintf(stderr, "poolbench gate: --revs takes two revisions: --revs BASE CANDIDATE\n");
            return GATE_EXIT_INCONCLUSIVE;
        }
        rev_base = argv[optind];
        rev_cand = argv[optind + 1];
        if (bj || cj) {
            fprintf(stderr, "poolbench gate: give either --revs or --baseline/--candidate\n");
            return GATE_EXIT_INCONCLUSIVE;
        }
    } else {
        if (optind < argc) {
            fprintf(stderr, "poolbench gate: unexpected argument '%s'\n", argv[optind]);
            return GATE_EXIT_INCONCLUSIVE;
        }
        if (!bj || !cj) {
            fprintf(stderr, "poolbench gate: give --baseline JOURNAL --candidate JOURNAL, or "
                            "--revs BASE CANDIDATE (see --help)\n");
            return GATE_EXIT_INCONCLUSIVE;
        }
        if (inject) {
            fprintf(stderr, "poolbench gate: --inject-slowdown needs --revs (it slows the "
                            "candidate's runners while they run)\n");
            return GATE_EXIT_INCONCLUSIVE;
        }
    }
    /* thresholds */
    thresholds_t th;
    char terr[THRESHOLDS_ERR_BYTES];
    thresholds_default(&th);
    char def_thr[PATH_MAX];
    snprintf(def_thr, sizeof def_thr, "%s/scenarios/%s", PB_SOURCE_DIR, THRESHOLDS_FILE);
    if (!thr && access(def_thr, R_OK) == 0)
        thr = def_thr;
    if (thr && thresholds_load(thr, &th, terr) != 0) {
        fprintf(stderr, "poolbench gate: thresholds: %s\n", terr);
        return GATE_EXIT_INCONCLUSIVE;
    }
    /* the history is checked before anything runs: a bad file costs no measurement */
    history_t *hdb = NULL;
    if (hist) {
        char herr[HISTORY_ERR_BYTES];
        int hrc = history_open(hist, 1, &hdb, herr);
        if (hrc != HISTORY_OK) {
            fprintf(stderr, "poolbench gate: --history: %s\n", herr);
            return hrc == HISTORY_EBADFILE ? GATE_EXIT_INCONCLUSIVE : GATE_EXIT_HARNESS;
        }
        history_path_note = hist;
    }
    int ec = gate_run_mode(revs, bj, cj, rev_base, rev_cand, &th, count_pct, scen, matrix, sdir,
                           reps, repo, work, outd, have_seed, seed, no_confirm, inject,
                           cache_dir, summary, hdb);
    history_close(hdb);
    return ec;
}

static int gate_run_mode(int revs, const char *bj, const char *cj, const char *rev_base,
                         const char *rev_cand, const thresholds_t *thp, double count_pct,
                         const char *scen, const char *matrix, const char *sdir, unsigned reps,
                         const char *repo, const char *work, const char *outd, int have_seed,
                         uint64_t seed, int no_confirm, unsigned inject, const char *cache_dir,
                         const char *summary, history_t *hdb)
{
    thresholds_t th = *thp;
    gate_options_t go = {.th = &th, .max_count_increase_percent = count_pct,
                         .scenarios = revs ? NULL : scen};
    char err[GATE_ERR_BYTES];
    gate_report_t rep;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);

    if (!revs) {
        journal_t jb, jc;
        if (load_journal("baseline", bj, &jb) != 0)
            return GATE_EXIT_INCONCLUSIVE;
        if (load_journal("candidate", cj, &jc) != 0) {
            journal_free(&jb);
            return GATE_EXIT_INCONCLUSIVE;
        }
        int rc = gate_compare(&jb, &jc, &go, &rep, err);
        if (rc != 0) {
            fprintf(stderr, "poolbench gate: %s\n", err);
            journal_free(&jb);
            journal_free(&jc);
            return GATE_EXIT_HARNESS;
        }
        gate_mark_unconfirmable(&rep);
        emit_summary(&rep, bj, cj, "saved journals", summary);
        int ec = gate_exit_code(&rep);
        if (hdb) {
            int hr = record_history(hdb, &jb, &jc, now.tv_sec);
            if (hr != 0 && ec == 0)
                ec = hr;
        }
        gate_report_free(&rep);
        journal_free(&jb);
        journal_free(&jc);
        return ec;
    }

    /* ---- two revisions ---- */
    char repo_dir[PATH_MAX];
    if (repo)
        snprintf(repo_dir, sizeof repo_dir, "%s", repo);
    else {
        char *av[] = {"/usr/bin/env", "git", "rev-parse", "--show-toplevel", NULL};
        if (capture(av, repo_dir, sizeof repo_dir) != 0)
            snprintf(repo_dir, sizeof repo_dir, "%s", PB_SOURCE_DIR);
    }
    char sha[2][64];
    const char *revname[2] = {rev_base, rev_cand};
    for (int i = 0; i < 2; i++) {
        char spec[300];
        snprintf(spec, sizeof spec, "%s^{commit}", revname[i]);
        char *av[] = {"/usr/bin/env", "git", "-C", repo_dir, "rev-parse", "--verify", "--quiet",
                      spec, NULL};
        if (revname[i][0] == '-' || capture(av, sha[i], sizeof sha[i]) != 0 || strlen(sha[i]) < 40) {
            fprintf(stderr, "poolbench gate: --revs: '%s' is not a commit of the repository %s%s\n",
                    revname[i], repo_dir, i == 0 ? " (no baseline)" : "");
            return GATE_EXIT_INCONCLUSIVE;
        }
    }
    scenario_t *scs = NULL;
    size_t n_scs = 0;
    if (gate_load_scenarios(matrix, scen, sdir, reps, &scs, &n_scs, err) != 0) {
        fprintf(stderr, "poolbench gate: %s\n", err);
        return GATE_EXIT_INCONCLUSIVE;
    }
    for (size_t i = 0; i < n_scs; i++)
        if (scs[i].mode != SCENARIO_MODE_CELL) {
            fprintf(stderr, "poolbench gate: %s: scenario %s is not a per-cell scenario "
                            "(hyperfine/concurrent); leave it out of --scenarios\n",
                    scs[i].path, scs[i].name);
            free(scs);
            return GATE_EXIT_INCONCLUSIVE;
        }
    /* runner targets needed */
    char targets[512] = "";
    for (size_t i = 0; i < n_scs; i++)
        for (size_t b = 0; b < scs[i].backends.n; b++) {
            char t[80];
            snprintf(t, sizeof t, "pb-%s", scenario_backend_runner(scs[i].backends.v[b]));
            if (!strstr(targets, t))
                snprintf(targets + strlen(targets), sizeof targets - strlen(targets), "%s%s",
                         targets[0] ? " " : "", t);
        }
    char work_dir[PATH_MAX], out_dir[PATH_MAX];
    if (work)
        snprintf(work_dir, sizeof work_dir, "%s", work);
    else {
        const char *tmp = getenv("TMPDIR");
        snprintf(work_dir, sizeof work_dir, "%s/poolbench-gate-%d", tmp && tmp[0] ? tmp : "/tmp",
                 (int)getuid());
    }
    if (work_dir[0] != '/') {
        char cwd[PATH_MAX], w2[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) {
            snprintf(w2, sizeof w2, "%s/%s", cwd, work_dir);
            snprintf(work_dir, sizeof work_dir, "%s", w2);
        }
    }
    if (outd)
        snprintf(out_dir, sizeof out_dir, "%s", outd);
    else {
        char when[32];
        strftime(when, sizeof when, "%Y%m%d-%H%M%S", localtime(&now.tv_sec));
        snprintf(out_dir, sizeof out_dir, "results/gate-%s", when);
    }
    char jp[4][PATH_MAX + 64], dirs[4][PATH_MAX + 32];
    const char *sub[4] = {"base", "candidate", "confirm-base", "confirm-candidate"};
    for (int i = 0; i < 4; i++) {
        snprintf(dirs[i], sizeof dirs[i], "%s/%s", out_dir, sub[i]);
        snprintf(jp[i], sizeof jp[i], "%s/%s", dirs[i], JOURNAL_FILE);
        if (access(jp[i], F_OK) == 0) {
            fprintf(stderr, "poolbench gate: %s already holds a gate run (%s exists): choose "
                            "another --out\n", out_dir, jp[i]);
            free(scs);
            return GATE_EXIT_INCONCLUSIVE;
        }
    }
    if (util_mkdir_p(work_dir) != 0 || util_mkdir_p(dirs[0]) != 0 || util_mkdir_p(dirs[1]) != 0) {
        fprintf(stderr, "poolbench gate: cannot create %s or %s: %s\n", work_dir, out_dir,
                strerror(errno));
        free(scs);
        return GATE_EXIT_HARNESS;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char bins[2][PATH_MAX + 16];
    for (int i = 0; i < 2; i++) {
        if (i == 1 && !strcmp(sha[0], sha[1])) {
            snprintf(bins[1], sizeof bins[1], "%s", bins[0]);
            break;
        }
        fprintf(stderr, "gate: building %s (%.12s): %s\n", revname[i], sha[i], targets);
        char msg[PATH_MAX + 200];
        if (prepare_rev(repo_dir, sha[i], work_dir, targets, bins[i], sizeof bins[i], msg,
                        sizeof msg) != 0) {
            fprintf(stderr, "poolbench gate: %s: %s\n", i == 0 ? "baseline (no baseline)" : "candidate",
                    msg);
            free(scs);
            return g_interrupt ? 130 : i == 0 ? GATE_EXIT_INCONCLUSIVE : GATE_EXIT_HARNESS;
        }
    }
    if (!have_seed) {
        uint64_t st = ((uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec) ^ (uint64_t)getpid();
        seed = matrix_splitmix64(&st) >> 16;
    }
    gate_side_t sides[2] = {
        {.label = "base", .bin_dir = bins[0], .commit = sha[0], .journal_path = jp[0]},
        {.label = "candidate", .bin_dir = bins[1], .commit = sha[1],
         .inject_slowdown_pct = inject, .journal_path = jp[1]}};
    gate_run_options_t ro = {.seed = seed, .cache_dir = cache_dir, .interrupt = &g_interrupt,
                             .progress = progress_print};
    fprintf(stderr, "gate: running %zu scenarios interleaved (seed %llu), journals in %s\n",
            n_scs, (unsigned long long)seed, out_dir);
    int rr = gate_run_sides(scs, n_scs, sides, 2, &ro, err);
    if (rr != 0) {
        if (rr != 130)
            fprintf(stderr, "poolbench gate: %s\n", err);
        free(scs);
        return rr == 130 ? 130 : rr == -1 ? GATE_EXIT_INCONCLUSIVE : GATE_EXIT_HARNESS;
    }
    journal_t jb, jc;
    if (load_journal("baseline", jp[0], &jb) != 0) {
        free(scs);
        return GATE_EXIT_HARNESS;
    }
    if (load_journal("candidate", jp[1], &jc) != 0) {
        journal_free(&jb);
        free(scs);
        return GATE_EXIT_HARNESS;
    }
    int ec = GATE_EXIT_HARNESS;
    if (gate_compare(&jb, &jc, &go, &rep, err) != 0) {
        fprintf(stderr, "poolbench gate: %s\n", err);
        goto done;
    }
    char *arms = NULL;
    int nreg = gate_regressed_arms(&rep, &arms);
    if (nreg < 0) {
        fprintf(stderr, "poolbench gate: out of memory\n");
        gate_report_free(&rep);
        goto done;
    }
    if (nreg > 0 && no_confirm) {
        gate_mark_unconfirmable(&rep);
        rep.saved_journals = 0;
    } else if (nreg > 0) {
        fprintf(stderr, "gate: regression or suspect flagged: confirmation rerun of those arms\n");
        if (util_mkdir_p(dirs[2]) != 0 || util_mkdir_p(dirs[3]) != 0) {
            fprintf(stderr, "poolbench gate: cannot create %s: %s\n", dirs[2], strerror(errno));
            free(arms);
            gate_report_free(&rep);
            goto done;
        }
        gate_side_t cs[2] = {sides[0], sides[1]};
        cs[0].label = "confirm-base";
        cs[0].journal_path = jp[2];
        cs[1].label = "confirm-candidate";
        cs[1].journal_path = jp[3];
        gate_run_options_t cro = ro;
        uint64_t st = seed + 1;
        cro.seed = matrix_splitmix64(&st) >> 16;
        cro.arms_filter = arms;
        rr = gate_run_sides(scs, n_scs, cs, 2, &cro, err);
        free(arms);
        if (rr != 0) {
            if (rr != 130)
                fprintf(stderr, "poolbench gate: confirmation rerun: %s\n", err);
            gate_report_free(&rep);
            ec = rr == 130 ? 130 : GATE_EXIT_HARNESS;
            goto done;
        }
        journal_t kb, kc;
        gate_report_t rep2;
        if (load_journal("confirmation baseline", jp[2], &kb) != 0) {
            gate_report_free(&rep);
            goto done;
        }
        if (load_journal("confirmation candidate", jp[3], &kc) != 0) {
            journal_free(&kb);
            gate_report_free(&rep);
            goto done;
        }
        if (gate_compare(&kb, &kc, &go, &rep2, err) != 0) {
            fprintf(stderr, "poolbench gate: %s\n", err);
            journal_free(&kb);
            journal_free(&kc);
            gate_report_free(&rep);
            goto done;
        }
        gate_apply_confirmation(&rep, &rep2);
        gate_report_free(&rep2);
        journal_free(&kb);
        journal_free(&kc);
    } else {
        free(arms);
    }
    char bl[128], cl[128], extra[160];
    snprintf(bl, sizeof bl, "%s (%.12s)", rev_base, sha[0]);
    snprintf(cl, sizeof cl, "%s (%.12s)", rev_cand, sha[1]);
    snprintf(extra, sizeof extra, "interleaved in one job, seed %llu%s", (unsigned long long)seed,
             inject ? "; CALIBRATION: candidate slowed by --inject-slowdown" : "");
    if (inject)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), " %u %%", inject);
    emit_summary(&rep, bl, cl, extra, summary);
    ec = gate_exit_code(&rep);
    gate_report_free(&rep);
    if (hdb) {
        int hr = record_history(hdb, &jb, &jc, now.tv_sec);
        if (hr != 0 && ec == 0)
            ec = hr;
    }
done:
    journal_free(&jb);
    journal_free(&jc);
    free(scs);
    return ec;
}
