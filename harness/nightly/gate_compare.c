/* gate_compare.c: the comparison of two journals arm by arm (gate_compare.h): time with a
 * bootstrap CI and Mann-Whitney (Holm over the run), deterministic counts exactly, failed
 * cells and changed results; the confirmation rerun and the exit code.
 * Guarantees: the arms, their samples and every statistic come from the one model of
 * arms and comparisons (decide/arms.h), with the gate's choices: time = wall_ns / ops
 * unrounded, samples in journal order. Never prints or exits.
 * What it must not do: collect or compare samples itself (arms.h does), decide KEEP or
 * REMOVE (analysis.c does).
 */
#define _GNU_SOURCE
#include "gate_compare.h"
#include "util.h"
#include "arms.h"
#include "journal.h"
#include "stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ comparison ===== */

/* The count metrics compared besides time (exactly when constant within each arm). */
static const arms_metric_t gate_count_metrics[] = {ARMS_M_alloc_calls, ARMS_M_allocs_per_op};
#define GATE_N_COUNT_METRICS (sizeof gate_count_metrics / sizeof gate_count_metrics[0])
/* The memory metrics (the seed's "max 10 % regression" of memory usage), held to the time
 * threshold: peak live bytes exactly when constant within each arm (single-threaded
 * kernels), else statistically like time; peak RSS always statistically. */
static const arms_metric_t gate_memory_metrics[] = {ARMS_M_peak_live_bytes, ARMS_M_max_rss_bytes};
#define GATE_N_MEMORY_METRICS (sizeof gate_memory_metrics / sizeof gate_memory_metrics[0])

/* The gate's arms of one journal: time = wall_ns / ops unrounded (falling back to the
 * journal's ns_per_op, then wall_ns for hyperfine cells), samples in journal order, cells
 * without scenario/backend/policy skipped. */
static int gate_collect(const journal_t *j, const gate_options_t *opt, arms_model_t *out)
{
    const arms_options_t arms_opt = {.time = ARMS_TIME_EXACT_WALL_PER_OP,
                                     .order = ARMS_ORDER_JOURNAL,
                                     .confidence_level = opt->th->confidence_level,
                                     .scenarios = opt->scenarios,
                                     .skip_unnamed = true};
    return arms_collect(j, &arms_opt, out);
}

/* An arm present in either journal: the baseline's and the candidate's (NULL if absent). */
typedef struct gate_pair {
    const arms_arm_t *base, *cand;
} gate_pair_t;

