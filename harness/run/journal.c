/* journal.c: reading, appending, locking and cross-checking results.jsonl (journal.h).
 *
 * For: the one reader and writer of the journal's lines; journal_load reads the file,
 * files each line (context, cell, correction), dedupes cells by key and applies the
 * corrections.
 * Guarantees: every error names the file and line; a partial last line is skipped and
 * reported, never an error; an append first cuts off a partial last line (so two records
 * never share a line), writes the line (one write(2) unless cut short, EINTR retried),
 * fsyncs, and on a failed write cuts the file back to where it was.
 * Must not: print, exit, decide anything about the cells it reads.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_keyp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *jstr(json_object *o, const char *field)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, field, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

int journal_has(const journal_t *j, const char *key)
{
    if (!j || !j->sorted_keys || j->n_cells == 0)
        return 0;
    return bsearch(&key, j->sorted_keys, j->n_cells, sizeof *j->sorted_keys, cmp_keyp) != NULL;
}

void journal_free(journal_t *j)
{
    if (j->context)
        json_object_put(j->context);
    for (size_t i = 0; i < j->n_cells; i++)
        json_object_put(j->cells[i]);
    free(j->cells);
    for (size_t i = 0; i < j->n_looks; i++)
        json_object_put(j->looks[i]);
    free(j->looks);
    free(j->sorted_keys);
    memset(j, 0, sizeof *j);
}

static json_object *find_cell(journal_t *j, const char *key)
{
    const char **hit = bsearch(&key, j->sorted_keys, j->n_cells, sizeof *j->sorted_keys, cmp_keyp);
    if (!hit)
        return NULL;
    for (size_t i = 0; i < j->n_cells; i++)
        if (jstr(j->cells[i], "key") == *hit)
            return j->cells[i];
    return NULL;
}

static void apply_correction(json_object *cell, json_object *corr)
{
    const char *st = jstr(corr, "status");
    const char *ex = jstr(corr, "expected");
    json_object_object_add(cell, "status", json_object_new_string(st ? st : "wrong_result"));
    if (ex)
        json_object_object_add(cell, "expected", json_object_new_string(ex));
}

/* Reads the whole file into a NUL-terminated malloc'd buffer. Returns 0 or -1 with err
 * (an allocation failure for an empty file leaves err untouched, as before). */
static int journal_read_file(const char *path, char **out_buf, size_t *out_len,
                             char err[JOURNAL_ERR_BYTES])
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, JOURNAL_ERR_BYTES, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            size_t nc = cap ? cap * 2 : 1 << 20;
            char *g = realloc(buf, nc + 1);
            if (!g) {
                free(buf);
                fclose(f);
                snprintf(err, JOURNAL_ERR_BYTES, "%s: out of memory", path);
                return -1;
            }
            buf = g;
            cap = nc;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (ioerr) {
        free(buf);
        snprintf(err, JOURNAL_ERR_BYTES, "%s: read error", path);
        return -1;
    }
    if (!buf) {
        buf = malloc(1);
        if (!buf)
            return -1;
    }
    buf[len] = '\0';
    *out_buf = buf;
    *out_len = len;
    return 0;
}

/* The lines read so far: cells go to the journal, corrections are held until the end. */
typedef struct journal_lines {
    json_object **corr;
    size_t n_corr;
    size_t cap_cells;
} journal_lines_t;

/* Parses one complete line (NUL-terminated, ll bytes) as a JSON object with a "type".
 * Returns the object, or NULL with err. */
static json_object *journal_parse_line(const char *path, int line, const char *text, size_t ll,
                                       char err[JOURNAL_ERR_BYTES])
{
    json_tokener *tok = json_tokener_new();
    json_object *o = tok ? json_tokener_parse_ex(tok, text, (int)ll) : NULL;
    int bad = !o || json_tokener_get_error(tok) != json_tokener_success ||
              (size_t)json_tokener_get_parse_end(tok) != ll ||
              !json_object_is_type(o, json_type_object);
    if (tok)
        json_tokener_free(tok);
    const char *type = bad ? NULL : jstr(o, "type");
    if (bad || !type) {
        if (o)
            json_object_put(o);
        snprintf(err, JOURNAL_ERR_BYTES, "%s:%d: corrupt journal line (%s)", path, line,
                 bad ? "not a JSON object" : "no \"type\"");
        return NULL;
    }
    return o;
}

