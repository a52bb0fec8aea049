/* tar_create.c: the tar_create kernel (Go TarDir): a directory tree into an in-memory tar.
 *
 * Walk: pre-order, names sorted bytewise within each directory (Go filepath.Walk), lstat
 * on every name; regular files are collected with their stat, everything else (symlinks,
 * devices, sockets) is skipped and directories are descended but not written.
 * Mode AUTO picks the concurrent variant for more than kp->tar_concurrent_files files
 * or more than kp->tar_concurrent_bytes bytes, else the sequential one.
 * Entries: name = path relative to root with '/', metadata from the walk's lstat
 * (archive_entry_copy_stat; uname/gname stay unset, so no NSS look-ups), written in
 * libarchive's pax-restricted format (ustar unless a field needs a pax header, as Go's
 * tar.Writer does) and unblocked (bytes_per_block 0: every write goes straight to the
 * output like Go's tar.Writer into a bytes.Buffer; the archive ends with two zero blocks).
 * Output: out grows with pb_bytes_append (Go append growth) from an initial capacity of
 * kp->tar_out_initial_bytes (sequential) or max(64 KiB, total/4) (concurrent).
 * Sequential: one `tar` buffer for the whole walk; every file is read (read(2) loop)
 * into it and passed to archive_write_data.
 * Concurrent: min(cores, kp->tar_max_workers) threads take files from a shared index;
 * per file: get a `tar` buffer, read into it, append each read to the file's own
 * pb_bytes_t (starting empty), put the buffer back. Every content is held until the
 * archive is written, in walk order, from memory: peak memory about twice the context.
 * A file whose size changed since the walk is PB_ERR_IO.
 * Contract: out must be empty on entry; on error it is left empty and nothing leaks.
 * It must not: print, follow symlinks, look up user or group names, or free early what
 * Go holds (the all-contents-in-memory peak is what is measured).
 */
#define _GNU_SOURCE
#include "kernels.h"
#include "tar_io.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- walk */

typedef struct tc_file {
    char *rel;             /* relative path with '/' */
    struct stat st;
} tc_file_t;

typedef struct tc_walk {
    tc_file_t *files;
    size_t count, cap;
    uint64_t total_bytes;
} tc_walk_t;

static void tc_walk_free(tc_walk_t *w)
{
    for (size_t i = 0; i < w->count; i++)
        free(w->files[i].rel);
    free(w->files);
    memset(w, 0, sizeof(*w));
}

static pb_err_t tc_errno(int e)
{
    return e == ENOMEM ? PB_ERR_NOMEM : PB_ERR_IO;
}

static int tc_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *tc_join(const char *prefix, const char *name)
{
    size_t pl = prefix ? strlen(prefix) : 0, nl = strlen(name);
    char *s = malloc(pl + nl + 2);
    if (!s)
        return NULL;
    if (pl) {
        memcpy(s, prefix, pl);
        s[pl] = '/';
        memcpy(s + pl + 1, name, nl + 1);
    } else {
        memcpy(s, name, nl + 1);
    }
    return s;
}

