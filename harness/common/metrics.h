/* metrics.h: the one list of per-run metrics (names and units are the results schema).
 *
 * PB_METRICS(X) expands X(name, kind, description) once per metric; the runner's JSON,
 * the journal reader, the CSV columns and the report tables are all generated from it,
 * so they cannot disagree. Every metric is an unsigned 64-bit integer; units are in the
 * names. kind: PB_MK_TIME (noisy, compared with statistics), PB_MK_MEM (memory, compared
 * with statistics), PB_MK_COUNT (deterministic for a single-threaded kernel: compared
 * exactly, variation flagged), PB_MK_RUNTIME (what a garbage-collected runtime measures
 * of itself: printed by pb-go only; a C runner has no collector and prints null, and a
 * runner's output is complete without them).
 */
#ifndef PB_METRICS_H
#define PB_METRICS_H

#include <stdint.h>

#define PB_SCHEMA_VERSION 1

typedef enum pb_metric_kind { PB_MK_TIME, PB_MK_MEM, PB_MK_COUNT, PB_MK_RUNTIME } pb_metric_kind_t;

#define PB_METRICS(X) \
    X(wall_ns,            PB_MK_TIME,  "wall-clock time of the timed window") \
    X(user_ns,            PB_MK_TIME,  "user CPU time of the timed window") \
    X(sys_ns,             PB_MK_TIME,  "system CPU time of the timed window") \
    X(ns_per_op,          PB_MK_TIME,  "wall_ns / ops") \
    X(ops,                PB_MK_COUNT, "operations in the timed window") \
    X(max_rss_bytes,      PB_MK_MEM,   "peak resident set of the process (its own VmHWM)") \
    X(peak_live_bytes,    PB_MK_MEM,   "high-water mark of bytes allocated and not yet freed") \
    X(bytes_per_op,       PB_MK_COUNT, "alloc_bytes / ops") \
    X(alloc_calls,        PB_MK_COUNT, "allocation calls in the process during the window") \
    X(free_calls,         PB_MK_COUNT, "free calls in the process during the window") \
    X(alloc_bytes,        PB_MK_COUNT, "bytes requested by allocation calls") \
    X(allocs_per_op,      PB_MK_COUNT, "alloc_calls / ops (rounded down)") \
    X(minor_faults,       PB_MK_COUNT, "minor page faults during the window") \
    X(major_faults,       PB_MK_COUNT, "major page faults during the window") \
    X(pool_gets,          PB_MK_COUNT, "buffer gets, all classes") \
    X(pool_hits,          PB_MK_COUNT, "gets served by a pool, all classes") \
    X(pool_misses,        PB_MK_COUNT, "gets of a pooled class that created a buffer") \
    X(pool_drops,         PB_MK_COUNT, "puts that freed the buffer instead of keeping it") \
    X(pool_cycles,        PB_MK_COUNT, "cleanup cycles (the GC-run analogue)") \
    X(vol_ctx_switches,   PB_MK_COUNT, "voluntary context switches") \
    X(invol_ctx_switches, PB_MK_COUNT, "involuntary context switches") \
    X(gc_cycles,          PB_MK_RUNTIME, "garbage collections in the window (Go runtime)") \
    X(gc_pause_ns,        PB_MK_RUNTIME, "stop-the-world GC pause time in the window (Go runtime)")

typedef struct pb_metrics {
#define PB_METRIC_FIELD(name, kind, desc) uint64_t name;
    PB_METRICS(PB_METRIC_FIELD)
#undef PB_METRIC_FIELD
} pb_metrics_t;

/* Runner exit codes (documented in the README). */
enum {
    PB_EXIT_OK = 0,
    PB_EXIT_KERNEL = 1,     /* the kernel failed (I/O, library error)             */
    PB_EXIT_USAGE = 2,      /* bad argument, missing input, missing tar member     */
    PB_EXIT_BACKEND = 3,    /* the active allocator is not the one claimed; internal */
    PB_EXIT_NOMEM = 4       /* allocation failure                                  */
};

#endif
