/* profile_heap.c: Go's heap-profile sampling on the allocation front end.
 *
 * The front end (allocators/alloc_front.c) draws the sampling distance (exponential,
 * mean --memprofile-rate bytes, per thread) and calls heap_sample_cb inside malloc for a
 * sampled block and again on its free. The callback records the stack (backtrace(3),
 * preloaded at init so it never loads libgcc_s from inside malloc) into a bucket keyed by
 * (stack, requested size), as Go's runtime/mprof.go buckets do, and remembers which
 * bucket a sampled pointer belongs to, so its free is counted there.
 * Guarantees: the callback never calls malloc (tables are mmap'd at init, touched as
 * used); a thread-local guard makes it a no-op for the profile writer's own allocations
 * and for any allocation it would cause itself; one mutex (no allocation) serializes
 * updates. When a table is full a sample is counted in `dropped` instead of recorded.
 */
#define _GNU_SOURCE
#include "profile.h"
#include "alloc.h"

#include <execinfo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define HEAP_MAX_BUCKETS   (1u << 16)
#define HEAP_HASH_HEADS    (1u << 17)
#define HEAP_PTR_BITS      20u
#define HEAP_PTR_CELLS     (1u << HEAP_PTR_BITS)
#define HEAP_PTR_PROBE     64u
#define HEAP_SKIP_CAPTURE  1          /* heap_sample_cb itself */

typedef struct heap_ptr_cell {
    uintptr_t ptr;                    /* 0 empty, 1 tombstone */
    uint32_t bucket;                  /* index + 1 */
} heap_ptr_cell_t;

static heap_bucket_t *g_buckets;
static uint32_t *g_heads;
static heap_ptr_cell_t *g_ptrs;
static uint32_t g_nbuckets;
static uint64_t g_dropped;
static uint64_t g_rate_bytes;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic bool g_recording;
static bool g_installed;
static uint64_t g_window_start_ns, g_window_t0_mono, g_window_ns;

static __thread bool t_guard;

bool heap_prof_guard(bool on)
{
    bool was = t_guard;
    t_guard = on;
    return was;
}

