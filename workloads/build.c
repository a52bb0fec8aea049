/* build.c: the build workload: one container build composed of the kernels (KERNELS.md).
 *
 * Steps, in order, each producing one line of the result record:
 *   1. tar_create_dir(AUTO, in->cores): the context into an in-memory archive;
 *   2. the archive's checksum: checksum_concurrent_compute(in->threads) when the archive
 *      is larger than kp->concurrent_min_bytes, else checksum_compute;         -> hex
 *   3. every regular file's checksum_compute, in walk (= archive) order, summed with
 *      sum_checksum_compute.                                                   -> hex
 *      Contents are taken from the archive just built, not from disk: each member's
 *      data is one contiguous block of the in-memory archive (archive_read_data_block
 *      returns it without copying); a member split across blocks would be assembled
 *      in a pb_bytes_t first. So the disk is read once per build, as in Go's TarDir.
 *   4. tar_read_member(dockerfile) from the archive; SHA-256 of its content     -> hex
 *   5. tar_copy_archive; SHA-256 of the copy                                    -> hex
 *   6. image_tag_build(image, tag) and image_tag_build(image, "latest")  -> two strings
 * Result: SHA-256 hex of the six lines, each followed by "\n". The SHA-256 of steps 4, 5
 * and of the result are bookkeeping (OpenSSL EVP, no pool), not kernels.
 * Errors: the first failing step's error (a missing Dockerfile is PB_ERR_NOT_FOUND);
 * everything is freed on every path.
 * It must not: print, time, or read the context more than once.
 */
#define _GNU_SOURCE
#include "kernels.h"
#include "tar_io.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static pb_err_t bd_sha256_hex(const void *data, size_t n, char hex[PB_SHA256_HEX_BYTES])
{
    unsigned char md[PB_SHA256_BYTES];
    unsigned int mdl = 0;
    if (EVP_Digest(n ? data : "", n, md, &mdl, EVP_sha256(), NULL) != 1 ||
        mdl != PB_SHA256_BYTES)
        return PB_ERR_NOMEM;                 /* EVP fails only on allocation here */
    pb_hex_encode(md, PB_SHA256_BYTES, hex);
    return PB_OK;
}

static int bd_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static pb_err_t bd_hex_decode(const char *hex, unsigned char out[PB_SHA256_BYTES])
{
    for (int i = 0; i < PB_SHA256_BYTES; i++) {
        int hi = bd_hexval(hex[2 * i]), lo = bd_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return PB_ERR_LIB;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return PB_OK;
}

/* Step 3: per-file checksums from the archive, summed in order. */
static pb_err_t bd_file_sum(bufpool_t *bp, const kernel_params_t *kp, const pb_bytes_t *tar,
                            char hex[PB_SHA256_HEX_BYTES])
{
    unsigned char (*digests)[PB_SHA256_BYTES] = NULL;
    size_t n = 0, cap = 0;
    pb_bytes_t joined = { 0 };
    pb_err_t err = PB_OK;
    errno = 0;
    struct archive *a = archive_read_new();
    if (!a)
        return PB_ERR_NOMEM;
    struct archive_entry *e = NULL;
    tar_io_mem_t mem = { tar->data, tar->len_bytes, 0 };
    if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
        tar_io_read_open(a, &mem, tar_io_mem_read, tar_io_mem_skip) != ARCHIVE_OK) {
        err = tar_io_err(a, NULL, errno, PB_ERR_INPUT);
        goto done;
    }
    e = archive_entry_new2(a);   /* own entry: see tar_io.h */
    if (!e) {
        err = PB_ERR_NOMEM;
        goto done;
    }
    for (;;) {
        errno = 0;
        int r = archive_read_next_header2(a, e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            err = tar_io_err(a, NULL, errno, PB_ERR_INPUT);
            goto done;
        }
        if (archive_entry_filetype(e) != AE_IFREG)
            continue;
        /* the member's content: one block when contiguous, else assembled */
        la_int64_t size = archive_entry_size(e);
        const void *first = NULL;
        size_t first_len = 0;
        joined.len_bytes = 0;
        for (;;) {
            const void *blk = NULL;
            size_t len = 0;
            la_int64_t off = 0;
            errno = 0;
            r = archive_read_data_block(a, &blk, &len, &off);
            if (r == ARCHIVE_EOF)
                break;
            if (r < ARCHIVE_WARN) {
                err = tar_io_err(a, NULL, errno, PB_ERR_INPUT);
                goto done;
            }
            if (len == 0)
                continue;
            if (first) {
                err = PB_ERR_INPUT;           /* more data than the header's size */
                goto done;
            }
            if (joined.len_bytes == 0 && size >= 0 && (uint64_t)size == len) {
                first = blk;                  /* whole member in one block: no copy */
                first_len = len;
                continue;
            }
            err = pb_bytes_append(&joined, blk, len);
            if (err != PB_OK)
                goto done;
        }
        bool split = first == NULL;
        const unsigned char *data = split ? joined.data : (const unsigned char *)first;
        size_t len = split ? joined.len_bytes : first_len;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            void *nd = realloc(digests, nc * sizeof(*digests));
            if (!nd) {
                err = PB_ERR_NOMEM;
                goto done;
            }
            digests = nd;
            cap = nc;
        }
        char fhex[PB_SHA256_HEX_BYTES];
        err = checksum_compute(bp, kp, data ? data : (const unsigned char *)"", len, fhex);
        if (err != PB_OK)
            goto done;
        err = bd_hex_decode(fhex, digests[n]);
        if (err != PB_OK)
            goto done;
        n++;
    }
    err = sum_checksum_compute(bp, kp, (const unsigned char (*)[PB_SHA256_BYTES])digests, n, hex);
