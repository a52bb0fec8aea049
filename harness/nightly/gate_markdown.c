/* gate_markdown.c: the gate's Markdown summary (CI job summary, gate_write_markdown):
 * the verdict and exit code first, then one row per comparison, worst first.
 * Guarantees: writes only to the FILE it is given.
 */
#include "gate_compare.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
    size_t mem[4] = {0}, mem_failed = 0, mem_open = 0;
    for (size_t i = 0; i < r->n_rows; i++)
        if (gate_is_memory(r->rows[i].metric)) {
            int o = gate_row_outcome(&r->rows[i], r->max_regression);
            mem[r->rows[i].status]++;
            mem_failed += o == GATE_EXIT_REGRESSION;
            mem_open += o == GATE_EXIT_INCONCLUSIVE;
        }
    fprintf(f, "Memory (peak live bytes, peak RSS; the same +%.0f %% threshold and rule as "
               "time): %s. %zu rows: %zu pass, %zu regression, %zu unclear, %zu without "
               "data.\n\n", r->max_regression * 100,
            mem_failed ? "**REGRESSION**" : mem_open ? "not settled" :
                mem[GATE_PASS] ? "pass" : "no data",
            mem[0] + mem[1] + mem[2] + mem[3], mem[GATE_PASS], mem[GATE_REGRESSION],
            mem[GATE_UNCLEAR], mem[GATE_NO_DATA]);
    size_t ir[4] = {0};
    for (size_t i = 0; i < r->n_rows; i++)
        if (!strcmp(r->rows[i].metric, "instructions"))
            ir[r->rows[i].status]++;
    if (ir[0] + ir[1] + ir[2] + ir[3])
        fprintf(f, "Instructions (valgrind callgrind: the timed window's instructions per "
                   "operation of each single-threaded arm, identical from run to run, so "
                   "exact; threshold +%.1f %%): %s. %zu rows: %zu pass, %zu regression, %zu "
                   "without data.\n\n", r->max_instructions_increase * 100,
                ir[GATE_REGRESSION] ? "**REGRESSION**" : ir[GATE_PASS] ? "pass" : "no data",
                ir[0] + ir[1] + ir[2] + ir[3], ir[GATE_PASS], ir[GATE_REGRESSION],
                ir[GATE_NO_DATA]);
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
