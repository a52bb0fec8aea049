/* gen.c: deterministic inputs: a byte stream and a build-context tree from one seed.
 *
 * Guarantees: gen_bytes is xoshiro256** (Blackman & Vigna) seeded by four splitmix64
 * outputs of the seed, each 64-bit output emitted little-endian (the last one truncated),
 * so the bytes are the same on every machine and compiler. gen_tree lays out a tree that
 * depends on (seed, files, total_bytes) only:
 *   - "Dockerfile" at the root: deterministic text, min(total_bytes, ~300) bytes (all of
 *     total_bytes when files == 1);
 *   - 1 + (files - 1) / 64 sub-directories (at most 64) "dNNN", nested at depth 1..3 (a
 *     directory's parent is the root or an earlier directory of depth < 3); each holds
 *     at least one file (directly) when there are enough files;
 *   - other files "fNNNNN_xxxxxxxx.ext" in the root or a sub-directory, sizes from a
 *     weighted split summing exactly to total_bytes (about 5 % empty, 80 % small,
 *     15 % large weights), contents gen_bytes(file seed) where file seed =
 *     splitmix64(seed ^ file index), modes 0644 (or 0755 for about 1 in 8), mtimes
 *     fixed from the seed, set with utimensat on files and then directories.
 * The tree is written under dir + ".tmp.<pid>" and renamed into place without
 * replacing anything (renameat2 RENAME_NOREPLACE); a failure removes the temporary.
 * It must not: be used inside a timed window, replace or touch an existing dir.
 */
#define _GNU_SOURCE
#include "gen.h"

#include <errno.h>
#include <fcntl.h>
#include <endian.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define GEN_CHUNK_BYTES (1u << 20)          /* write chunk; a multiple of 8 */
#define GEN_DOCKERFILE_BYTES 300u
#define GEN_MAX_DIRS 64u
#define GEN_MAX_DEPTH 3
#define GEN_MTIME_BASE 1704067200LL         /* 2024-01-01T00:00:00Z */

static uint64_t gen_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t gen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void gen_rng_seed(gen_rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = gen_splitmix64(&x);
}

uint64_t gen_rng_next(gen_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = gen_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gen_rotl(s[3], 45);
    return result;
}

/* Continues the stream of r into out; a stream cut at multiples of 8 bytes concatenates
 * to the same bytes as one call. */
static void gen_fill(gen_rng_t *r, unsigned char *out, size_t len_bytes)
{
    /* whole words first, stored little-endian with one 8-byte store each (the byte loop
     * below spent ~4 ns a byte: 1 s of every 256 MiB cell went to making its input) */
    uint64_t s0 = r->s[0], s1 = r->s[1], s2 = r->s[2], s3 = r->s[3];
    size_t i = 0;
    for (; i + 8 <= len_bytes; i += 8) {
        uint64_t v = htole64(gen_rotl(s1 * 5, 7) * 9);
        uint64_t t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = gen_rotl(s3, 45);
        memcpy(out + i, &v, 8);
    }
    r->s[0] = s0, r->s[1] = s1, r->s[2] = s2, r->s[3] = s3;
    if (i < len_bytes) {
        uint64_t v = gen_rng_next(r);
        for (int k = 0; i < len_bytes; k++, i++)
            out[i] = (unsigned char)(v >> (8 * k));
    }
}

void gen_bytes(uint64_t seed, unsigned char *out, size_t len_bytes)
{
    gen_rng_t r;
    gen_rng_seed(&r, seed);
    gen_fill(&r, out, len_bytes);
}

/* Uniform-enough value in [0, n) (n > 0); the tiny modulo bias is irrelevant here. */
static uint64_t gen_below(gen_rng_t *r, uint64_t n)
{
    return gen_rng_next(r) % n;
}

/* ---------------------------------------------------------------- tree layout */

typedef struct gen_dir {
    int parent;            /* -1: the root */
    int depth;             /* 1..GEN_MAX_DEPTH */
    char *path;            /* relative to the root, e.g. "d000/d003" */
} gen_dir_t;

typedef struct gen_layout {
    size_t dir_count;
    gen_dir_t *dirs;
    int *file_dir;         /* per file: -1 root, else dir index */
    uint64_t *file_bytes;
    unsigned *file_mode;
    int64_t *file_mtime;
    char **file_name;      /* base names */
    int64_t *dir_mtime;
} gen_layout_t;

