/* workload.c: shared pieces of the kernels: error names, Go-append byte arrays, hex.
 *
 * pb_bytes_append follows Go's growslice (Go 1.20+): below 256 elements capacity doubles,
 * above it grows by (cap + 3*256)/4 until large enough, and (like Go) growth allocates a
 * new array, copies, and releases the old one rather than calling realloc, so the
 * allocation pattern is the one the Go code has.
 */
#include "workload.h"

#include <stdlib.h>
#include <string.h>

const char *pb_err_name(pb_err_t err)
{
    switch (err) {
    case PB_OK: return "ok";
    case PB_ERR_NOMEM: return "out of memory";
    case PB_ERR_INPUT: return "bad input";
    case PB_ERR_NOT_FOUND: return "not found";
    case PB_ERR_IO: return "i/o error";
    case PB_ERR_LIB: return "library error";
    }
    return "unknown error";
}

pb_err_t pb_bytes_reserve(pb_bytes_t *b, size_t cap_bytes)
{
    if (cap_bytes <= b->cap_bytes)
        return PB_OK;
    unsigned char *n = malloc(cap_bytes ? cap_bytes : 1);
    if (!n)
        return PB_ERR_NOMEM;
    if (b->len_bytes)
        memcpy(n, b->data, b->len_bytes);
    free(b->data);
    b->data = n;
    b->cap_bytes = cap_bytes;
    return PB_OK;
}

static size_t pb_bytes_grow_cap(size_t old_cap, size_t need)
{
    size_t newcap = old_cap;
    size_t doublecap = old_cap * 2;
    if (need > doublecap)
        return need;
    if (old_cap < 256)
        return doublecap;
    while (newcap < need) {
        size_t step = (newcap + 3 * 256) / 4;
        if (newcap > SIZE_MAX - step)
            return need;
        newcap += step;
    }
    return newcap;
}

pb_err_t pb_bytes_append(pb_bytes_t *b, const void *src, size_t n_bytes)
{
    if (n_bytes == 0)
        return PB_OK;
    if (b->len_bytes > SIZE_MAX - n_bytes)
        return PB_ERR_NOMEM;
    size_t need = b->len_bytes + n_bytes;
    if (need > b->cap_bytes) {
        pb_err_t err = pb_bytes_reserve(b, pb_bytes_grow_cap(b->cap_bytes, need));
        if (err != PB_OK)
            return err;
    }
    memcpy(b->data + b->len_bytes, src, n_bytes);
    b->len_bytes = need;
    return PB_OK;
}

void pb_bytes_free(pb_bytes_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len_bytes = b->cap_bytes = 0;
}

void pb_hex_encode(const unsigned char *src, size_t n_bytes, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n_bytes; i++) {
        out[2 * i] = digits[src[i] >> 4];
        out[2 * i + 1] = digits[src[i] & 15];
    }
    out[2 * n_bytes] = '\0';
}
