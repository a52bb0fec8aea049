/* tar_io.h: what the tar kernels share around libarchive: an in-memory archive source,
 * an in-memory archive sink, and the mapping of a failed libarchive call to pb_err_t.
 *
 * The source replaces archive_read_open_memory, which in libarchive 3.6 leaks its client
 * struct when archive_read_open1 fails to allocate: here the client state lives with the
 * caller. Like libarchive's, it hands out the whole buffer as one block. The sink appends
 * to a pb_bytes_t with Go append growth (the kernels' output buffer).
 * Readers walk the headers with archive_read_next_header2 and an entry of their own:
 * libarchive 3.6's archive_read_new ignores a failed allocation of its internal entry,
 * and archive_read_next_header then crashes on it (a NULL entry).
 * Readers are opened with tar_io_read_open, not archive_read_open2, which in libarchive
 * 3.6 ignores a failed allocation in archive_read_set_callback_data and then crashes in
 * archive_read_open1 (a NULL client data set).
 * An abandoned writer is closed before it is freed: libarchive 3.6's archive_write_free
 * skips the close of an archive in the fatal state, and the close is what frees the
 * client filter's state and block buffer (64 bytes leaked per failed archive otherwise).
 */
#ifndef PB_TAR_IO_H
#define PB_TAR_IO_H

#include <archive.h>
#include "workload.h"

typedef struct tar_io_mem {
    const unsigned char *p;
    size_t len_bytes, off_bytes;
} tar_io_mem_t;

/* archive_read_open2 callbacks; client is a tar_io_mem_t (or a struct starting with one). */
la_ssize_t tar_io_mem_read(struct archive *a, void *client, const void **buf);
la_int64_t tar_io_mem_skip(struct archive *a, void *client, la_int64_t request);

typedef struct tar_io_sink {
    pb_bytes_t *out;
    pb_err_t err;          /* first failure of the write callback, or the error the
                            * kernel gave up with; once set, every write fails         */
} tar_io_sink_t;

/* archive_write_open2 callback; client is a tar_io_sink_t. */
la_ssize_t tar_io_write(struct archive *a, void *client, const void *buf, size_t n);

/* A failed libarchive call on a: the sink's own error when it has one, else
 * PB_ERR_NOMEM when archive_errno(a) or saved_errno (the errno the failing allocation
 * left) is ENOMEM, else `otherwise` (PB_ERR_INPUT for a bad source, PB_ERR_LIB ...). */
pb_err_t tar_io_err(struct archive *a, const tar_io_sink_t *sink, int saved_errno,
                    pb_err_t otherwise);

/* archive_read_open2(a, client, NULL, read, skip, NULL), with every step checked (see
 * above). Returns ARCHIVE_OK or an error code of libarchive's. */
int tar_io_read_open(struct archive *a, void *client, archive_read_callback *read,
                     archive_skip_callback *skip);

/* Frees a writer given up after an error (see above); its output is to be discarded. */
void tar_io_write_abandon(struct archive *a);

#endif
