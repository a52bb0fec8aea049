/* calibrate_md.c: calibration.md (calibrate_md.h).
 * Guarantees: writes only to the FILE given. What it must not do: compute statistics.
 */
#include "calibrate_md.h"

#include <math.h>
#include <stdio.h>

static void calibrate_md_table_head(FILE *md, const calibrate_setup_t *setup)
{
    fprintf(md, "| scenario | backend | policy | variant | false alarms (A/A) | CI half-width |");
    for (size_t k = 0; k < setup->n_slowdowns; k++)
        fprintf(md, " detected +%u %% |", setup->slowdowns_pct[k]);
    fprintf(md, " smallest detectable slowdown | smallest resolvable difference |\n|---|---|---|---|---:|---:|");
    for (size_t k = 0; k < setup->n_slowdowns; k++)
        fprintf(md, "---:|");
    fprintf(md, "---:|---:|\n");
}

static void calibrate_md_row(FILE *md, const calibrate_setup_t *setup,
                             const calibrate_stats_workload_t *w)
{
    const calibrate_tally_workload_t *x = w->names;
    char hws[32];
    if (isnan(w->ci_half_width_pct_median))
        snprintf(hws, sizeof hws, "-");
    else
        snprintf(hws, sizeof hws, "%.1f %%", w->ci_half_width_pct_median);
    fprintf(md, "| %s | %s | %s | %s | %zu/%zu | %s |", x->scenario, x->backend, x->policy,
            x->variant[0] ? x->variant : "-", w->aa_flagged, w->aa_runs, hws);
    for (size_t k = 0; k < setup->n_slowdowns; k++) {
        const calibrate_stats_detection_t *d = &w->detection[k];
        if (d->runs)
            fprintf(md, " %zu/%zu (ratio %.3f) |", d->flagged_cost, d->runs, d->ratio_median);
        else
            fprintf(md, " - |");
    }
    if (isnan(w->min_detectable_slowdown_pct))
        fprintf(md, " - | - |\n");
    else
        fprintf(md, " %.1f %% | %.1f %% |\n", w->min_detectable_slowdown_pct,
                w->min_resolvable_difference_pct);
}

void calibrate_md_write(FILE *md, const calibrate_setup_t *setup, const calibrate_stats_t *s)
{
    const thresholds_t *th = setup->th;
    double limit = 1.0 + th->max_regression_percent / 100.0;
    fprintf(md, "## Gate calibration on this machine\n\n");
    fprintf(md, "%u runs; each run interleaves two unmodified copies of the runners (A/A) and "
                "copies that really do more work (A/A': `--inject-extra-ops PCT`, PCT %% more "
                "operations of the same kernel inside the timed window), %u repetitions per "
                "arm and side. The gate flags a regression when the whole %.0f %% CI of the "
                "ns/op ratio is above %.2f and p (Holm) < %.2g, or (single-threaded kernels) "
                "when the window's instructions per operation under valgrind exceed the "
                "baseline's by more than %.1f %%. False alarms count any row of the gate; "
                "detections count the time row or the instruction row (what catches a "
                "slowdown that allocates nothing more: the extra operations also allocate, "
                "so the allocation-count rows flag them as well, see the lines below), with "
                "the median time ratio. Rates are before the "
                "confirmation rerun (the gate fails on time only when an independent rerun "
                "agrees, so its false-alarm rate is roughly the square; an instruction count "
                "needs no rerun).\n\n", setup->runs, setup->repetitions,
            th->confidence_level * 100, limit, th->alpha, th->max_instructions_increase_percent);
    calibrate_md_table_head(md, setup);
    for (size_t i = 0; i < s->n_workloads; i++)
        calibrate_md_row(md, setup, &s->workloads[i]);
    fprintf(md, "\nOverall: %zu of %zu A/A comparisons flagged by any row (false alarms)",
            s->aa_flagged, s->aa_comparisons);
    for (size_t k = 0; k < setup->n_slowdowns; k++)
        fprintf(md, "; +%u %%: %zu of %zu detected by time or instructions",
                setup->slowdowns_pct[k], s->detection_flagged_cost[k],
                s->detection_comparisons[k]);
    fprintf(md, ".\n\nBy any row (allocation counts included): +");
    for (size_t k = 0; k < setup->n_slowdowns; k++)
        fprintf(md, "%s%u %%: %zu of %zu", k ? "; +" : "", setup->slowdowns_pct[k],
                s->detection_flagged[k], s->detection_comparisons[k]);
    fprintf(md, ".\nBy time alone: %zu of %zu A/A flagged", s->aa_flagged_time,
            s->aa_comparisons);
    for (size_t k = 0; k < setup->n_slowdowns; k++)
        fprintf(md, "; +%u %%: %zu of %zu", setup->slowdowns_pct[k], s->detection_flagged_time[k],
                s->detection_comparisons[k]);
    fprintf(md, ".\nBy instruction counts alone: ");
    if (s->ir_aa_comparisons == 0)
        fprintf(md, "none (no single-threaded kernel among the scenarios, or valgrind missing)");
    else {
        fprintf(md, "%zu of %zu A/A flagged", s->ir_aa_flagged, s->ir_aa_comparisons);
        for (size_t k = 0; k < setup->n_slowdowns; k++)
            fprintf(md, "; +%u %%: %zu of %zu", setup->slowdowns_pct[k],
                    s->ir_detection_flagged[k], s->ir_detection_comparisons[k]);
    }
    fprintf(md, ".\n\n\"Smallest detectable slowdown\": the true slowdown at which the CI's lower "
                "end typically clears the gate threshold, (1 + threshold) / f - 1 with f the "
                "median of CI-low / ratio in the A/A runs; \"smallest resolvable difference\": the "
                "same without the threshold (the CI excludes 1). Below these, \"no difference\" "
                "means \"not measurable here with %u repetitions\".\n", setup->repetitions);
}