/* Walks the directory `prefix` (NULL: the root) relative to rootfd. */
static pb_err_t tc_walk_dir(int rootfd, const char *prefix, tc_walk_t *w)
{
    int fd = openat(rootfd, prefix ? prefix : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return tc_errno(errno);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return tc_errno(e);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    pb_err_t err = PB_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                err = tc_errno(errno);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof(*names));
            if (!nn) {
                err = PB_ERR_NOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        names[n] = strdup(de->d_name);
        if (!names[n]) {
            err = PB_ERR_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (err == PB_OK && n > 1)
        qsort(names, n, sizeof(*names), tc_cmp_names);
    for (size_t i = 0; i < n && err == PB_OK; i++) {
        char *rel = tc_join(prefix, names[i]);
        if (!rel) {
            err = PB_ERR_NOMEM;
            break;
        }
        struct stat st;
        if (fstatat(rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            err = tc_errno(errno);
            free(rel);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            err = tc_walk_dir(rootfd, rel, w);
            free(rel);
        } else if (S_ISREG(st.st_mode)) {
            if (w->count == w->cap) {
                size_t nc = w->cap ? w->cap * 2 : 64;
                tc_file_t *nf = realloc(w->files, nc * sizeof(*nf));
                if (!nf) {
                    err = PB_ERR_NOMEM;
                    free(rel);
                    break;
                }
                w->files = nf;
                w->cap = nc;
            }
            w->files[w->count].rel = rel;
            w->files[w->count].st = st;
            w->count++;
            w->total_bytes += (uint64_t)st.st_size;
        } else {
            free(rel);                         /* symlinks and the rest: skipped */
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return err;
}

/* ---------------------------------------------------------------- archive output */

static pb_err_t tc_writer_open(struct archive **ap, tar_io_sink_t *sink)
{
    errno = 0;
    struct archive *a = archive_write_new();
    if (!a)
        return PB_ERR_NOMEM;
    int r = archive_write_set_format_pax_restricted(a);
    if (r == ARCHIVE_OK)
        r = archive_write_set_bytes_per_block(a, 0);
    if (r == ARCHIVE_OK)
        r = archive_write_open2(a, sink, NULL, tar_io_write, NULL, NULL);
    if (r != ARCHIVE_OK) {
        pb_err_t err = tar_io_err(a, sink, errno, PB_ERR_LIB);
        tar_io_write_abandon(a);
        return err;
    }
    *ap = a;
    return PB_OK;
}

static pb_err_t tc_write_header(struct archive *a, tar_io_sink_t *sink, const tc_file_t *f)
{
    errno = 0;
    struct archive_entry *e = archive_entry_new2(a);
    if (!e)
        return PB_ERR_NOMEM;
    archive_entry_copy_stat(e, &f->st);
    archive_entry_set_uname(e, NULL);
    archive_entry_set_gname(e, NULL);
    archive_entry_copy_pathname(e, f->rel);
    pb_err_t err = PB_OK;
    if (!archive_entry_pathname(e)) {
        err = PB_ERR_NOMEM;
    } else {
        int r = archive_write_header(a, e);
        if (r < ARCHIVE_WARN)
            err = tar_io_err(a, sink, errno, PB_ERR_LIB);
    }
    archive_entry_free(e);
    return err;
}

static pb_err_t tc_write_data(struct archive *a, tar_io_sink_t *sink, const void *p, size_t n)
{
    errno = 0;
    la_ssize_t w = archive_write_data(a, p, n);
    if (w < 0)
        return tar_io_err(a, sink, errno, PB_ERR_LIB);
    /* Callers never pass more than the header's size, so a short write has one cause:
     * libarchive 3.6's pax writer ignores a failed allocation of its block list in
     * archive_write_header and then accepts no data (an allocation failure). */
    if ((size_t)w != n)
        return PB_ERR_NOMEM;
    return PB_OK;
}

static pb_err_t tc_writer_close(struct archive *a, tar_io_sink_t *sink)
{
    errno = 0;
    int r = archive_write_close(a);
    pb_err_t err = r == ARCHIVE_OK ? PB_OK : tar_io_err(a, sink, errno, PB_ERR_LIB);
    archive_write_free(a);
    return err;
}

/* ---------------------------------------------------------------- sequential */

static pb_err_t tc_sequential(bufpool_t *bp, const kernel_params_t *kp, int rootfd,
                              const tc_walk_t *w, pb_bytes_t *out)
{
    pb_err_t err = pb_bytes_reserve(out, kp->tar_out_initial_bytes);
    if (err != PB_OK)
        return err;
    tar_io_sink_t sink = { out, PB_OK };
    struct archive *a = NULL;
    err = tc_writer_open(&a, &sink);
    if (err != PB_OK)
        return err;
    bufpool_buf_t *buf = bufpool_get(bp, BUFPOOL_TAR);
    if (!buf)
        err = PB_ERR_NOMEM;
    for (size_t i = 0; i < w->count && err == PB_OK; i++) {
        const tc_file_t *f = &w->files[i];
        int fd = openat(rootfd, f->rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            err = tc_errno(errno);
            break;
        }
        err = tc_write_header(a, &sink, f);
        uint64_t got = 0;
        while (err == PB_OK) {
            ssize_t n = read(fd, buf->data, buf->cap_bytes);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                err = tc_errno(errno);
                break;
            }
            if (n == 0)
                break;
            got += (uint64_t)n;
            if (got > (uint64_t)f->st.st_size) {
                err = PB_ERR_IO;               /* grew since the walk */
                break;
            }
            err = tc_write_data(a, &sink, buf->data, (size_t)n);
        }
        if (err == PB_OK && got != (uint64_t)f->st.st_size)
            err = PB_ERR_IO;                   /* shrank since the walk */
        close(fd);
    }
    if (buf)
        bufpool_put(bp, buf);
    if (err == PB_OK) {
        err = tc_writer_close(a, &sink);
    } else {
        tar_io_write_abandon(a);
    }
    return err;
}

/* ---------------------------------------------------------------- concurrent */

typedef struct tc_conc {
    bufpool_t *bp;
    int rootfd;
    const tc_walk_t *w;
    pb_bytes_t *contents;        /* one per file, in walk order */
    atomic_size_t next;
    atomic_int err;              /* first error (pb_err_t), PB_OK while none */
} tc_conc_t;

static pb_err_t tc_read_whole(tc_conc_t *c, size_t i)
{
    const tc_file_t *f = &c->w->files[i];
    int fd = openat(c->rootfd, f->rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return tc_errno(errno);
    pb_err_t err = PB_OK;
    bufpool_buf_t *buf = bufpool_get(c->bp, BUFPOOL_TAR);
    if (!buf)
        err = PB_ERR_NOMEM;
    while (err == PB_OK) {
        ssize_t n = read(fd, buf->data, buf->cap_bytes);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = tc_errno(errno);
            break;
        }
        if (n == 0)
            break;
        err = pb_bytes_append(&c->contents[i], buf->data, (size_t)n);
    }
    if (buf)
        bufpool_put(c->bp, buf);
    close(fd);
    if (err == PB_OK && c->contents[i].len_bytes != (uint64_t)f->st.st_size)
        err = PB_ERR_IO;                       /* changed since the walk */
    return err;
}

static void *tc_worker(void *arg)
{
    tc_conc_t *c = arg;
    for (;;) {
        if (atomic_load(&c->err) != PB_OK)
            break;
        size_t i = atomic_fetch_add(&c->next, 1);
        if (i >= c->w->count)
            break;
        pb_err_t err = tc_read_whole(c, i);
        if (err != PB_OK) {
            int expected = PB_OK;
            atomic_compare_exchange_strong(&c->err, &expected, (int)err);
            break;
        }
    }
    return NULL;
}

static pb_err_t tc_concurrent(bufpool_t *bp, const kernel_params_t *kp, int rootfd,
                              const tc_walk_t *w, int cores, pb_bytes_t *out)
{
    uint64_t want = w->total_bytes / 4;
    if (want < 64 * 1024)
        want = 64 * 1024;
    if (want > SIZE_MAX)
        return PB_ERR_NOMEM;
    pb_err_t err = pb_bytes_reserve(out, (size_t)want);
    if (err != PB_OK)
        return err;

    tc_conc_t c;
    memset(&c, 0, sizeof(c));
    c.bp = bp;
    c.rootfd = rootfd;
    c.w = w;
    atomic_init(&c.next, 0);
    atomic_init(&c.err, PB_OK);
    c.contents = calloc(w->count ? w->count : 1, sizeof(*c.contents));
    if (!c.contents)
        return PB_ERR_NOMEM;

    int workers = cores < kp->tar_max_workers ? cores : kp->tar_max_workers;
    if (workers < 1)
        workers = 1;
    pthread_t tids[64];
    if (workers > 64)
        workers = 64;
    int started = 0;
    for (; started < workers; started++)
        if (pthread_create(&tids[started], NULL, tc_worker, &c) != 0)
            break;
    if (started < workers)
        tc_worker(&c);         /* a thread could not start: the caller takes its share */
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    err = (pb_err_t)atomic_load(&c.err);

    if (err == PB_OK) {
        tar_io_sink_t sink = { out, PB_OK };
        struct archive *a = NULL;
        err = tc_writer_open(&a, &sink);
        for (size_t i = 0; i < w->count && err == PB_OK; i++) {
            err = tc_write_header(a, &sink, &w->files[i]);
            if (err == PB_OK && c.contents[i].len_bytes > 0)
                err = tc_write_data(a, &sink, c.contents[i].data, c.contents[i].len_bytes);
        }
        if (a) {
            if (err == PB_OK)
                err = tc_writer_close(a, &sink);
            else
                tar_io_write_abandon(a);
        }
    }
    for (size_t i = 0; i < w->count; i++)
        pb_bytes_free(&c.contents[i]);
    free(c.contents);
    return err;
}

/* ---------------------------------------------------------------- entry point */

pb_err_t tar_create_dir(bufpool_t *bp, const kernel_params_t *kp, const char *root,
                        tar_create_mode_t mode, int cores, pb_bytes_t *out)
{
    if (!bp || !kp || !root || !out || out->data || out->len_bytes || out->cap_bytes)
        return PB_ERR_INPUT;
    if (mode != TAR_CREATE_AUTO && mode != TAR_CREATE_SEQ && mode != TAR_CREATE_CONCURRENT)
        return PB_ERR_INPUT;
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return errno == ENOTDIR ? PB_ERR_INPUT : tc_errno(errno);
    if (cores <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cores = n > 0 ? (int)n : 1;
    }

    tc_walk_t w;
    memset(&w, 0, sizeof(w));
    pb_err_t err = tc_walk_dir(rootfd, NULL, &w);
    if (err == PB_OK) {
        if (mode == TAR_CREATE_AUTO)
            mode = (w.count > kp->tar_concurrent_files || w.total_bytes > kp->tar_concurrent_bytes)
                   ? TAR_CREATE_CONCURRENT : TAR_CREATE_SEQ;
        if (mode == TAR_CREATE_SEQ)
            err = tc_sequential(bp, kp, rootfd, &w, out);
        else
            err = tc_concurrent(bp, kp, rootfd, &w, cores, out);
    }
    tc_walk_free(&w);
    close(rootfd);
    if (err != PB_OK)
        pb_bytes_free(out);
    return err;
}