/* Files one parsed line (ownership of o passes here). Returns 0 or -1 with err. */
static int journal_take_line(const char *path, int line, json_object *o, journal_t *j,
                             journal_lines_t *ls, char err[JOURNAL_ERR_BYTES])
{
    const char *type = jstr(o, "type");
    if (line == 1) {
        if (strcmp(type, "context") != 0) {
            json_object_put(o);
            snprintf(err, JOURNAL_ERR_BYTES,
                     "%s:1: not a poolbench journal (the first line is not a context block)",
                     path);
            return -1;
        }
        j->context = o;
    } else if (strcmp(type, "cell") == 0 || strcmp(type, "correction") == 0) {
        if (!jstr(o, "key")) {
            /* the message first: type points into o */
            snprintf(err, JOURNAL_ERR_BYTES, "%s:%d: %s line without a key", path, line, type);
            json_object_put(o);
            return -1;
        }
        json_object ***arr = type[1] == 'e' ? &j->cells : &ls->corr;
        size_t *n = type[1] == 'e' ? &j->n_cells : &ls->n_corr;
        if (*n == ls->cap_cells || type[1] == 'o') {
            size_t nc = type[1] == 'e' ? (ls->cap_cells ? ls->cap_cells * 2 : 256) : *n + 1;
            json_object **g = realloc(*arr, nc * sizeof *g);
            if (!g) {
                json_object_put(o);
                snprintf(err, JOURNAL_ERR_BYTES, "%s: out of memory", path);
                return -1;
            }
            *arr = g;
            if (type[1] == 'e')
                ls->cap_cells = nc;
        }
        (*arr)[(*n)++] = o;
    } else if (strcmp(type, "context") == 0) {
        json_object_put(o);
        snprintf(err, JOURNAL_ERR_BYTES, "%s:%d: a second context block", path, line);
        return -1;
    } else if (strcmp(type, "look") == 0) {
        json_object **g = realloc(j->looks, (j->n_looks + 1) * sizeof *g);
        if (!g) {
            json_object_put(o);
            snprintf(err, JOURNAL_ERR_BYTES, "%s: out of memory", path);
            return -1;
        }
        j->looks = g;
        j->looks[j->n_looks++] = o;
    } else {
        json_object_put(o);   /* unknown line types from later schema parts: ignored */
    }
    return 0;
}

/* Splits buf into lines and files each one. Returns 0 or -1 with err. */
static int journal_parse_lines(const char *path, char *buf, size_t len, journal_t *j,
                               journal_lines_t *ls, char err[JOURNAL_ERR_BYTES])
{
    int line = 0;
    size_t pos = 0;
    while (pos < len) {
        line++;
        char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) {
            j->truncated_line = line;   /* a partial last line: skipped */
            break;
        }
        *nl = '\0';
        size_t ll = (size_t)(nl - (buf + pos));
        json_object *o = journal_parse_line(path, line, buf + pos, ll, err);
        if (!o || journal_take_line(path, line, o, j, ls, err) != 0)
            return -1;
        pos = (size_t)(nl - buf) + 1;
        j->valid_bytes = pos;
    }
    return 0;
}

