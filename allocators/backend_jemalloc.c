/* backend_jemalloc.c: jemalloc 5 (Debian's unprefixed libjemalloc.so.2) behind the
 * counting front end.
 *
 * Uses jemalloc's non-standard API (mallocx / rallocx / dallocx / sallocx with
 * MALLOCX_ZERO and MALLOCX_ALIGN), which exists only in jemalloc, so the calls cannot be
 * served by another allocator's malloc. Ownership: mallctl("arenas.lookup") succeeds only
 * for a pointer jemalloc allocated. Limit: jemalloc's lookup is a "dependent" radix-tree
 * read that faults on an address in a range jemalloc never mapped (a static or stack
 * address), so owns() may only be asked about heap blocks (the front end asks only
 * about blocks it counted). Version: mallctl("version").
 * Guarantees: the alloc_backend.h contract. Must not: count, print, or call malloc.
 */
#include "alloc_backend.h"

#include <jemalloc/jemalloc.h>

static void *je_be_malloc(size_t size_bytes)
{
    return mallocx(size_bytes, 0);
}

static void *je_be_calloc(size_t count, size_t size_bytes)
{
    return mallocx(count * size_bytes, MALLOCX_ZERO);   /* front end checked overflow */
}

static void *je_be_realloc(void *ptr, size_t size_bytes)
{
    return rallocx(ptr, size_bytes, 0);
}

static void *je_be_memalign(size_t align_bytes, size_t size_bytes)
{
    return mallocx(size_bytes, MALLOCX_ALIGN(align_bytes));
}

static void je_be_free(void *ptr)
{
    dallocx(ptr, 0);
}

static size_t je_be_usable_size(void *ptr)
{
    return sallocx(ptr, 0);
}

static int je_be_owns(void *ptr)
{
    unsigned arena = 0;
    size_t len = sizeof arena;
    return mallctl("arenas.lookup", &arena, &len, &ptr, sizeof ptr) == 0 ? 1 : 0;
}

static const char *je_be_version(void)
{
    const char *v = NULL;
    size_t len = sizeof v;
    if (mallctl("version", &v, &len, NULL, 0) != 0 || v == NULL)
        return "unknown";
    return v;
}

const alloc_backend_t alloc_backend = {
    .name = "jemalloc",
    .malloc = je_be_malloc,
    .calloc = je_be_calloc,
    .realloc = je_be_realloc,
    .memalign = je_be_memalign,
    .free = je_be_free,
    .usable_size = je_be_usable_size,
    .version = je_be_version,
    .probe_symbol = (void *)mallocx,
    .library_fragment = "libjemalloc",
    .owns = je_be_owns,
};
