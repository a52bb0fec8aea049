/* scenario.h: scenario files (scenarios/NAME.ini) and matrix files (scenarios/NAME.matrix).
 *
 * A scenario names one workload, its generated input (with a seed), the axes it sweeps
 * (backends, pool policies, threads, sizes, buffer sizes, zero_on_put, standard_alloc),
 * warm-up, repetitions and a per-cell timeout. Files are INI, parsed with libinih; every
 * line is checked for valid UTF-8 first. On any error the loader fills `err` with exactly
 * one message "FILE:LINE: what is wrong" and returns -1; it never prints, never exits and
 * never creates files. Key names are unique across sections, so a matrix file overrides a
 * key by its bare name.
 *
 * Where: scenario.c (the key table, values, checks across keys, overrides, backend
 * names), scenario_file.c (scenario_load), scenario_lines.c (the line scanner before
 * libinih), scenario_matrix.c (matrix files), scenario_set.c (scenario_load_set).
 */
#ifndef PB_SCENARIO_H
#define PB_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#define SCENARIO_MAX_LIST 16
#define SCENARIO_NAME_BYTES 64
#define SCENARIO_TEXT_BYTES 192
#define SCENARIO_ERR_BYTES 1024
#define SCENARIO_UNSET UINT64_MAX     /* a numeric option not given: the runner's default */

typedef enum scenario_mode {
    SCENARIO_MODE_CELL,        /* one runner process per cell                           */
    SCENARIO_MODE_CONCURRENT,  /* `processes` runners at once; the group is one cell    */
    SCENARIO_MODE_HYPERFINE    /* hyperfine runs the runner `repetitions` times          */
} scenario_mode_t;

/* Which ok cells must agree on the result: all cells of one input (default), only
 * cells with the same pool policy too (workloads whose result describes the policy, such
 * as pool_churn), or none. */
typedef enum scenario_result_check {
    SCENARIO_CHECK_INPUT, SCENARIO_CHECK_POLICY, SCENARIO_CHECK_OFF
} scenario_result_check_t;

typedef struct scenario_u64_list {
    uint64_t v[SCENARIO_MAX_LIST];
    size_t n;
} scenario_u64_list_t;

typedef struct scenario_str_list {
    char v[SCENARIO_MAX_LIST][SCENARIO_NAME_BYTES];
    size_t n;
} scenario_str_list_t;

typedef struct scenario {
    char name[SCENARIO_NAME_BYTES];
    char path[512];
    char description[SCENARIO_TEXT_BYTES];
    char workload[SCENARIO_NAME_BYTES];
    scenario_mode_t mode;
    uint64_t processes;                  /* concurrent mode                        */
    char expect[SCENARIO_TEXT_BYTES];    /* pinned result; "" = not pinned          */
    int pprof_http;                      /* runner flag --pprof-http; 0/1 (the driver
                                          * picks the port and scrapes the endpoint) */
    int heap_profile;                    /* 0/1: `poolbench matrix` adds the profiled
                                          * pass (run/profile_pass.h): one heap-profiled
                                          * run per arm on glibc, never a cell, not in
                                          * the cells' keys                           */
    scenario_result_check_t result_check; /* which cells must give the same result   */
    int headline;                        /* 0/1: may its cells vote in the headline
                                          * verdicts (default 1; journalled as
                                          * config.headline, read by decide/)        */
    /* input */
    uint64_t seed;
    uint64_t files;                      /* SCENARIO_UNSET = runner default         */
    scenario_u64_list_t size_bytes;      /* empty = runner default                  */
    char input_path[SCENARIO_TEXT_BYTES];
    char member[SCENARIO_TEXT_BYTES];
    char image[SCENARIO_TEXT_BYTES];
    char tag[SCENARIO_TEXT_BYTES];
    /* run */
    scenario_u64_list_t threads;         /* empty = runner default                  */
    uint64_t iterations;                 /* SCENARIO_UNSET = runner default         */
    uint64_t warmup_iterations;          /* in-process warm-up; UNSET = default     */
    uint64_t go_iterations;              /* the Go runtime's cells (backend go) use
                                          * these two instead of the two above when
                                          * set: its heap and GC pacer settle later and
                                          * its op times vary with GC cycles; UNSET =
                                          * the same as the C runners' (matrix.c)    */
    uint64_t go_warmup_iterations;
    uint64_t warmup_repetitions;         /* whole cells run first and discarded     */
    uint64_t repetitions;
    uint64_t timeout_s;
    uint64_t gogc_percent;               /* SCENARIO_UNSET = runner default         */
    scenario_str_list_t backends;        /* glibc mimalloc jemalloc tcmalloc glibc-mmap128k go */
    /* pool */
    scenario_str_list_t policies;        /* all, none, plain, or classes joined by
                                          * '+' (with plain: hash+plain)             */
    scenario_u64_list_t zero_on_put;     /* values 0/1; empty = on                  */
    scenario_str_list_t standard_alloc;  /* calloc / malloc; empty = calloc         */
    scenario_u64_list_t hash_size_bytes;
    scenario_u64_list_t tar_size_bytes;
    scenario_u64_list_t string_size_bytes;
    scenario_u64_list_t buffer_size_bytes;  /* sets hash and tar sizes together (sweeps) */
    uint64_t seen_mask;                  /* internal: which keys were given         */
} scenario_t;

