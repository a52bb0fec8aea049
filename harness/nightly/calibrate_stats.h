/* calibrate_stats.h: the statistics over a calibration's runs: per workload the A/A
 * false-alarm count and CI widths, the detections per slowdown, the smallest detectable
 * slowdown; overall counts. calibrate_md.c and calibrate_json.c render them.
 *
 * Definitions (per workload; "runs with data" = runs whose ns_per_op row had a ratio):
 *  - A/A: flagged = runs with any REGRESSION row; runs = runs with data; ratio_median,
 *    ci_low_factor f = median of CI-low / ratio, ci_half_width_pct = median of
 *    (hi - lo) / 2 / ratio * 100, over the runs with data;
 *  - detection per slowdown: over the runs with data: flagged, ratio and CI-low medians;
 *  - the same split by measure: flagged_time (the time row alone), flagged_cost (the time
 *    row or the instruction row: what catches a slowdown that allocates nothing more;
 *    the A' sides' extra operations also allocate, so the allocation-count rows flag
 *    them too, which "flagged" includes) and, over the runs whose instruction row had a
 *    ratio, ir_runs, ir_flagged and ir_ratio_median (A/A and per slowdown);
 *  - min_detectable_slowdown_pct = ((1 + threshold) / f - 1) * 100, and
 *    min_resolvable_difference_pct = (1 / f - 1) * 100 (NAN unless f is finite and > 0).
 * Medians are stats_median's; NAN when there is no value.
 * Guarantees: every allocation checked. What it must not do: print, write files.
 */
#ifndef PB_CALIBRATE_STATS_H
#define PB_CALIBRATE_STATS_H

#include <stdint.h>
#include <json-c/json.h>
#include "calibrate_tally.h"
#include "thresholds.h"

/* What a calibration was run with (recorded in calibration.json and .md). */
typedef struct calibrate_setup {
    unsigned runs, repetitions;
    unsigned slowdowns_pct[CALIBRATE_MAX_SLOWDOWNS];
    size_t n_slowdowns;
    uint64_t seed;
    const char *bin_dir;
    const thresholds_t *th;
    json_object *context;     /* first run's journal context block (borrowed), or NULL */
} calibrate_setup_t;

typedef struct calibrate_stats_detection {
    size_t runs, flagged, flagged_time, flagged_cost;
    double ratio_median, ci_low_median;
    size_t ir_runs, ir_flagged;
    double ir_ratio_median;
} calibrate_stats_detection_t;

typedef struct calibrate_stats_workload {
    const calibrate_tally_workload_t *names;   /* scenario, backend, policy, variant   */
    size_t aa_runs, aa_flagged, aa_flagged_time, aa_flagged_cost;
    size_t ir_aa_runs, ir_aa_flagged;
    double ir_aa_ratio_median;
    double aa_ratio_median, ci_low_factor_median, ci_half_width_pct_median;
    calibrate_stats_detection_t detection[CALIBRATE_MAX_SLOWDOWNS];
    double min_detectable_slowdown_pct, min_resolvable_difference_pct;
} calibrate_stats_workload_t;

typedef struct calibrate_stats {
    calibrate_stats_workload_t *workloads;
    size_t n_workloads;
    size_t aa_comparisons, aa_flagged, aa_flagged_time, aa_flagged_cost;
    size_t detection_comparisons[CALIBRATE_MAX_SLOWDOWNS];
    size_t detection_flagged[CALIBRATE_MAX_SLOWDOWNS];
    size_t detection_flagged_time[CALIBRATE_MAX_SLOWDOWNS];
    size_t detection_flagged_cost[CALIBRATE_MAX_SLOWDOWNS];
    /* instruction rows: comparisons (both sides counted) and flagged */
    size_t ir_aa_comparisons, ir_aa_flagged;
    size_t ir_detection_comparisons[CALIBRATE_MAX_SLOWDOWNS];
    size_t ir_detection_flagged[CALIBRATE_MAX_SLOWDOWNS];
} calibrate_stats_t;

/* Summarises the tally (which must outlive out). Returns 0 or -1 (out of memory). */
int calibrate_stats_compute(const calibrate_tally_t *t, const calibrate_setup_t *setup,
                            calibrate_stats_t *out);

void calibrate_stats_free(calibrate_stats_t *s);

#endif
