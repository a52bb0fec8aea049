/* tar_read.c: the tar_read kernel (the seed's readFileFromTar): one member's content.
 *
 * Reads headers in order with libarchive's tar reader (no compression filters) from
 * memory or from a file (read in 10 KiB blocks, member data skipped by seeking, as
 * archive_read_open_memory / archive_read_open_filename do; see tr_src_t for why the
 * readers are ours). The first member whose pathname equals `name`
 * exactly (like Go's header.Name == name) is read with archive_read_data into one `tar`
 * buffer, each read appended to out (pb_bytes_append, Go append growth).
 * Errors: member absent -> PB_ERR_NOT_FOUND; not a tar archive, a corrupt header or
 * truncated data -> PB_ERR_INPUT; an archive file that cannot be opened or read ->
 * PB_ERR_IO; allocation failure -> PB_ERR_NOMEM (libarchive's ENOMEM, or the ENOMEM
 * errno the failed allocation left, cleared before each call).
 * Contract: out must be empty on entry; on error it is left empty and nothing leaks.
 * Known limit: libarchive 3.6 itself calls exit(1) when an allocation inside its string
 * helpers fails; no caller can prevent that.
 * It must not: print, or return partial content as success.
 */
#define _GNU_SOURCE
#include "kernels.h"
#include "tar_io.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pb_err_t tr_find_in(bufpool_t *bp, struct archive *a, const char *name,
                           pb_bytes_t *out, struct archive_entry *e)
{
    for (;;) {
        errno = 0;
        int r = archive_read_next_header2(a, e);   /* own entry: see tar_io.h */
        if (r == ARCHIVE_EOF)
            return PB_ERR_NOT_FOUND;
        /* ARCHIVE_RETRY (a damaged header libarchive would skip) is above ARCHIVE_WARN:
         * a corrupt header, as Go's tar reader says (ErrHeader), not a member to skip */
        if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY)
            return tar_io_err(a, NULL, errno, PB_ERR_INPUT);
        const char *p = archive_entry_pathname(e);
        if (!p || strcmp(p, name) != 0)
            continue;                         /* the next header skips this data */
        bufpool_buf_t *buf = bufpool_get(bp, BUFPOOL_TAR);
        if (!buf)
            return PB_ERR_NOMEM;
        pb_err_t err = PB_OK;
        for (;;) {
            errno = 0;
            la_ssize_t n = archive_read_data(a, buf->data, buf->cap_bytes);
            if (n == 0)
                break;
            if (n < 0) {
                err = tar_io_err(a, NULL, errno, PB_ERR_INPUT);
                break;
            }
            err = pb_bytes_append(out, buf->data, (size_t)n);
            if (err != PB_OK)
                break;
        }
        bufpool_put(bp, buf);
        return err;
    }
}

static pb_err_t tr_find(bufpool_t *bp, struct archive *a, const char *name, pb_bytes_t *out)
{
    struct archive_entry *e = archive_entry_new2(a);
    if (!e)
        return PB_ERR_NOMEM;
    pb_err_t err = tr_find_in(bp, a, name, out, e);
    archive_entry_free(e);
    return err;
}

/* Readers of our own: libarchive 3.6's archive_read_open_memory and _filename leak
 * their client struct when archive_read_open1 fails to allocate, so the client state
 * lives on our stack. The memory reader hands out the whole buffer as one block (as
 * libarchive's does); the file reader reads TR_BLOCK_BYTES blocks into a buffer and
 * skips member data with lseek (as libarchive's does for regular files). */
#define TR_BLOCK_BYTES 10240

typedef struct tr_src {
    tar_io_mem_t mem;              /* memory: the archive (first: the mem callbacks) */
    int fd;                        /* file: descriptor and its block buffer        */
    unsigned char *block;
    bool seekable;
} tr_src_t;

static la_ssize_t tr_file_read(struct archive *a, void *client, const void **buf)
{
    tr_src_t *f = client;
    for (;;) {
        ssize_t n = read(f->fd, f->block, TR_BLOCK_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            archive_set_error(a, errno, "read error");
            return -1;
        }
        *buf = f->block;
        return (la_ssize_t)n;
    }
}

