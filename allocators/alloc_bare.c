/* alloc_bare.c: the alloc.h API for an uninstrumented ("bare") runner, pb-<backend>-bare.
 *
 * A bare runner is the same runner linked WITHOUT the counting front end
 * (pb_link_backend_bare in allocators/CMakeLists.txt): it defines no malloc, so the
 * process malloc is the backend's own, linked the normal way (glibc: libc's ptmalloc;
 * mimalloc, jemalloc, tcmalloc: their shared library's malloc override, which the
 * dynamic linker binds before libc's). Its timing is the allocator without the 11-14 ns
 * per malloc+free pair that counting costs (issue 12), so the verdicts' time metrics come
 * from bare runners and the count metrics from a separate counting runner (as Google
 * Benchmark's memory manager runs a separate pass).
 *
 * Guarantees: alloc_counting() is 0; alloc_stats_read reports zero calls and bytes (the
 * runner prints null for every count metric: nothing here can see an allocation);
 * alloc_backend_verify checks that malloc as the process resolves it lives in the
 * claimed backend's library, that no other allocator library is loaded, and that a
 * block a shared library (OpenSSL) allocates is owned by the backend.
 * In a sanitizer build (PB_SANITIZE=address|thread) the glibc slot's backend is the
 * sanitizer's allocator (backend_sanitizer.c), the only one built there: the bare runner
 * then runs on the sanitizer's malloc, verifies that malloc resolves into its runtime
 * (libasan / libtsan) and names it in its version ("asan allocator (...; glibc malloc
 * not used)"), as pb-glibc does, so journals record what served malloc. The normal
 * build's checks are unchanged.
 * Not available: fault injection (alloc_fault_set is refused by the runner; here it is
 * a no-op that never fails a call) and heap sampling (alloc_sample_set never calls fn).
 * Cleanup cycles: nothing counts bytes, so the GOGC-like rule never fires by itself;
 * alloc_gc_note_bytes feeds it from outside (the runner's --gc-bytes-per-op, a figure of
 * the counting pass) with the same goal rule as the front end, the live bytes taken as
 * the minimum heap. pool_cycles of a bare cell are those cycles (and timer cycles).
 * It must not: allocate, print, or call into the pool.
 */
#define _GNU_SOURCE
#include "alloc.h"
#include "alloc_msg.h"
#include "alloc_backend.h"

#include <dlfcn.h>
#include <link.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <string.h>

#define RELAXED memory_order_relaxed

_Atomic uint64_t alloc_gc_epoch_counter;
static _Atomic unsigned g_bare_gc_percent = 100;
static _Atomic uint64_t g_bare_gc_min_heap_bytes = 4u << 20;
static _Atomic uint64_t g_bare_gc_since_bytes;

int alloc_counting(void)
{
    return 0;
}

void alloc_stats_read(alloc_stats_t *out)
{
    memset(out, 0, sizeof *out);
    out->gc_cycles = atomic_load_explicit(&alloc_gc_epoch_counter, RELAXED);
}

void alloc_stats_reset(void)
{
}

const char *alloc_backend_name(void)
{
    return alloc_backend.name;
}

const char *alloc_backend_version(void)
{
    return alloc_backend.version();
}

void alloc_fault_set(long after, long count)
{
    (void)after;
    (void)count;
}

void alloc_fault_clear(void)
{
}

int alloc_fault_supported(void)
{
    return 0;
}

uint64_t alloc_fault_hits(void)
{
    return 0;
}

size_t alloc_fault_sites(uintptr_t *sites, uint64_t *hits, size_t max, uint64_t *lost)
{
    (void)sites;
    (void)hits;
    (void)max;
    if (lost)
        *lost = 0;
    return 0;
}

void alloc_gc_configure(unsigned gogc_percent, uint64_t min_heap_bytes)
{
    atomic_store_explicit(&g_bare_gc_percent, gogc_percent, RELAXED);
    atomic_store_explicit(&g_bare_gc_min_heap_bytes, min_heap_bytes, RELAXED);
    atomic_store_explicit(&g_bare_gc_since_bytes, 0, RELAXED);
}

