/* alloc_front_sanitizer.c: the counting front end's sanitizer mode (PB_FRONT_SANITIZER).
 *
 * Under ASan or TSan the sanitizer owns malloc, so the front end must not define it
 * (alloc_front.c, compiled with PB_FRONT_SANITIZER, then leaves out its entry points and
 * its verification). The counts are kept through the sanitizer's allocation hooks
 * (__sanitizer_install_malloc_and_free_hooks), installed from the executable's
 * .preinit_array, before any shared library's constructor can allocate. Each hook feeds
 * the same counters, GOGC rule and sampler as the normal mode (alloc_front_note_alloc /
 * _free), so alloc.h's API is unchanged; the backend is the sanitizer's allocator
 * (backend_sanitizer.c).
 *
 * Guarantees: alloc and free calls, requested bytes, live and peak bytes (the sanitizer's
 * allocated size, which is the requested size), GC cycles and sampling, for every
 * allocation the sanitizer reports through its hooks, exact under threads as in the
 * normal mode. A free of a block the sanitizer does not own (a double free) is left to
 * the sanitizer to report, uncounted.
 * Differences from the normal mode (README, "Sanitizer builds"):
 *  - fault injection cannot fire: a hook runs after malloc has decided, and
 *    allocator_may_return_null is a start-up option, not per call; alloc_fault_set is
 *    accepted and alloc_fault_hits stays 0;
 *  - ASan reports malloc(0) as a 1-byte request (TSan as 0);
 *  - TSan runs no malloc hook for posix_memalign, aligned_alloc, memalign, valloc and
 *    pvalloc (but runs the free hook), and passes the element count as the size of
 *    reallocarray; under TSan these six are therefore defined here, forwarding to TSan's
 *    own interceptors and counting the allocation themselves.
 * It must not: allocate, print, or call into the pool.
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
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

/* GCC 12's Debian packages do not install <sanitizer/allocator_interface.h> (clang's
 * do); these are the declarations from it, exported by libasan and libtsan. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *,
                                                                  size_t),
                                              void (*free_hook)(const volatile void *));
int __sanitizer_get_ownership(const volatile void *p);
size_t __sanitizer_get_allocated_size(const volatile void *p);

/* alloc_front.c in sanitizer mode */
void alloc_front_note_alloc(void *p, size_t size_bytes);
void alloc_front_note_free(void *p);

static _Atomic int g_hooks_slot;   /* the install's return value: 0 = not installed */

static void sanitizer_malloc_hook(const volatile void *p, size_t size_bytes)
{
    if (p != NULL)               /* TSan's realloc(p, 0) reports a NULL allocation */
        alloc_front_note_alloc((void *)p, size_bytes);
}

static void sanitizer_free_hook(const volatile void *p)
{
    /* the hook runs before the sanitizer checks the free: leave a double or invalid
     * free to the sanitizer's own report */
    if (p != NULL && __sanitizer_get_ownership(p))
        alloc_front_note_free((void *)p);
}

static void sanitizer_install(void)
{
    int slot = __sanitizer_install_malloc_and_free_hooks(sanitizer_malloc_hook,
                                                         sanitizer_free_hook);
    atomic_store_explicit(&g_hooks_slot, slot, memory_order_release);
}

/* the executable's .preinit_array runs before every shared library's constructor */
__attribute__((section(".preinit_array"), used))
static void (*const sanitizer_preinit)(void) = sanitizer_install;

#if defined(__SANITIZE_THREAD__)
/* ------------------------------------------------------------------------------------
 * TSan: the allocation entry points its interceptors do not hook (see the header)
 */
int __interceptor_posix_memalign(void **, size_t, size_t);
void *__interceptor_aligned_alloc(size_t, size_t);
void *__interceptor_memalign(size_t, size_t);
void *__interceptor_valloc(size_t);
void *__interceptor_pvalloc(size_t);

static void *sanitizer_counted(void *p, size_t size_bytes)
{
    if (p != NULL)
        alloc_front_note_alloc(p, size_bytes);
    return p;
}

