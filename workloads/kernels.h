/* kernels.h: the workload kernels of KERNELS.md, faithful C ports of the Go code paths
 * that used pkg/memory. Every size and threshold named in KERNELS.md is a parameter with
 * Go's value as default (kernel_params_default). See workload.h for the rules kernels
 * follow. Each kernel lives in its own file (checksum.c, tar_create.c, ...).
 */
#ifndef PB_KERNELS_H
#define PB_KERNELS_H

#include <stdbool.h>
#include "workload.h"

typedef struct kernel_params {
    size_t checksum_direct_max_bytes;      /* 4096: at or below, hash directly, no pool  */
    size_t sum_checksum_pool_min_bytes;    /* 1024: above, a `small` buffer is held      */
    size_t concurrent_min_bytes;           /* 1 MiB: at or below, same as checksum       */
    size_t concurrent_min_chunk_bytes;     /* 4096: chunk below this: same as checksum   */
    int    min_workers;                    /* 2                                          */
    size_t tar_concurrent_files;           /* 20: more files -> concurrent variant       */
    size_t tar_concurrent_bytes;           /* 10 MiB: more bytes -> concurrent variant   */
    int    tar_max_workers;                /* 4: workers = min(cores, 4)                 */
    size_t tar_out_initial_bytes;          /* 64 KiB initial output buffer               */
} kernel_params_t;

void kernel_params_default(kernel_params_t *p);

/* checksum (Go ComputeChecksum): SHA-256 hex of data. */
pb_err_t checksum_compute(bufpool_t *bp, const kernel_params_t *kp,
                          const unsigned char *data, size_t len_bytes,
                          char hex[PB_SHA256_HEX_BYTES]);

/* sum_checksum (Go SumChecksum): SHA-256 hex over n 32-byte digests in order. */
pb_err_t sum_checksum_compute(bufpool_t *bp, const kernel_params_t *kp,
                              const unsigned char (*digests)[PB_SHA256_BYTES], size_t n,
                              char hex[PB_SHA256_HEX_BYTES]);

/* checksum_concurrent (Go ComputeChecksumConcurrent): hash of chunk hashes with
 * `workers` threads (below min_workers becomes min_workers). */
pb_err_t checksum_concurrent_compute(bufpool_t *bp, const kernel_params_t *kp,
                                     const unsigned char *data, size_t len_bytes,
                                     int workers, char hex[PB_SHA256_HEX_BYTES]);

typedef enum tar_create_mode {
    TAR_CREATE_AUTO = 0,       /* Go TarDir: choose by file count and total size */
    TAR_CREATE_SEQ,
    TAR_CREATE_CONCURRENT
} tar_create_mode_t;

/* tar_create (Go TarDir): archive the regular files under root into out (ustar/pax as
 * libarchive writes them, names relative to root with '/'). `cores` bounds workers. */
pb_err_t tar_create_dir(bufpool_t *bp, const kernel_params_t *kp, const char *root,
                        tar_create_mode_t mode, int cores, pb_bytes_t *out);

/* tar_read (readFileFromTar): content of member `name` from an archive in memory.
 * PB_ERR_NOT_FOUND when absent. */
pb_err_t tar_read_member(bufpool_t *bp, const kernel_params_t *kp,
                         const unsigned char *archive, size_t archive_bytes,
                         const char *name, pb_bytes_t *out);
/* Same, from an archive file on disk (seeking where libarchive can). */
pb_err_t tar_read_member_file(bufpool_t *bp, const kernel_params_t *kp, const char *path,
                              const char *name, pb_bytes_t *out);

/* tar_copy (io.CopyBuffer with a pooled tar buffer): copy every entry to a new archive. */
pb_err_t tar_copy_archive(bufpool_t *bp, const kernel_params_t *kp,
                          const unsigned char *archive, size_t archive_bytes,
                          pb_bytes_t *out);

/* image_tag (Go ImageURI / BuildKey): image ":" tag into a new NUL-terminated string
 * the caller frees with free(). Pooled path builds in a `string` builder and copies out. */
pb_err_t image_tag_build(bufpool_t *bp, const char *image, const char *tag, char **out);

/* build: one container build composed of the kernels (KERNELS.md "build"). The result is
 * the SHA-256 hex over the concatenated results of its steps, in order. */
typedef struct build_input {
    const char *context_dir;       /* must contain the Dockerfile member               */
    const char *dockerfile;        /* member name, default "Dockerfile"                */
    const char *image;
    const char *tag;
    int threads;                   /* hashing workers                                  */
    int cores;                     /* bounds tar workers                               */
} build_input_t;
pb_err_t build_run(bufpool_t *bp, const kernel_params_t *kp, const build_input_t *in,
                   char hex[PB_SHA256_HEX_BYTES]);

#endif
