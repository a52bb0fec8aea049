/* alloc_front.c: the counting allocation front end (the process-wide malloc).
 *
 * Defines malloc, free, calloc, realloc, reallocarray, posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc and malloc_usable_size in the executable (which is linked
 * with ENABLE_EXPORTS), so every allocation in the process binds here, is counted, and
 * is forwarded to the one linked backend (alloc_backend.h). The model is SQLite's
 * malloc.c in front of mem1.c: every edge case is handled here so backends stay tiny.
 *
 * Edge cases: size 0 is served as a 1-byte request (a unique pointer, as glibc does) but
 * counts 0 requested bytes; free(NULL) is a no-op; realloc(NULL, n) is malloc(n);
 * realloc(p, 0) frees p and returns NULL (glibc's behaviour); calloc / reallocarray /
 * pvalloc overflow returns NULL with errno ENOMEM and counts nothing (as valgrind);
 * posix_memalign returns EINVAL for an alignment that is not a power of two multiple of
 * sizeof(void *); aligned_alloc sets EINVAL for an alignment that is not a power of two;
 * memalign rounds a non-power-of-two alignment up (glibc's behaviour).
 * Counting convention: see alloc.h (valgrind's "total heap usage" line).
 *
 * Design of the counters (hot path: no lock, one atomic RMW for live bytes):
 *  - per-thread slots: a static, cache-line aligned array; a thread claims one on its
 *    first call with an atomic index (no lazy init that can allocate or recurse). The
 *    owner updates its slot with relaxed load + store (no RMW); readers sum all slots.
 *    Threads beyond FRONT_SLOTS_COUNT share one overflow slot updated with atomic adds.
 *    Slots are never recycled, so counts of exited threads are kept.
 *  - live bytes: one global atomic (backend usable size added at alloc, subtracted at
 *    free, before the block is released so a peak is never overstated); the peak is
 *    raised with a CAS loop only when exceeded.
 *  - GOGC rule: a per-thread byte accumulator is flushed into a global atomic every
 *    FRONT_GC_FLUSH_BYTES, where the rule is evaluated. For a single-threaded program
 *    the cycles fire at the same allocation for the same sequence. Bytes in another
 *    thread's unflushed accumulator (< 64 KiB per thread) are not yet seen by the rule.
 *  - fault injection and sampling sit behind one relaxed load of a feature word.
 * Reset: alloc_stats_reset records a baseline that reads subtract, so no thread ever
 * writes another thread's slot.
 * It must not: allocate (not even via snprintf or dlsym), print, or call into the pool.
 */
#define _GNU_SOURCE
#include "alloc.h"
#include "alloc_msg.h"
#include "alloc_backend.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define FRONT_SLOTS_COUNT     256
#define FRONT_GC_FLUSH_BYTES  (64u * 1024u)
#define FRONT_SAMPLE_TABLE_BITS  20u         /* 1 Mi cells (8 MiB of BSS, touched when used) */
#define FRONT_SAMPLE_TABLE_COUNT (1u << FRONT_SAMPLE_TABLE_BITS)
#define FRONT_SAMPLE_MAX_PROBE   64u
#define FRONT_FEAT_FAULT  1u
#define FRONT_FEAT_SAMPLE 2u

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define RELAXED memory_order_relaxed

/* ------------------------------------------------------------------------------------
 * Per-thread counter slots
 */
typedef struct front_slot {
    _Atomic uint64_t alloc_calls;
    _Atomic uint64_t free_calls;
    _Atomic uint64_t alloc_bytes;
    _Atomic uint64_t failed_allocs;
} __attribute__((aligned(64))) front_slot_t;

static front_slot_t g_slots[FRONT_SLOTS_COUNT];
static front_slot_t g_overflow_slot;
static _Atomic unsigned g_slot_next;

/* thread-private state (local-exec TLS in the executable: no allocation, no call) */
typedef struct front_thread {
    front_slot_t *slot;
    bool shared;                   /* slot is the overflow slot: use atomic adds */
    uint64_t gc_pending_bytes;     /* not yet flushed into g_gc_since_bytes       */
    uint64_t rng;                  /* xorshift64 state for the sampler            */
    int64_t sample_left_bytes;     /* countdown to the next sample                */
    uint64_t sample_gen;           /* sampler configuration this countdown is for */
} front_thread_t;

static __thread front_thread_t t_front;

