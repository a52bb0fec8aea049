/* engine.h: the one engine that runs planned cells, for `poolbench matrix`, the gate and
 * calibrate alike.
 *
 * A plan (plan/matrix.h: matrix_plan or matrix_plan_sides) is a list of units; the engine
 * runs one unit at a time: it builds the runner's command line from the cell
 * (engine_argv_build: the only place that knows the runner's options), runs it in its own
 * child (run/cell.h), under hyperfine (whole processes, timed by hyperfine), or as a group
 * of concurrent children, interprets the runner's JSON, and appends one fsync'd journal
 * line per measured cell to the journal of the unit's side (engine_line_*: the only place
 * that writes a cell line). Warm-up units run and are not journalled.
 *
 * A side is one set of runners with its own journal: a matrix run has one; the gate has
 * two (baseline and candidate revisions), calibrate several copies of the same runners.
 * Lines of a labelled side carry "rev": label.
 *
 * Guarantees: a unit is journalled whole or not at all (interrupted units write nothing);
 * a runner whose output is not one JSON object with every metric, the claimed backend
 * and a result is recorded as bad_output with the reason; the fault and context-switch
 * counts come from wait4 of that child, max_rss_bytes from the runner's own VmHWM
 * (wait4's ru_maxrss includes this driver's high-water mark, runner/peak_rss.h); a scenario with pprof_http = on
 * gives each process its own free loopback --pprof-port and scrapes its endpoint while
 * it runs (monitor.h), the line recording "monitor". Never prints: progress goes
 * through the callbacks. What it must not do: decide, compare or summarise.
 */
#ifndef PB_ENGINE_H
#define PB_ENGINE_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "journal.h"
#include "matrix.h"

enum { ENGINE_OK = 0, ENGINE_HARNESS = 3, ENGINE_INTERRUPTED = 130 };

#define ENGINE_ARGV_MAX 72

/* A runner command line: argv[] points into store[] or at the cell's strings. */
typedef struct engine_argv {
    char *argv[ENGINE_ARGV_MAX + 1];
    char store[ENGINE_ARGV_MAX][256];
    size_t n, n_store;
    int overflow;             /* an argument did not fit: the command line is unusable */
} engine_argv_t;

typedef struct engine_side {
    const char *label;        /* NULL for a matrix run; else journalled as "rev"      */
    const char *bin_dir;      /* where pb-<runner> live                              */
    unsigned inject_slowdown_pct;   /* calibration only: the runner busy-waits longer   */
    unsigned inject_live_pct;       /* calibration only: the runner holds more memory   */
    unsigned inject_extra_ops_pct;  /* calibration only: the runner does more operations
                                       in its window (a real slowdown: more work)       */
    int fd;                   /* the side's journal, open for appending               */
    const char *journal_path; /* for messages                                          */
} engine_side_t;

typedef struct engine_refs engine_refs_t;

typedef struct engine {
    const matrix_t *mx;
    engine_side_t *sides;
    size_t n_sides;
    const char *cache_dir;        /* passed to the runners, or NULL                     */
    const char *out_dir;          /* where hyperfine's JSON files go                    */
    const char *hyperfine_exe;    /* needed only by hyperfine scenarios                 */
    const journal_t *resumed;     /* cells already in the journal (not rewritten)       */
    int check_results;            /* mark wrong_result against results seen so far      */
    volatile sig_atomic_t *interrupt;
    void (*on_start)(void *user, const char *label);
    /* detail: the runner's stderr when a warm-up failed, else "" */
    void (*on_done)(void *user, const char *label, const char *status, uint64_t wall_ns,
                    int warmup, const char *detail);
    void *user;
    /* filled in while running */
    engine_refs_t *refs;
    struct engine_gc_bytes *gc_bytes; /* per arm: bytes per op that give a bare cell the
                                         counting cell's cycle rate (engine.c)           */
    size_t n_gc_bytes, cap_gc_bytes;
    int gc_bytes_scanned;             /* the resumed journal's counting cells read      */
    size_t failed, written;
    char err[512];                /* why ENGINE_HARNESS was returned                    */
} engine_t;

/* The runner executable of a backend (glibc-mmap128k runs pb-glibc) on a side. */
void engine_runner_path(const char *bin_dir, const char *backend, char *out, size_t cap);

/* The runner of cell c of m on a side: pb-<backend>-bare when matrix_cell_bare (the
 * timed cells of a split matrix, issue 12), else engine_runner_path's. */
void engine_cell_runner_path(const matrix_t *m, const matrix_cell_t *c, const char *bin_dir,
                             char *out, size_t cap);

/* The runner's command line for cell c, with side's calibration-only injections
 * (--inject-slowdown, --inject-extra-ops, --inject-live; side NULL: none). Returns 0, or
 * -1 when it does not fit. */
int engine_argv_build(const matrix_cell_t *c, const char *exe, const char *cache_dir,
                      const engine_side_t *side, engine_argv_t *a);

/* "scenario backend/policy variant rep N", the label of a cell in progress lines. */
void engine_cell_label(const matrix_cell_t *c, char *buf, size_t cap);

/* Runs unit u of e->mx->plan (order = its index, journalled). Returns ENGINE_OK,
 * ENGINE_INTERRUPTED or ENGINE_HARNESS (e->err says why). */
int engine_run_unit(engine_t *e, const matrix_unit_t *u, size_t order);

/* Frees what engine_run_unit accumulated (the reference results). */
void engine_free(engine_t *e);

#endif
