/* test_gen.c: tests of gen.c: the deterministic byte stream and generated trees.
 *
 * Checks: gen_bytes against a golden SHA-256 cross-checked with an independent Python
 * implementation, stream determinism and prefix stability, and that gen_tree gives the
 * same tree (names, sizes, modes, mtimes, contents) for the same seed, sums sizes
 * exactly, nests at most 3 directories deep, never replaces an existing dir and leaves no
 * temporary behind. Temporary dirs live under $TMPDIR (or /tmp) and are removed.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"

/* ---------------------------------------------------------------- helpers */

static void sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int l = 0;
    assert_int_equal(EVP_Digest(p, n, md, &l, EVP_sha256(), NULL), 1);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

static char *make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    char *t = NULL;
    assert_true(asprintf(&t, "%s/pb-test-gen-XXXXXX", base) > 0);
    assert_non_null(mkdtemp(t));
    return t;
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

/* One line per entry of a tree: "path type mode size mtime sha" (sorted by nftw order is
 * not stable, so entries are collected and sorted). */
typedef struct listing {
    char **lines;
    size_t n, cap;
    size_t root_len;
    size_t files, dirs, max_depth;
    uint64_t bytes;
} listing_t;

static listing_t *g_list;

static int list_one(const char *p, const struct stat *st, int flag, struct FTW *w)
{
    listing_t *L = g_list;
    const char *rel = p + L->root_len;
    if (*rel == '/')
        rel++;
    if (!*rel)
        return 0;
    char sha[65] = "-";
    if (S_ISREG(st->st_mode)) {
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        unsigned char *buf = malloc((size_t)st->st_size + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)st->st_size, f), (size_t)st->st_size);
        fclose(f);
        sha256_hex(buf, (size_t)st->st_size, sha);
        free(buf);
        L->files++;
        L->bytes += (uint64_t)st->st_size;
        size_t depth = 0;
        for (const char *c = rel; *c; c++)
            depth += *c == '/';
        if (depth > L->max_depth)
            L->max_depth = depth;
    } else if (S_ISDIR(st->st_mode)) {
        L->dirs++;
    }
    char *line = NULL;
    assert_true(asprintf(&line, "%s %c %o %lld %lld %s", rel, S_ISDIR(st->st_mode) ? 'd' : 'f',
                         (unsigned)(st->st_mode & 07777), (long long)st->st_size,
                         (long long)st->st_mtim.tv_sec, sha) > 0);
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 256;
        L->lines = realloc(L->lines, L->cap * sizeof(char *));
        assert_non_null(L->lines);
    }
    L->lines[L->n++] = line;
    (void)flag; (void)w;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_tree(const char *root, listing_t *L)
{
    memset(L, 0, sizeof(*L));
    L->root_len = strlen(root);
    g_list = L;
    assert_int_equal(nftw(root, list_one, 16, FTW_PHYS), 0);
    qsort(L->lines, L->n, sizeof(char *), cmp_str);
}

static void list_free(listing_t *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->lines[i]);
    free(L->lines);
}

static void assert_same_listing(const listing_t *a, const listing_t *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        assert_string_equal(a->lines[i], b->lines[i]);
}

/* ---------------------------------------------------------------- gen_bytes */

/* Golden value computed once from gen_bytes and cross-checked with this independent
 * Python implementation (run with /usr/bin/python3, it printed the same digest):
 *
 *   import hashlib, struct
 *   M = (1 << 64) - 1
 *   def sm(x):
 *       x = (x + 0x9e3779b97f4a7c15) & M; z = x
 *       z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
 *       z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
 *       return x, z ^ (z >> 31)
 *   x = 42; s = []
 *   for i in range(4):
 *       x, v = sm(x); s.append(v)
 *   rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M
 *   out = bytearray()
 *   for i in range((1 << 20) // 8):
 *       r = (rotl((s[1] * 5) & M, 7) * 9) & M
 *       t = (s[1] << 17) & M
 *       s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
 *       s[3] = rotl(s[3], 45)
 *       out += struct.pack('<Q', r)
 *   print(hashlib.sha256(out).hexdigest())   # and out[:16].hex()
 */
#define GOLDEN_SHA_42_1MIB "80c44bce2a8a3a5d93d16d45abe3603f5476a18af89243b7317c320e5dc0b774"
#define GOLDEN_HEAD_42     "16c72e0c2e0b78157e3a116d86d90461"

static void test_gen_bytes_golden(void **state)
{
    (void)state;
    size_t n = (size_t)1 << 20;
    unsigned char *b = malloc(n);
    assert_non_null(b);
    gen_bytes(42, b, n);
    char hex[65];
    sha256_hex(b, n, hex);
    assert_string_equal(hex, GOLDEN_SHA_42_1MIB);
    char head[33];
    for (int i = 0; i < 16; i++)
        sprintf(head + 2 * i, "%02x", b[i]);
    assert_string_equal(head, GOLDEN_HEAD_42);
    free(b);
}

static void test_gen_bytes_deterministic(void **state)
{
    (void)state;
    size_t n = 100003;                        /* not a multiple of 8 */
    unsigned char *a = malloc(n), *b = malloc(n), *c = malloc(n);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    gen_bytes(7, a, n);
    gen_bytes(7, b, n);
    assert_memory_equal(a, b, n);
    gen_bytes(8, c, n);
    assert_memory_not_equal(a, c, 64);
    /* a shorter stream is a prefix of a longer one */
    gen_bytes(7, c, 13);
    assert_memory_equal(a, c, 13);
    /* the rng emits the bytes little-endian */
    gen_rng_t r;
    gen_rng_seed(&r, 7);
    uint64_t v = gen_rng_next(&r);
    for (int k = 0; k < 8; k++)
        assert_int_equal(a[k], (unsigned char)(v >> (8 * k)));
    free(a);
    free(b);
    free(c);
}