static _Atomic uint64_t g_live_bytes;
static _Atomic uint64_t g_peak_bytes;

/* baseline recorded by alloc_stats_reset */
static _Atomic uint64_t g_base_alloc_calls, g_base_free_calls, g_base_alloc_bytes,
    g_base_failed_allocs;

static _Atomic unsigned g_features;

static front_thread_t *front_thread(void)
{
    front_thread_t *t = &t_front;
    if (unlikely(t->slot == NULL)) {
        unsigned i = atomic_fetch_add_explicit(&g_slot_next, 1, RELAXED);
        if (i < FRONT_SLOTS_COUNT) {
            t->slot = &g_slots[i];
        } else {
            t->slot = &g_overflow_slot;
            t->shared = true;
        }
        t->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) ^ 0xD1B54A32D192ED03ull;
    }
    return t;
}

static inline void slot_add(front_thread_t *t, _Atomic uint64_t *c, uint64_t v)
{
    if (likely(!t->shared))
        atomic_store_explicit(c, atomic_load_explicit(c, RELAXED) + v, RELAXED);
    else
        atomic_fetch_add_explicit(c, v, RELAXED);
}

static void peak_raise(uint64_t now)
{
    uint64_t peak = atomic_load_explicit(&g_peak_bytes, RELAXED);
    while (now > peak &&
           !atomic_compare_exchange_weak_explicit(&g_peak_bytes, &peak, now, RELAXED, RELAXED)) {
    }
}

/* ------------------------------------------------------------------------------------
 * GOGC-like trigger
 */
static _Atomic uint64_t g_gc_since_bytes;          /* allocated since the last cycle   */
static _Atomic uint64_t g_gc_goal_bytes = 4u << 20; /* since >= goal triggers a cycle  */
_Atomic uint64_t alloc_gc_epoch_counter;
static _Atomic unsigned g_gc_percent = 100;
static _Atomic uint64_t g_gc_min_heap_bytes = 4u << 20;

static uint64_t gc_goal(uint64_t live_bytes)
{
    unsigned pct = atomic_load_explicit(&g_gc_percent, RELAXED);
    uint64_t base = atomic_load_explicit(&g_gc_min_heap_bytes, RELAXED);
    if (pct == 0)
        return UINT64_MAX;
    if (live_bytes > base)
        base = live_bytes;
    if (base > UINT64_MAX / pct)
        return UINT64_MAX;
    uint64_t goal = base * pct / 100;
    return goal ? goal : 1;
}

static void gc_flush(front_thread_t *t)
{
    uint64_t add = t->gc_pending_bytes;
    t->gc_pending_bytes = 0;
    uint64_t since = atomic_fetch_add_explicit(&g_gc_since_bytes, add, RELAXED) + add;
    while (since >= atomic_load_explicit(&g_gc_goal_bytes, RELAXED)) {
        /* the thread whose CAS resets the running total fires the cycle */
        if (atomic_compare_exchange_weak_explicit(&g_gc_since_bytes, &since, 0,
                                                  memory_order_acq_rel, RELAXED)) {
            uint64_t live = atomic_load_explicit(&g_live_bytes, RELAXED);
            atomic_store_explicit(&g_gc_goal_bytes, gc_goal(live), RELAXED);
            atomic_fetch_add_explicit(&alloc_gc_epoch_counter, 1, memory_order_release);
            return;
        }
    }
}

void alloc_gc_configure(unsigned gogc_percent, uint64_t min_heap_bytes)
{
    atomic_store_explicit(&g_gc_percent, gogc_percent, RELAXED);
    atomic_store_explicit(&g_gc_min_heap_bytes, min_heap_bytes, RELAXED);
    front_thread()->gc_pending_bytes = 0;
    atomic_store_explicit(&g_gc_since_bytes, 0, RELAXED);
    atomic_store_explicit(&g_gc_goal_bytes,
                          gc_goal(atomic_load_explicit(&g_live_bytes, RELAXED)), RELAXED);
}

/* the counting front end counts the real bytes: nothing to add (alloc.h) */
void alloc_gc_note_bytes(uint64_t bytes)
{
    (void)bytes;
}

int alloc_counting(void)
{
    return 1;
}

