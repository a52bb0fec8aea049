/* profile_pass.h: the profiled pass of `poolbench matrix`, for scenarios with
 * heap_profile = on (full.matrix: single_build, the headline build scenario).
 *
 * After the measured cells, one extra run per arm of such a scenario, on glibc only: the
 * cell's own runner command line (engine_argv_build) plus --memprofile FILE and
 * --memprofile-rate PROFILE_PASS_RATE_BYTES, writing the heap profile (gzipped pprof
 * protobuf, Go's four sample types, symbolized) to
 * DIR/profiles/<scenario>-<backend>-<policy>[-<variant>].pb.gz, and
 * DIR/profiles/profiles.json: {"kind": "poolbench-profiles", "rate_bytes", "profiles":
 * [{scenario, backend, policy, variant, arm_key, file, status, wall_ns (the process),
 * window_ns (the runner's timed window), alloc_bytes, alloc_calls, result, stderr}]}
 * for `poolbench report` (report/report_profiles.h).
 *
 * Guarantees: a profiled run is never a journal line, so its timings never reach
 * summary.json, a verdict or the gate (profiling changes what it measures); it runs in
 * shard 1 only (once per matrix); a failed profiled run is recorded in profiles.json with
 * its status and stderr and does not fail the matrix. Never prints.
 */
#ifndef PB_PROFILE_PASS_H
#define PB_PROFILE_PASS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "matrix.h"

/* Heap sampling rate of the pass: every 4 KiB on average (Go's default, 512 KiB, leaves
 * few samples of the kernels' small objects in a run this short). */
#define PROFILE_PASS_RATE_BYTES 4096u
#define PROFILE_PASS_DIR "profiles"
#define PROFILE_PASS_INDEX "profiles.json"

typedef struct profile_pass_stats {
    size_t runs, failed;
    uint64_t wall_ns;          /* the whole pass */
} profile_pass_stats_t;

/* How many runs the pass of mx has (the arms of heap_profile scenarios on glibc). */
size_t profile_pass_count(const matrix_t *mx);

/* Runs the pass into out_dir/profiles/. Returns 0 (st filled; failed runs are in it and
 * in profiles.json), 1 (interrupted), or -1 with err (the folder or index could not be
 * written, or out of memory). */
int profile_pass_run(const matrix_t *mx, const char *bin_dir, const char *cache_dir,
                     const char *out_dir, volatile sig_atomic_t *interrupt,
                     profile_pass_stats_t *st, char *err, size_t err_cap);

#endif