/* Rebuilds the cell list in file order without duplicate keys (first wins). */
static void journal_drop_duplicates(journal_t *j)
{
    size_t out = 0;
    for (size_t i = 0; i < j->n_cells; i++) {
        const char *key = jstr(j->cells[i], "key");
        int dup = 0;
        for (size_t p = 0; p < out && !dup; p++)
            dup = strcmp(jstr(j->cells[p], "key"), key) == 0;
        if (dup) {
            json_object_put(j->cells[i]);
            j->n_duplicates++;
        } else {
            j->cells[out++] = j->cells[i];
        }
    }
    j->n_cells = out;
    for (size_t i = 0; i < out; i++)
        j->sorted_keys[i] = jstr(j->cells[i], "key");
    qsort(j->sorted_keys, out, sizeof *j->sorted_keys, cmp_keyp);
}

/* Sorts the keys for journal_has and dedupes by key, first wins. Returns 0 or -1 with err. */
static int journal_index_keys(const char *path, journal_t *j, char err[JOURNAL_ERR_BYTES])
{
    j->sorted_keys = malloc((j->n_cells ? j->n_cells : 1) * sizeof *j->sorted_keys);
    if (!j->sorted_keys) {
        snprintf(err, JOURNAL_ERR_BYTES, "%s: out of memory", path);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < j->n_cells; i++) {
        const char *key = jstr(j->cells[i], "key");
        j->sorted_keys[k] = key;
        /* linear check against the sorted prefix is O(n^2): use a sort at the end */
        j->cells[k++] = j->cells[i];
    }
    j->n_cells = k;
    qsort(j->sorted_keys, j->n_cells, sizeof *j->sorted_keys, cmp_keyp);
    /* remove duplicates: keep the first cell line of each key */
    size_t w = 0;
    for (size_t i = 0; i < j->n_cells; i++)
        if (i == 0 || strcmp(j->sorted_keys[i], j->sorted_keys[w - 1]) != 0)
            j->sorted_keys[w++] = j->sorted_keys[i];
    if (w != j->n_cells)
        journal_drop_duplicates(j);
    return 0;
}

int journal_load(const char *path, journal_t *j, char err[JOURNAL_ERR_BYTES])
{
    memset(j, 0, sizeof *j);
    char *buf = NULL;
    size_t len = 0;
    if (journal_read_file(path, &buf, &len, err) != 0)
        return -1;
    journal_lines_t ls = { NULL, 0, 0 };
    int rc = journal_parse_lines(path, buf, len, j, &ls, err);
    free(buf);
    if (rc == 0) {
        rc = journal_index_keys(path, j, err);
        if (rc == 0) {
            for (size_t c = 0; c < ls.n_corr; c++) {
                json_object *cell = find_cell(j, jstr(ls.corr[c], "key"));
                if (cell)
                    apply_correction(cell, ls.corr[c]);
            }
            j->n_corrections = ls.n_corr;
        }
    }
    for (size_t c = 0; c < ls.n_corr; c++)
        json_object_put(ls.corr[c]);
    free(ls.corr);
    if (rc != 0)
        journal_free(j);
    return rc;
}

int journal_truncate(const char *path, size_t valid_bytes)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    int rc = ftruncate(fd, (off_t)valid_bytes);
    if (rc == 0)
        rc = journal_fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* The file ends in a partial line (a crash mid-write, or a write cut short before this
 * process could undo it): cut the file back to just after its last '\n' (to 0 when it has
 * none), so the next line starts a line of its own. 0, or -1 with errno. */
static int journal_tail_scan(int fd, int rfd, off_t end);

static int journal_cut_partial_tail(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    if (st.st_size == 0)
        return 0;
    /* a journal opened write-only is read through a second descriptor of the same file */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    int rfd = fd;
    if ((fl & O_ACCMODE) == O_WRONLY) {
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        rfd = open(self, O_RDONLY | O_CLOEXEC);
        if (rfd < 0)
            return -1;
    }
    int rc = journal_tail_scan(fd, rfd, st.st_size);
    if (rfd != fd) {
        int e = errno;
        close(rfd);
        errno = e;
    }
    return rc;
}

