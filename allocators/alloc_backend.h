/* alloc_backend.h: the contract every allocator backend provides to the front end.
 *
 * Exactly one backend_<name>.c is linked into each runner executable and defines
 * `alloc_backend`. The front end (alloc_front.c) handles every edge case (NULL, size 0,
 * overflow, counting, fault injection) so a backend may assume: sizes are > 0, pointers
 * passed to free/realloc/usable_size are non-NULL and were returned by this backend,
 * alignments are powers of two >= sizeof(void*). Backends must not count or print.
 */
#ifndef PB_ALLOC_BACKEND_H
#define PB_ALLOC_BACKEND_H

#include <stddef.h>

typedef struct alloc_backend {
    const char *name;                                   /* "glibc", "mimalloc", ... */
    void *(*malloc)(size_t size_bytes);
    void *(*calloc)(size_t count, size_t size_bytes);
    void *(*realloc)(void *ptr, size_t size_bytes);
    void *(*memalign)(size_t align_bytes, size_t size_bytes);
    void  (*free)(void *ptr);
    size_t (*usable_size)(void *ptr);
    /* version string as the library reports it at run time (static storage) */
    const char *(*version)(void);
    /* the address of a function that lives in the backend's shared object, for dladdr */
    void *probe_symbol;
    /* soname fragment the probe symbol must resolve into ("libc.so", "libmimalloc") */
    const char *library_fragment;
    /* 1 when ptr is owned by this backend (asks the backend itself), else 0 */
    int (*owns)(void *ptr);
} alloc_backend_t;

extern const alloc_backend_t alloc_backend;

#endif
