/* alloc_msg.h: the one message writer of the allocator front ends' verification
 * (alloc_front.c, alloc_bare.c, alloc_front_sanitizer.c).
 * Guarantees: joins up to three strings (NULL = "") into err, truncated to err_len - 1
 * bytes and always terminated; never allocates and never calls snprintf, so it is safe
 * while malloc is being verified or is unusable. err NULL or err_len 0: does nothing.
 */
#ifndef PB_ALLOC_MSG_H
#define PB_ALLOC_MSG_H

#include <stddef.h>
#include <string.h>

static inline void alloc_msg(char *err, size_t err_len, const char *a, const char *b,
                             const char *c)
{
    if (err == NULL || err_len == 0)
        return;
    size_t used = 0;
    const char *parts[3] = { a, b, c };
    for (int i = 0; i < 3; i++) {
        const char *s = parts[i] ? parts[i] : "";
        size_t n = strlen(s);
        if (n > err_len - 1 - used)
            n = err_len - 1 - used;
        memcpy(err + used, s, n);
        used += n;
    }
    err[used] = '\0';
}

#endif