/* journal_cut_partial_tail's work: reads through rfd, cuts through fd. */
static int journal_tail_scan(int fd, int rfd, off_t end)
{
    char last;
    ssize_t r;
    do
        r = pread(rfd, &last, 1, end - 1);
    while (r < 0 && errno == EINTR);
    if (r != 1)
        return r < 0 ? -1 : (errno = EIO, -1);
    if (last == '\n')
        return 0;
    char buf[4096];
    off_t pos = end, keep = 0;
    while (pos > 0 && keep == 0) {
        size_t want = pos < (off_t)sizeof buf ? (size_t)pos : sizeof buf;
        do
            r = pread(rfd, buf, want, pos - (off_t)want);
        while (r < 0 && errno == EINTR);
        if (r != (ssize_t)want)
            return r < 0 ? -1 : (errno = EIO, -1);
        pos -= (off_t)want;
        for (size_t i = want; i-- > 0;)
            if (buf[i] == '\n') {
                keep = pos + (off_t)i + 1;
                break;
            }
    }
    if (ftruncate(fd, keep) != 0)
        return -1;
    return journal_fsync(fd);
}

int journal_fsync(int fd)
{
    int rc;
    do
        rc = fsync(fd);
    while (rc != 0 && errno == EINTR);
    return rc;
}

int journal_append(int fd, json_object *obj)
{
    const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!s)
        return -1;
    size_t n = strlen(s);
    char *line = malloc(n + 2);
    if (!line) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(line, s, n);
    line[n] = '\n';
    struct stat st;
    if (journal_cut_partial_tail(fd) != 0 || fstat(fd, &st) != 0) {
        int e = errno;
        free(line);
        errno = e;
        return -1;
    }
    /* O_APPEND and one writer (the folder's lock): one write normally writes the line;
     * a short one (a full disk, a file-size limit) is continued, and if the rest cannot be
     * written the line is cut off again, so a failed append leaves the file as it was. */
    size_t done = 0;
    int e = 0;
    while (done < n + 1) {
        ssize_t w = write(fd, line + done, n + 1 - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            e = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    free(line);
    if (e) {
        if (done > 0 && ftruncate(fd, st.st_size) == 0)
            journal_fsync(fd);
        errno = e;
        return -1;
    }
    return journal_fsync(fd);
}

int journal_lock(const char *dir, char err[JOURNAL_ERR_BYTES])
{
    char path[4096];
    snprintf(path, sizeof path, "%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, JOURNAL_ERR_BYTES, "%s: cannot open the lock file: %s", path, strerror(errno));
        return -2;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t r = pread(fd, pid, sizeof pid - 1, 0);
        if (r > 0) {
            pid[r] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
        }
        close(fd);
        if (e == EWOULDBLOCK) {
            snprintf(err, JOURNAL_ERR_BYTES,
                     "%s is in use by another poolbench run (pid %s): wait for it to finish, "
                     "or choose another --out", dir, pid[0] ? pid : "unknown");
            return -1;
        }
        snprintf(err, JOURNAL_ERR_BYTES, "%s: cannot lock: %s", path, strerror(e));
        return -2;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0) {
        /* the pid is informational only */
    }
    return fd;
}

/* ---- cross-check of results --------------------------------------------------------- */

typedef struct tally {
    const char *result;
    size_t count;
} tally_t;

static const char *most_common(tally_t *t, size_t n)
{
    const char *best = NULL;
    size_t bc = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].count > bc || (t[i].count == bc && best && strcmp(t[i].result, best) < 0)) {
            best = t[i].result;
            bc = t[i].count;
        }
    return best;
}

static int tally_add(tally_t *t, size_t *n, const char *r)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(t[i].result, r) == 0) {
            t[i].count++;
            return 0;
        }
    t[*n].result = r;
    t[*n].count = 1;
    (*n)++;
    return 0;
}