done:
    pb_bytes_free(&joined);
    free(digests);
    archive_entry_free(e);
    archive_read_free(a);
    return err;
}

pb_err_t build_run(bufpool_t *bp, const kernel_params_t *kp, const build_input_t *in,
                   char hex[PB_SHA256_HEX_BYTES])
{
    if (!bp || !kp || !in || !hex || !in->context_dir || !in->image || !in->tag)
        return PB_ERR_INPUT;
    const char *dockerfile = in->dockerfile ? in->dockerfile : "Dockerfile";
    pb_bytes_t tar = { 0 }, docker = { 0 }, copy = { 0 };
    char *tag1 = NULL, *tag2 = NULL;
    char arch_hex[PB_SHA256_HEX_BYTES], sum_hex[PB_SHA256_HEX_BYTES];
    char docker_hex[PB_SHA256_HEX_BYTES], copy_hex[PB_SHA256_HEX_BYTES];
    EVP_MD_CTX *ctx = NULL;

    pb_err_t err = tar_create_dir(bp, kp, in->context_dir, TAR_CREATE_AUTO, in->cores, &tar);
    if (err != PB_OK)
        goto done;
    if (tar.len_bytes > kp->concurrent_min_bytes)
        err = checksum_concurrent_compute(bp, kp, tar.data, tar.len_bytes, in->threads, arch_hex);
    else
        err = checksum_compute(bp, kp, tar.data, tar.len_bytes, arch_hex);
    if (err != PB_OK)
        goto done;
    err = bd_file_sum(bp, kp, &tar, sum_hex);
    if (err != PB_OK)
        goto done;
    err = tar_read_member(bp, kp, tar.data, tar.len_bytes, dockerfile, &docker);
    if (err != PB_OK)
        goto done;
    err = bd_sha256_hex(docker.data, docker.len_bytes, docker_hex);
    if (err != PB_OK)
        goto done;
    err = tar_copy_archive(bp, kp, tar.data, tar.len_bytes, &copy);
    if (err != PB_OK)
        goto done;
    err = bd_sha256_hex(copy.data, copy.len_bytes, copy_hex);
    if (err != PB_OK)
        goto done;
    err = image_tag_build(bp, in->image, in->tag, &tag1);
    if (err != PB_OK)
        goto done;
    err = image_tag_build(bp, in->image, "latest", &tag2);
    if (err != PB_OK)
        goto done;

    ctx = EVP_MD_CTX_new();
    if (!ctx) {
        err = PB_ERR_NOMEM;
        goto done;
    }
    const char *lines[6] = { arch_hex, sum_hex, docker_hex, copy_hex, tag1, tag2 };
    int ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (int i = 0; i < 6 && ok == 1; i++) {
        ok = EVP_DigestUpdate(ctx, lines[i], strlen(lines[i]));
        if (ok == 1)
            ok = EVP_DigestUpdate(ctx, "\n", 1);
    }
    unsigned char md[PB_SHA256_BYTES];
    unsigned int mdl = 0;
    if (ok == 1)
        ok = EVP_DigestFinal_ex(ctx, md, &mdl);
    if (ok != 1 || mdl != PB_SHA256_BYTES) {
        err = PB_ERR_NOMEM;
        goto done;
    }
    pb_hex_encode(md, PB_SHA256_BYTES, hex);

done:
    EVP_MD_CTX_free(ctx);
    free(tag1);
    free(tag2);
    pb_bytes_free(&tar);
    pb_bytes_free(&docker);
    pb_bytes_free(&copy);
    return err;
}
