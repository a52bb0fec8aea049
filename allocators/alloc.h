/* alloc.h: the counting allocation front end (the process-wide malloc).
 *
 * Each runner executable links exactly one backend (glibc, mimalloc, jemalloc,
 * tcmalloc) behind this front end. The front end defines malloc, free, calloc,
 * realloc, reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc and
 * malloc_usable_size in the executable itself, so every allocation in the process
 * (OpenSSL's, libarchive's, libc's internal ones) passes through it and is counted,
 * then forwarded to the backend (see alloc_backend.h).
 *
 * Counting convention (the same as valgrind's "total heap usage" line, so the two can
 * be compared): malloc, calloc, memalign & co. count one alloc; free(NULL) counts
 * nothing; realloc(NULL, n) counts one alloc; realloc(p, n) with p != NULL and n > 0
 * counts one alloc and one free; realloc(p, 0) counts one free.
 *
 * Guarantees: counters are exact for any number of threads (per-thread slots, summed
 * on read); live and peak-live bytes use the backend's usable size and are exact;
 * a cleanup cycle (the GC-run analogue, see pool.h) is triggered by a GOGC-like rule
 * on bytes allocated, deterministically for a single-threaded run.
 * It must not: allocate itself, print, or call into the pool.
 */
#ifndef PB_ALLOC_H
#define PB_ALLOC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct alloc_stats {
    uint64_t alloc_calls;      /* malloc, calloc, realloc (growing), aligned variants */
    uint64_t free_calls;       /* free of non-NULL pointers, realloc's implicit frees  */
    uint64_t alloc_bytes;      /* bytes requested by alloc calls                       */
    uint64_t live_bytes;       /* usable bytes allocated and not yet freed (now)       */
    uint64_t peak_live_bytes;  /* high-water mark of live_bytes since the last reset   */
    uint64_t gc_cycles;        /* cleanup cycles triggered by the GOGC-like rule       */
    uint64_t failed_allocs;    /* allocations failed by fault injection or the backend */
} alloc_stats_t;

/* 1 in a counting runner (this front end is the process malloc), 0 in an uninstrumented
 * "bare" runner (alloc_bare.c: the backend's own malloc, nothing counted; its
 * alloc_stats_read reports zero calls and bytes and the runner prints null for them). */
int alloc_counting(void);

/* Sums the per-thread counters. Safe from any thread; never allocates. */
void alloc_stats_read(alloc_stats_t *out);

/* Zeroes calls and bytes, sets peak_live_bytes to the current live_bytes.
 * gc_cycles is not reset (it is an epoch, see alloc_gc_epoch); callers subtract. */
void alloc_stats_reset(void);

/* Name the backend claims ("glibc", "mimalloc", "jemalloc", "tcmalloc") and its version
 * as reported by the backend itself at run time. */
const char *alloc_backend_name(void);
const char *alloc_backend_version(void);

/* Checks at run time that the claimed backend is the one serving malloc for the whole
 * process: malloc resolves to this front end, the front end's backend functions live in
 * the claimed library, a block allocated by a shared library (OpenSSL) is counted and is
 * owned by the backend, and no other allocator library is loaded. Returns 0 when all
 * hold, else -1 with a one-line reason in err. */
int alloc_backend_verify(char *err, size_t err_len);

/* Fault injection, SQLite style: the next `after` allocation calls succeed, then `count`
 * calls fail (return NULL, errno ENOMEM); count < 0 means every later call fails.
 * alloc_fault_clear() turns it off. Costs one predictable branch when off. */
void alloc_fault_set(long after, long count);
void alloc_fault_clear(void);
/* 1 when alloc_fault_set can make a call fail: the counting front end in its normal
 * mode. 0 in its sanitizer mode (alloc_front_sanitizer.c: a hook runs after the
 * sanitizer's malloc has decided) and in a bare runner (alloc_bare.c: nothing
 * intercepts malloc); there alloc_fault_set is accepted and never fails a call, so a
 * caller that relies on a failure must check this first (the runner refuses
 * --fail-after, the fault-injection tests skip). */
int alloc_fault_supported(void);
uint64_t alloc_fault_hits(void);
/* The distinct call sites of the calls failed since alloc_fault_set: each the return
 * address into the code that called malloc & co. (captured without allocating), with
 * the number of failed calls there, in first-failure order. Fills up to max entries
 * (either array may be NULL) and returns how many distinct sites there are (at most
 * 512 are kept; *lost, if not NULL, counts the failures at sites beyond those). */
size_t alloc_fault_sites(uintptr_t *sites, uint64_t *hits, size_t max, uint64_t *lost);

/* GOGC-like trigger: a cycle is due when the bytes allocated since the last cycle reach
 * gogc_percent % of max(live bytes at the last cycle, min_heap_bytes). gogc_percent 0
 * disables the trigger. Defaults: 100 % and 4 MiB (Go's GOGC=100 and minimum heap). */
void alloc_gc_configure(unsigned gogc_percent, uint64_t min_heap_bytes);
/* Feeds bytes to the GOGC-like rule from outside: a bare runner (which sees no
 * allocation) calls it with the bytes per operation the counting pass measured
 * (--gc-bytes-per-op); the goal is then gogc_percent % of min_heap_bytes. No-op in the
 * counting front end, which counts the real bytes. */
void alloc_gc_note_bytes(uint64_t bytes);
/* Number of cycles triggered so far; monotonic. The pool runs a cleanup cycle when
 * this moves past the epoch it last cleaned at (pool.h), checking on every get and put,
 * so the read is inline: one relaxed load. Only the front end writes the counter. */
extern _Atomic uint64_t alloc_gc_epoch_counter;
static inline uint64_t alloc_gc_epoch(void)
{
    return atomic_load_explicit(&alloc_gc_epoch_counter, memory_order_relaxed);
}

/* Allocation sampling for heap profiles (Go's MemProfileRate): when set, fn is called
 * for an allocation when a per-thread countdown of bytes, drawn from an exponential
 * distribution with mean rate_bytes, runs out (an allocation of n bytes is sampled with
 * probability 1 - exp(-n / rate_bytes), as in Go; a size-0 request counts as 1 byte);
 * rate_bytes 1 (or 0) samples every allocation. fn is also called on the free of a
 * sampled block (size 0, is_free 1), before the block is released. fn runs inside
 * malloc: it must not allocate through malloc unless it guards its own recursion.
 * NULL stops. Sampled blocks are tracked in a fixed table of 1 Mi cells; a block that
 * finds no cell is reported at alloc but its free is not (alloc_sample_untracked). */
typedef void (*alloc_sample_fn)(void *ptr, size_t size_bytes, int is_free);
void alloc_sample_set(alloc_sample_fn fn, size_t rate_bytes);
uint64_t alloc_sample_untracked(void);

#endif
