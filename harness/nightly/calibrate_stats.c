/* calibrate_stats.c: the statistics over a calibration's runs (calibrate_stats.h).
 * Guarantees: medians only from pb_stats; every allocation checked.
 * What it must not do: print, write files.
 */
#include "calibrate_stats.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double calibrate_stats_median(const double *v, size_t n)
{
    double m = NAN;
    if (n && stats_median(v, n, &m) != 0)
        m = NAN;
    return m;
}

/* A/A: flagged over every run, ratios and CI shapes over the runs with data. */
static void calibrate_stats_aa(const calibrate_tally_workload_t *x, unsigned runs,
                               double *tmp, double *tmp2, calibrate_stats_workload_t *out)
{
    size_t flagged = 0, flagged_time = 0, flagged_cost = 0, n = 0;
    for (unsigned r = 0; r < runs; r++) {
        flagged += (size_t)x->flagged[0][r];
        flagged_time += (size_t)x->flagged_time[0][r];
        flagged_cost += (size_t)(x->flagged_time[0][r] || x->flagged_ir[0][r]);
        if (x->have[0][r]) {
            tmp[n] = x->lo[0][r] / x->ratio[0][r];
            tmp2[n++] = (x->hi[0][r] - x->lo[0][r]) / 2 / x->ratio[0][r] * 100;
        }
    }
    out->ci_low_factor_median = calibrate_stats_median(tmp, n);
    out->ci_half_width_pct_median = calibrate_stats_median(tmp2, n);
    for (unsigned r = 0, k = 0; r < runs; r++)
        if (x->have[0][r])
            tmp[k++] = x->ratio[0][r];
    out->aa_ratio_median = calibrate_stats_median(tmp, n);
    out->aa_runs = n;
    out->aa_flagged = flagged;
    out->aa_flagged_time = flagged_time;
    out->aa_flagged_cost = flagged_cost;
    size_t m = 0, ir_flagged = 0;
    for (unsigned r = 0; r < runs; r++)
        if (x->have_ir[0][r]) {
            tmp[m++] = x->ratio_ir[0][r];
            ir_flagged += (size_t)x->flagged_ir[0][r];
        }
    out->ir_aa_runs = m;
    out->ir_aa_flagged = ir_flagged;
    out->ir_aa_ratio_median = calibrate_stats_median(tmp, m);
}

/* A/A' of slowdown k: over the runs with data. */
static void calibrate_stats_detection(const calibrate_tally_workload_t *x, unsigned runs,
                                      size_t k, double *tmp, double *tmp2,
                                      calibrate_stats_detection_t *out)
{
    size_t n = 0, flagged = 0;
    memset(out, 0, sizeof *out);
    for (unsigned r = 0; r < runs; r++) {
        if (!x->have[1 + k][r])
            continue;
        flagged += (size_t)x->flagged[1 + k][r];
        out->flagged_time += (size_t)x->flagged_time[1 + k][r];
        out->flagged_cost += (size_t)(x->flagged_time[1 + k][r] || x->flagged_ir[1 + k][r]);
        tmp[n] = x->ratio[1 + k][r];
        tmp2[n++] = x->lo[1 + k][r];
    }
    out->runs = n;
    out->flagged = flagged;
    size_t m = 0;
    for (unsigned r = 0; r < runs; r++)
        if (x->have_ir[1 + k][r]) {
            tmp2[m++] = x->ratio_ir[1 + k][r];
            out->ir_flagged += (size_t)x->flagged_ir[1 + k][r];
        }
    out->ir_runs = m;
    out->ir_ratio_median = calibrate_stats_median(tmp2, m);
    out->ratio_median = calibrate_stats_median(tmp, n);
    out->ci_low_median = calibrate_stats_median(tmp2, n);
}

int calibrate_stats_compute(const calibrate_tally_t *t, const calibrate_setup_t *setup,
                            calibrate_stats_t *out)
{
    memset(out, 0, sizeof *out);
    double limit = 1.0 + setup->th->max_regression_percent / 100.0;
    double *tmp = malloc((setup->runs + 1) * sizeof *tmp);
    double *tmp2 = malloc((setup->runs + 1) * sizeof *tmp2);
    out->workloads = calloc(t->n_workloads ? t->n_workloads : 1, sizeof *out->workloads);
    if (!tmp || !tmp2 || !out->workloads) {
        free(tmp);
        free(tmp2);
        calibrate_stats_free(out);
        return -1;
    }
    for (size_t i = 0; i < t->n_workloads; i++) {
        const calibrate_tally_workload_t *x = &t->workloads[i];
        calibrate_stats_workload_t *w = &out->workloads[out->n_workloads++];
        w->names = x;
        calibrate_stats_aa(x, setup->runs, tmp, tmp2, w);
        out->aa_comparisons += w->aa_runs;
        out->aa_flagged += w->aa_flagged;
        out->aa_flagged_time += w->aa_flagged_time;
        out->aa_flagged_cost += w->aa_flagged_cost;
        out->ir_aa_comparisons += w->ir_aa_runs;
        out->ir_aa_flagged += w->ir_aa_flagged;
        for (size_t k = 0; k < setup->n_slowdowns; k++) {
            calibrate_stats_detection(x, setup->runs, k, tmp, tmp2, &w->detection[k]);
            out->detection_comparisons[k] += w->detection[k].runs;
            out->detection_flagged[k] += w->detection[k].flagged;
            out->detection_flagged_time[k] += w->detection[k].flagged_time;
            out->detection_flagged_cost[k] += w->detection[k].flagged_cost;
            out->ir_detection_comparisons[k] += w->detection[k].ir_runs;
            out->ir_detection_flagged[k] += w->detection[k].ir_flagged;
        }
        double f = w->ci_low_factor_median;
        w->min_detectable_slowdown_pct = isfinite(f) && f > 0 ? (limit / f - 1) * 100 : NAN;
        w->min_resolvable_difference_pct = isfinite(f) && f > 0 ? (1 / f - 1) * 100 : NAN;
    }
    free(tmp);
    free(tmp2);
    return 0;
}

void calibrate_stats_free(calibrate_stats_t *s)
{
    free(s->workloads);
    memset(s, 0, sizeof *s);
}
