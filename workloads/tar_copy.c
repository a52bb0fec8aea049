/* tar_copy.c: the tar_copy kernel (Go io.CopyBuffer with a pooled `tar` buffer).
 *
 * One `tar` buffer is taken for the whole copy. The source archive (in memory, tar
 * formats only, no compression) is read entry by entry; each header is written to a new
 * in-memory archive (pax-restricted, unblocked, like tar_create) and the entry's data
 * is moved with archive_read_data into the buffer and archive_write_data out of it.
 * The buffer is put back at the end. The output starts at kp->tar_out_initial_bytes
 * (Go's bytes.Buffer preallocated like TarDir's) and grows with pb_bytes_append.
 * The copy keeps every header field libarchive reads (names, modes, owners, times, link
 * targets), so it lists and extracts like the source.
 * Errors: not a tar archive or corrupt -> PB_ERR_INPUT; allocation failure ->
 * PB_ERR_NOMEM; another libarchive write failure -> PB_ERR_LIB.
 * Contract: out must be empty on entry; on error it is left empty and nothing leaks.
 * Known limit: libarchive 3.6 itself calls exit(1) when an allocation inside its string
 * helpers fails.
 * It must not: print, or hold the buffer beyond the call.
 */
#define _GNU_SOURCE
#include "kernels.h"
#include "tar_io.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>


static pb_err_t tp_copy_loop(struct archive *in, struct archive *w, tar_io_sink_t *sink,
                             bufpool_buf_t *buf, struct archive_entry *e)
{
    for (;;) {
        errno = 0;
        int r = archive_read_next_header2(in, e);   /* own entry: see tar_io.h */
        if (r == ARCHIVE_EOF)
            return PB_OK;
        /* ARCHIVE_RETRY (a damaged header libarchive would skip) is above ARCHIVE_WARN
         * but gives no entry: a corrupt archive, as Go's tar reader says (ErrHeader) */
        if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY)
            return tar_io_err(in, NULL, errno, PB_ERR_INPUT);
        /* a sparse entry cannot be copied as Go's tar.Writer cannot write one; libarchive
         * also reads a sparse map out of the spare fields of an old-GNU regular-file
         * header, and its pax writer then writes GNU.sparse records its own reader
         * refuses (found by fuzz_tar_copy: a copy that is not an archive): bad input */
        if (archive_entry_sparse_count(e) > 0)
            return PB_ERR_INPUT;
        errno = 0;
        r = archive_write_header(w, e);
        if (r < ARCHIVE_WARN)
            return tar_io_err(w, sink, errno, PB_ERR_LIB);
        int64_t copied_bytes = 0;
        for (;;) {
            errno = 0;
            la_ssize_t n = archive_read_data(in, buf->data, buf->cap_bytes);
            if (n == 0)
                break;
            if (n < 0)
                return tar_io_err(in, NULL, errno, PB_ERR_INPUT);
            errno = 0;
            la_ssize_t m = archive_write_data(w, buf->data, (size_t)n);
            if (m < 0)
                return tar_io_err(w, sink, errno, PB_ERR_LIB);
            copied_bytes += n;
            if (m != n) {
                /* pax-restricted stores no data for hard links or non-regular files (as
                 * GNU tar): drop it */
                if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFREG)
                    continue;
                /* more data than the entry's size: an old-GNU header whose realsize field
                 * (which libarchive takes as the size) disagrees with its size field, the
                 * data's length; the writer was told the smaller one (found by
                 * fuzz_tar_copy): bad input */
                if (copied_bytes > archive_entry_size(e))
                    return PB_ERR_INPUT;
                /* otherwise the short write is libarchive 3.6's pax writer having lost its
                 * block list to a failed allocation in archive_write_header */
                return PB_ERR_NOMEM;
            }
        }
        errno = 0;
        r = archive_write_finish_entry(w);
        if (r < ARCHIVE_WARN)
            return tar_io_err(w, sink, errno, PB_ERR_LIB);
    }
}

static pb_err_t tp_copy_entries(struct archive *in, struct archive *w, tar_io_sink_t *sink,
                                bufpool_buf_t *buf)
{
    struct archive_entry *e = archive_entry_new2(in);
    if (!e)
        return PB_ERR_NOMEM;
    pb_err_t err = tp_copy_loop(in, w, sink, buf, e);
    archive_entry_free(e);
    return err;
}

pb_err_t tar_copy_archive(bufpool_t *bp, const kernel_params_t *kp,
                          const unsigned char *archive, size_t archive_bytes,
                          pb_bytes_t *out)
{
    if (!bp || !kp || !out || out->data || out->len_bytes || out->cap_bytes)
        return PB_ERR_INPUT;
    if (!archive && archive_bytes > 0)
        return PB_ERR_INPUT;
    tar_io_sink_t sink = { out, PB_OK };
    tar_io_mem_t mem = { archive, archive_bytes, 0 };
    struct archive *in = NULL, *w = NULL;
    bufpool_buf_t *buf = NULL;
    pb_err_t err = pb_bytes_reserve(out, kp->tar_out_initial_bytes);
    if (err != PB_OK)
        goto done;

    errno = 0;
    in = archive_read_new();
    if (!in) {
        err = PB_ERR_NOMEM;
        goto done;
    }
    if (archive_read_support_format_tar(in) != ARCHIVE_OK) {
        err = tar_io_err(in, NULL, errno, PB_ERR_LIB);
        goto done;
    }
    errno = 0;
    if (tar_io_read_open(in, &mem, tar_io_mem_read, tar_io_mem_skip) != ARCHIVE_OK) {
        err = tar_io_err(in, NULL, errno, PB_ERR_INPUT);
        goto done;
    }

    errno = 0;
    w = archive_write_new();
    if (!w) {
        err = PB_ERR_NOMEM;
        goto done;
    }
    int r = archive_write_set_format_pax_restricted(w);
    if (r == ARCHIVE_OK)
        r = archive_write_set_bytes_per_block(w, 0);
    if (r == ARCHIVE_OK)
        r = archive_write_open2(w, &sink, NULL, tar_io_write, NULL, NULL);
    if (r != ARCHIVE_OK) {
        err = tar_io_err(w, &sink, errno, PB_ERR_LIB);
        goto done;
    }

    buf = bufpool_get(bp, BUFPOOL_TAR);
    if (!buf) {
        err = PB_ERR_NOMEM;
        goto done;
    }
    err = tp_copy_entries(in, w, &sink, buf);
    bufpool_put(bp, buf);
    buf = NULL;
    if (err == PB_OK) {
        errno = 0;
        if (archive_write_close(w) != ARCHIVE_OK)
            err = tar_io_err(w, &sink, errno, PB_ERR_LIB);
    }

done:
    /* closing the writer pads an entry cut short by a read error to the size its header
     * declared (a fuzzed header said 2^64-1 bytes: the copy padded zeros until memory ran
     * out); with the sink failed it stops at once */
    if (err != PB_OK && sink.err == PB_OK)
        sink.err = err;
    if (w && err != PB_OK)
        tar_io_write_abandon(w);
    else if (w)
        archive_write_free(w);
    if (in)
        archive_read_free(in);
    if (err != PB_OK)
        pb_bytes_free(out);
    return err;
}