static la_int64_t tr_file_skip(struct archive *a, void *client, la_int64_t request)
{
    (void)a;
    tr_src_t *f = client;
    if (!f->seekable || request <= 0)
        return 0;                              /* libarchive then reads over the data */
    off_t cur = lseek(f->fd, 0, SEEK_CUR), end = lseek(f->fd, 0, SEEK_END);
    if (cur < 0 || end < 0) {
        f->seekable = false;
        return 0;
    }
    la_int64_t n = request < end - cur ? request : (la_int64_t)(end - cur);
    if (lseek(f->fd, cur + n, SEEK_SET) < 0) {
        f->seekable = false;
        return 0;
    }
    return n;
}

/* Opens the reader: from memory when path is NULL, else from the file. */
static pb_err_t tr_run(bufpool_t *bp, const unsigned char *archive, size_t archive_bytes,
                       const char *path, const char *name, pb_bytes_t *out)
{
    if (!bp || !name || !out || out->data || out->len_bytes || out->cap_bytes)
        return PB_ERR_INPUT;
    if (!path && !archive && archive_bytes > 0)
        return PB_ERR_INPUT;
    tr_src_t src = { { archive ? archive : (const unsigned char *)"", archive_bytes, 0 }, -1,
                     NULL, false };
    if (path) {
        src.fd = open(path, O_RDONLY | O_CLOEXEC);
        if (src.fd < 0)
            return errno == ENOMEM ? PB_ERR_NOMEM : PB_ERR_IO;
        struct stat st;
        if (fstat(src.fd, &st) != 0 || S_ISDIR(st.st_mode)) {
            close(src.fd);
            return PB_ERR_IO;
        }
        src.seekable = S_ISREG(st.st_mode);
        src.block = malloc(TR_BLOCK_BYTES);
        if (!src.block) {
            close(src.fd);
            return PB_ERR_NOMEM;
        }
    }
    pb_err_t err = PB_OK;
    errno = 0;
    struct archive *a = archive_read_new();
    if (!a) {
        err = PB_ERR_NOMEM;
        goto done;
    }
    int r = archive_read_support_format_tar(a);
    if (r != ARCHIVE_OK) {
        err = tar_io_err(a, NULL, errno, PB_ERR_LIB);
        goto done;
    }
    errno = 0;
    if (path)
        r = tar_io_read_open(a, &src, tr_file_read, tr_file_skip);
    else
        r = tar_io_read_open(a, &src, tar_io_mem_read, tar_io_mem_skip);
    if (r != ARCHIVE_OK) {
        /* opening reads the first block and bids: a bad archive is PB_ERR_INPUT,
         * a failing read PB_ERR_IO (libarchive reports format errors as EILSEQ) */
        int e = archive_errno(a);
        if (e == ENOMEM || errno == ENOMEM)
            err = PB_ERR_NOMEM;
        else if (path && e > 0 && e != EILSEQ && e != EINVAL)
            err = PB_ERR_IO;
        else
            err = PB_ERR_INPUT;
        goto done;
    }
    err = tr_find(bp, a, name, out);
done:
    if (a)
        archive_read_free(a);
    if (src.fd >= 0)
        close(src.fd);
    free(src.block);
    if (err != PB_OK)
        pb_bytes_free(out);
    return err;
}

pb_err_t tar_read_member(bufpool_t *bp, const kernel_params_t *kp,
                         const unsigned char *archive, size_t archive_bytes,
                         const char *name, pb_bytes_t *out)
{
    (void)kp;
    return tr_run(bp, archive, archive_bytes, NULL, name, out);
}

pb_err_t tar_read_member_file(bufpool_t *bp, const kernel_params_t *kp, const char *path,
                              const char *name, pb_bytes_t *out)
{
    (void)kp;
    if (!path)
        return PB_ERR_INPUT;
    return tr_run(bp, NULL, 0, path, name, out);
}
