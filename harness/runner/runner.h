/* runner.h: one cell of the matrix in one process (build/bin/pb-<backend>).
 *
 * The runner parses its arguments (runner_args.c), prepares the input outside any timed
 * window (runner_input.c), runs warm-up operations, then times --iterations operations
 * of one kernel and prints exactly one JSON object with the metrics of metrics.h. On any
 * error it prints one line on stderr naming the argument or file, nothing on stdout, and
 * exits with a PB_EXIT_* code (metrics.h). The runner owns time; kernels never see it.
 */
#ifndef PB_RUNNER_H
#define PB_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bufpool.h"
#include "kernels.h"

typedef enum runner_workload {
    RW_CHECKSUM, RW_SUM_CHECKSUM, RW_CHECKSUM_CONCURRENT,
    RW_TAR_CREATE, RW_TAR_CREATE_SEQ, RW_TAR_CREATE_CONCURRENT,
    RW_TAR_READ, RW_TAR_COPY, RW_IMAGE_TAG, RW_BUILD,
    RW_POOL_CHURN, RW_TOUCH,
    RW_COUNT
} runner_workload_t;

typedef struct runner_args {
    runner_workload_t workload;
    const char *workload_name;
    const char *input_path;        /* NULL: generate from size/seed/files           */
    uint64_t size_bytes;
    uint64_t seed;
    uint64_t files;
    const char *output_path;
    const char *member;
    const char *image;
    const char *tag;
    const char *pools;
    int threads;
    int cores;
    uint64_t iterations;
    uint64_t warmup;
    bool zero_on_put;
    bufpool_std_alloc_t std_alloc;
    uint64_t hash_size_bytes, tar_size_bytes, string_size_bytes;
    unsigned gogc_percent;
    unsigned gc_interval_ms;
    uint64_t gc_bytes_per_op;      /* bare runners: bytes fed to the GOGC rule per op */
    const char *cache_dir;
    bool from_disk;                /* tar_read: read the archive file, not memory  */
    long fail_after;               /* testing: fault injection after N calls; < 0 = off */
    long fail_count;               /* testing: calls failed then; < 0 = every later one */
    bool check_leaks;              /* testing: print live bytes at exit vs. start      */
    unsigned inject_slowdown_pct;  /* calibration only: stretch the window by PCT % */
    unsigned inject_live_pct;      /* calibration only: hold PCT % more live memory  */
    unsigned inject_extra_ops_pct; /* calibration only: PCT % more kernel operations
                                      inside the window, not counted in ops          */
    bool version;
    bool skip_backend_check;       /* under valgrind/sanitizers: results marked unverified */
    const char *cpuprofile_path;   /* profiling (profile.h): NULL = off             */
    const char *memprofile_path;
    uint64_t memprofile_rate;      /* bytes between heap samples, 1 = every one      */
    bool pprof_http;
    unsigned pprof_port;
} runner_args_t;

/* Parses argv. Returns PB_EXIT_OK, or PB_EXIT_USAGE after printing one line naming the
 * argument. --help prints usage and exits the process with 0. */
int runner_args_parse(int argc, char **argv, runner_args_t *out);
const char *runner_workload_name(runner_workload_t w);

/* Prepared input of one cell, owned by the runner. */
typedef struct runner_input {
    unsigned char *data;           /* checksum kinds: the bytes; archives: the tar   */
    size_t data_bytes;
    size_t data_mapped_bytes;      /* > 0: data is an anonymous mapping of this size
                                      (runner_input.c), not the allocator's          */
    char *tree_dir;                /* tar_create, build: the directory               */
} runner_input_t;

/* Reads or generates the input. Returns PB_EXIT_OK or an exit code after printing one
 * line on stderr naming the file or argument. */
int runner_input_prepare(const runner_args_t *a, runner_input_t *in);
void runner_input_free(runner_input_t *in);

/* Fault injection and leak check (runner_faults.c). arm: after start-up, records the
 * live bytes (--check-leaks) and arms --fail-after/--fail-count. fired: false when not
 * armed, else the calls failed so far and their distinct sites. report: turns injection
 * off and prints the fault summary and sites, and the leak check, on stderr (once). */
void runner_faults_arm(const runner_args_t *a);
bool runner_faults_fired(uint64_t *fired, size_t *sites);
void runner_faults_report(void);
/* The same from an exit hook (libarchive's exit(1)): the leak check says it is skipped. */
void runner_faults_report_exiting(void);

#endif