static void gate_note(gate_row_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends "; text" (or "text" to an empty note). */
static void gate_note(gate_row_t *w, const char *fmt, ...)
{
    char text[sizeof w->note];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t l = strlen(w->note);
    snprintf(w->note + l, sizeof w->note - l, "%s%s", l ? "; " : "", text);
}

gate_row_t *gate_report_add_row(gate_report_t *r)
{
    if (util_grow((void **)&r->rows, &r->cap_rows, r->n_rows, sizeof *r->rows) != 0)
        return NULL;
    gate_row_t *w = &r->rows[r->n_rows++];
    memset(w, 0, sizeof *w);
    return w;
}

static gate_row_t *gate_row_new(gate_report_t *r, const gate_pair_t *pair, const char *metric)
{
    gate_row_t *w = gate_report_add_row(r);
    if (!w)
        return NULL;
    const arms_arm_t *a = pair->base ? pair->base : pair->cand;
    snprintf(w->scenario, sizeof w->scenario, "%s", a->scenario);
    snprintf(w->backend, sizeof w->backend, "%s", a->backend);
    snprintf(w->policy, sizeof w->policy, "%s", a->policy);
    snprintf(w->variant, sizeof w->variant, "%s", a->variant);
    snprintf(w->metric, sizeof w->metric, "%s", metric);
    snprintf(w->method, sizeof w->method, "-");
    w->med_base = w->med_cand = w->ratio = w->lo = w->hi = w->p = w->p_holm = NAN;
    w->failed_base = pair->base ? pair->base->n_failed : 0;
    w->failed_cand = pair->cand ? pair->cand->n_failed : 0;
    return w;
}

static arms_compare_options_t gate_compare_options(const thresholds_t *th, bool exact)
{
    return (arms_compare_options_t){.confidence_level = th->confidence_level,
                                    .resamples = (size_t)th->bootstrap_resamples,
                                    .seed = th->bootstrap_seed,
                                    .exact_when_constant = exact};
}

int gate_is_memory(const char *metric)
{
    for (size_t k = 0; k < GATE_N_MEMORY_METRICS; k++)
        if (!strcmp(metric, arms_metric_name(gate_memory_metrics[k])))
            return 1;
    return 0;
}

/* Statistical row (time, or a count that varies) from a comparison; classified after
 * Holm. Too few samples or no bootstrap interval: NO_DATA. */
static void gate_stat_row(gate_row_t *w, const arms_comparison_t *c, const thresholds_t *th)
{
    w->n_base = c->n_a;
    w->n_cand = c->n_b;
    w->med_base = c->median_a;
    w->med_cand = c->median_b;
    if (c->n_a < th->min_samples_per_arm || c->n_b < th->min_samples_per_arm) {
        w->status = GATE_NO_DATA;
        snprintf(w->note, sizeof w->note, "too few ok samples (%zu vs %zu, need %llu per side): "
                 "no claim; raise --repetitions", c->n_a, c->n_b,
                 (unsigned long long)th->min_samples_per_arm);
        return;
    }
    w->p = c->mwu_status == STATS_OK ? c->mwu.p : NAN;
    snprintf(w->method, sizeof w->method, "bootstrap");
    if (c->ci_status != STATS_OK) {
        w->status = GATE_NO_DATA;
        snprintf(w->note, sizeof w->note, "no ratio: %s (a median is 0?)",
                 stats_strerror(c->ci_status));
        return;
    }
    w->ratio = c->ci.estimate;
    w->lo = c->ci.lo;
    w->hi = c->ci.hi;
    w->status = GATE_PASS; /* classified after Holm */
}

/* Exact row of a deterministic count or memory figure: any increase past max_increase
 * regresses. */
static void gate_exact_row(gate_row_t *w, const arms_comparison_t *c, double max_increase)
{
    double vb = c->median_a, vc = c->median_b;
    w->n_base = c->n_a;
    w->n_cand = c->n_b;
    w->med_base = vb;
    w->med_cand = vc;
    w->ratio = w->lo = w->hi = c->ratio;
    snprintf(w->method, sizeof w->method, "exact");
    w->status = vc > vb * (1.0 + max_increase) ? GATE_REGRESSION : GATE_PASS;
    if (w->status == GATE_REGRESSION)
        snprintf(w->note, sizeof w->note, "deterministic %s up by %.0f (%+.2f %%)",
                 gate_is_memory(w->metric) ? "figure" : "count", vc - vb,
                 vb > 0 ? (vc / vb - 1) * 100 : 100.0);
}

/* Rows "status" (candidate cells failed where the baseline's did not) and "result" (the
 * digest changed). Returns 0 or -1 (out of memory). */
static int gate_failure_rows(gate_report_t *out, const gate_pair_t *pair)
{
    const arms_arm_t *b = pair->base, *c = pair->cand;
    gate_row_t *w;
    if (c->n_failed > 0 && b->n_failed == 0) {
        if (!(w = gate_row_new(out, pair, "status")))
            return -1;
        w->status = GATE_REGRESSION;
        snprintf(w->method, sizeof w->method, "exact");
        snprintf(w->note, sizeof w->note, "%zu of %zu candidate cells failed (baseline: none)",
                 c->n_failed, c->n_total);
    }
    if (b->result[0] && c->result[0] && !b->result_mixed && !c->result_mixed &&
        strcmp(b->result, c->result) != 0) {
        if (!(w = gate_row_new(out, pair, "result")))
            return -1;
        w->status = GATE_REGRESSION;
        snprintf(w->method, sizeof w->method, "exact");
        snprintf(w->note, sizeof w->note, "result digest changed: %.60s -> %.60s", b->result,
                 c->result);
    }
    return 0;
}

/* The time row and the count rows of an arm present in both journals. Returns 0 or -1. */
static int gate_metric_rows(gate_report_t *out, const gate_pair_t *pair, const thresholds_t *th)
{
    const arms_arm_t *b = pair->base, *c = pair->cand;
    arms_comparison_t cmp;
    arms_compare_options_t statistical = gate_compare_options(th, false);
    arms_compare_options_t exact = gate_compare_options(th, true);
    gate_row_t *w = gate_row_new(out, pair, "ns_per_op");
    if (!w || arms_compare(b->time, b->n_time, c->time, c->n_time, &statistical, &cmp) != 0)
        return -1;
    gate_stat_row(w, &cmp, th);
    if (b->n_failed)
        gate_note(w, "%zu baseline cells failed", b->n_failed);
    for (size_t k = 0; k < GATE_N_COUNT_METRICS; k++) {
        arms_metric_t m = gate_count_metrics[k];
        if (b->stat[m].n == 0 || c->stat[m].n == 0)
            continue;
        if (!(w = gate_row_new(out, pair, arms_metric_name(m))) ||
            arms_compare(b->samples[m], b->stat[m].n, c->samples[m], c->stat[m].n, &exact,
                         &cmp) != 0)
            return -1;
        if (cmp.method == ARMS_METHOD_EXACT) {
            gate_exact_row(w, &cmp, out->max_count_increase);
        } else {
            w->varies = 1;
            gate_stat_row(w, &cmp, th);
            gate_note(w, "count varies between runs (multi-threaded?): compared statistically");
        }
    }
    for (size_t k = 0; k < GATE_N_MEMORY_METRICS; k++) {
        arms_metric_t m = gate_memory_metrics[k];
        if (b->stat[m].n == 0 || c->stat[m].n == 0)
            continue;
        arms_compare_options_t *how = m == ARMS_M_peak_live_bytes ? &exact : &statistical;
        if (!(w = gate_row_new(out, pair, arms_metric_name(m))) ||
            arms_compare(b->samples[m], b->stat[m].n, c->samples[m], c->stat[m].n, how,
                         &cmp) != 0)
            return -1;
        if (cmp.method == ARMS_METHOD_EXACT)
            gate_exact_row(w, &cmp, out->max_regression);
        else
            gate_stat_row(w, &cmp, th);
    }
    return 0;
}

/* Every row of one arm. Returns 0 or -1 (out of memory). */
static int gate_arm_rows(gate_report_t *out, const gate_pair_t *pair, const thresholds_t *th)
{
    if (!pair->base || !pair->cand) {
        gate_row_t *w = gate_row_new(out, pair, "ns_per_op");
        if (!w)
            return -1;
        w->status = GATE_NO_DATA;
        snprintf(w->note, sizeof w->note, "arm only in the %s journal: not compared",
                 pair->base ? "baseline" : "candidate");
        return 0;
    }
    if (gate_failure_rows(out, pair) != 0)
        return -1;
    return gate_metric_rows(out, pair, th);
}

static void gate_classify(gate_row_t *w, double limit, double alpha)
{
    if (strcmp(w->method, "bootstrap") != 0 || w->status == GATE_NO_DATA)
        return;
    stats_ci_position_t pos = stats_ci_position(w->lo, w->hi, limit);
    double p = isnan(w->p_holm) ? w->p : w->p_holm;
    if (pos == STATS_CI_ABOVE && p < alpha)
        w->status = GATE_REGRESSION;
    else if (pos == STATS_CI_ABOVE) {
        w->status = GATE_UNCLEAR;
        gate_note(w, "CI past the threshold but p_holm %.3g >= alpha", p);
    } else if (pos == STATS_CI_BELOW || w->hi == limit)
        w->status = GATE_PASS;
    else
        w->status = GATE_UNCLEAR;
}

/* Holm over every statistical p-value of this gate run (one family), then the statuses.
 * Returns 0 or -1 (out of memory). */
static int gate_holm_and_classify(gate_report_t *out)
{
    arms_family_t family = {0};
    int rc = 0;
    for (size_t i = 0; i < out->n_rows && rc == 0; i++)
        rc = arms_family_add(&family, out->rows[i].p, &out->rows[i].p_holm);
    if (rc == 0 && arms_family_adjust(&family) == STATS_ENOMEM)
        rc = -1;
    arms_family_free(&family);
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < out->n_rows; i++)
        gate_classify(&out->rows[i], 1.0 + out->max_regression, out->alpha);
    return 0;
}

