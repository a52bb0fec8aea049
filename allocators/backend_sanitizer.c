/* backend_sanitizer.c: the sanitizer's allocator (ASan or TSan) as the backend of the
 * front end's sanitizer mode (alloc_front_sanitizer.c).
 *
 * The sanitizer replaces malloc for the whole process, so this backend's functions are
 * simply the process's malloc & co.; ownership and sizes are asked of the sanitizer
 * (__sanitizer_get_ownership, __sanitizer_get_allocated_size: the requested size).
 * It fills the glibc slot (runner pb-glibc, the only backend built in sanitizer mode), so
 * the driver's checks and the scenarios stay as they are: the name stays "glibc" and
 * the version says what really serves malloc, e.g. "asan allocator (libasan, GCC 12.2.0;
 * glibc malloc not used)", which every journal's context records.
 * Guarantees: the alloc_backend.h contract. Must not: count, print.
 */
#define _GNU_SOURCE
#include "alloc_backend.h"

#include <malloc.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_KIND "asan"
#define SANITIZER_LIB  "libasan"
#elif defined(__SANITIZE_THREAD__)
#define SANITIZER_KIND "tsan"
#define SANITIZER_LIB  "libtsan"
#else
#error "backend_sanitizer.c needs -fsanitize=address or -fsanitize=thread"
#endif

int __sanitizer_get_ownership(const volatile void *p);
size_t __sanitizer_get_allocated_size(const volatile void *p);
int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *, size_t),
                                              void (*)(const volatile void *));

static void *sanitizer_memalign(size_t align_bytes, size_t size_bytes)
{
    return aligned_alloc(align_bytes, (size_bytes + align_bytes - 1) & ~(align_bytes - 1));
}

static size_t sanitizer_usable_size(void *ptr)
{
    return __sanitizer_get_allocated_size(ptr);
}

static int sanitizer_owns(void *ptr)
{
    return __sanitizer_get_ownership(ptr) ? 1 : 0;
}

static const char *sanitizer_version(void)
{
    return SANITIZER_KIND " allocator (" SANITIZER_LIB ", GCC " __VERSION__
                          "; glibc malloc not used)";
}

const alloc_backend_t alloc_backend = {
    .name = "glibc",
    .malloc = malloc,
    .calloc = calloc,
    .realloc = realloc,
    .memalign = sanitizer_memalign,
    .free = free,
    .usable_size = sanitizer_usable_size,
    .version = sanitizer_version,
    .probe_symbol = (void *)__sanitizer_install_malloc_and_free_hooks,
    .library_fragment = SANITIZER_LIB,
    .owns = sanitizer_owns,
};