/* One scenario listed by a matrix, with its overrides (key = value, by line). */
typedef struct scenario_override {
    char key[SCENARIO_NAME_BYTES];
    char value[256];
    int line;
} scenario_override_t;

typedef struct scenario_matrix_entry {
    char name[SCENARIO_NAME_BYTES];
    int line;
    scenario_override_t *overrides;
    size_t n_overrides;
} scenario_matrix_entry_t;

typedef struct scenario_matrix {
    char name[SCENARIO_NAME_BYTES];
    char description[SCENARIO_TEXT_BYTES];
    char path[512];
    scenario_matrix_entry_t *entries;
    size_t n_entries;
} scenario_matrix_t;

/* Loads one scenario file. Returns 0, or -1 with err = "FILE:LINE: message". */
int scenario_load(const char *path, scenario_t *out, char err[SCENARIO_ERR_BYTES]);

/* Applies one override (matrix file or command line); `where` names the file for errors. */
int scenario_apply_override(scenario_t *sc, const char *where, const scenario_override_t *ov,
                            char err[SCENARIO_ERR_BYTES]);

/* Loads a matrix file (INI: [matrix] name/description, then one [SCENARIO] section per
 * scenario with override keys). Returns 0 or -1 with err. */
int scenario_matrix_load(const char *path, scenario_matrix_t *out, char err[SCENARIO_ERR_BYTES]);
void scenario_matrix_free(scenario_matrix_t *m);

/* Loads the scenarios of one run: those of matrix_file (with its overrides), narrowed
 * to the comma list `scenarios` when given, or else the comma list alone (names looked
 * up as DIR/NAME.ini, or paths). DIR is dir, else the matrix file's folder, else
 * default_dir. At most 64 scenarios; a name given twice, a missing file or an empty
 * selection is an error. matrix_name gets the matrix's name ("adhoc" for a list).
 * Returns 0 with *scs (malloc'd, *n entries), -1 with err ("FILE:LINE: ..." for a file,
 * "--scenarios: ..." for the list), or -2 on out of memory. */
int scenario_load_set(const char *matrix_file, const char *scenarios, const char *dir,
                      const char *default_dir, scenario_t **scs, size_t *n,
                      char matrix_name[SCENARIO_NAME_BYTES], char err[SCENARIO_ERR_BYTES]);

/* Parses a size with optional K/M/G (KiB/MiB/GiB) suffix. Returns 0 or -1. */
int scenario_parse_size(const char *s, uint64_t *out_bytes);

/* Is `backend` one of the known backend names (including glibc-mmap128k and go, the Go
 * runtime runner pb-go)? */
int scenario_backend_known(const char *backend);
/* The runner executable's backend for a backend name ("glibc-mmap128k" -> "glibc"). */
const char *scenario_backend_runner(const char *backend);
/* Extra environment for a backend ("GLIBC_TUNABLES=..."), or NULL. */
const char *scenario_backend_env(const char *backend);

#endif
