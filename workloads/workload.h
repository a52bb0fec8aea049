/* workload.h: what every kernel shares: error codes and the kernel registry.
 *
 * Kernels (KERNELS.md) are pure functions of (input, buffer pool) -> result or error.
 * They see only bufpool.h and their library's header (OpenSSL, libarchive); they do no
 * timing and no printing, never exit, and return a pb_err_t. Allocation failure anywhere
 * (including inside OpenSSL or libarchive) is returned as PB_ERR_NOMEM, never a crash,
 * and leaves no leak.
 */
#ifndef PB_WORKLOAD_H
#define PB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include "bufpool.h"

typedef enum pb_err {
    PB_OK = 0,
    PB_ERR_NOMEM,       /* an allocation failed                               */
    PB_ERR_INPUT,       /* bad input: not an archive, bad argument value      */
    PB_ERR_NOT_FOUND,   /* a named tar member does not exist                  */
    PB_ERR_IO,          /* reading a file or directory failed                 */
    PB_ERR_LIB          /* OpenSSL or libarchive reported another error       */
} pb_err_t;

const char *pb_err_name(pb_err_t err);

#define PB_SHA256_BYTES 32
#define PB_SHA256_HEX_BYTES 65   /* 64 hex digits and a NUL */

/* A growable byte array with Go append semantics (geometric growth, counted reallocs).
 * Used for archive output buffers and per-file content arrays. */
typedef struct pb_bytes {
    unsigned char *data;
    size_t len_bytes;
    size_t cap_bytes;
} pb_bytes_t;

pb_err_t pb_bytes_reserve(pb_bytes_t *b, size_t cap_bytes);      /* exact initial capacity */
pb_err_t pb_bytes_append(pb_bytes_t *b, const void *src, size_t n_bytes); /* Go append growth */
void pb_bytes_free(pb_bytes_t *b);

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void pb_hex_encode(const unsigned char *src, size_t n_bytes, char *out);

#endif
