/* adaptive.h: adaptive repetitions. After `poolbench matrix` has run its plan, the
 * headline comparisons that are undecided, but whose estimate says more repetitions could
 * settle them, get more repetitions of both arms, interleaved and shuffled like every
 * cell, within a time budget, in at most looks_planned - 1 rounds (the final report is
 * the last look).
 *
 * The sequential procedure: looks_planned is fixed before the first look and written in
 * every look line; the decision model then runs every test at alpha / looks_planned and
 * every interval at 1 - (1 - confidence) / looks_planned (a Bonferroni split over the
 * looks, analysis.h), so that looking, stopping or adding repetitions cannot raise the
 * false-alarm rate above alpha. Each look appends one "look" line to the journal: the
 * look number, the plan, what was extended (arms, repetitions before and after), the
 * cells added and the time used.
 *
 * Guarantees: nothing runs past the budget by more than one cell; an interrupted look
 * keeps every finished cell and writes its look line; the journal is only appended to,
 * under the folder's lock. Messages go to stderr ("poolbench matrix: ...").
 */
#ifndef PB_ADAPTIVE_H
#define PB_ADAPTIVE_H

#include "matrix_run.h"

#define ADAPTIVE_DEFAULT_LOOKS 3u

typedef struct adaptive_options {
    const matrix_run_options_t *run;   /* the matrix run it continues (out must be set)  */
    double budget_s;                   /* wall-clock seconds for the extra cells          */
    unsigned looks_planned;            /* >= 2                                            */
    const char *thresholds;            /* thresholds file, or NULL for the defaults       */
} adaptive_options_t;

/* Runs the looks. Returns a matrix_run exit code (MATRIX_RUN_OK, _FAILED_CELLS when an
 * added cell failed, _USAGE, _HARNESS, _INTERRUPTED). */
int adaptive_run(const adaptive_options_t *opt);

#endif