/* The rows of every arm: the baseline's arms in order, then the candidate's new ones. */
static int gate_all_rows(gate_report_t *out, const arms_model_t *base, const arms_model_t *cand,
                         const thresholds_t *th)
{
    for (size_t i = 0; i < base->n_arms; i++) {
        const arms_arm_t *b = &base->arms[i];
        long k = arms_find(cand, b->scenario, b->backend, b->policy, b->variant);
        gate_pair_t pair = {.base = b, .cand = k >= 0 ? &cand->arms[k] : NULL};
        if (gate_arm_rows(out, &pair, th) != 0)
            return -1;
    }
    for (size_t i = 0; i < cand->n_arms; i++) {
        const arms_arm_t *c = &cand->arms[i];
        if (arms_find(base, c->scenario, c->backend, c->policy, c->variant) >= 0)
            continue;
        gate_pair_t pair = {.base = NULL, .cand = c};
        if (gate_arm_rows(out, &pair, th) != 0)
            return -1;
    }
    return 0;
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
    arms_model_t base_arms, cand_arms;
    int rc = -1;
    if (gate_collect(base, opt, &base_arms) != 0)
        goto oom;
    if (gate_collect(cand, opt, &cand_arms) != 0) {
        arms_free(&base_arms);
        goto oom;
    }
    rc = gate_all_rows(out, &base_arms, &cand_arms, th);
    if (rc == 0)
        rc = gate_holm_and_classify(out);
    arms_free(&base_arms);
    arms_free(&cand_arms);
    if (rc == 0)
        return 0;
oom:
    snprintf(err, GATE_ERR_BYTES, "out of memory while comparing journals");
    gate_report_free(out);
    return -1;
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

int gate_row_outcome(const gate_row_t *w, double max_regression)
{
    if (w->status == GATE_REGRESSION) {
        if (w->confirm == GATE_CONFIRM_UNSETTLED)
            return GATE_EXIT_INCONCLUSIVE;
        return w->confirm == GATE_CONFIRM_NOT_REPRODUCED ? GATE_EXIT_PASS : GATE_EXIT_REGRESSION;
    }
    if (w->status == GATE_UNCLEAR && w->ratio > 1.0 + max_regression) {
        /* a suspect: its estimate is past the threshold, its CI is not */
        if (w->confirm == GATE_CONFIRM_AGREED)
            return GATE_EXIT_REGRESSION;
        return w->confirm == GATE_CONFIRM_NOT_REPRODUCED ? GATE_EXIT_PASS : GATE_EXIT_INCONCLUSIVE;
    }
    return GATE_EXIT_PASS;
}

int gate_exit_code(const gate_report_t *r)
{
    int reg = 0, incon = 0;
    size_t compared = 0;
    for (size_t i = 0; i < r->n_rows; i++) {
        const gate_row_t *w = &r->rows[i];
        if (w->status != GATE_NO_DATA)
            compared++;
        int o = gate_row_outcome(w, r->max_regression);
        reg |= o == GATE_EXIT_REGRESSION;
        incon |= o == GATE_EXIT_INCONCLUSIVE;
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
