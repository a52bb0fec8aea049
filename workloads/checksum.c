/* checksum.c: the checksum kernel (Go ComputeChecksum) and the SHA-256 helpers that the
 * hashing kernels share (sum_checksum.c, checksum_concurrent.c).
 *
 * checksum_compute, as in Go:
 *   - len <= checksum_direct_max_bytes (4096): hash directly, no pool;
 *   - otherwise take a `hash` buffer and walk the data in steps of its capacity: a full
 *     step is hashed straight from the data (no copy), the final partial step is first
 *     copied into the buffer and hashed from there; hex-encode; the buffer is always put
 *     back, also on error.
 * SHA-256 goes through OpenSSL 3's EVP API: the SHA256 method is fetched once per
 * process (released at exit) and every hash gets its own EVP_MD_CTX, as Go's
 * sha256.New() allocates a digest per hash. Go's direct path (sha256.Sum256) does not
 * allocate; EVP has no allocation-free one-shot, so here it costs one context.
 * Branch B (the hash class is the plain code, bufpool_plain): every input is hashed
 * directly, with no buffer and no copy, as the Go code reads without pkg/memory.
 * Errors: SHA-256 of bytes in memory has no failure mode besides resources, so any
 * OpenSSL failure (new, init, update, final, fetch) is reported as PB_ERR_NOMEM.
 * Must not: print, exit, time, or keep any state other than the fetched method.
 */
#include "kernels.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

/* Shared with sum_checksum.c and checksum_concurrent.c, which declare them. */
pb_err_t checksum_sha256_new(EVP_MD_CTX **out);
pb_err_t checksum_sha256_update(EVP_MD_CTX *ctx, const void *src, size_t n_bytes);
pb_err_t checksum_sha256_finish(EVP_MD_CTX *ctx, unsigned char digest[PB_SHA256_BYTES]);

static _Atomic(EVP_MD *) checksum_md;

static void checksum_md_release(void)
{
    EVP_MD *md = atomic_exchange(&checksum_md, NULL);
    EVP_MD_free(md);
}

/* The SHA256 method, fetched on first use; NULL when the fetch failed (retried on the
 * next call). Racing first calls keep one method and free the others. */
static const EVP_MD *checksum_sha256_md(void)
{
    EVP_MD *md = atomic_load_explicit(&checksum_md, memory_order_acquire);
    if (md)
        return md;
    md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!md)
        return NULL;
    EVP_MD *expected = NULL;
    if (!atomic_compare_exchange_strong(&checksum_md, &expected, md)) {
        EVP_MD_free(md);
        return expected;
    }
    /* Released before OpenSSL's own exit handler (registered earlier, runs later). */
    (void)atexit(checksum_md_release);
    return md;
}

/* A fresh SHA-256 context (Go's sha256.New()). *out is NULL on failure. */
pb_err_t checksum_sha256_new(EVP_MD_CTX **out)
{
    *out = NULL;
    const EVP_MD *md = checksum_sha256_md();
    if (!md)
        return PB_ERR_NOMEM;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return PB_ERR_NOMEM;
    if (!EVP_DigestInit_ex2(ctx, md, NULL)) {
        EVP_MD_CTX_free(ctx);
        return PB_ERR_NOMEM;
    }
    *out = ctx;
    return PB_OK;
}

pb_err_t checksum_sha256_update(EVP_MD_CTX *ctx, const void *src, size_t n_bytes)
{
    return EVP_DigestUpdate(ctx, src, n_bytes) ? PB_OK : PB_ERR_NOMEM;
}

/* Writes the digest and frees ctx, on success and on failure alike. */
pb_err_t checksum_sha256_finish(EVP_MD_CTX *ctx, unsigned char digest[PB_SHA256_BYTES])
{
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex(ctx, digest, &n);
    EVP_MD_CTX_free(ctx);
    return ok && n == PB_SHA256_BYTES ? PB_OK : PB_ERR_NOMEM;
}

static pb_err_t checksum_direct(const unsigned char *data, size_t len_bytes,
                                unsigned char digest[PB_SHA256_BYTES])
{
    EVP_MD_CTX *ctx;
    pb_err_t err = checksum_sha256_new(&ctx);
    if (err != PB_OK)
        return err;
    err = checksum_sha256_update(ctx, data, len_bytes);
    if (err != PB_OK) {
        EVP_MD_CTX_free(ctx);
        return err;
    }
    return checksum_sha256_finish(ctx, digest);
}

static pb_err_t checksum_buffered(bufpool_t *bp, const unsigned char *data,
                                  size_t len_bytes, unsigned char digest[PB_SHA256_BYTES])
{
    bufpool_buf_t *buf = bufpool_get(bp, BUFPOOL_HASH);
    if (!buf)
        return PB_ERR_NOMEM;
    size_t step = buf->cap_bytes;
    EVP_MD_CTX *ctx = NULL;
    pb_err_t err = step ? checksum_sha256_new(&ctx) : PB_ERR_INPUT;
    for (size_t off = 0; err == PB_OK && off < len_bytes; off += step) {
        size_t n = len_bytes - off < step ? len_bytes - off : step;
        if (n == step) {
            err = checksum_sha256_update(ctx, data + off, n);
        } else {
            memcpy(buf->data, data + off, n);
            err = checksum_sha256_update(ctx, buf->data, n);
        }
    }
    if (err == PB_OK)
        err = checksum_sha256_finish(ctx, digest);
    else
        EVP_MD_CTX_free(ctx);
    bufpool_put(bp, buf);
    return err;
}

pb_err_t checksum_compute(bufpool_t *bp, const kernel_params_t *kp,
                          const unsigned char *data, size_t len_bytes,
                          char hex[PB_SHA256_HEX_BYTES])
{
    if (!bp || !kp || !hex || (!data && len_bytes))
        return PB_ERR_INPUT;
    unsigned char digest[PB_SHA256_BYTES];
    /* Branch B (plain): the buffer only carried a copy of the tail: hash directly */
    pb_err_t err = len_bytes <= kp->checksum_direct_max_bytes || bufpool_plain(bp, BUFPOOL_HASH)
                       ? checksum_direct(data, len_bytes, digest)
                       : checksum_buffered(bp, data, len_bytes, digest);
    if (err != PB_OK)
        return err;
    pb_hex_encode(digest, PB_SHA256_BYTES, hex);
    return PB_OK;
}