static void gen_layout_free(gen_layout_t *L, size_t files)
{
    if (L->dirs)
        for (size_t i = 0; i < L->dir_count; i++)
            free(L->dirs[i].path);
    if (L->file_name)
        for (size_t i = 0; i < files; i++)
            free(L->file_name[i]);
    free(L->dirs);
    free(L->file_dir);
    free(L->file_bytes);
    free(L->file_mode);
    free(L->file_mtime);
    free(L->file_name);
    free(L->dir_mtime);
    memset(L, 0, sizeof(*L));
}

static size_t gen_dockerfile_text(uint64_t seed, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "# poolbench generated build context (seed %llu)\n"
                     "FROM debian:12-slim\n"
                     "WORKDIR /src\n"
                     "COPY . /src\n"
                     "RUN apt-get update && apt-get install -y --no-install-recommends build-essential\n"
                     "RUN make -j2 all\n"
                     "ENV POOLBENCH=1\n"
                     "CMD [\"/src/bin/app\", \"--serve\"]\n",
                     (unsigned long long)seed);
    return n < 0 ? 0 : ((size_t)n < cap ? (size_t)n : cap - 1);
}

/* Deterministic Dockerfile content of exactly len bytes: the text, then comment lines. */
static void gen_dockerfile_fill(uint64_t seed, unsigned char *out, size_t len)
{
    char text[512];
    size_t tl = gen_dockerfile_text(seed, text, sizeof(text));
    size_t i = 0;
    for (; i < len && i < tl; i++)
        out[i] = (unsigned char)text[i];
    unsigned step = 0;
    while (i < len) {
        char line[64];
        int n = snprintf(line, sizeof(line), "RUN true # step %u\n", step++);
        for (int k = 0; k < n && i < len; k++, i++)
            out[i] = (unsigned char)line[k];
    }
}

