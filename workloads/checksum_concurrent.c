/* checksum_concurrent.c: the checksum_concurrent kernel (Go ComputeChecksumConcurrent):
 * SHA-256 hex of the chunk digests (raw, 32 bytes each) concatenated in chunk order.
 * It is not the SHA-256 of the data.
 *
 * As in Go:
 *   - len <= concurrent_min_bytes (1 MiB): same as checksum;
 *   - workers below min_workers (2) become min_workers; chunk = len / workers, and if
 *     chunk < concurrent_min_chunk_bytes (4096): same as checksum;
 *   - there are `workers` chunks, the last one takes the remainder;
 *   - `workers` threads are started per call (Go starts goroutines per call); each
 *     takes chunk indices from a shared queue (an atomic counter stands in for Go's
 *     channel) and, per chunk, takes a `hash` buffer, copies the chunk into it one
 *     buffer-sized piece at a time hashing each piece (a fresh SHA-256 per chunk),
 *     stores the raw digest in the chunk's slot, and puts the buffer back.
 * Branch B (the hash class is the plain code, bufpool_plain): each worker hashes its
 * chunk straight from the data; the chunking and the hash of hashes stay.
 * Errors: the first failure in any worker (allocation, thread creation) stops the other
 * workers from taking new chunks and is returned once every thread has been joined;
 * nothing leaks. Must not: print, exit, time, or leave a thread running.
 */
#include "kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

/* checksum.c */
pb_err_t checksum_sha256_new(EVP_MD_CTX **out);
pb_err_t checksum_sha256_update(EVP_MD_CTX *ctx, const void *src, size_t n_bytes);
pb_err_t checksum_sha256_finish(EVP_MD_CTX *ctx, unsigned char digest[PB_SHA256_BYTES]);

typedef struct cc_job {
    bufpool_t *bp;
    const unsigned char *data;
    size_t len_bytes;
    size_t chunk_bytes;
    size_t chunk_count;
    unsigned char (*slots)[PB_SHA256_BYTES];
    atomic_size_t next_chunk;     /* the queue: next chunk index to hand out */
    atomic_int err;               /* first error, PB_OK while none           */
} cc_job_t;

/* Branch B: the chunk hashed straight from the data, no buffer, no copy. */
static pb_err_t cc_hash_chunk_plain(cc_job_t *job, size_t start, size_t end, size_t idx)
{
    EVP_MD_CTX *ctx = NULL;
    pb_err_t err = checksum_sha256_new(&ctx);
    if (err == PB_OK)
        err = checksum_sha256_update(ctx, job->data + start, end - start);
    if (err == PB_OK)
        return checksum_sha256_finish(ctx, job->slots[idx]);
    EVP_MD_CTX_free(ctx);
    return err;
}

static pb_err_t cc_hash_chunk(cc_job_t *job, size_t idx)
{
    size_t start = idx * job->chunk_bytes;
    size_t end = idx == job->chunk_count - 1 ? job->len_bytes : start + job->chunk_bytes;
    if (bufpool_plain(job->bp, BUFPOOL_HASH))
        return cc_hash_chunk_plain(job, start, end, idx);
    bufpool_buf_t *buf = bufpool_get(job->bp, BUFPOOL_HASH);
    if (!buf)
        return PB_ERR_NOMEM;
    size_t step = buf->cap_bytes;
    EVP_MD_CTX *ctx = NULL;
    pb_err_t err = step ? checksum_sha256_new(&ctx) : PB_ERR_INPUT;
    for (size_t off = start; err == PB_OK && off < end; off += step) {
        size_t n = end - off < step ? end - off : step;
        memcpy(buf->data, job->data + off, n);
        err = checksum_sha256_update(ctx, buf->data, n);
    }
    if (err == PB_OK)
        err = checksum_sha256_finish(ctx, job->slots[idx]);
    else
        EVP_MD_CTX_free(ctx);
    bufpool_put(job->bp, buf);
    return err;
}

static void cc_fail(cc_job_t *job, pb_err_t err)
{
    int expected = PB_OK;
    atomic_compare_exchange_strong(&job->err, &expected, (int)err);
}

static void *cc_worker(void *arg)
{
    cc_job_t *job = arg;
    while (atomic_load_explicit(&job->err, memory_order_relaxed) == PB_OK) {
        size_t idx = atomic_fetch_add(&job->next_chunk, 1);
        if (idx >= job->chunk_count)
            break;
        pb_err_t err = cc_hash_chunk(job, idx);
        if (err != PB_OK) {
            cc_fail(job, err);
            break;
        }
    }
    return NULL;
}

static pb_err_t cc_sum_slots(const cc_job_t *job, char hex[PB_SHA256_HEX_BYTES])
{
    EVP_MD_CTX *ctx;
    unsigned char digest[PB_SHA256_BYTES];
    pb_err_t err = checksum_sha256_new(&ctx);
    for (size_t i = 0; err == PB_OK && i < job->chunk_count; i++)
        err = checksum_sha256_update(ctx, job->slots[i], PB_SHA256_BYTES);
    if (err != PB_OK) {
        EVP_MD_CTX_free(ctx);
        return err;
    }
    err = checksum_sha256_finish(ctx, digest);
    if (err == PB_OK)
        pb_hex_encode(digest, PB_SHA256_BYTES, hex);
    return err;
}

pb_err_t checksum_concurrent_compute(bufpool_t *bp, const kernel_params_t *kp,
                                     const unsigned char *data, size_t len_bytes,
                                     int workers, char hex[PB_SHA256_HEX_BYTES])
{
    if (!bp || !kp || !hex || (!data && len_bytes))
        return PB_ERR_INPUT;
    if (len_bytes <= kp->concurrent_min_bytes)
        return checksum_compute(bp, kp, data, len_bytes, hex);
    if (workers < kp->min_workers)
        workers = kp->min_workers;
    if (workers < 1)
        return PB_ERR_INPUT;
    size_t chunk_bytes = len_bytes / (size_t)workers;
    if (chunk_bytes < kp->concurrent_min_chunk_bytes || chunk_bytes == 0)
        return checksum_compute(bp, kp, data, len_bytes, hex);

    cc_job_t job = {
        .bp = bp, .data = data, .len_bytes = len_bytes,
        .chunk_bytes = chunk_bytes, .chunk_count = (size_t)workers,
    };
    atomic_init(&job.next_chunk, 0);
    atomic_init(&job.err, PB_OK);
    job.slots = malloc(job.chunk_count * PB_SHA256_BYTES);
    pthread_t *threads = malloc(job.chunk_count * sizeof *threads);
    if (!job.slots || !threads) {
        free(job.slots);
        free(threads);
        return PB_ERR_NOMEM;
    }
    size_t started = 0;
    for (; started < job.chunk_count; started++) {
        if (pthread_create(&threads[started], NULL, cc_worker, &job) != 0) {
            cc_fail(&job, PB_ERR_NOMEM);
            break;
        }
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    pb_err_t err = (pb_err_t)atomic_load(&job.err);
    if (err == PB_OK)
        err = cc_sum_slots(&job, hex);
    free(job.slots);
    return err;
}
