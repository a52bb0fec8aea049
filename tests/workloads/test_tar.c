/* test_tar.c: tests of the tar kernels: tar_create (sequential, concurrent, AUTO),
 * tar_read (memory and file) and tar_copy.
 *
 * Archives are checked with GNU tar, an independent implementation: `tar -tvf` lists
 * them, `tar -xf` extracts them into a temporary dir, `diff -r` compares contents with
 * the source tree and stat compares modes, sizes and mtimes. The member order is compared
 * with an independent walk (scandir sorted by strcmp, pre-order: Go's filepath.Walk).
 * Pool use is checked with bufpool_stats_read (one `tar` get for a sequential archive,
 * one per file for a concurrent one). Allocation failure is tested SQLite style: for
 * every N, the N+1st allocation and all later ones fail (alloc_fault_set(N, -1)), in a
 * forked child per N; each call must return PB_OK or PB_ERR_NOMEM and live bytes must
 * return to their start. libarchive 3.6 itself calls exit(1) with "Fatal Internal Error
 * in libarchive" when some of its string allocations fail; such N are counted and
 * printed, not hidden, and are the only exits allowed.
 * Temporary dirs live under $TMPDIR (or /tmp) and are removed.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "gen.h"
#include "kernels.h"

/* ---------------------------------------------------------------- helpers */

static char *g_tmp;             /* per-group temporary dir */
static kernel_params_t g_kp;

static char *path_join(const char *a, const char *b)
{
    char *s = NULL;
    assert_true(asprintf(&s, "%s/%s", a, b) > 0);
    return s;
}

static int rm_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s; (void)f; (void)w;
    remove(p);
    return 0;
}

static void rm_tree(const char *p)
{
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int run(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = NULL;
    int n = vasprintf(&cmd, fmt, ap);
    va_end(ap);
    assert_true(n > 0);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    free(cmd);
    return rc;
}

static bufpool_t *pool_new(const char *policy)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    char err[64];
    assert_int_equal(bufpool_policy_parse(policy, &cfg, err, sizeof(err)), 0);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    return bp;
}

/* A generated tree under g_tmp named name (cached for the group). */
static char *tree(const char *name, uint64_t seed, size_t files, uint64_t total)
{
    char *d = path_join(g_tmp, name);
    struct stat st;
    if (stat(d, &st) != 0)
        assert_int_equal(gen_tree(seed, files, total, d), PB_OK);
    return d;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct stat st;
    assert_int_equal(fstat(fileno(f), &st), 0);
    unsigned char *b = malloc((size_t)st.st_size + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)st.st_size, f), (size_t)st.st_size);
    fclose(f);
    *n = (size_t)st.st_size;
    return b;
}

/* Independent walk: regular files in Go filepath.Walk order. */
typedef struct names { char **v; size_t n, cap; } names_t;

static void names_add(names_t *L, char *s)
{
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 64;
        L->v = realloc(L->v, L->cap * sizeof(char *));
        assert_non_null(L->v);
    }
    L->v[L->n++] = s;
}

static void names_free(names_t *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->v[i]);
    free(L->v);
    memset(L, 0, sizeof(*L));
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void walk(const char *root, const char *rel, names_t *out)
{
    char *dir = rel ? path_join(root, rel) : strdup(root);
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, byte_order);
    assert_true(n >= 0);
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (strcmp(nm, ".") && strcmp(nm, "..")) {
            char *r = rel ? path_join(rel, nm) : strdup(nm);
            char *full = path_join(root, r);
            struct stat st;
            assert_int_equal(lstat(full, &st), 0);
            free(full);
            if (S_ISDIR(st.st_mode)) {
                walk(root, r, out);
                free(r);
            } else if (S_ISREG(st.st_mode)) {
                names_add(out, r);
            } else {
                free(r);
            }
        }
        free(ents[i]);
    }
    free(ents);
    free(dir);
}

/* `tar -tf` of the archive file, one name per entry. */
static void tar_list(const char *archive, names_t *out)
{
    char *lst = path_join(g_tmp, "list.txt");
    assert_int_equal(run("tar -tf '%s' > '%s'", archive, lst), 0);
    FILE *f = fopen(lst, "r");
    assert_non_null(f);
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        names_add(out, strdup(line));
    }
    fclose(f);
    unlink(lst);
    free(lst);
}