/* ------------------------------------------------------------------------------------
 * Fault injection (SQLite's "the next N succeed, then R fail")
 * Each failed call's site (the return address into the caller of malloc & co.) is kept
 * in a fixed lock-free table of distinct sites with a count each (no allocation: a CAS
 * into an empty cell); sites beyond FRONT_FAULT_SITES_COUNT are counted, not kept.
 */
#define FRONT_FAULT_SITES_COUNT 512u
static _Atomic long g_fault_after, g_fault_count;
static _Atomic uint64_t g_fault_calls;   /* allocation calls seen since alloc_fault_set */
static _Atomic uint64_t g_fault_hits;
static _Atomic uintptr_t g_fault_site_addr[FRONT_FAULT_SITES_COUNT];
static _Atomic uint64_t g_fault_site_hits[FRONT_FAULT_SITES_COUNT];
static _Atomic uint64_t g_fault_sites_lost;   /* hits at sites the table had no room for */

void alloc_fault_set(long after, long count)
{
    if (after < 0)
        after = 0;
    atomic_fetch_and_explicit(&g_features, ~FRONT_FEAT_FAULT, memory_order_seq_cst);
    atomic_store_explicit(&g_fault_after, after, RELAXED);
    atomic_store_explicit(&g_fault_count, count, RELAXED);
    atomic_store_explicit(&g_fault_calls, 0, RELAXED);
    atomic_store_explicit(&g_fault_hits, 0, RELAXED);
    for (unsigned i = 0; i < FRONT_FAULT_SITES_COUNT; i++) {
        atomic_store_explicit(&g_fault_site_addr[i], 0, RELAXED);
        atomic_store_explicit(&g_fault_site_hits[i], 0, RELAXED);
    }
    atomic_store_explicit(&g_fault_sites_lost, 0, RELAXED);
    atomic_fetch_or_explicit(&g_features, FRONT_FEAT_FAULT, memory_order_seq_cst);
}

void alloc_fault_clear(void)
{
    atomic_fetch_and_explicit(&g_features, ~FRONT_FEAT_FAULT, memory_order_seq_cst);
}

int alloc_fault_supported(void)
{
#ifdef PB_FRONT_SANITIZER
    return 0;   /* the sanitizer's malloc decides before its hook runs */
#else
    return 1;
#endif
}

uint64_t alloc_fault_hits(void)
{
    return atomic_load_explicit(&g_fault_hits, RELAXED);
}

size_t alloc_fault_sites(uintptr_t *sites, uint64_t *hits, size_t max, uint64_t *lost)
{
    size_t n = 0;
    for (unsigned i = 0; i < FRONT_FAULT_SITES_COUNT; i++) {
        uintptr_t a = atomic_load_explicit(&g_fault_site_addr[i], memory_order_acquire);
        if (a == 0)
            break;   /* cells are filled in order */
        if (n < max) {
            if (sites)
                sites[n] = a;
            if (hits)
                hits[n] = atomic_load_explicit(&g_fault_site_hits[i], RELAXED);
        }
        n++;
    }
    if (lost)
        *lost = atomic_load_explicit(&g_fault_sites_lost, RELAXED);
    return n;
}

static void fault_note_site(uintptr_t site)
{
    for (unsigned i = 0; i < FRONT_FAULT_SITES_COUNT; i++) {
        uintptr_t cur = atomic_load_explicit(&g_fault_site_addr[i], memory_order_acquire);
        if (cur == 0 && atomic_compare_exchange_strong_explicit(
                            &g_fault_site_addr[i], &cur, site, memory_order_acq_rel,
                            memory_order_acquire))
            cur = site;
        if (cur == site) {
            atomic_fetch_add_explicit(&g_fault_site_hits[i], 1, RELAXED);
            return;
        }
    }
    atomic_fetch_add_explicit(&g_fault_sites_lost, 1, RELAXED);
}

static bool fault_fire(const void *site)
{
    uint64_t n = atomic_fetch_add_explicit(&g_fault_calls, 1, RELAXED);
    uint64_t after = (uint64_t)atomic_load_explicit(&g_fault_after, RELAXED);
    long count = atomic_load_explicit(&g_fault_count, RELAXED);
    if (n < after)
        return false;
    if (count >= 0 && n - after >= (uint64_t)count)
        return false;
    atomic_fetch_add_explicit(&g_fault_hits, 1, RELAXED);
    fault_note_site((uintptr_t)site);
    return true;
}