int journal_verify_results(journal_t *j, json_object *corrections)
{
    size_t n = j->n_cells;
    if (n == 0)
        return 0;
    char *visited = calloc(n, 1);
    tally_t *all = malloc(n * sizeof *all), *ref = malloc(n * sizeof *ref);
    size_t *members = malloc(n * sizeof *members);
    if (!visited || !all || !ref || !members) {
        free(visited); free(all); free(ref); free(members);
        return -1;
    }
    int fixed = 0;
    for (size_t i = 0; i < n; i++) {
        if (visited[i])
            continue;
        const char *ik = jstr(j->cells[i], "input_key");
        size_t nm = 0, na = 0, nr = 0;
        const char *pinned = NULL;
        for (size_t k = i; k < n; k++) {
            const char *ik2 = jstr(j->cells[k], "input_key");
            if (visited[k] || !ik || !ik2 || strcmp(ik, ik2) != 0)
                continue;
            visited[k] = 1;
            members[nm++] = k;
            json_object *c = j->cells[k];
            const char *pin = jstr(json_object_object_get(c, "config"), "expect");
            if (pin && pin[0])
                pinned = pin;
            const char *st = jstr(c, "status"), *res = jstr(c, "result");
            if (!st || !res || strcmp(st, "ok") != 0)
                continue;
            tally_add(all, &na, res);
            const char *b = jstr(c, "backend"), *p = jstr(c, "policy");
            if (b && p && strcmp(b, "glibc") == 0 && strcmp(p, "none") == 0)
                tally_add(ref, &nr, res);
        }
        if (!ik)
            continue;
        const char *reference = pinned ? pinned : nr ? most_common(ref, nr) : most_common(all, na);
        if (!reference)
            continue;
        for (size_t m = 0; m < nm; m++) {
            json_object *c = j->cells[members[m]];
            const char *st = jstr(c, "status"), *res = jstr(c, "result");
            if (!st || !res || strcmp(st, "ok") != 0 || strcmp(res, reference) == 0)
                continue;
            json_object *corr = json_object_new_object();
            if (!corr)
                continue;
            json_object_object_add(corr, "type", json_object_new_string("correction"));
            json_object_object_add(corr, "key", json_object_new_string(jstr(c, "key")));
            json_object_object_add(corr, "status", json_object_new_string("wrong_result"));
            json_object_object_add(corr, "expected", json_object_new_string(reference));
            json_object_object_add(corr, "got", json_object_new_string(res));
            json_object_object_add(corr, "reference", json_object_new_string(
                pinned ? "pinned expect" : nr ? "glibc/none arm" : "most common result"));
            apply_correction(c, corr);
            json_object_array_add(corrections, corr);
            fixed++;
        }
    }
    free(visited); free(all); free(ref); free(members);
    return fixed;
}

/* ---- metrics <-> JSON, generated from PB_METRICS ------------------------------------- */

const char *journal_str(json_object *o, const char *field) { return jstr(o, field); }

long long journal_int(json_object *o, const char *field, long long dflt)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, field, &v) || !json_object_is_type(v, json_type_int))
        return dflt;
    return (long long)json_object_get_int64(v);
}

int journal_metrics_get(json_object *metrics, pb_metrics_t *m, journal_present_t *present)
{
    memset(m, 0, sizeof *m);
    memset(present, 0, sizeof *present);
    int n = 0;
    json_object *v;
#define JOURNAL_GET(name, kind, desc)                                                       \
    if (metrics && json_object_object_get_ex(metrics, #name, &v) &&                         \
        json_object_is_type(v, json_type_int)) {                                            \
        m->name = (uint64_t)json_object_get_uint64(v);                                      \
        present->name = 1;                                                                  \
        n++;                                                                                \
    }
    PB_METRICS(JOURNAL_GET)
#undef JOURNAL_GET
    return n;
}

json_object *journal_metrics_json(const pb_metrics_t *m, const journal_present_t *present)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
#define JOURNAL_PUT(name, kind, desc)                                                       \
    json_object_object_add(o, #name, present && present->name                               \
                                         ? json_object_new_uint64(m->name) : NULL);
    PB_METRICS(JOURNAL_PUT)
#undef JOURNAL_PUT
    return o;
}