int posix_memalign(void **memptr, size_t align_bytes, size_t size_bytes)
{
    int rc = __interceptor_posix_memalign(memptr, align_bytes, size_bytes);
    if (rc == 0)
        sanitizer_counted(*memptr, size_bytes);
    return rc;
}

void *aligned_alloc(size_t align_bytes, size_t size_bytes)
{
    return sanitizer_counted(__interceptor_aligned_alloc(align_bytes, size_bytes),
                             size_bytes);
}

void *memalign(size_t align_bytes, size_t size_bytes)
{
    return sanitizer_counted(__interceptor_memalign(align_bytes, size_bytes), size_bytes);
}

void *valloc(size_t size_bytes)
{
    return sanitizer_counted(__interceptor_valloc(size_bytes), size_bytes);
}

/* counts the page-rounded size, as the normal mode does */
void *pvalloc(size_t size_bytes)
{
    void *p = __interceptor_pvalloc(size_bytes);
    return p ? sanitizer_counted(p, __sanitizer_get_allocated_size(p)) : NULL;
}

/* TSan's reallocarray hooks the element count as the size; realloc is hooked right */
void *reallocarray(void *ptr, size_t count, size_t size_bytes)
{
    size_t total;
    if (__builtin_mul_overflow(count, size_bytes, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(ptr, total);
}
#endif

/* ------------------------------------------------------------------------------------
 * Verification (name and version: alloc_front.c, from backend_sanitizer.c)
 */
static const char *const sanitizer_foreign_libs[] = { "libmimalloc", "libjemalloc",
                                                      "libtcmalloc" };

static int sanitizer_scan_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    const char **found = arg;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    for (size_t i = 0; i < sizeof sanitizer_foreign_libs / sizeof sanitizer_foreign_libs[0];
         i++)
        if (strstr(name, sanitizer_foreign_libs[i]) != NULL) {
            *found = name;
            return 1;
        }
    return 0;
}

/* The sanitizer-mode checks: the hooks are installed, malloc resolves into the
 * sanitizer's runtime, no allocator library is loaded, and a shared library's block is
 * counted and owned by the sanitizer's allocator. */
int alloc_backend_verify(char *err, size_t err_len)
{
    Dl_info found;
    alloc_msg(err, err_len, "", "", "");
    if (atomic_load_explicit(&g_hooks_slot, memory_order_acquire) == 0) {
        alloc_msg(err, err_len, "sanitizer mode: the malloc/free hooks are not "
                      "installed (link the executable with pb_link_backend())", "", "");
        return -1;
    }
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    if (m == NULL || dladdr(m, &found) == 0 || found.dli_fname == NULL ||
        strstr(found.dli_fname, alloc_backend.library_fragment) == NULL) {
        alloc_msg(err, err_len, "malloc resolves to ",
                      m && found.dli_fname ? found.dli_fname : "?",
                      ", not the sanitizer runtime: do not LD_PRELOAD an allocator");
        return -1;
    }
    const char *foreign = NULL;
    if (dl_iterate_phdr(sanitizer_scan_cb, &foreign) != 0) {
        alloc_msg(err, err_len, "another allocator library is loaded: ", foreign,
                      "; unset LD_PRELOAD");
        return -1;
    }
    alloc_stats_t before, after;
    alloc_stats_read(&before);
    void *p = CRYPTO_malloc(48, __FILE__, __LINE__);
    alloc_stats_read(&after);
    if (p == NULL) {
        alloc_msg(err, err_len, "OpenSSL check: CRYPTO_malloc failed", "", "");
        return -1;
    }
    int counted = after.alloc_calls > before.alloc_calls;
    int owned = alloc_backend.owns(p);
    CRYPTO_free(p, __FILE__, __LINE__);
    if (!counted || !owned) {
        alloc_msg(err, err_len, "OpenSSL check: the block is ",
                      counted ? "not owned by the sanitizer's allocator"
                              : "not counted by the sanitizer hooks", "");
        return -1;
    }
    return 0;
}
