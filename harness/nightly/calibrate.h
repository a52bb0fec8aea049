/* calibrate.h: `poolbench calibrate`, the gate's calibration on this machine.
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
 */
#ifndef PB_CALIBRATE_H
#define PB_CALIBRATE_H

int calibrate_main(int argc, char **argv);

#endif