/* The archive, written to a file, lists (in walk order) and extracts to exactly src. */
static void assert_archive_is_tree(const pb_bytes_t *ar, const char *src)
{
    char *file = path_join(g_tmp, "check.tar");
    char *x = path_join(g_tmp, "extract");
    write_file(file, ar->data, ar->len_bytes);
    assert_int_equal(run("tar -tvf '%s' > /dev/null", file), 0);

    names_t want = { 0 }, got = { 0 };
    walk(src, NULL, &want);
    tar_list(file, &got);
    assert_int_equal(got.n, want.n);
    for (size_t i = 0; i < want.n; i++)
        assert_string_equal(got.v[i], want.v[i]);

    rm_tree(x);
    assert_int_equal(mkdir(x, 0700), 0);
    assert_int_equal(run("tar -xf '%s' -C '%s'", file, x), 0);
    assert_int_equal(run("diff -r '%s' '%s'", src, x), 0);
    for (size_t i = 0; i < want.n; i++) {
        char *a = path_join(src, want.v[i]), *b = path_join(x, want.v[i]);
        struct stat sa, sb;
        assert_int_equal(lstat(a, &sa), 0);
        assert_int_equal(lstat(b, &sb), 0);
        assert_true(S_ISREG(sb.st_mode));
        assert_int_equal(sa.st_mode & 07777, sb.st_mode & 07777);
        assert_int_equal(sa.st_size, sb.st_size);
        assert_int_equal(sa.st_mtime, sb.st_mtime);
        free(a);
        free(b);
    }
    names_free(&want);
    names_free(&got);
    rm_tree(x);
    unlink(file);
    free(file);
    free(x);
}

static uint64_t tar_gets(bufpool_t *bp)
{
    bufpool_class_stats_t s;
    bufpool_stats_read(bp, BUFPOOL_TAR, &s);
    return s.gets;
}

static int group_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    if (asprintf(&g_tmp, "%s/pb-test-tar-XXXXXX", base) < 0 || !mkdtemp(g_tmp))
        return -1;
    kernel_params_default(&g_kp);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    rm_tree(g_tmp);
    free(g_tmp);
    return 0;
}

/* ---------------------------------------------------------------- tar_create */

static void create_and_check(tar_create_mode_t mode, int cores, const char *policy)
{
    char *src = tree("t300", 11, 300, 3 * 1024 * 1024 + 5);
    bufpool_t *bp = pool_new(policy);
    pb_bytes_t ar = { 0 };
    assert_int_equal(tar_create_dir(bp, &g_kp, src, mode, cores, &ar), PB_OK);
    assert_true(ar.len_bytes % 512 == 0);
    assert_archive_is_tree(&ar, src);
    assert_int_equal(tar_gets(bp), mode == TAR_CREATE_SEQ ? 1 : 300);
    pb_bytes_free(&ar);
    bufpool_destroy(bp);
    free(src);
}

static void test_create_seq(void **state)
{
    (void)state;
    create_and_check(TAR_CREATE_SEQ, 2, "all");
    create_and_check(TAR_CREATE_SEQ, 2, "none");
}

static void test_create_concurrent(void **state)
{
    (void)state;
    create_and_check(TAR_CREATE_CONCURRENT, 2, "all");
    create_and_check(TAR_CREATE_CONCURRENT, 4, "none");
    create_and_check(TAR_CREATE_CONCURRENT, 1, "all");
}

static void test_create_seq_equals_concurrent(void **state)
{
    (void)state;
    char *src = tree("t300", 11, 300, 3 * 1024 * 1024 + 5);
    bufpool_t *bp = pool_new("all");
    pb_bytes_t a = { 0 }, b = { 0 };
    assert_int_equal(tar_create_dir(bp, &g_kp, src, TAR_CREATE_SEQ, 2, &a), PB_OK);
    assert_int_equal(tar_create_dir(bp, &g_kp, src, TAR_CREATE_CONCURRENT, 2, &b), PB_OK);
    assert_int_equal(a.len_bytes, b.len_bytes);
    assert_memory_equal(a.data, b.data, a.len_bytes);
    pb_bytes_free(&a);
    pb_bytes_free(&b);
    bufpool_destroy(bp);
    free(src);
}

