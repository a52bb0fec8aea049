/* backend_tcmalloc.c: gperftools' tcmalloc (libtcmalloc.so.4) behind the counting
 * front end.
 *
 * Calls tcmalloc's tc_* API, never its malloc override, so the front end stays the
 * process-wide malloc. Ownership: MallocExtension_GetOwnership. Version: tc_version().
 * Guarantees: the alloc_backend.h contract. Must not: count, print, or call malloc.
 */
#include "alloc_backend.h"

#include <gperftools/malloc_extension_c.h>
#include <gperftools/tcmalloc.h>

static size_t tc_be_usable_size(void *ptr)
{
    return tc_malloc_size(ptr);
}

static int tc_be_owns(void *ptr)
{
    return MallocExtension_GetOwnership(ptr) == MallocExtension_kOwned ? 1 : 0;
}

static const char *tc_be_version(void)
{
    int major = 0, minor = 0;
    const char *patch = NULL;
    const char *v = tc_version(&major, &minor, &patch);
    return v ? v : "unknown";
}

const alloc_backend_t alloc_backend = {
    .name = "tcmalloc",
    .malloc = tc_malloc,
    .calloc = tc_calloc,
    .realloc = tc_realloc,
    .memalign = tc_memalign,
    .free = tc_free,
    .usable_size = tc_be_usable_size,
    .version = tc_be_version,
    .probe_symbol = (void *)tc_malloc,
    .library_fragment = "libtcmalloc",
    .owns = tc_be_owns,
};
