/* sum_checksum.c: the sum_checksum kernel (Go SumChecksum): SHA-256 hex over a list of
 * 32-byte digests, in order.
 *
 * As in Go: when the digests total more than sum_checksum_pool_min_bytes (1024), a
 * `small` buffer is taken before hashing and held until the end although nothing is
 * written to it. That is pure overhead, kept on purpose (it is what is measured); a
 * compiler barrier keeps the get/put from being optimised away. Otherwise no pool.
 * Branch B (the small class is the plain code, bufpool_plain): no buffer at all.
 * Must not: write to the held buffer, print, exit, or time.
 */
#include "kernels.h"

#include <openssl/evp.h>

/* checksum.c */
pb_err_t checksum_sha256_new(EVP_MD_CTX **out);
pb_err_t checksum_sha256_update(EVP_MD_CTX *ctx, const void *src, size_t n_bytes);
pb_err_t checksum_sha256_finish(EVP_MD_CTX *ctx, unsigned char digest[PB_SHA256_BYTES]);

pb_err_t sum_checksum_compute(bufpool_t *bp, const kernel_params_t *kp,
                              const unsigned char (*digests)[PB_SHA256_BYTES], size_t n,
                              char hex[PB_SHA256_HEX_BYTES])
{
    if (!bp || !kp || !hex || (!digests && n))
        return PB_ERR_INPUT;
    bufpool_buf_t *held = NULL;
    /* n * 32 > limit, without overflow */
    if (n > kp->sum_checksum_pool_min_bytes / PB_SHA256_BYTES && !bufpool_plain(bp, BUFPOOL_SMALL)) {
        held = bufpool_get(bp, BUFPOOL_SMALL);
        if (!held)
            return PB_ERR_NOMEM;
        __asm__ volatile("" : : "r"(held) : "memory");
    }
    EVP_MD_CTX *ctx;
    unsigned char digest[PB_SHA256_BYTES];
    pb_err_t err = checksum_sha256_new(&ctx);
    for (size_t i = 0; err == PB_OK && i < n; i++)
        err = checksum_sha256_update(ctx, digests[i], PB_SHA256_BYTES);
    if (err == PB_OK)
        err = checksum_sha256_finish(ctx, digest);
    else
        EVP_MD_CTX_free(ctx);
    if (held) {
        __asm__ volatile("" : : "r"(held) : "memory");
        bufpool_put(bp, held);
    }
    if (err == PB_OK)
        pb_hex_encode(digest, PB_SHA256_BYTES, hex);
    return err;
}