static uint64_t auto_gets(const char *src)
{
    bufpool_t *bp = pool_new("all");
    pb_bytes_t ar = { 0 };
    assert_int_equal(tar_create_dir(bp, &g_kp, src, TAR_CREATE_AUTO, 2, &ar), PB_OK);
    uint64_t g = tar_gets(bp);
    pb_bytes_free(&ar);
    bufpool_destroy(bp);
    return g;
}

static void test_create_auto_thresholds(void **state)
{
    (void)state;
    char *f20 = tree("f20", 3, 20, 40000), *f21 = tree("f21", 3, 21, 40000);
    char *b10 = tree("b10", 4, 3, (uint64_t)10 << 20);
    char *b10p = tree("b10p", 4, 3, ((uint64_t)10 << 20) + 1);
    assert_int_equal(auto_gets(f20), 1);            /* 20 files: sequential   */
    assert_int_equal(auto_gets(f21), 21);           /* 21 files: concurrent   */
    assert_int_equal(auto_gets(b10), 1);            /* 10 MiB: sequential     */
    assert_int_equal(auto_gets(b10p), 3);           /* 10 MiB + 1: concurrent */
    free(f20);
    free(f21);
    free(b10);
    free(b10p);
}

static void test_create_skips_non_regular(void **state)
{
    (void)state;
    char *src = path_join(g_tmp, "mixed");
    assert_int_equal(gen_tree(21, 5, 10000, src), PB_OK);
    char *ln = path_join(src, "zz_link"), *em = path_join(src, "empty_dir");
    char *fi = path_join(src, "a_fifo");
    assert_int_equal(symlink("Dockerfile", ln), 0);
    assert_int_equal(mkdir(em, 0755), 0);
    assert_int_equal(mkfifo(fi, 0644), 0);
    bufpool_t *bp = pool_new("all");
    for (int m = TAR_CREATE_SEQ; m <= TAR_CREATE_CONCURRENT; m++) {
        pb_bytes_t ar = { 0 };
        assert_int_equal(tar_create_dir(bp, &g_kp, src, (tar_create_mode_t)m, 2, &ar), PB_OK);
        char *file = path_join(g_tmp, "mixed.tar");
        write_file(file, ar.data, ar.len_bytes);
        names_t got = { 0 }, want = { 0 };
        tar_list(file, &got);
        walk(src, NULL, &want);                 /* regular files only */
        assert_int_equal(got.n, 5);
        assert_int_equal(want.n, 5);
        for (size_t i = 0; i < got.n; i++)
            assert_string_equal(got.v[i], want.v[i]);
        names_free(&got);
        names_free(&want);
        unlink(file);
        free(file);
        pb_bytes_free(&ar);
    }
    /* bad arguments */
    pb_bytes_t ar = { 0 };
    char *missing = path_join(g_tmp, "does-not-exist");
    assert_int_equal(tar_create_dir(bp, &g_kp, missing, TAR_CREATE_AUTO, 2, &ar), PB_ERR_IO);
    char *df = path_join(src, "Dockerfile");
    assert_int_equal(tar_create_dir(bp, &g_kp, df, TAR_CREATE_AUTO, 2, &ar), PB_ERR_INPUT);
    assert_null(ar.data);
    bufpool_destroy(bp);
    rm_tree(src);
    free(missing);
    free(df);
    free(ln);
    free(em);
    free(fi);
    free(src);
}

/* ---------------------------------------------------------------- tar_read */

