/* calibrate_tally.h: what each run of a calibration observed, per workload (arm).
 *
 * What it is for: `poolbench calibrate` compares, in every run, side A1 with A2 (A/A,
 * kind 0) and A1 with each slowed copy (A/A', kind 1 + k for slowdown k). The tally keeps,
 * per workload, kind and run, whether the gate flagged a regression (any row: time,
 * memory, allocation counts, failures, instructions), whether its time row (ns_per_op)
 * did (flagged_time) and whether its instruction row did (gate_ir.h: flagged_ir, with the
 * ratio of instructions per operation), and the ns_per_op ratio with its CI.
 * calibrate_stats.h summarises it.
 * Guarantees: workloads in order of first appearance in the gate's rows; every
 * allocation checked. What it must not do: compute statistics, print, write files.
 */
#ifndef PB_CALIBRATE_TALLY_H
#define PB_CALIBRATE_TALLY_H

#include <stddef.h>
#include "gate_compare.h"

#define CALIBRATE_MAX_SLOWDOWNS 8
#define CALIBRATE_MAX_RUNS 1000
#define CALIBRATE_KINDS (1 + CALIBRATE_MAX_SLOWDOWNS)   /* [0] = A/A, [1 + k] = slowdown k */

typedef struct calibrate_tally_workload {
    char scenario[GATE_NAME_BYTES], backend[GATE_NAME_BYTES], policy[GATE_NAME_BYTES];
    char variant[GATE_VARIANT_BYTES];
    /* per kind and run: flagged (any row REGRESSION), and the ns_per_op row's ratio and CI
       when it had a ratio (have) */
    int flagged[CALIBRATE_KINDS][CALIBRATE_MAX_RUNS];
    int have[CALIBRATE_KINDS][CALIBRATE_MAX_RUNS];
    double ratio[CALIBRATE_KINDS][CALIBRATE_MAX_RUNS];
    double lo[CALIBRATE_KINDS][CALIBRATE_MAX_RUNS], hi[CALIBRATE_KINDS][CALIBRATE_MAX_RUNS];
    /* the time row (ns_per_op) alone */
    int flagged_time[CALIBRATE_KINDS][CALIBRATE_MAX_RUNS];
    /* the "instructions" row: flagged, and its ratio when both sides were counted */
    int flagged_ir[CALIBRATE_KINDS][CALIBRATE_MAX_RUNS];
    int have_ir[CALIBRATE_KINDS][CALIBRATE_MAX_RUNS];
    double ratio_ir[CALIBRATE_KINDS][CALIBRATE_MAX_RUNS];
} calibrate_tally_workload_t;

typedef struct calibrate_tally {
    calibrate_tally_workload_t *workloads;
    size_t n_workloads;
} calibrate_tally_t;

/* Records one gate comparison (kind 0 = A/A, 1 + k = slowdown k) of run `run`.
 * Returns 0 or -1 (out of memory). */
int calibrate_tally_absorb(calibrate_tally_t *t, const gate_report_t *r, int kind, unsigned run);

void calibrate_tally_free(calibrate_tally_t *t);

#endif
