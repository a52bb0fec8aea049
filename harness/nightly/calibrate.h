/* calibrate.h: `poolbench calibrate`, the gate's calibration on this machine: one entry
 * point, calibrate_run(), for the command (harness/cli/cmd_calibrate.c).
 *
 * What it is for: telling a reader what "no regression" means here. It runs the gate's
 * interleaved runner with several sides of the SAME runners: two unmodified copies (A/A:
 * any regression flagged is a false alarm) and copies slowed by a known amount with the
 * runner's calibration-only --inject-slowdown PCT (A/A': a flag is a detection), and
 * reports per workload the false-alarm rate, the detection rate per slowdown, and the
 * smallest slowdown the chosen repetitions can detect (from the observed CI widths).
 * Writes DIR/calibration.json (format below, schema_version 1) and DIR/calibration.md.
 *
 * calibration.json: {"schema_version":1, "kind":"poolbench-calibration",
 *   "context":{journal context block of the first run}, "bin_dir", "seed",
 *   "runs":N, "repetitions":R, "slowdowns_pct":[5,10,25],
 *   "thresholds":{"max_regression_percent","alpha","confidence_level",
 *                 "min_samples_per_arm"},
 *   "workloads":[{"scenario","backend","policy","variant",
 *       "aa":{"runs","flagged","false_alarm_rate","ratio_median",
 *             "ci_low_factor_median"  (median over A/A runs of ci_low / ratio),
 *             "ci_half_width_pct_median" (median of (hi - lo) / 2 / ratio * 100)},
 *       "detection":[{"slowdown_pct","runs","flagged","detection_rate","ratio_median",
 *                     "ci_low_median"}],
 *       "min_detectable_slowdown_pct"   (gate threshold + CI: (1+thr)/f - 1, in %),
 *       "min_resolvable_difference_pct" (CI excludes 1: 1/f - 1, in %)}],
 *   "overall":{"aa_comparisons","aa_flagged","false_alarm_rate",
 *              "detection":[{"slowdown_pct","comparisons","flagged","detection_rate"}]}}
 * Rates are per arm comparison before the gate's confirmation rerun (the gate itself
 * fails only when an independent rerun agrees, so its false-alarm rate is about the
 * square of the one reported). Rates are null when no comparison had data.
 *
 * Layout: calibrate.c runs (or, with reanalyse_dir, re-reads) the sides of every run and
 * compares them with the gate (gate_compare); calibrate_tally.c records what each run
 * flagged, calibrate_stats.c summarises the runs, calibrate_md.c and calibrate_json.c
 * write calibration.md and calibration.json.
 * Guarantees: the comparisons are exactly the gate's (gate_compare with the thresholds
 * given); the runs are the gate's interleaved runner (gate_run_sides); statistics only
 * from pb_stats; the same journals give the same calibration.json and .md (reanalysis).
 * What it must not do: print (progress goes through a callback, the Markdown back to the
 * command), install signal handlers (the command does), write outside the output folder,
 * or slow anything but the A' sides.
 */
#ifndef PB_CALIBRATE_H
#define PB_CALIBRATE_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "calibrate_tally.h"
#include "thresholds.h"

#define CALIBRATE_ERR_BYTES 1024

typedef void (*calibrate_progress_fn)(void *user, const char *line);

typedef struct calibrate_options {
    /* what to run (ignored by a reanalysis) */
    const char *matrix, *scenarios, *scenario_dir;   /* gate_load_scenarios' arguments   */
    unsigned runs, repetitions;
    uint64_t seed;                     /* run 1's shuffle seed; run k derives its own       */
    const char *bin_dir;               /* the pb-<backend> runners                          */
    const char *cache_dir;             /* passed to the runners, or NULL                    */
    volatile sig_atomic_t *interrupt;  /* polled by the runner; may be NULL                 */
    /* both */
    unsigned slowdowns_pct[CALIBRATE_MAX_SLOWDOWNS];
    size_t n_slowdowns;                /* reanalysis: 0 = the A-slowPCT folders of run-001,
                                          ascending                                        */
    const thresholds_t *th;
    const char *out_dir;               /* where calibration.json/.md go (a fresh run refuses
                                          a folder that holds one); reanalysis: NULL = the
                                          reanalysed folder, whose files are replaced       */
    const char *reanalyse_dir;         /* non-NULL: recompute from the journals an earlier
                                          run left there (run-NNN/SIDE/results.jsonl)
                                          without running anything; repetitions, seed and
                                          bin_dir are read from run-001/A1's journal       */
    calibrate_progress_fn progress;    /* may be NULL */
    void *progress_user;
} calibrate_options_t;

typedef struct calibrate_outcome {
    char json_path[PATH_MAX + 32], md_path[PATH_MAX + 32];
    char *markdown;                    /* malloc'd text of calibration.md (to print)        */
    size_t markdown_len;
} calibrate_outcome_t;

/* Runs the calibration (or reanalyses reanalyse_dir) and writes calibration.json and
 * calibration.md. Returns 0 (out filled; free out->markdown), 2 bad input (err), 3
 * harness error (err), 130 interrupted. */
int calibrate_run(const calibrate_options_t *opt, calibrate_outcome_t *out,
                  char err[CALIBRATE_ERR_BYTES]);


#endif