/* ------------------------------------------------------------------------------------
 * Sampling: per-thread exponential countdown; sampled blocks tracked in a fixed
 * open-addressing table (lock-free: insert CASes an empty or tombstone cell, remove
 * CASes the pointer to a tombstone). A block that finds no cell within the probe limit
 * is reported at alloc but not tracked (counted in g_sample_untracked).
 */
#define SAMPLE_EMPTY ((uintptr_t)0)
#define SAMPLE_TOMB  ((uintptr_t)1)

static _Atomic(alloc_sample_fn) g_sample_fn;
static _Atomic uint64_t g_sample_rate_bytes;
static _Atomic uint64_t g_sample_gen;
static _Atomic uintptr_t g_sample_table[FRONT_SAMPLE_TABLE_COUNT];
static _Atomic uint64_t g_sample_untracked;
static _Atomic bool g_sample_table_dirty;   /* a cell was written since the last clear */

/* natural log of x in (0, 1], allocation-free and libm-free (|error| < 1e-6) */
static double front_ln(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;   /* m in [1, 2) */
    double m;
    memcpy(&m, &bits, sizeof m);
    if (m > 1.41421356237) {     /* keep s small: m in [0.707, 1.414] */
        m *= 0.5;
        e += 1;
    }
    double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    double series = s * (2.0 + s2 * (2.0 / 3 + s2 * (2.0 / 5 + s2 * (2.0 / 7 + s2 * (2.0 / 9)))));
    return e * 0.69314718055994530942 + series;
}

static int64_t sample_next_interval(front_thread_t *t)
{
    if (atomic_load_explicit(&g_sample_rate_bytes, RELAXED) <= 1)
        return 0;                 /* rate 1: every allocation, whatever its size (Go's 1) */
    uint64_t x = t->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t->rng = x;
    double u = ((double)(x >> 11) + 1.0) * (1.0 / 9007199254740992.0);   /* (0, 1] */
    double rate = (double)atomic_load_explicit(&g_sample_rate_bytes, RELAXED);
    double v = -front_ln(u) * rate;
    if (v > 9.0e18)
        v = 9.0e18;
    return (int64_t)v + 1;
}

static size_t sample_hash(uintptr_t p)
{
    uint64_t h = (uint64_t)p * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> (64 - FRONT_SAMPLE_TABLE_BITS));
}

static void sample_track(uintptr_t p)
{
    if (unlikely(!atomic_load_explicit(&g_sample_table_dirty, RELAXED)))
        atomic_store_explicit(&g_sample_table_dirty, true, RELAXED);
    size_t h = sample_hash(p);
    for (unsigned i = 0; i < FRONT_SAMPLE_MAX_PROBE; i++) {
        _Atomic uintptr_t *cell = &g_sample_table[(h + i) & (FRONT_SAMPLE_TABLE_COUNT - 1)];
        uintptr_t cur = atomic_load_explicit(cell, RELAXED);
        while (cur == SAMPLE_EMPTY || cur == SAMPLE_TOMB) {
            if (atomic_compare_exchange_weak_explicit(cell, &cur, p, memory_order_release,
                                                      RELAXED))
                return;
        }
    }
    atomic_fetch_add_explicit(&g_sample_untracked, 1, RELAXED);
}

static bool sample_untrack(uintptr_t p)
{
    size_t h = sample_hash(p);
    for (unsigned i = 0; i < FRONT_SAMPLE_MAX_PROBE; i++) {
        _Atomic uintptr_t *cell = &g_sample_table[(h + i) & (FRONT_SAMPLE_TABLE_COUNT - 1)];
        uintptr_t cur = atomic_load_explicit(cell, memory_order_acquire);
        if (cur == SAMPLE_EMPTY)
            return false;
        if (cur == p)
            return atomic_compare_exchange_strong_explicit(cell, &cur, SAMPLE_TOMB,
                                                           RELAXED, RELAXED);
    }
    return false;
}

static void sample_alloc(front_thread_t *t, void *p, size_t size_bytes)
{
    uint64_t gen = atomic_load_explicit(&g_sample_gen, memory_order_acquire);
    if (t->sample_gen != gen) {
        t->sample_gen = gen;
        t->sample_left_bytes = sample_next_interval(t);
    }
    t->sample_left_bytes -= (int64_t)(size_bytes ? size_bytes : 1);
    if (t->sample_left_bytes > 0)
        return;
    t->sample_left_bytes = sample_next_interval(t);
    alloc_sample_fn fn = atomic_load_explicit(&g_sample_fn, memory_order_acquire);
    if (fn == NULL)
        return;
    sample_track((uintptr_t)p);
    fn(p, size_bytes, 0);
}

