/* gate_ir.h: instruction counts of a kernel's timed window, the gate's deterministic
 * measure (issue 12: wall time on a shared 2-core machine resolves about 10 %; a real
 * 5 % slowdown must be caught).
 *
 * What it is for: one runner process per (side, arm) under valgrind's callgrind with
 * --collect-atstart=no; the runner toggles collection on at the start of its timed window
 * and off at its end (runner.c), so callgrind's "summary:" total is the instructions (Ir)
 * of the window only, and Ir / ops the instructions per operation. Valgrind executes the
 * program on its own synthetic CPU, so the count does not depend on the machine's load:
 * two runs of one binary give the same number (gate_ir_rows records both when asked to
 * check, and the calibration counts any difference as a false alarm).
 *  - gate_ir_eligible(): which arms are measured: one-process cells ("cell" mode) of a C
 *    backend whose kernel runs on one thread (checksum, sum_checksum, tar_read, tar_copy,
 *    tar_create_seq, image_tag, touch). Multi-threaded kernels are left to wall time:
 *    callgrind serialises threads and collection is per thread.
 *  - gate_ir_measure(): one count (Ir and ops) of one cell on one side's runners
 *    (pb-<backend>-bare when present: no counting front end in the count), with
 *    --iterations min(iterations, GATE_IR_MAX_ITERATIONS) and optionally
 *    --inject-extra-ops PCT (calibration: a candidate that really does PCT % more work).
 *  - gate_ir_count_side(): every eligible arm (its repetition-0 cell) of the scenarios on
 *    one side's runners, written to that side's instructions.json (schema below).
 *  - gate_ir_compare_files(): two sides' files compared as gate rows (metric
 *    "instructions", method "exact"): REGRESSION when candidate Ir/op > baseline Ir/op x
 *    (1 + max_instructions_increase_percent / 100), confirmed by construction (a rerun
 *    gives the same count: the row says so), else PASS; an arm without a count on either
 *    side is NO_DATA with the reason. The gate (--revs, and saved journals whose folders
 *    hold the files) and the calibration (A1 against each other side) both use it.
 *
 * instructions.json: {"schema_version":1, "kind":"poolbench-instructions", "side",
 *   "bin_dir", "extra_ops_pct",
 *   "arms":[{"scenario","backend","policy","variant", "ir","ops","ir_per_op"
 *            (or "error": why it could not be counted)}]}
 *
 * Guarantees: never prints (progress through a callback), never exits; children run
 * through cell.h (own process group, deadline, interrupt); every allocation checked.
 * What it must not do: change what a kernel does (the count is of the same runner
 * command the gate times, with fewer iterations), or compare anything but Ir per op.
 */
#ifndef PB_GATE_IR_H
#define PB_GATE_IR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "gate_compare.h"
#include "matrix.h"
#include "scenario.h"

/* Operations counted per arm at most (2, 5, 10 and 25 % of 100 are whole operations). */
#define GATE_IR_MAX_ITERATIONS 100u
/* A side's counts, beside its journal (OUT/base, OUT/candidate, run-NNN/SIDE). */
#define GATE_IR_FILE "instructions.json"

typedef struct gate_ir_options {
    const char *valgrind;       /* the valgrind executable (gate_ir_find_valgrind)        */
    const char *work_dir;       /* where callgrind.out files go (kept for inspection)     */
    const char *cache_dir;      /* passed to the runners, or NULL                        */
    double timeout_s;           /* per counted run                                       */
    volatile sig_atomic_t *interrupt;
    void (*progress)(void *user, const char *line);   /* may be NULL */
    void *progress_user;
} gate_ir_options_t;

/* One count: the window's instructions and the operations it ran. */
typedef struct gate_ir_count {
    uint64_t ir, ops;
    double ir_per_op;
} gate_ir_count_t;

/* Is the cell's arm one the instruction counts cover? */
int gate_ir_eligible(const matrix_cell_t *c);

/* Finds valgrind on PATH into valgrind[cap] and checks that its callgrind starts.
 * Returns 1, or 0 (why in err: not installed, or does not run). */
int gate_ir_find_valgrind(char *valgrind, size_t cap, char *err, size_t err_cap);

/* Counts cell c on the runners of bin_dir, the window doing extra_ops_pct % more
 * operations (0 = as the scenario says). out_file: callgrind's output file.
 * Returns 0; -1 when the run failed or gave no count (err says why); 130 interrupted. */
int gate_ir_measure(const matrix_cell_t *c, const char *bin_dir, unsigned extra_ops_pct,
                    const gate_ir_options_t *o, const char *out_file, gate_ir_count_t *out,
                    char *err, size_t err_cap);

/* Reads the "summary:" (else "totals:") line of a callgrind output file into *ir.
 * Returns 0, or -1 (missing file or line; err says which). */
int gate_ir_parse_file(const char *path, uint64_t *ir, char *err, size_t err_cap);

/* Counts every eligible arm of the scenarios on the runners of bin_dir (extra_ops_pct:
 * calibration only) into json_path (label: the side's name, also in the callgrind file
 * names under o->work_dir). An arm that cannot be counted gets its "error". Returns 0;
 * -1 on out of memory or an unwritable file (err); 130 interrupted. */
int gate_ir_count_side(const scenario_t *scs, size_t n_scs, const char *bin_dir,
                       unsigned extra_ops_pct, const gate_ir_options_t *o, const char *label,
                       const char *json_path, char *err, size_t err_cap);

/* Appends one row per arm of base_json to rep (see above) and sets
 * rep->max_instructions_increase. Returns 0, or -1 (a file missing or not an
 * instructions file, out of memory: err). */
int gate_ir_compare_files(const char *base_json, const char *cand_json, double threshold_pct,
                          gate_report_t *rep, char *err, size_t err_cap);

#endif