static void test_read_members(void **state)
{
    (void)state;
    char *src = tree("t300", 11, 300, 3 * 1024 * 1024 + 5);
    bufpool_t *bp = pool_new("all");
    pb_bytes_t ar = { 0 };
    assert_int_equal(tar_create_dir(bp, &g_kp, src, TAR_CREATE_SEQ, 2, &ar), PB_OK);
    char *file = path_join(g_tmp, "read.tar");
    write_file(file, ar.data, ar.len_bytes);
    names_t names = { 0 };
    walk(src, NULL, &names);
    size_t pick[3] = { 0, names.n / 2, names.n - 1 };
    for (int k = 0; k < 3; k++) {
        const char *nm = names.v[pick[k]];
        char *p = path_join(src, nm);
        size_t n = 0;
        unsigned char *want = read_all(p, &n);
        pb_bytes_t got = { 0 };
        bufpool_stats_reset(bp);
        assert_int_equal(tar_read_member(bp, &g_kp, ar.data, ar.len_bytes, nm, &got), PB_OK);
        assert_int_equal(got.len_bytes, n);
        if (n)
            assert_memory_equal(got.data, want, n);
        assert_int_equal(tar_gets(bp), 1);
        pb_bytes_free(&got);
        assert_int_equal(tar_read_member_file(bp, &g_kp, file, nm, &got), PB_OK);
        assert_int_equal(got.len_bytes, n);
        if (n)
            assert_memory_equal(got.data, want, n);
        pb_bytes_free(&got);
        free(want);
        free(p);
    }
    /* the largest member, to read through many buffers */
    size_t big = 0, big_n = 0;
    for (size_t i = 0; i < names.n; i++) {
        char *p = path_join(src, names.v[i]);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        if ((size_t)st.st_size > big_n) {
            big_n = (size_t)st.st_size;
            big = i;
        }
        free(p);
    }
    assert_true(big_n > 64 * 1024);
    pb_bytes_t got = { 0 };
    assert_int_equal(tar_read_member(bp, &g_kp, ar.data, ar.len_bytes, names.v[big], &got), PB_OK);
    assert_int_equal(got.len_bytes, big_n);
    pb_bytes_free(&got);

    /* missing member */
    assert_int_equal(tar_read_member(bp, &g_kp, ar.data, ar.len_bytes, "nope", &got), PB_ERR_NOT_FOUND);
    assert_null(got.data);
    assert_int_equal(tar_read_member_file(bp, &g_kp, file, "nope", &got), PB_ERR_NOT_FOUND);
    /* names match exactly: no "./" folding, no prefix match */
    assert_int_equal(tar_read_member(bp, &g_kp, ar.data, ar.len_bytes, "./Dockerfile", &got), PB_ERR_NOT_FOUND);
    assert_int_equal(tar_read_member(bp, &g_kp, ar.data, ar.len_bytes, "Dockerfil", &got), PB_ERR_NOT_FOUND);
    names_free(&names);
    unlink(file);
    free(file);
    pb_bytes_free(&ar);
    bufpool_destroy(bp);
    free(src);
}

static void test_read_bad_input(void **state)
{
    (void)state;
    bufpool_t *bp = pool_new("all");
    size_t n = 20000;
    unsigned char *junk = malloc(n);
    assert_non_null(junk);
    gen_bytes(5, junk, n);
    pb_bytes_t got = { 0 };
    assert_int_equal(tar_read_member(bp, &g_kp, junk, n, "Dockerfile", &got), PB_ERR_INPUT);
    assert_null(got.data);
    char *file = path_join(g_tmp, "junk.tar");
    write_file(file, junk, n);
    assert_int_equal(tar_read_member_file(bp, &g_kp, file, "Dockerfile", &got), PB_ERR_INPUT);
    char *missing = path_join(g_tmp, "missing.tar");
    assert_int_equal(tar_read_member_file(bp, &g_kp, missing, "Dockerfile", &got), PB_ERR_IO);

    /* a truncated archive: cut inside the last member's data */
    char *src = tree("t300", 11, 300, 3 * 1024 * 1024 + 5);
    pb_bytes_t ar = { 0 };
    assert_int_equal(tar_create_dir(bp, &g_kp, src, TAR_CREATE_SEQ, 2, &ar), PB_OK);
    names_t names = { 0 };
    walk(src, NULL, &names);
    size_t last = names.n - 1;
    while (last > 0) {                             /* a non-empty last-ish member */
        char *p = path_join(src, names.v[last]);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        free(p);
        if (st.st_size > 1000)
            break;
        last--;
    }
    /* find its header by reading members until it, then cut the archive mid-data */
    pb_bytes_t ok = { 0 };
    assert_int_equal(tar_read_member(bp, &g_kp, ar.data, ar.len_bytes, names.v[last], &ok), PB_OK);
    size_t cut = 0;
    for (size_t off = 0; off + 512 <= ar.len_bytes; off += 512)
        if (strncmp((const char *)ar.data + off, names.v[last], 100) == 0 &&
            ar.data[off + 257] == 'u')
            cut = off + 512 + ok.len_bytes / 2;
    assert_true(cut > 0);
    assert_int_equal(tar_read_member(bp, &g_kp, ar.data, cut, names.v[last], &got), PB_ERR_INPUT);
    assert_null(got.data);
    assert_int_equal(tar_copy_archive(bp, &g_kp, ar.data, cut, &got), PB_ERR_INPUT);
    assert_int_equal(tar_copy_archive(bp, &g_kp, junk, n, &got), PB_ERR_INPUT);
    assert_null(got.data);
    pb_bytes_free(&ok);
    names_free(&names);
    pb_bytes_free(&ar);
    unlink(file);
    free(file);
    free(missing);
    free(junk);
    free(src);
    bufpool_destroy(bp);
}

