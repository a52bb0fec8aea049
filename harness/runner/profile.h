/* profile.h: the profiling flags of pb-<backend> (--cpuprofile, --memprofile,
 * --memprofile-rate, --pprof-http, --pprof-port), the same flags, defaults and messages
 * as pb-go's (workloads/go/profile.go), on Debian's libraries:
 *  - profile.c       what runner.c calls: open the files and the server before any work,
 *                    start and stop around the timed window, write at the end;
 *  - profile_cpu.c   gperftools' CPU profiler (libprofiler, loaded only when asked for);
 *  - profile_heap.c  Go's heap profile sampling on the allocation front end's sampler
 *                    (alloc_sample_set): stacks recorded inside malloc into preallocated
 *                    memory, never calling malloc there;
 *  - pprof_encode.c  the heap profile as a gzipped pprof protobuf (protobuf-c, zlib),
 *                    symbolized when written (elfutils' libdw: functions, inlined frames,
 *                    file:line), so it reads without the binary;
 *  - profile_http.c  /debug/pprof/ on 127.0.0.1 (libmicrohttpd, loaded only when asked).
 * What the profiles cover: the CPU profile and the heap profile's alloc_* values are the
 * timed window (so at --memprofile-rate 1 alloc_objects and alloc_space equal the JSON's
 * alloc_calls and alloc_bytes); inuse_* are the window's sampled blocks still live when
 * the profile is written. A profiled run's timings are not for verdicts.
 * Nothing of this runs, and no profiling library is loaded, unless a flag asks for it.
 */
#ifndef PB_PROFILE_H
#define PB_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct runner_args;

#define PROFILE_DEFAULT_RATE_BYTES (512u * 1024u)   /* Go's runtime.MemProfileRate */
#define PROFILE_DEFAULT_PORT 6060

/* ---- profile.c: the runner's calls ---------------------------------------------------
 * profile_begin: creates the profile files, loads the libraries, binds the server. On a
 * bad path or a port in use: one line on stderr, PB_EXIT_USAGE; a library that cannot
 * be loaded: one line, PB_EXIT_BACKEND. Does nothing without a profiling flag. */
int profile_begin(const struct runner_args *a);
/* Around the timed window: start is called before the counters are reset, stop right
 * after they are read, so neither's own allocations fall in the window. */
void profile_window_start(void);
void profile_window_stop(void);
/* Writes the heap profile (--memprofile) and stops the server. PB_EXIT_OK or
 * PB_EXIT_KERNEL after one line on stderr. */
int profile_end(void);

/* ---- profile_cpu.c ------------------------------------------------------------------- */
int cpu_prof_load(char *err, size_t err_len);          /* dlopen libprofiler; 0 / -1     */
/* Starts the profiler into a temporary file: 0, or -1 (already running, or no file). */
int cpu_prof_start(void);
/* Stops it and returns the profile as a symbolized gzipped pprof profile
 * (pprof_cpu_encode): 0 with a malloc'd buffer, or -1. */
int cpu_prof_stop(const char *comment, unsigned char **gz, size_t *gz_len);

/* ---- profile_heap.c ------------------------------------------------------------------ */
#define HEAP_MAX_DEPTH 48

typedef struct heap_bucket {
    uint64_t size_bytes;              /* the requested size of every block here       */
    uint64_t allocs, frees;           /* sampled blocks                               */
    uint32_t depth;
    uint32_t next;                    /* hash chain (index + 1), 0 = end              */
    uint64_t hash;
    uintptr_t pc[HEAP_MAX_DEPTH];     /* return addresses, innermost first            */
} heap_bucket_t;

typedef struct heap_snapshot {
    heap_bucket_t *b;                 /* malloc'd copy                                */
    size_t n;
    uint64_t rate_bytes;
    uint64_t dropped;                 /* samples not recorded: tables full            */
    uint64_t untracked;               /* frees the front end could not report         */
    uint64_t window_start_ns, window_ns;   /* CLOCK_REALTIME start, length            */
} heap_snapshot_t;

/* Maps the tables and installs the sampler at rate_bytes (1 = every allocation). */
int heap_prof_init(uint64_t rate_bytes);
/* Recording of new allocations on / off (frees of recorded blocks are always seen). */
void heap_prof_record(bool on);
/* A copy of the buckets, taken under the lock. The caller's allocations while it holds
 * the guard (heap_prof_guard) are not recorded. 0 or -1 (out of memory). */
int heap_prof_snapshot(heap_snapshot_t *out);
void heap_snapshot_free(heap_snapshot_t *s);
/* Removes the sampler. */
void heap_prof_shutdown(void);
/* While on, this thread's allocations and frees are invisible to the profile (the
 * writer's own work: symbolizing, encoding, serving). Returns the previous state. */
bool heap_prof_guard(bool on);

/* ---- pprof_encode.c ------------------------------------------------------------------
 * The snapshot as a gzipped pprof profile: sample types alloc_objects/count,
 * alloc_space/bytes, inuse_objects/count, inuse_space/bytes; period_type space/bytes,
 * period = rate; values scaled like Go's heap profiles (runtime/pprof scaleHeapSample:
 * each bucket's count and bytes times 1/(1-exp(-avg/rate)), unscaled at rate 1).
 * allocs_default: default_sample_type alloc_space (Go's /debug/pprof/allocs), else
 * inuse_space (the last type, Go's heap). Returns 0 with a malloc'd buffer, or -1. */
int pprof_heap_encode(const heap_snapshot_t *s, bool allocs_default, const char *comment,
                      unsigned char **gz, size_t *gz_len);
/* gperftools' legacy CPU profile at legacy_path as a symbolized gzipped pprof profile
 * (samples/count, cpu/nanoseconds). 0 with a malloc'd buffer, or -1. */
int pprof_cpu_encode(const char *legacy_path, int64_t duration_ns, const char *comment,
                     unsigned char **gz, size_t *gz_len);
/* Go's scale factor for one bucket (exported for the unit test). */
void pprof_scale_heap_sample(uint64_t count, uint64_t size_bytes, uint64_t rate_bytes,
                             int64_t *count_out, int64_t *size_out);

/* ---- profile_http.c ------------------------------------------------------------------ */
/* Binds 127.0.0.1:port and serves /debug/pprof/ on its own threads. On a bind failure:
 * one line naming the port on stderr, PB_EXIT_USAGE. */
int http_prof_start(unsigned port, const char *prog_desc);
void http_prof_stop(void);

#endif