static void sample_free(void *p)
{
    if (!sample_untrack((uintptr_t)p))
        return;
    alloc_sample_fn fn = atomic_load_explicit(&g_sample_fn, memory_order_acquire);
    if (fn != NULL)
        fn(p, 0, 1);
}

uint64_t alloc_sample_untracked(void)
{
    return atomic_load_explicit(&g_sample_untracked, RELAXED);
}

/* Changing the sampler while other threads allocate may miss the free of a block
 * sampled under the previous setting (the table is cleared). */
void alloc_sample_set(alloc_sample_fn fn, size_t rate_bytes)
{
    atomic_fetch_and_explicit(&g_features, ~FRONT_FEAT_SAMPLE, memory_order_seq_cst);
    if (atomic_exchange_explicit(&g_sample_table_dirty, false, RELAXED))
        for (size_t i = 0; i < FRONT_SAMPLE_TABLE_COUNT; i++)
            atomic_store_explicit(&g_sample_table[i], SAMPLE_EMPTY, RELAXED);
    atomic_store_explicit(&g_sample_untracked, 0, RELAXED);
    if (fn == NULL)
        return;
    atomic_store_explicit(&g_sample_rate_bytes, rate_bytes ? rate_bytes : 1, RELAXED);
    atomic_store_explicit(&g_sample_fn, fn, memory_order_release);
    atomic_fetch_add_explicit(&g_sample_gen, 1, memory_order_release);
    atomic_fetch_or_explicit(&g_features, FRONT_FEAT_SAMPLE, memory_order_seq_cst);
}

/* ------------------------------------------------------------------------------------
 * Counting helpers shared by every entry point
 */

/* an allocation call that may fail by injection: true means "fail it"; site is the
 * return address into the caller of the public entry point */
static inline bool front_fault(const void *site)
{
    return unlikely(atomic_load_explicit(&g_features, RELAXED) & FRONT_FEAT_FAULT) &&
           fault_fire(site);
}

#define FRONT_SITE() __builtin_extract_return_addr(__builtin_return_address(0))

static void *front_failed(void)
{
    front_thread_t *t = front_thread();
    slot_add(t, &t->slot->failed_allocs, 1);
    errno = ENOMEM;
    return NULL;
}

static inline void front_note_alloc(void *p, size_t size_bytes)
{
    size_t usable = alloc_backend.usable_size(p);
    front_thread_t *t = front_thread();
    slot_add(t, &t->slot->alloc_calls, 1);
    slot_add(t, &t->slot->alloc_bytes, size_bytes);
    uint64_t now = atomic_fetch_add_explicit(&g_live_bytes, usable, RELAXED) + usable;
    if (unlikely(now > atomic_load_explicit(&g_peak_bytes, RELAXED)))
        peak_raise(now);
    t->gc_pending_bytes += size_bytes;
    if (unlikely(t->gc_pending_bytes >= FRONT_GC_FLUSH_BYTES))
        gc_flush(t);
    if (unlikely(atomic_load_explicit(&g_features, RELAXED) & FRONT_FEAT_SAMPLE))
        sample_alloc(t, p, size_bytes);
}

/* counts the free of p (non-NULL) and removes its bytes from live, before release */
static inline void front_note_free(void *p)
{
    size_t usable = alloc_backend.usable_size(p);
    if (unlikely(atomic_load_explicit(&g_features, RELAXED) & FRONT_FEAT_SAMPLE))
        sample_free(p);
    front_thread_t *t = front_thread();
    slot_add(t, &t->slot->free_calls, 1);
    atomic_fetch_sub_explicit(&g_live_bytes, usable, RELAXED);
}

#ifdef PB_FRONT_SANITIZER
/* Sanitizer mode (alloc_front_sanitizer.c): ASan/TSan own malloc, so the entry points
 * and the verification below are not compiled; the sanitizer's malloc and free hooks
 * count through these two instead. Fault injection cannot fire there (nothing here
 * decides what malloc returns): alloc_fault_set is accepted, alloc_fault_hits stays 0. */
void alloc_front_note_alloc(void *p, size_t size_bytes)
{
    front_note_alloc(p, size_bytes);
}

