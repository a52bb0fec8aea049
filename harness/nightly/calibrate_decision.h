/* calibrate_decision.h: the decision rules' own error rates on this machine. A/A matrices
 * (scenarios/aa.matrix: in every comparison both arms run the same code) run `runs` times
 * through the matrix engine; each is analysed with the headline rules as shipped. Every
 * headline KEEP is a false KEEP and every REMOVE "worse" a false REMOVE-as-worse; REMOVE
 * by equivalence or by no benefit is the right answer, INCONCLUSIVE a lack of power. Exact-count
 * comparisons (evidence) that differ between the arms are counted too. Writes
 * OUT/decision-calibration.json (schema below) and returns its Markdown summary.
 *
 * decision-calibration.json: {"schema_version":1, "kind":"poolbench-decision-calibration",
 *   "matrix", "runs", "thresholds":{alpha, confidence_level, equivalence_percent},
 *   "per_run":[{"run","journal","overall","verdicts","keep","remove_worse",
 *               "remove_equivalence","remove_no_benefit","inconclusive","disqualified",
 *               "exact_counts_differing"}],
 *   "verdicts","false_keep","false_remove_worse","false_keep_rate",
 *   "false_remove_worse_rate","runs_clean"  (runs with no false KEEP and no false worse)}
 * Guarantees: never prints (progress through the matrix engine's stderr lines only);
 * a run folder that already holds a journal is refused (exit 2), nothing is overwritten.
 */
#ifndef PB_CALIBRATE_DECISION_H
#define PB_CALIBRATE_DECISION_H

#include <stddef.h>
#include <stdint.h>
#include "thresholds.h"

#define CALIBRATE_DECISION_FILE "decision-calibration.json"

typedef struct calibrate_decision_options {
    const char *matrix_file;        /* the A/A matrix (scenarios/aa.matrix)              */
    const char *scenario_dir;       /* or NULL: the matrix file's folder                  */
    const char *default_scenario_dir;
    unsigned runs;
    const char *bin_dir, *cache_dir;
    const char *out_dir;            /* runs go to OUT/decision/run-NNN                   */
    const thresholds_t *th;
    uint64_t seed;
} calibrate_decision_options_t;

/* Runs the A/A matrices and writes the JSON. Returns 0, 2 (bad input: matrix, folder in
 * use), 3 (harness error) or 130 (interrupted); err says why. *markdown (malloc'd) gets
 * the summary on success. */
int calibrate_decision_run(const calibrate_decision_options_t *o, char **markdown,
                           char *err, size_t err_cap);

#endif
