/* backend_glibc.c: glibc's ptmalloc behind the counting front end.
 *
 * Calls glibc's exported internal entry points (__libc_malloc & co.), which reach
 * ptmalloc directly and never re-enter the interposed malloc of the front end.
 * Usable size: glibc's own malloc_usable_size, found with
 * dlvsym(RTLD_NEXT, "malloc_usable_size", "GLIBC_2.2.5") (the front end's
 * malloc_usable_size shadows the name) and accepted only if it lies in the same object
 * as __libc_malloc (an LD_PRELOADed allocator's unversioned symbol also satisfies that
 * lookup). It is resolved by a constructor and, if malloc runs earlier, on first use
 * with a per-thread recursion guard. While a lookup is in progress, or if it found a
 * foreign symbol, the size is read from the chunk header with glibc's own formula
 * (musable(); memory tagging is not used on x86-64), which gives the same result.
 * Guarantees: the alloc_backend.h contract. Must not: count, print, or call malloc.
 */
#define _GNU_SOURCE
#include "alloc_backend.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size_bytes);
extern void *__libc_calloc(size_t count, size_t size_bytes);
extern void *__libc_realloc(void *ptr, size_t size_bytes);
extern void *__libc_memalign(size_t align_bytes, size_t size_bytes);
extern void __libc_free(void *ptr);
extern char end;   /* end of the executable's bss: the main arena (brk heap) lies above */

typedef size_t (*glibc_usable_fn)(void *);
static _Atomic(glibc_usable_fn) g_real_usable;
static __thread int t_resolving;

#define GLIBC_SIZE_BYTES   sizeof(size_t)
#define GLIBC_HDR_BYTES    (2 * GLIBC_SIZE_BYTES)
#define GLIBC_IS_MMAPPED   ((size_t)2)
#define GLIBC_NON_MAIN     ((size_t)4)
#define GLIBC_FLAG_MASK    ((size_t)7)
#define GLIBC_HEAP_MAX_BYTES ((size_t)64 << 20)

/* glibc's musable() for an in-use chunk, read from the header */
static size_t glibc_header_usable(void *ptr)
{
    size_t field = ((size_t *)ptr)[-1];
    size_t chunk = field & ~GLIBC_FLAG_MASK;
    return (field & GLIBC_IS_MMAPPED) ? chunk - GLIBC_HDR_BYTES : chunk - GLIBC_SIZE_BYTES;
}

/* glibc's malloc_usable_size, or the header formula when the RTLD_NEXT lookup lands
 * outside the libc that serves __libc_malloc (an LD_PRELOADed allocator without symbol
 * versions satisfies a versioned lookup; alloc_backend_verify reports that case). */
static glibc_usable_fn glibc_resolve(void)
{
    if (t_resolving)
        return NULL;
    t_resolving = 1;
    glibc_usable_fn fn = glibc_header_usable;
    void *sym = dlvsym(RTLD_NEXT, "malloc_usable_size", "GLIBC_2.2.5");
    Dl_info in_sym, in_libc;
    if (sym != NULL && dladdr(sym, &in_sym) != 0 &&
        dladdr((void *)__libc_malloc, &in_libc) != 0 &&
        in_sym.dli_fbase == in_libc.dli_fbase)
        fn = (glibc_usable_fn)sym;
    t_resolving = 0;
    atomic_store_explicit(&g_real_usable, fn, memory_order_release);
    return fn;
}

__attribute__((constructor(101))) static void glibc_backend_init(void)
{
    if (atomic_load_explicit(&g_real_usable, memory_order_acquire) == NULL)
        glibc_resolve();
}

static size_t glibc_usable_size(void *ptr)
{
    glibc_usable_fn fn = atomic_load_explicit(&g_real_usable, memory_order_relaxed);
    if (__builtin_expect(fn == NULL, 0)) {
        fn = glibc_resolve();
        if (fn == NULL)
            return glibc_header_usable(ptr);
    }
    return fn(ptr);
}

/* 1 when the page holding addr is mapped (mincore fails with ENOMEM otherwise) */
static int glibc_mapped(uintptr_t addr, size_t page)
{
    unsigned char vec;
    return mincore((void *)(addr & ~(uintptr_t)(page - 1)), 1, &vec) == 0;
}

/* glibc has no ownership query: check that ptr has a consistent in-use chunk header and
 * lies where glibc puts chunks: the brk heap above the executable (main arena), a
 * non-main arena heap (64 MiB aligned, whose heap_info names an arena and covers the
 * chunk), or an mmapped chunk whose mapping is page aligned. Any word is read only after
 * mincore says its page is mapped, so a foreign pointer cannot fault. */
static int glibc_owns(void *ptr)
{
    uintptr_t a = (uintptr_t)ptr;
    size_t page = (size_t)getpagesize();
    if ((a & 15) != 0 || a < page)
        return 0;
    uintptr_t chunk = a - GLIBC_HDR_BYTES;
    if ((chunk & ~(uintptr_t)(page - 1)) != (a & ~(uintptr_t)(page - 1)) &&
        !glibc_mapped(chunk, page))
        return 0;
    size_t field = ((size_t *)ptr)[-1];
    size_t chunk_bytes = field & ~GLIBC_FLAG_MASK;
    if (field & GLIBC_IS_MMAPPED) {
        if (field & GLIBC_NON_MAIN)
            return 0;
        size_t prev = ((size_t *)ptr)[-2];
        return chunk_bytes >= page && prev <= chunk && ((chunk - prev) & (page - 1)) == 0 &&
               ((prev + chunk_bytes) & (page - 1)) == 0;
    }
    if (chunk_bytes < 2 * GLIBC_HDR_BYTES || (chunk_bytes & 15) != 0)
        return 0;
    if (field & GLIBC_NON_MAIN) {
        /* glibc's heap_info: ar_ptr, prev, size, mprotect_size, pagesize */
        uintptr_t heap = chunk & ~(uintptr_t)(GLIBC_HEAP_MAX_BYTES - 1);
        if (!glibc_mapped(heap, page))
            return 0;
        const size_t *info = (const size_t *)heap;
        size_t heap_bytes = info[2];
        return info[0] != 0 && heap_bytes <= GLIBC_HEAP_MAX_BYTES &&
               chunk + chunk_bytes <= heap + heap_bytes;
    }
    return chunk >= (uintptr_t)&end && chunk + chunk_bytes <= (uintptr_t)sbrk(0);
}

static const char *glibc_version(void)
{
    return gnu_get_libc_version();
}

const alloc_backend_t alloc_backend = {
    .name = "glibc",
    .malloc = __libc_malloc,
    .calloc = __libc_calloc,
    .realloc = __libc_realloc,
    .memalign = __libc_memalign,
    .free = __libc_free,
    .usable_size = glibc_usable_size,
    .version = glibc_version,
    .probe_symbol = (void *)__libc_malloc,
    .library_fragment = "libc.so",
    .owns = glibc_owns,
};