void alloc_front_note_free(void *p)
{
    front_note_free(p);
}

/* front_failed serves only the entry points compiled out here */
static void *(*const front_failed_unused)(void) __attribute__((unused)) = front_failed;
#else /* the interposed entry points, up to alloc_backend_verify (sanitizer mode: none) */
static size_t front_page_bytes(void)
{
    static _Atomic size_t page;
    size_t v = atomic_load_explicit(&page, RELAXED);
    if (unlikely(v == 0)) {
        long ps = sysconf(_SC_PAGESIZE);   /* reads the auxiliary vector; no allocation */
        v = ps > 0 ? (size_t)ps : 4096;
        atomic_store_explicit(&page, v, RELAXED);
    }
    return v;
}

/* aligned allocation with an already valid alignment (power of two) */
static void *front_aligned(size_t align_bytes, size_t size_bytes, const void *site)
{
    if (align_bytes < sizeof(void *))
        align_bytes = sizeof(void *);
    if (front_fault(site))
        return front_failed();
    void *p = alloc_backend.memalign(align_bytes, size_bytes ? size_bytes : 1);
    if (unlikely(p == NULL))
        return front_failed();
    front_note_alloc(p, size_bytes);
    return p;
}

static inline bool is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* ------------------------------------------------------------------------------------
 * The interposed entry points
 */
static inline __attribute__((always_inline)) void *front_malloc(size_t size_bytes,
                                                                const void *site)
{
    if (front_fault(site))
        return front_failed();
    void *p = alloc_backend.malloc(size_bytes ? size_bytes : 1);
    if (unlikely(p == NULL))
        return front_failed();
    front_note_alloc(p, size_bytes);
    return p;
}

void *malloc(size_t size_bytes)
{
    return front_malloc(size_bytes, FRONT_SITE());
}

void free(void *ptr)
{
    if (ptr == NULL)
        return;
    front_note_free(ptr);
    alloc_backend.free(ptr);
}

void *calloc(size_t count, size_t size_bytes)
{
    size_t total;
    if (unlikely(__builtin_mul_overflow(count, size_bytes, &total))) {
        errno = ENOMEM;
        return NULL;
    }
    if (front_fault(FRONT_SITE()))
        return front_failed();
    void *p = total ? alloc_backend.calloc(count, size_bytes) : alloc_backend.calloc(1, 1);
    if (unlikely(p == NULL))
        return front_failed();
    front_note_alloc(p, total);
    return p;
}

static inline __attribute__((always_inline)) void *front_realloc(void *ptr, size_t size_bytes,
                                                                 const void *site)
{
    if (ptr == NULL)
        return front_malloc(size_bytes, site);
    if (size_bytes == 0) {
        free(ptr);
        return NULL;
    }
    if (front_fault(site))
        return front_failed();
    /* the old block leaves the books before the backend may release it */
    size_t old_usable = alloc_backend.usable_size(ptr);
    bool was_sampled = unlikely(atomic_load_explicit(&g_features, RELAXED) &
                                FRONT_FEAT_SAMPLE) && sample_untrack((uintptr_t)ptr);
    atomic_fetch_sub_explicit(&g_live_bytes, old_usable, RELAXED);
    void *p = alloc_backend.realloc(ptr, size_bytes);
    if (unlikely(p == NULL)) {      /* ptr is untouched and still live */
        atomic_fetch_add_explicit(&g_live_bytes, old_usable, RELAXED);
        if (was_sampled)
            sample_track((uintptr_t)ptr);
        return front_failed();
    }
    if (was_sampled) {
        alloc_sample_fn fn = atomic_load_explicit(&g_sample_fn, memory_order_acquire);
        if (fn != NULL)
            fn(ptr, 0, 1);
    }
    front_thread_t *t = front_thread();
    slot_add(t, &t->slot->free_calls, 1);
    front_note_alloc(p, size_bytes);
    return p;
}

void *realloc(void *ptr, size_t size_bytes)
{
    return front_realloc(ptr, size_bytes, FRONT_SITE());
}

void *reallocarray(void *ptr, size_t count, size_t size_bytes)
{
    size_t total;
    if (unlikely(__builtin_mul_overflow(count, size_bytes, &total))) {
        errno = ENOMEM;
        return NULL;
    }
    return front_realloc(ptr, total, FRONT_SITE());
}