static uint64_t heap_hash(const uintptr_t *pc, uint32_t depth, uint64_t size)
{
    uint64_t h = 0xcbf29ce484222325ull ^ size;
    for (uint32_t i = 0; i < depth; i++)
        h = (h ^ pc[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static size_t ptr_home(uintptr_t p)
{
    return (size_t)(((uint64_t)p * 0x9E3779B97F4A7C15ull) >> (64 - HEAP_PTR_BITS));
}

/* under g_lock */
static uint32_t bucket_get(const uintptr_t *pc, uint32_t depth, uint64_t size)
{
    uint64_t h = heap_hash(pc, depth, size);
    uint32_t *head = &g_heads[h & (HEAP_HASH_HEADS - 1)];
    for (uint32_t i = *head; i; i = g_buckets[i - 1].next) {
        heap_bucket_t *b = &g_buckets[i - 1];
        if (b->hash == h && b->size_bytes == size && b->depth == depth &&
            memcmp(b->pc, pc, depth * sizeof *pc) == 0)
            return i;
    }
    if (g_nbuckets >= HEAP_MAX_BUCKETS)
        return 0;
    heap_bucket_t *b = &g_buckets[g_nbuckets++];
    b->size_bytes = size;
    b->depth = depth;
    b->hash = h;
    memcpy(b->pc, pc, depth * sizeof *pc);
    b->next = *head;
    *head = g_nbuckets;
    return g_nbuckets;
}

static bool ptr_insert(uintptr_t p, uint32_t bucket)
{
    size_t h = ptr_home(p);
    for (unsigned i = 0; i < HEAP_PTR_PROBE; i++) {
        heap_ptr_cell_t *c = &g_ptrs[(h + i) & (HEAP_PTR_CELLS - 1)];
        if (c->ptr <= 1 || c->ptr == p) {
            c->ptr = p;
            c->bucket = bucket;
            return true;
        }
    }
    return false;
}

static uint32_t ptr_remove(uintptr_t p)
{
    size_t h = ptr_home(p);
    for (unsigned i = 0; i < HEAP_PTR_PROBE; i++) {
        heap_ptr_cell_t *c = &g_ptrs[(h + i) & (HEAP_PTR_CELLS - 1)];
        if (c->ptr == 0)
            return 0;
        if (c->ptr == p) {
            c->ptr = 1;
            return c->bucket;
        }
    }
    return 0;
}

static void heap_sample_cb(void *ptr, size_t size_bytes, int is_free)
{
    if (t_guard)
        return;
    if (!is_free && !atomic_load_explicit(&g_recording, memory_order_relaxed))
        return;
    t_guard = true;
    if (is_free) {
        pthread_mutex_lock(&g_lock);
        uint32_t bi = ptr_remove((uintptr_t)ptr);
        if (bi)
            g_buckets[bi - 1].frees++;
        pthread_mutex_unlock(&g_lock);
    } else {
        void *frames[HEAP_MAX_DEPTH + HEAP_SKIP_CAPTURE];
        int n = backtrace(frames, HEAP_MAX_DEPTH + HEAP_SKIP_CAPTURE);
        int skip = n > HEAP_SKIP_CAPTURE ? HEAP_SKIP_CAPTURE : n;
        pthread_mutex_lock(&g_lock);
        uint32_t bi = bucket_get((const uintptr_t *)(frames + skip), (uint32_t)(n - skip),
                                 size_bytes);
        if (bi) {
            g_buckets[bi - 1].allocs++;
            if (!ptr_insert((uintptr_t)ptr, bi))
                g_dropped++;   /* counted as allocated; its free will not be seen */
        } else {
            g_dropped++;
        }
        pthread_mutex_unlock(&g_lock);
    }
    t_guard = false;
}

static void *map_zeroed(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int heap_prof_init(uint64_t rate_bytes)
{
    g_buckets = map_zeroed(HEAP_MAX_BUCKETS * sizeof *g_buckets);
    g_heads = map_zeroed(HEAP_HASH_HEADS * sizeof *g_heads);
    g_ptrs = map_zeroed(HEAP_PTR_CELLS * sizeof *g_ptrs);
    if (!g_buckets || !g_heads || !g_ptrs)
        return -1;
    /* backtrace's first call loads libgcc_s (dlopen, malloc): never inside malloc */
    void *warm[4];
    (void)backtrace(warm, 4);
    g_rate_bytes = rate_bytes ? rate_bytes : 1;
    alloc_sample_set(heap_sample_cb, (size_t)g_rate_bytes);
    g_installed = true;
    return 0;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void heap_prof_record(bool on)
{
    if (!g_installed)
        return;
    if (on) {
        g_window_start_ns = clock_ns(CLOCK_REALTIME);
        g_window_t0_mono = clock_ns(CLOCK_MONOTONIC);
        g_window_ns = 0;
    } else if (g_window_t0_mono) {
        g_window_ns = clock_ns(CLOCK_MONOTONIC) - g_window_t0_mono;
    }
    atomic_store_explicit(&g_recording, on, memory_order_seq_cst);
}

int heap_prof_snapshot(heap_snapshot_t *out)
{
    memset(out, 0, sizeof *out);
    bool was = heap_prof_guard(true);
    pthread_mutex_lock(&g_lock);
    size_t n = g_nbuckets;
    out->b = malloc((n ? n : 1) * sizeof *out->b);
    if (out->b) {
        if (n)
            memcpy(out->b, g_buckets, n * sizeof *out->b);
        out->n = n;
    }
    out->dropped = g_dropped;
    pthread_mutex_unlock(&g_lock);
    out->rate_bytes = g_rate_bytes;
    out->untracked = alloc_sample_untracked();
    out->window_start_ns = g_window_start_ns;
    out->window_ns = atomic_load(&g_recording) && g_window_t0_mono
                         ? clock_ns(CLOCK_MONOTONIC) - g_window_t0_mono : g_window_ns;
    heap_prof_guard(was);
    return out->b ? 0 : -1;
}

void heap_snapshot_free(heap_snapshot_t *s)
{
    free(s->b);
    memset(s, 0, sizeof *s);
}

void heap_prof_shutdown(void)
{
    if (!g_installed)
        return;
    atomic_store(&g_recording, false);
    alloc_sample_set(NULL, 0);
    g_installed = false;
}
