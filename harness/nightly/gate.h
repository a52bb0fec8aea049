/* gate.h: the nightly regression gate: baseline against candidate, from saved journals or
 * from two git revisions built side by side (gate_build.h) and run interleaved
 * (gate_runner.h), compared by gate_compare.h, and confirmed by a rerun of what was
 * flagged. `poolbench gate` (cli/cmd_gate.c) parses its arguments into a gate_command_t
 * and calls gate_run.
 * Exit codes: 0 pass, 1 regression, 2 inconclusive / no baseline / bad input, 3 harness,
 * 130 interrupted.
 */
#ifndef PB_GATE_H
#define PB_GATE_H

#include "gate_compare.h"
#include "gate_runner.h"

typedef struct gate_command {
    const char *baseline, *candidate;    /* saved journals (folders or files)           */
    int revs;                            /* or two revisions:                           */
    const char *rev_base, *rev_cand;
    const char *thresholds;              /* or NULL: scenarios/thresholds.ini           */
    double max_count_increase_percent;
    const char *scenarios, *matrix, *scenario_dir;
    unsigned repetitions;                /* 0 = the scenarios' own / the gate default   */
    const char *repo, *work_dir, *out_dir, *cache_dir;
    int have_seed;
    uint64_t seed;
    int no_confirm;
    unsigned inject_slowdown_pct;        /* calibration only                            */
    unsigned inject_live_pct;            /* calibration only                            */
    unsigned inject_extra_ops_pct;       /* calibration only: the candidate does more work */
    int no_instructions;                 /* skip the instruction counts (valgrind)      */
    const char *summary;                 /* also write the Markdown summary there       */
    const char *history_path;            /* record both runs in this SQLite history     */
} gate_command_t;

/* Runs the gate. Returns its exit code. */
int gate_run(const gate_command_t *cmd);

#endif