int posix_memalign(void **memptr, size_t align_bytes, size_t size_bytes)
{
    if (!is_pow2(align_bytes) || align_bytes % sizeof(void *) != 0)
        return EINVAL;
    int saved = errno;
    void *p = front_aligned(align_bytes, size_bytes, FRONT_SITE());
    if (p == NULL) {
        errno = saved;
        return ENOMEM;
    }
    *memptr = p;
    return 0;
}

void *aligned_alloc(size_t align_bytes, size_t size_bytes)
{
    if (!is_pow2(align_bytes)) {
        errno = EINVAL;
        return NULL;
    }
    return front_aligned(align_bytes, size_bytes, FRONT_SITE());
}

void *memalign(size_t align_bytes, size_t size_bytes)
{
    if (align_bytes > ((size_t)1 << (sizeof(size_t) * 8 - 2))) {
        errno = EINVAL;
        return NULL;
    }
    size_t a = sizeof(void *);
    while (a < align_bytes)
        a <<= 1;
    return front_aligned(a, size_bytes, FRONT_SITE());
}

void *valloc(size_t size_bytes)
{
    return front_aligned(front_page_bytes(), size_bytes, FRONT_SITE());
}

void *pvalloc(size_t size_bytes)
{
    size_t page = front_page_bytes();
    size_t rounded;
    if (__builtin_add_overflow(size_bytes, page - 1, &rounded)) {
        errno = ENOMEM;
        return NULL;
    }
    rounded &= ~(page - 1);
    return front_aligned(page, rounded ? rounded : page, FRONT_SITE());
}

size_t malloc_usable_size(void *ptr)
{
    return ptr ? alloc_backend.usable_size(ptr) : 0;
}
#endif /* !PB_FRONT_SANITIZER */

/* ------------------------------------------------------------------------------------
 * Statistics
 */
static void stats_sum_raw(alloc_stats_t *out)
{
    memset(out, 0, sizeof *out);
    unsigned n = atomic_load_explicit(&g_slot_next, RELAXED);
    if (n > FRONT_SLOTS_COUNT)
        n = FRONT_SLOTS_COUNT;
    for (unsigned i = 0; i <= n; i++) {
        front_slot_t *s = i < n ? &g_slots[i] : &g_overflow_slot;
        out->alloc_calls += atomic_load_explicit(&s->alloc_calls, RELAXED);
        out->free_calls += atomic_load_explicit(&s->free_calls, RELAXED);
        out->alloc_bytes += atomic_load_explicit(&s->alloc_bytes, RELAXED);
        out->failed_allocs += atomic_load_explicit(&s->failed_allocs, RELAXED);
    }
}

void alloc_stats_read(alloc_stats_t *out)
{
    stats_sum_raw(out);
    out->alloc_calls -= atomic_load_explicit(&g_base_alloc_calls, RELAXED);
    out->free_calls -= atomic_load_explicit(&g_base_free_calls, RELAXED);
    out->alloc_bytes -= atomic_load_explicit(&g_base_alloc_bytes, RELAXED);
    out->failed_allocs -= atomic_load_explicit(&g_base_failed_allocs, RELAXED);
    out->live_bytes = atomic_load_explicit(&g_live_bytes, RELAXED);
    out->peak_live_bytes = atomic_load_explicit(&g_peak_bytes, RELAXED);
    if (out->peak_live_bytes < out->live_bytes)
        out->peak_live_bytes = out->live_bytes;
    out->gc_cycles = atomic_load_explicit(&alloc_gc_epoch_counter, RELAXED);
}

void alloc_stats_reset(void)
{
    alloc_stats_t raw;
    stats_sum_raw(&raw);
    atomic_store_explicit(&g_base_alloc_calls, raw.alloc_calls, RELAXED);
    atomic_store_explicit(&g_base_free_calls, raw.free_calls, RELAXED);
    atomic_store_explicit(&g_base_alloc_bytes, raw.alloc_bytes, RELAXED);
    atomic_store_explicit(&g_base_failed_allocs, raw.failed_allocs, RELAXED);
    atomic_store_explicit(&g_peak_bytes, atomic_load_explicit(&g_live_bytes, RELAXED),
                          RELAXED);
}

const char *alloc_backend_name(void)
{
    return alloc_backend.name;
}

const char *alloc_backend_version(void)
{
    return alloc_backend.version();
}