static pb_err_t gen_layout_make(uint64_t seed, size_t files, uint64_t total_bytes,
                                gen_layout_t *L)
{
    static const char *const exts[] = { "c", "go", "txt", "json", "bin", "md", "sh", "o" };
    gen_rng_t r;
    gen_rng_seed(&r, seed ^ 0x74726565ULL);   /* "tree" */

    size_t nd = 1 + (files - 1) / 64;
    if (nd > GEN_MAX_DIRS)
        nd = GEN_MAX_DIRS;
    if (files == 1)
        nd = 0;
    L->dir_count = nd;
    L->dirs = calloc(nd ? nd : 1, sizeof(*L->dirs));
    L->dir_mtime = calloc(nd ? nd : 1, sizeof(*L->dir_mtime));
    L->file_dir = calloc(files, sizeof(*L->file_dir));
    L->file_bytes = calloc(files, sizeof(*L->file_bytes));
    L->file_mode = calloc(files, sizeof(*L->file_mode));
    L->file_mtime = calloc(files, sizeof(*L->file_mtime));
    L->file_name = calloc(files, sizeof(*L->file_name));
    if (!L->dirs || !L->dir_mtime || !L->file_dir || !L->file_bytes || !L->file_mode ||
        !L->file_mtime || !L->file_name)
        return PB_ERR_NOMEM;

    for (size_t d = 0; d < nd; d++) {
        /* parent: the root or an earlier directory that is not at maximum depth */
        int parent = -1;
        if (d > 0) {
            uint64_t pick = gen_below(&r, d + 1);   /* d: the root */
            if (pick < d && L->dirs[pick].depth < GEN_MAX_DEPTH)
                parent = (int)pick;
        }
        L->dirs[d].parent = parent;
        L->dirs[d].depth = parent < 0 ? 1 : L->dirs[parent].depth + 1;
        const char *pp = parent < 0 ? "" : L->dirs[parent].path;
        size_t need = strlen(pp) + 16;
        L->dirs[d].path = malloc(need);
        if (!L->dirs[d].path)
            return PB_ERR_NOMEM;
        snprintf(L->dirs[d].path, need, "%s%sd%03zu", pp, parent < 0 ? "" : "/", d);
        L->dir_mtime[d] = GEN_MTIME_BASE + (int64_t)gen_below(&r, 365 * 86400);
    }

    /* sizes: Dockerfile first, the rest split by weights with exact integer shares */
    uint64_t docker = files == 1 ? total_bytes
                      : (total_bytes < GEN_DOCKERFILE_BYTES ? total_bytes : GEN_DOCKERFILE_BYTES);
    uint64_t rest = total_bytes - docker;
    uint64_t *weight = L->file_bytes;  /* weights first, replaced by sizes below */
    unsigned __int128 wsum = 0;
    for (size_t i = 1; i < files; i++) {
        uint64_t k = gen_below(&r, 100);
        uint64_t w = k < 5 ? 0 : (k < 85 ? 1 + gen_below(&r, 64) : 256 + gen_below(&r, 4096));
        weight[i] = w;
        wsum += w;
    }
    if (wsum == 0 && files > 1) {       /* every weight zero: split evenly */
        for (size_t i = 1; i < files; i++)
            weight[i] = 1;
        wsum = files - 1;
    }
    L->file_bytes[0] = docker;
    unsigned __int128 cum = 0;
    uint64_t prev = 0;
    for (size_t i = 1; i < files; i++) {
        cum += weight[i];
        uint64_t upto = (uint64_t)(((unsigned __int128)rest * cum) / wsum);
        L->file_bytes[i] = upto - prev;
        prev = upto;
    }

    for (size_t i = 0; i < files; i++) {
        if (i == 0) {
            L->file_dir[i] = -1;
            L->file_mode[i] = 0644;
        } else if (i - 1 < nd) {
            L->file_dir[i] = (int)(i - 1);         /* every directory holds a file */
            L->file_mode[i] = gen_below(&r, 8) == 0 ? 0755 : 0644;
        } else {
            uint64_t pick = gen_below(&r, nd + 1);
            L->file_dir[i] = pick == nd ? -1 : (int)pick;
            L->file_mode[i] = gen_below(&r, 8) == 0 ? 0755 : 0644;
        }
        L->file_mtime[i] = GEN_MTIME_BASE + (int64_t)gen_below(&r, 365 * 86400);
        char name[64];
        if (i == 0)
            snprintf(name, sizeof(name), "Dockerfile");
        else
            snprintf(name, sizeof(name), "f%05zu_%08llx.%s", i,
                     (unsigned long long)(gen_rng_next(&r) & 0xffffffffULL),
                     exts[gen_below(&r, sizeof(exts) / sizeof(exts[0]))]);
        L->file_name[i] = strdup(name);
        if (!L->file_name[i])
            return PB_ERR_NOMEM;
    }
    return PB_OK;
}

/* ---------------------------------------------------------------- writing */

