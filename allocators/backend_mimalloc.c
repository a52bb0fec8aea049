/* backend_mimalloc.c: mimalloc (Debian's libmimalloc.so.2) behind the counting front end.
 *
 * Calls mimalloc's own API (mi_malloc & co.), never its malloc override, so the front
 * end stays the process-wide malloc. Ownership asks mimalloc whether the address lies in
 * one of its segments (mi_is_in_heap_region). Version: mi_version() (209 -> "2.0.9").
 * Guarantees: the alloc_backend.h contract. Must not: count, print, or call malloc.
 */
#include "alloc_backend.h"

#include <mimalloc.h>

static void *mim_memalign(size_t align_bytes, size_t size_bytes)
{
    return mi_malloc_aligned(size_bytes, align_bytes);
}

static size_t mim_usable_size(void *ptr)
{
    return mi_usable_size(ptr);
}

static int mim_owns(void *ptr)
{
    return mi_is_in_heap_region(ptr) ? 1 : 0;
}

static const char *mim_version(void)
{
    static char buf[16];
    int v = mi_version();
    int parts[3] = { v / 100, (v % 100) / 10, v % 10 };
    char *o = buf;
    for (int i = 0; i < 3; i++) {
        char digits[12];
        int n = 0, x = parts[i] < 0 ? 0 : parts[i];
        do {
            digits[n++] = (char)('0' + x % 10);
            x /= 10;
        } while (x > 0 && n < 11);
        while (n > 0)
            *o++ = digits[--n];
        if (i < 2)
            *o++ = '.';
    }
    *o = '\0';
    return buf;
}

const alloc_backend_t alloc_backend = {
    .name = "mimalloc",
    .malloc = mi_malloc,
    .calloc = mi_calloc,
    .realloc = mi_realloc,
    .memalign = mim_memalign,
    .free = mi_free,
    .usable_size = mim_usable_size,
    .version = mim_version,
    .probe_symbol = (void *)mi_malloc,
    .library_fragment = "libmimalloc",
    .owns = mim_owns,
};