#ifndef PB_FRONT_SANITIZER   /* sanitizer mode: alloc_front_sanitizer.c verifies */
/* ------------------------------------------------------------------------------------
 * alloc_backend_verify: is the claimed backend really serving the whole process?
 */
static const char *const front_allocator_libs[] = { "libmimalloc", "libjemalloc",
                                                    "libtcmalloc" };

typedef struct verify_scan {
    const char *claimed;    /* library_fragment of the backend */
    char foreign[256];      /* first foreign allocator library found */
} verify_scan_t;

static int verify_scan_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    verify_scan_t *scan = arg;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    for (size_t i = 0; i < sizeof front_allocator_libs / sizeof front_allocator_libs[0]; i++) {
        if (strstr(name, front_allocator_libs[i]) == NULL)
            continue;
        if (strstr(front_allocator_libs[i], scan->claimed) != NULL ||
            strstr(scan->claimed, front_allocator_libs[i]) != NULL)
            continue;
        size_t n = strlen(name);
        if (n >= sizeof scan->foreign)
            n = sizeof scan->foreign - 1;
        memcpy(scan->foreign, name, n);
        scan->foreign[n] = '\0';
        return 1;
    }
    return 0;
}

int alloc_backend_verify(char *err, size_t err_len)
{
    Dl_info self, found;
    alloc_msg(err, err_len, "", "", "");

    /* 1. malloc as the process resolves it is this front end, in the executable */
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    if (dladdr((void *)alloc_backend_verify, &self) == 0 || m == NULL ||
        dladdr(m, &found) == 0) {
        alloc_msg(err, err_len, "malloc check: dladdr/dlsym failed; ",
                   "link the executable with pb_link_backend()", "");
        return -1;
    }
    if (found.dli_fbase != self.dli_fbase || m != (void *)malloc) {
        alloc_msg(err, err_len, "malloc resolves to ", found.dli_fname,
                   ", not the counting front end in the executable: link with "
                   "pb_link_backend() (ENABLE_EXPORTS) and do not LD_PRELOAD an allocator");
        return -1;
    }

    /* 2. the backend's functions live in the claimed library */
    if (dladdr(alloc_backend.probe_symbol, &found) == 0 || found.dli_fname == NULL) {
        alloc_msg(err, err_len, "backend check: cannot locate the ", alloc_backend.name,
                   " probe symbol with dladdr");
        return -1;
    }
    if (strstr(found.dli_fname, alloc_backend.library_fragment) == NULL) {
        alloc_msg(err, err_len, "backend functions resolve into ", found.dli_fname,
                   ", not the claimed library: check DT_NEEDED (ldd) and LD_PRELOAD");
        return -1;
    }

    /* 3. no other allocator library is loaded */
    verify_scan_t scan = { .claimed = alloc_backend.library_fragment };
    if (dl_iterate_phdr(verify_scan_cb, &scan) != 0) {
        alloc_msg(err, err_len, "another allocator library is loaded: ", scan.foreign,
                   "; unset LD_PRELOAD and relink with only the claimed backend");
        return -1;
    }

    /* 4. a shared library's allocation is counted and owned by the backend */
    alloc_stats_t before, after;
    alloc_stats_read(&before);
    void *p = CRYPTO_malloc(48, __FILE__, __LINE__);
    alloc_stats_read(&after);
    if (p == NULL) {
        alloc_msg(err, err_len, "OpenSSL check: CRYPTO_malloc failed ",
                   "(fault injection active or out of memory)", "");
        return -1;
    }
    if (after.alloc_calls <= before.alloc_calls) {
        CRYPTO_free(p, __FILE__, __LINE__);
        alloc_msg(err, err_len, "OpenSSL check: CRYPTO_malloc was not counted; ",
                   "OpenSSL's malloc does not bind to the front end (custom mem functions "
                   "or -Bsymbolic?)", "");
        return -1;
    }
    /* asked only now: the block came through the front end, so it is a heap block */
    int owned = alloc_backend.owns(p);
    CRYPTO_free(p, __FILE__, __LINE__);
    if (!owned) {
        alloc_msg(err, err_len, "OpenSSL check: the block is not owned by ",
                   alloc_backend.name, "; another allocator serves shared libraries");
        return -1;
    }
    return 0;
}
#endif /* !PB_FRONT_SANITIZER */