/* ---------------------------------------------------------------- tar_copy */

static void test_copy(void **state)
{
    (void)state;
    char *src = tree("t300", 11, 300, 3 * 1024 * 1024 + 5);
    bufpool_t *bp = pool_new("all");
    pb_bytes_t ar = { 0 }, cp = { 0 };
    assert_int_equal(tar_create_dir(bp, &g_kp, src, TAR_CREATE_CONCURRENT, 2, &ar), PB_OK);
    bufpool_stats_reset(bp);
    assert_int_equal(tar_copy_archive(bp, &g_kp, ar.data, ar.len_bytes, &cp), PB_OK);
    assert_int_equal(tar_gets(bp), 1);
    assert_archive_is_tree(&cp, src);
    /* `tar -tvf` (names, modes, owners, sizes, times) identical for source and copy */
    char *fa = path_join(g_tmp, "src.tar"), *fb = path_join(g_tmp, "copy.tar");
    write_file(fa, ar.data, ar.len_bytes);
    write_file(fb, cp.data, cp.len_bytes);
    assert_int_equal(run("tar -tvf '%s' > '%s.lst' && tar -tvf '%s' > '%s.lst' && "
                         "cmp -s '%s.lst' '%s.lst'", fa, fa, fb, fb, fa, fb), 0);
    /* the copy of a copy is byte-identical to the copy */
    pb_bytes_t cp2 = { 0 };
    assert_int_equal(tar_copy_archive(bp, &g_kp, cp.data, cp.len_bytes, &cp2), PB_OK);
    assert_int_equal(cp2.len_bytes, cp.len_bytes);
    assert_memory_equal(cp2.data, cp.data, cp.len_bytes);
    run("rm -f '%s.lst' '%s.lst'", fa, fb);
    unlink(fa);
    unlink(fb);
    free(fa);
    free(fb);
    pb_bytes_free(&cp2);
    pb_bytes_free(&cp);
    pb_bytes_free(&ar);
    bufpool_destroy(bp);
    free(src);
}

/* A GNU tar archive with a long name (a GNU longname or pax header), a symlink and a
 * directory entry: the copy lists the same under GNU tar. */