/* The front end's rule with live bytes = 0: a cycle per gogc % of the minimum heap. */
void alloc_gc_note_bytes(uint64_t bytes)
{
    unsigned pct = atomic_load_explicit(&g_bare_gc_percent, RELAXED);
    uint64_t base = atomic_load_explicit(&g_bare_gc_min_heap_bytes, RELAXED);
    if (pct == 0 || bytes == 0)
        return;
    uint64_t goal = base > UINT64_MAX / pct ? UINT64_MAX : base * pct / 100;
    if (goal == 0)
        goal = 1;
    uint64_t since = atomic_fetch_add_explicit(&g_bare_gc_since_bytes, bytes, RELAXED) + bytes;
    while (since >= goal) {
        if (atomic_compare_exchange_weak_explicit(&g_bare_gc_since_bytes, &since, since - goal,
                                                  RELAXED, RELAXED)) {
            atomic_fetch_add_explicit(&alloc_gc_epoch_counter, 1, memory_order_release);
            since -= goal;
        }
    }
}

void alloc_sample_set(alloc_sample_fn fn, size_t rate_bytes)
{
    (void)fn;
    (void)rate_bytes;
}

uint64_t alloc_sample_untracked(void)
{
    return 0;
}

/* ---- verify: the claimed backend's malloc is the process malloc ------------------- */

static const char *const bare_allocator_libs[] = { "libmimalloc", "libjemalloc",
                                                   "libtcmalloc" };

typedef struct bare_scan {
    const char *claimed;
    const char *foreign;
} bare_scan_t;

static int bare_scan_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    bare_scan_t *scan = arg;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    for (size_t i = 0; i < sizeof bare_allocator_libs / sizeof bare_allocator_libs[0]; i++) {
        if (strstr(name, bare_allocator_libs[i]) == NULL ||
            strstr(scan->claimed, bare_allocator_libs[i]) != NULL)
            continue;
        scan->foreign = name;
        return 1;
    }
    return 0;
}

int alloc_backend_verify(char *err, size_t err_len)
{
    Dl_info found;
    alloc_msg(err, err_len, "", "", "");

    /* 1. malloc as the process resolves it lives in the claimed library */
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    if (m == NULL || dladdr(m, &found) == 0 || found.dli_fname == NULL) {
        alloc_msg(err, err_len, "malloc check: dlsym/dladdr failed", "", "");
        return -1;
    }
    if (strstr(found.dli_fname, alloc_backend.library_fragment) == NULL) {
        alloc_msg(err, err_len, "malloc resolves to ", found.dli_fname,
                 ", not the claimed backend's library: link with pb_link_backend_bare() "
                 "and do not LD_PRELOAD an allocator");
        return -1;
    }

    /* 2. no other allocator library is loaded */
    bare_scan_t scan = { .claimed = alloc_backend.library_fragment, .foreign = NULL };
    if (dl_iterate_phdr(bare_scan_cb, &scan) != 0) {
        alloc_msg(err, err_len, "another allocator library is loaded: ", scan.foreign,
                 "; unset LD_PRELOAD and relink with only the claimed backend");
        return -1;
    }

    /* 3. a shared library's allocation is owned by the backend */
    void *p = CRYPTO_malloc(48, __FILE__, __LINE__);
    if (p == NULL) {
        alloc_msg(err, err_len, "OpenSSL check: CRYPTO_malloc failed (out of memory)", "", "");
        return -1;
    }
    int owned = alloc_backend.owns(p);
    CRYPTO_free(p, __FILE__, __LINE__);
    if (!owned) {
        alloc_msg(err, err_len, "OpenSSL check: the block is not owned by ",
                 alloc_backend.name, "; another allocator serves shared libraries");
        return -1;
    }
    return 0;
}
