/* hyperfine.h: process-level timing with hyperfine, imported as journal cells.
 *
 * `hyperfine -N --runs R [--warmup W] -i --export-json F --style none COMMAND` runs the
 * runner R times as whole processes (cold pools each time); -i keeps going after a failed
 * run so every run's exit code is recorded. The import gives each run's wall time
 * (seconds -> ns) and exit code; hyperfine does not report per-run user/sys time, RSS,
 * counts or the result digest, so those metrics are null in the journal. Never prints or
 * exits; the child is bounded by cell.h's timeout machinery.
 */
#ifndef PB_HYPERFINE_H
#define PB_HYPERFINE_H

#include <signal.h>
#include <stddef.h>
#include "cell.h"

typedef struct hyperfine_result {
    double *times_s;     /* per run */
    int *exit_codes;     /* per run; 0 when hyperfine did not record codes */
    size_t n_runs;
} hyperfine_result_t;

/* Finds hyperfine on PATH and reads its version ("1.15.0"). Returns 0 or -1. */
int hyperfine_find(char *exe, size_t exe_cap, char *version, size_t version_cap);

/* Quotes argv into one command line hyperfine's -N parser splits back exactly. */
int hyperfine_command(char *const *argv, char *out, size_t cap);

/* Runs hyperfine; outcome o describes the hyperfine process itself. Returns 0 when the
 * JSON export was read into r, -1 otherwise (err says why). */
int hyperfine_run(const char *exe, const char *command, unsigned runs, unsigned warmup,
                  const char *extra_env, const char *json_path, double timeout_s,
                  volatile sig_atomic_t *interrupt, cell_outcome_t *o, hyperfine_result_t *r,
                  char *err, size_t err_cap);

/* Reads an export file. Returns 0 or -1 with err. */
int hyperfine_parse(const char *json_path, hyperfine_result_t *r, char *err, size_t err_cap);

void hyperfine_result_free(hyperfine_result_t *r);

#endif