static void test_copy_gnu_archive(void **state)
{
    (void)state;
    char *d = path_join(g_tmp, "gnu");
    char *sub = path_join(d, "a-directory-with-a-rather-long-name-to-pass-the-hundred-byte-ustar-limit");
    assert_int_equal(mkdir(d, 0755), 0);
    assert_int_equal(mkdir(sub, 0750), 0);
    char *f = path_join(sub, "and-a-file-name-that-makes-the-whole-path-longer-than-one-hundred-bytes.txt");
    write_file(f, "hello\n", 6);
    char *l = path_join(d, "link");
    assert_int_equal(symlink("a-directory", l), 0);
    char *ta = path_join(g_tmp, "gnu.tar"), *tb = path_join(g_tmp, "gnu-copy.tar");
    assert_int_equal(run("tar --format=gnu -cf '%s' -C '%s' .", ta, d), 0);
    size_t n = 0;
    unsigned char *src = read_all(ta, &n);
    bufpool_t *bp = pool_new("all");
    pb_bytes_t cp = { 0 };
    assert_int_equal(tar_copy_archive(bp, &g_kp, src, n, &cp), PB_OK);
    write_file(tb, cp.data, cp.len_bytes);
    assert_int_equal(run("tar -tvf '%s' > '%s.lst' && tar -tvf '%s' > '%s.lst' && "
                         "cmp -s '%s.lst' '%s.lst'", ta, ta, tb, tb, ta, tb), 0);
    pb_bytes_t got = { 0 };
    assert_int_equal(tar_read_member(bp, &g_kp, cp.data, cp.len_bytes,
                     "./a-directory-with-a-rather-long-name-to-pass-the-hundred-byte-ustar-limit/"
                     "and-a-file-name-that-makes-the-whole-path-longer-than-one-hundred-bytes.txt",
                     &got), PB_OK);
    assert_int_equal(got.len_bytes, 6);
    assert_memory_equal(got.data, "hello\n", 6);
    run("rm -f '%s.lst' '%s.lst'", ta, tb);
    pb_bytes_free(&got);
    pb_bytes_free(&cp);
    bufpool_destroy(bp);
    free(src);
    unlink(ta);
    unlink(tb);
    rm_tree(d);
    free(ta);
    free(tb);
    free(f);
    free(l);
    free(sub);
    free(d);
}

/* ---------------------------------------------------------------- allocation failure */

enum { OP_CREATE_SEQ, OP_CREATE_CONC, OP_READ_MEM, OP_READ_FILE, OP_COPY };

typedef struct fault_ctx {
    int op;
    const char *src;
    const pb_bytes_t *ar;
    const char *ar_file;
    const char *policy;
} fault_ctx_t;

static pb_err_t fault_op(const fault_ctx_t *c, bufpool_t *bp, pb_bytes_t *out)
{
    switch (c->op) {
    case OP_CREATE_SEQ:
        return tar_create_dir(bp, &g_kp, c->src, TAR_CREATE_SEQ, 2, out);
    case OP_CREATE_CONC:
        return tar_create_dir(bp, &g_kp, c->src, TAR_CREATE_CONCURRENT, 2, out);
    case OP_READ_MEM:
        return tar_read_member(bp, &g_kp, c->ar->data, c->ar->len_bytes, "Dockerfile", out);
    case OP_READ_FILE:
        return tar_read_member_file(bp, &g_kp, c->ar_file, "Dockerfile", out);
    default:
        return tar_copy_archive(bp, &g_kp, c->ar->data, c->ar->len_bytes, out);
    }
}

/* Child exit codes. */
enum { FC_OK = 10, FC_NOMEM = 11, FC_LEAK = 20, FC_OTHER = 21, FC_NOFAULT = 22 };

static int fault_child(const fault_ctx_t *c, long after)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    char e[64];
    if (bufpool_policy_parse(c->policy, &cfg, e, sizeof(e)) != 0)
        return FC_OTHER;
    alloc_stats_t s0, s1;
    alloc_stats_read(&s0);
    bufpool_t *bp = bufpool_create(&cfg);
    if (!bp)
        return FC_OTHER;
    pb_bytes_t out = { 0 };
    uint64_t hits0 = alloc_fault_hits();
    alloc_fault_set(after, -1);
    pb_err_t err = fault_op(c, bp, &out);
    alloc_fault_clear();
    uint64_t hits = alloc_fault_hits() - hits0;
    if (err != PB_OK && out.data)
        return FC_OTHER;                        /* an error must leave out empty */
    pb_bytes_free(&out);
    bufpool_destroy(bp);
    alloc_stats_read(&s1);
    if (s1.live_bytes != s0.live_bytes) {
        fprintf(stderr, "after=%ld err=%s leaked %lld bytes\n", after, pb_err_name(err),
                (long long)(s1.live_bytes - s0.live_bytes));
        return FC_LEAK;
    }
    if (err == PB_OK)
        return hits ? FC_OK : FC_NOFAULT;
    if (err == PB_ERR_NOMEM && hits)
        return FC_NOMEM;
    fprintf(stderr, "after=%ld: %s with %llu failed allocations\n", after, pb_err_name(err),
            (unsigned long long)hits);
    return FC_OTHER;
}