static int gen_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void gen_rm_tree(const char *path)
{
    nftw(path, gen_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static pb_err_t gen_errno(void)
{
    return errno == ENOMEM ? PB_ERR_NOMEM : PB_ERR_IO;
}

static pb_err_t gen_set_mtime(int dirfd, const char *rel, int64_t mtime)
{
    struct timespec ts[2] = { { (time_t)mtime, 0 }, { (time_t)mtime, 0 } };
    if (utimensat(dirfd, rel, ts, AT_SYMLINK_NOFOLLOW) != 0)
        return gen_errno();
    return PB_OK;
}

static pb_err_t gen_write_file(int rootfd, const char *rel, uint64_t seed, size_t index,
                               const gen_layout_t *L, unsigned char *chunk)
{
    int fd = openat(rootfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return gen_errno();
    pb_err_t err = PB_OK;
    uint64_t left = L->file_bytes[index];
    gen_rng_t r;
    uint64_t fseed = seed ^ (uint64_t)index;
    gen_rng_seed(&r, gen_splitmix64(&fseed));
    if (index == 0 && left > 0) {
        /* the Dockerfile is text; if it is large (files == 1), fill by chunks */
        unsigned char *all = malloc(left);
        if (!all) {
            err = PB_ERR_NOMEM;
        } else {
            gen_dockerfile_fill(seed, all, left);
            for (uint64_t off = 0; off < left && err == PB_OK;) {
                ssize_t w = write(fd, all + off, left - off);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    err = PB_ERR_IO;
                else
                    off += (uint64_t)w;
            }
            free(all);
        }
        left = 0;
    }
    while (left > 0 && err == PB_OK) {
        size_t n = left < GEN_CHUNK_BYTES ? (size_t)left : GEN_CHUNK_BYTES;
        gen_fill(&r, chunk, n);
        for (size_t off = 0; off < n;) {
            ssize_t w = write(fd, chunk + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                err = PB_ERR_IO;
                break;
            }
            off += (size_t)w;
        }
        left -= n;
    }
    if (err == PB_OK && fchmod(fd, L->file_mode[index]) != 0)
        err = PB_ERR_IO;
    if (close(fd) != 0 && err == PB_OK)
        err = PB_ERR_IO;
    if (err == PB_OK)
        err = gen_set_mtime(rootfd, rel, L->file_mtime[index]);
    return err;
}

static pb_err_t gen_write_tree(uint64_t seed, size_t files, const gen_layout_t *L,
                               const char *tmp)
{
    int rootfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return gen_errno();
    pb_err_t err = PB_OK;
    unsigned char *chunk = malloc(GEN_CHUNK_BYTES);
    char *rel = NULL;
    size_t rel_cap = 0;
    if (!chunk)
        err = PB_ERR_NOMEM;
    for (size_t d = 0; d < L->dir_count && err == PB_OK; d++) {
        if (mkdirat(rootfd, L->dirs[d].path, 0700) != 0 ||
            fchmodat(rootfd, L->dirs[d].path, 0755, 0) != 0)
            err = gen_errno();
    }
    for (size_t i = 0; i < files && err == PB_OK; i++) {
        const char *dp = L->file_dir[i] < 0 ? NULL : L->dirs[L->file_dir[i]].path;
        size_t need = (dp ? strlen(dp) + 1 : 0) + strlen(L->file_name[i]) + 1;
        if (need > rel_cap) {
            char *n = realloc(rel, need);
            if (!n) {
                err = PB_ERR_NOMEM;
                break;
            }
            rel = n;
            rel_cap = need;
        }
        snprintf(rel, need, "%s%s%s", dp ? dp : "", dp ? "/" : "", L->file_name[i]);
        err = gen_write_file(rootfd, rel, seed, i, L, chunk);
    }
    /* directories last, deepest (latest created) first: file creation moves mtimes */
    for (size_t d = L->dir_count; d-- > 0 && err == PB_OK;)
        err = gen_set_mtime(rootfd, L->dirs[d].path, L->dir_mtime[d]);
    if (err == PB_OK)
        err = gen_set_mtime(rootfd, ".", GEN_MTIME_BASE);
    free(rel);
    free(chunk);
    close(rootfd);
    return err;
}

pb_err_t gen_tree(uint64_t seed, size_t files, uint64_t total_bytes, const char *dir)
{
    if (!dir || !*dir || files < 1)
        return PB_ERR_INPUT;
    struct stat st;
    if (lstat(dir, &st) == 0)
        return PB_ERR_INPUT;                   /* the caller caches trees: never replace */

    size_t tl = strlen(dir) + 32;
    char *tmp = malloc(tl);
    if (!tmp)
        return PB_ERR_NOMEM;
    snprintf(tmp, tl, "%s.tmp.%ld", dir, (long)getpid());
    if (lstat(tmp, &st) == 0)
        gen_rm_tree(tmp);                      /* stale, from an earlier run of this pid */
    if (mkdir(tmp, 0700) != 0) {
        pb_err_t e = gen_errno();
        free(tmp);
        return e;
    }

    gen_layout_t L;
    memset(&L, 0, sizeof(L));
    pb_err_t err = gen_layout_make(seed, files, total_bytes, &L);
    if (err == PB_OK && chmod(tmp, 0755) != 0)
        err = gen_errno();
    if (err == PB_OK)
        err = gen_write_tree(seed, files, &L, tmp);
    if (err == PB_OK && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) != 0)
        err = (errno == EEXIST || errno == ENOTEMPTY) ? PB_ERR_INPUT : gen_errno();
    if (err != PB_OK)
        gen_rm_tree(tmp);
    gen_layout_free(&L, files);
    free(tmp);
    return err;
}
