/* tar_io.c: see tar_io.h. */
#include "tar_io.h"

#include <errno.h>
#include <stdint.h>

la_ssize_t tar_io_mem_read(struct archive *a, void *client, const void **buf)
{
    (void)a;
    tar_io_mem_t *m = client;
    *buf = m->p + m->off_bytes;
    size_t n = m->len_bytes - m->off_bytes;
    m->off_bytes = m->len_bytes;
    return (la_ssize_t)n;
}

la_int64_t tar_io_mem_skip(struct archive *a, void *client, la_int64_t request)
{
    (void)a;
    tar_io_mem_t *m = client;
    size_t left = m->len_bytes - m->off_bytes;
    size_t n = request < 0 ? 0 : ((uint64_t)request < left ? (size_t)request : left);
    m->off_bytes += n;
    return (la_int64_t)n;
}

la_ssize_t tar_io_write(struct archive *a, void *client, const void *buf, size_t n)
{
    tar_io_sink_t *s = client;
    if (s->err != PB_OK) {
        /* the kernel gave up (or a write failed): refuse, so that libarchive's close on
         * the error path cannot pad a cut entry out to its declared size */
        archive_set_error(a, ECANCELED, "output abandoned after an error");
        return -1;
    }
    pb_err_t err = pb_bytes_append(s->out, buf, n);
    if (err != PB_OK) {
        if (s->err == PB_OK)
            s->err = err;
        archive_set_error(a, ENOMEM, "output buffer: out of memory");
        return -1;
    }
    return (la_ssize_t)n;
}

pb_err_t tar_io_err(struct archive *a, const tar_io_sink_t *sink, int saved_errno,
                    pb_err_t otherwise)
{
    if (sink && sink->err != PB_OK)
        return sink->err;
    if ((a && archive_errno(a) == ENOMEM) || saved_errno == ENOMEM)
        return PB_ERR_NOMEM;
    return otherwise;
}

void tar_io_write_abandon(struct archive *a)
{
    if (!a)
        return;
    archive_write_close(a);   /* result ignored: the archive is discarded */
    archive_write_free(a);
}

int tar_io_read_open(struct archive *a, void *client, archive_read_callback *read,
                     archive_skip_callback *skip)
{
    int r = archive_read_set_read_callback(a, read);
    if (r == ARCHIVE_OK)
        r = archive_read_set_skip_callback(a, skip);
    if (r == ARCHIVE_OK)
        r = archive_read_set_callback_data(a, client);   /* allocates: may fail */
    if (r == ARCHIVE_OK)
        r = archive_read_open1(a);
    return r;
}