static void fault_loop(const fault_ctx_t *c, const char *label)
{
    /* warm up in the parent, so one-time initialisations are not counted as leaks */
    bufpool_t *bp = pool_new(c->policy);
    pb_bytes_t out = { 0 };
    assert_int_equal(fault_op(c, bp, &out), PB_OK);
    pb_bytes_free(&out);
    bufpool_destroy(bp);

    char *errfile = path_join(g_tmp, "child-stderr.txt");
    long after = 0, nomem = 0, lib_exit = 0;
    for (;; after++) {
        assert_true(after < 100000);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0) {
                dup2(fd, 2);
                close(fd);
            }
            _exit(fault_child(c, after));
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && (WEXITSTATUS(status) == FC_OK ||
                                  WEXITSTATUS(status) == FC_NOFAULT))
            break;                              /* success: the loop is done */
        if (WIFEXITED(status) && WEXITSTATUS(status) == FC_NOMEM) {
            nomem++;
            continue;
        }
        size_t n = 0;
        unsigned char *msg = read_all(errfile, &n);
        msg[n] = '\0';
        bool lib = WIFEXITED(status) && WEXITSTATUS(status) == 1 &&
                   strstr((char *)msg, "Fatal Internal Error in libarchive");
        if (lib) {
            lib_exit++;
        } else {
            fprintf(stderr, "%s: after=%ld status=0x%x: %s\n", label, after, status, (char *)msg);
            free(msg);
            fail();
        }
        free(msg);
    }
    fprintf(stderr, "  %s (%s): %ld allocation points, %ld PB_ERR_NOMEM, "
            "%ld exits inside libarchive (its own exit(1) on OOM)\n",
            label, c->policy, after, nomem, lib_exit);
    unlink(errfile);
    free(errfile);
}

static void test_fault_injection(void **state)
{
#ifdef PB_FRONT_SANITIZER   /* sanitizer build: allocations cannot be made to fail (README) */
    print_message("fault injection: not available in sanitizer mode\n");
    skip();
#endif
    (void)state;
    char *src = tree("small", 31, 6, 70000);
    bufpool_t *bp = pool_new("all");
    pb_bytes_t ar = { 0 };
    assert_int_equal(tar_create_dir(bp, &g_kp, src, TAR_CREATE_SEQ, 2, &ar), PB_OK);
    bufpool_destroy(bp);
    char *ar_file = path_join(g_tmp, "small.tar");
    write_file(ar_file, ar.data, ar.len_bytes);
    static const char *const policies[] = { "none", "all" };
    static const struct { int op; const char *label; } ops[] = {
        { OP_CREATE_SEQ, "tar_create seq" }, { OP_CREATE_CONC, "tar_create concurrent" },
        { OP_READ_MEM, "tar_read memory" }, { OP_READ_FILE, "tar_read file" },
        { OP_COPY, "tar_copy" },
    };
    for (size_t p = 0; p < 2; p++)
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            fault_ctx_t c = { ops[i].op, src, &ar, ar_file, policies[p] };
            fault_loop(&c, ops[i].label);
        }
    unlink(ar_file);
    free(ar_file);
    pb_bytes_free(&ar);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_seq),
        cmocka_unit_test(test_create_concurrent),
        cmocka_unit_test(test_create_seq_equals_concurrent),
        cmocka_unit_test(test_create_auto_thresholds),
        cmocka_unit_test(test_create_skips_non_regular),
        cmocka_unit_test(test_read_members),
        cmocka_unit_test(test_read_bad_input),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_copy_gnu_archive),
        cmocka_unit_test(test_fault_injection),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