/* ---------------------------------------------------------------- gen_tree */

static void check_tree_basics(const char *dir, size_t files, uint64_t total, listing_t *L)
{
    list_tree(dir, L);
    assert_int_equal(L->files, files);
    assert_int_equal(L->bytes, total);
    assert_true(L->max_depth <= 3);
    char *df = NULL;
    assert_true(asprintf(&df, "%s/Dockerfile", dir) > 0);
    struct stat st;
    assert_int_equal(stat(df, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    free(df);
    for (size_t i = 0; i < L->n; i++) {
        char name[4096], type;
        unsigned mode;
        assert_int_equal(sscanf(L->lines[i], "%4095s %c %o", name, &type, &mode), 3);
        if (type == 'f')
            assert_true(mode == 0644 || mode == 0755);
        else
            assert_int_equal(mode, 0755);
    }
}

static void test_gen_tree_same_seed_same_tree(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    char *a = NULL, *b = NULL, *c = NULL;
    assert_true(asprintf(&a, "%s/a", tmp) > 0);
    assert_true(asprintf(&b, "%s/b", tmp) > 0);
    assert_true(asprintf(&c, "%s/c", tmp) > 0);
    const size_t files = 300;
    const uint64_t total = 3 * 1024 * 1024 + 17;
    assert_int_equal(gen_tree(99, files, total, a), PB_OK);
    assert_int_equal(gen_tree(99, files, total, b), PB_OK);
    assert_int_equal(gen_tree(100, files, total, c), PB_OK);
    listing_t la, lb, lc;
    check_tree_basics(a, files, total, &la);
    check_tree_basics(b, files, total, &lb);
    check_tree_basics(c, files, total, &lc);
    assert_same_listing(&la, &lb);
    /* another seed: other contents */
    size_t same = 0;
    for (size_t i = 0; i < la.n && i < lc.n; i++)
        same += strcmp(la.lines[i], lc.lines[i]) == 0;
    assert_true(same < la.n);
    /* a mix: some empty, some small, some large, some executable */
    size_t empty = 0, big = 0, exec = 0;
    for (size_t i = 0; i < la.n; i++) {
        char name[4096], type;
        unsigned mode;
        long long size;
        assert_int_equal(sscanf(la.lines[i], "%4095s %c %o %lld", name, &type, &mode, &size), 4);
        if (type != 'f')
            continue;
        empty += size == 0;
        big += size > 32 * 1024;
        exec += mode == 0755;
    }
    assert_true(empty > 0);
    assert_true(big > 0);
    assert_true(exec > 0);
    /* nothing but a, b, c in tmp: no temporary left behind */
    DIR *d = opendir(tmp);
    assert_non_null(d);
    size_t entries = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        entries += de->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 3);
    list_free(&la);
    list_free(&lb);
    list_free(&lc);
    rm_tree(tmp);
    free(a);
    free(b);
    free(c);
    free(tmp);
}

static void test_gen_tree_refuses_existing(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    char *a = NULL;
    assert_true(asprintf(&a, "%s/x", tmp) > 0);
    assert_int_equal(mkdir(a, 0700), 0);
    assert_int_equal(gen_tree(1, 10, 1000, a), PB_ERR_INPUT);
    DIR *d = opendir(a);
    assert_non_null(d);
    struct dirent *de;
    size_t entries = 0;
    while ((de = readdir(d)))
        entries += de->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 0);               /* untouched */
    assert_int_equal(gen_tree(1, 0, 1000, tmp), PB_ERR_INPUT);
    rm_tree(tmp);
    free(a);
    free(tmp);
}

static void test_gen_tree_edges(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    char *a = NULL, *b = NULL, *c = NULL;
    assert_true(asprintf(&a, "%s/one", tmp) > 0);
    assert_true(asprintf(&b, "%s/zero", tmp) > 0);
    assert_true(asprintf(&c, "%s/many", tmp) > 0);
    listing_t L;
    assert_int_equal(gen_tree(5, 1, 5000, a), PB_OK);     /* only the Dockerfile */
    check_tree_basics(a, 1, 5000, &L);
    assert_int_equal(L.n, 1);
    list_free(&L);
    assert_int_equal(gen_tree(5, 4, 0, b), PB_OK);        /* all files empty */
    check_tree_basics(b, 4, 0, &L);
    list_free(&L);
    assert_int_equal(gen_tree(5, 2000, 2 * 1024 * 1024, c), PB_OK);
    check_tree_basics(c, 2000, 2 * 1024 * 1024, &L);
    assert_true(L.dirs >= 20 && L.dirs <= 64);            /* a few dozen directories */
    list_free(&L);
    rm_tree(tmp);
    free(a);
    free(b);
    free(c);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gen_bytes_golden),
        cmocka_unit_test(test_gen_bytes_deterministic),
        cmocka_unit_test(test_gen_tree_same_seed_same_tree),
        cmocka_unit_test(test_gen_tree_refuses_existing),
        cmocka_unit_test(test_gen_tree_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
