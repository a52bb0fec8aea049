/* gate_runner.h: the interleaved A/B runner that gate and calibrate share: several sides
 * (revisions, or slowed copies of the same runners) run the same cells interleaved in one
 * job, each side into its own journal; and the gate's default scenario set.
 * Guarantees: never prints (progress goes through a callback), never exits.
 */
#ifndef PB_GATE_RUNNER_H
#define PB_GATE_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "gate_compare.h"
#include "scenario.h"

/* ---- the interleaved runner (gate --revs, calibrate) --------------------------------- */

/* One side of an interleaved run: a folder with pb-<backend> runners, an optional
 * injected slowdown (calibration only), and the journal it writes (created; the context
 * block records `label`, `commit` and the slowdown). */
typedef struct gate_side {
    const char *label;          /* "base", "candidate", "A1", "A'25" ...               */
    const char *bin_dir;
    const char *commit;         /* recorded in the journal context; may be NULL         */
    unsigned inject_slowdown_pct;
    unsigned inject_live_pct;   /* calibration only: the runners hold more memory       */
    unsigned inject_extra_ops_pct; /* calibration only: the runners do more operations  */
    const char *journal_path;
} gate_side_t;

typedef void (*gate_progress_fn)(void *user, const char *line);

typedef struct gate_run_options {
    uint64_t seed;
    const char *arms_filter;    /* from gate_regressed_arms, or NULL = every arm         */
    const char *cache_dir;      /* passed to the runners, or NULL                       */
    volatile sig_atomic_t *interrupt;
    gate_progress_fn progress;  /* may be NULL */
    void *progress_user;
} gate_run_options_t;

/* Expands the scenarios (cell mode only; hyperfine and concurrent scenarios are refused
 * with err), then runs every cell once per side, all sides interleaved: within each
 * repetition block the (cell, side) units are shuffled with a seeded xoshiro256**, after
 * one shuffled round of warm-up units per arm and side (not journalled). Each side's
 * journal gets one fsync'd line per cell (journal.h format, plus "rev": label).
 * Returns 0; -1 bad input (err); -2 harness error (err); 130 interrupted. */
int gate_run_sides(const scenario_t *scs, size_t n_scs, const gate_side_t *sides,
                   size_t n_sides, const gate_run_options_t *opt, char err[GATE_ERR_BYTES]);

/* Loads the scenarios of a matrix file (with its overrides) or of a comma list of names
 * (scenario_dir/NAME.ini) and applies `repetitions` (0 = keep) and, for the built-in
 * default set, the gate's overrides. *out is malloc'd. Returns 0 or -1 (err). */
int gate_load_scenarios(const char *matrix_file, const char *scenarios,
                        const char *scenario_dir, unsigned repetitions, scenario_t **out,
                        size_t *n_out, char err[GATE_ERR_BYTES]);

/* The default scenario set of gate and calibrate (small: one gate run well under a
 * minute on a 2-core machine). */
#define GATE_DEFAULT_SCENARIOS "micro_checksum,micro_image_tag"
#define GATE_DEFAULT_REPETITIONS 20u

#endif
