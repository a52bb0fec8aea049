/* matrix_run.h: the body of `poolbench matrix`: load the scenarios (every check before
 * anything is created), expand the cells, take DIR/.lock, write or resume
 * DIR/results.jsonl (context block first), run the shuffled plan through the engine
 * (engine.h), and cross-check results across the whole journal at the end.
 *
 * Guarantees: bad input is refused before a folder or file is created; an interrupted
 * run keeps every finished cell and says how to resume; a resumed journal is cut back to
 * its complete lines and must belong to the same matrix. Messages go to stderr (the plan
 * of --dry-run to stdout), prefixed "poolbench matrix:".
 */
#ifndef PB_MATRIX_RUN_H
#define PB_MATRIX_RUN_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes of `poolbench matrix` (README, --help). */
enum { MATRIX_RUN_OK = 0, MATRIX_RUN_FAILED_CELLS = 1, MATRIX_RUN_USAGE = 2,
       MATRIX_RUN_HARNESS = 3, MATRIX_RUN_INTERRUPTED = 130 };

typedef struct matrix_run_options {
    const char *matrix_file;      /* or NULL                                           */
    const char *scenarios;        /* comma list, or NULL                               */
    const char *scenario_dir;     /* or NULL: the matrix file's folder, else default    */
    const char *default_scenario_dir;
    const char *backends;         /* comma list filter, or NULL (already validated)     */
    const char *out;              /* or NULL: results/YYYYmmdd-HHMMSS-HOST             */
    int resume, dry_run;
    unsigned shard_k, shard_n;
    int have_seed;
    uint64_t seed;                /* when have_seed; else from the clock (or resumed)   */
    const char *bin_dir;          /* or NULL: the driver's own folder                   */
    const char *cache_dir;        /* or NULL                                           */
    int argc;                     /* the command line, recorded in the context block    */
    char **argv;
} matrix_run_options_t;

/* Runs the matrix. Returns one of the exit codes above. */
int matrix_run(const matrix_run_options_t *opt);

/* Cross-checks results across the whole journal at journal_path (the reference result
 * may have come after a cell), appends corrections through fd, prints the tally.
 * Returns MATRIX_RUN_OK, _FAILED_CELLS (some cell is not ok) or _HARNESS. */
int matrix_run_crosscheck(const char *journal_path, int fd);

/* The default output folder, results/YYYYmmdd-HHMMSS-HOST. */
void matrix_run_default_out(char *out, size_t cap);

/* A seed from the clock and the pid, below 2^48 (exact in a JSON double). */
uint64_t matrix_run_clock_seed(void);

#endif
