/* atomic_file.c: temporary name, fsync, rename (atomic_file.h).
 *
 * For: every report output (report.md, report-full.md, report.html, summary.json,
 * summary.md, samples.csv, bench.txt).
 * Guarantees: the final name is replaced only by a complete, fsync'd file; every
 * stdio and system call on the way is checked (EINTR retried).
 * Must not: print or exit.
 */
#define _GNU_SOURCE
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int atomic_file_fsync(int fd)
{
    int rc;
    do
        rc = fsync(fd);
    while (rc != 0 && errno == EINTR);
    return rc;
}

int atomic_file_open(atomic_file_t *af, const char *path, char *err, size_t err_cap)
{
    memset(af, 0, sizeof *af);
    if (snprintf(af->path, sizeof af->path, "%s", path) >= (int)sizeof af->path ||
        snprintf(af->tmp, sizeof af->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof af->tmp) {
        snprintf(err, err_cap, "%s: path too long", path);
        return -1;
    }
    int fd = mkostemp(af->tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_cap, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    (void)fchmod(fd, 0644);   /* mkstemp makes 0600; the outputs stay readable as before */
    af->f = fdopen(fd, "w");
    if (!af->f) {
        snprintf(err, err_cap, "%s: cannot write: %s", path, strerror(errno));
        close(fd);
        unlink(af->tmp);
        return -1;
    }
    return 0;
}

void atomic_file_abort(atomic_file_t *af)
{
    if (af->f) {
        fclose(af->f);
        af->f = NULL;
        unlink(af->tmp);
    }
}

/* fsyncs the folder holding path, so the rename itself survives a crash */
static int atomic_file_sync_dir(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = atomic_file_fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int atomic_file_commit(atomic_file_t *af, char *err, size_t err_cap)
{
    if (!af->f) {
        snprintf(err, err_cap, "%s: not open", af->path);
        return -1;
    }
    int e = 0;
    if (fflush(af->f) != 0)
        e = errno ? errno : EIO;
    else if (ferror(af->f))
        e = errno ? errno : EIO;   /* an earlier write failed; errno says why when it can */
    else if (atomic_file_fsync(fileno(af->f)) != 0)
        e = errno;
    if (fclose(af->f) != 0 && !e)
        e = errno ? errno : EIO;
    af->f = NULL;
    if (e) {
        unlink(af->tmp);
        snprintf(err, err_cap, "%s: write failed: %s (the previous %s, if any, is unchanged)",
                 af->path, strerror(e), af->path);
        return -1;
    }
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        unlink(af->tmp);
        snprintf(err, err_cap, "%s: cannot rename %s over it: %s", af->path, af->tmp,
                 strerror(e));
        return -1;
    }
    if (atomic_file_sync_dir(af->path) != 0) {
        snprintf(err, err_cap, "%s: written, but its folder cannot be synced: %s", af->path,
                 strerror(errno));
        return -1;
    }
    return 0;
}
