/* gate_compare.c: the comparison of two journals arm by arm (gate_compare.h): time with a
 * bootstrap CI and Mann-Whitney (Holm over the run), deterministic counts exactly, failed
 * cells and changed results; the confirmation rerun and the exit code.
 * Guarantees: statistics only from pb_stats; never prints or exits.
 */
#define _GNU_SOURCE
#include "gate_compare.h"
#include "journal.h"
#include "stats.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void gate_report_free(gate_report_t *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n_rows = r->cap_rows = 0;
}
