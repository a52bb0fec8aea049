/* test_build.c: tests of build.c, the build workload composed of the kernels.
 *
 * Checks: on a small context (archive <= 1 MiB, so its checksum is a plain SHA-256) the
 * result equals one recomputed independently (per-file SHA-256 from the files on disk,
 * the digest list hashed with OpenSSL, the Dockerfile read from disk); the result is the
 * same under pool policies "all" and "none" and both standard allocators, on a context
 * large enough for the concurrent tar and checksum paths; a missing Dockerfile is
 * PB_ERR_NOT_FOUND; bad arguments are PB_ERR_INPUT. Temporary dirs live under $TMPDIR
 * (or /tmp) and are removed.
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
#include "kernels.h"

static char *g_tmp;
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

static bufpool_t *pool_new(const char *policy, bufpool_std_alloc_t std)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    char err[64];
    assert_int_equal(bufpool_policy_parse(policy, &cfg, err, sizeof(err)), 0);
    cfg.std_alloc = std;
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    return bp;
}

static void sha256(const void *p, size_t n, unsigned char md[32])
{
    unsigned int l = 0;
    assert_int_equal(EVP_Digest(n ? p : "", n, md, &l, EVP_sha256(), NULL), 1);
}

static void hex32(const unsigned char md[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
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

static int byte_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Appends the SHA-256 of every regular file under root/rel, in Go filepath.Walk order. */
static void walk_digests(const char *root, const char *rel, EVP_MD_CTX *sum)
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
            if (S_ISDIR(st.st_mode)) {
                walk_digests(root, r, sum);
            } else if (S_ISREG(st.st_mode)) {
                size_t len = 0;
                unsigned char *b = read_all(full, &len), md[32];
                sha256(b, len, md);
                assert_int_equal(EVP_DigestUpdate(sum, md, 32), 1);
                free(b);
            }
            free(full);
            free(r);
        }
        free(ents[i]);
    }
    free(ents);
    free(dir);
}

static int group_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    if (asprintf(&g_tmp, "%s/pb-test-build-XXXXXX", base) < 0 || !mkdtemp(g_tmp))
        return -1;
    kernel_params_default(&g_kp);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    nftw(g_tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(g_tmp);
    return 0;
}

static void run_build(const char *ctx, const char *policy, bufpool_std_alloc_t std,
                      char hex[PB_SHA256_HEX_BYTES])
{
    bufpool_t *bp = pool_new(policy, std);
    build_input_t in = { ctx, NULL, "registry.example/app", "v1.2.3", 2, 2 };
    assert_int_equal(build_run(bp, &g_kp, &in, hex), PB_OK);
    assert_int_equal(strlen(hex), 64);
    bufpool_destroy(bp);
}

static void test_build_matches_independent(void **state)
{
    (void)state;
    char *ctx = path_join(g_tmp, "small");
    assert_int_equal(gen_tree(77, 40, 300000, ctx), PB_OK);
    char got[PB_SHA256_HEX_BYTES];
    run_build(ctx, "all", BUFPOOL_STD_CALLOC, got);

    bufpool_t *bp = pool_new("none", BUFPOOL_STD_CALLOC);
    pb_bytes_t ar = { 0 }, cp = { 0 };
    assert_int_equal(tar_create_dir(bp, &g_kp, ctx, TAR_CREATE_AUTO, 2, &ar), PB_OK);
    assert_true(ar.len_bytes <= g_kp.concurrent_min_bytes);   /* plain SHA-256 path */
    assert_int_equal(tar_copy_archive(bp, &g_kp, ar.data, ar.len_bytes, &cp), PB_OK);
    unsigned char md[32];
    char l_arch[65], l_sum[65], l_docker[65], l_copy[65];
    sha256(ar.data, ar.len_bytes, md);
    hex32(md, l_arch);
    EVP_MD_CTX *sum = EVP_MD_CTX_new();
    assert_non_null(sum);
    assert_int_equal(EVP_DigestInit_ex(sum, EVP_sha256(), NULL), 1);
    walk_digests(ctx, NULL, sum);
    unsigned int l = 0;
    assert_int_equal(EVP_DigestFinal_ex(sum, md, &l), 1);
    EVP_MD_CTX_free(sum);
    hex32(md, l_sum);
    char *df = path_join(ctx, "Dockerfile");
    size_t dn = 0;
    unsigned char *d = read_all(df, &dn);
    assert_true(dn > 100 && memcmp(d, "# poolbench", 11) == 0);
    sha256(d, dn, md);
    hex32(md, l_docker);
    sha256(cp.data, cp.len_bytes, md);
    hex32(md, l_copy);
    char *record = NULL;
    assert_true(asprintf(&record, "%s\n%s\n%s\n%s\nregistry.example/app:v1.2.3\n"
                         "registry.example/app:latest\n", l_arch, l_sum, l_docker, l_copy) > 0);
    char want[65];
    sha256(record, strlen(record), md);
    hex32(md, want);
    assert_string_equal(got, want);
    free(record);
    free(d);
    free(df);
    pb_bytes_free(&ar);
    pb_bytes_free(&cp);
    bufpool_destroy(bp);
    free(ctx);
}

static void test_build_same_under_policies(void **state)
{
    (void)state;
    char *ctx = path_join(g_tmp, "large");
    /* > 20 files and > 1 MiB: concurrent tar, concurrent archive checksum */
    assert_int_equal(gen_tree(78, 500, 6 * 1024 * 1024, ctx), PB_OK);
    char a[PB_SHA256_HEX_BYTES], b[PB_SHA256_HEX_BYTES];
    char c[PB_SHA256_HEX_BYTES], d[PB_SHA256_HEX_BYTES];
    run_build(ctx, "all", BUFPOOL_STD_CALLOC, a);
    run_build(ctx, "none", BUFPOOL_STD_CALLOC, b);
    run_build(ctx, "all", BUFPOOL_STD_MALLOC, c);
    run_build(ctx, "none", BUFPOOL_STD_MALLOC, d);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    assert_string_equal(a, d);
    /* another tag gives another result */
    bufpool_t *bp = pool_new("all", BUFPOOL_STD_CALLOC);
    build_input_t in = { ctx, "Dockerfile", "registry.example/app", "v2", 2, 2 };
    char e[PB_SHA256_HEX_BYTES];
    assert_int_equal(build_run(bp, &g_kp, &in, e), PB_OK);
    assert_string_not_equal(a, e);
    bufpool_destroy(bp);
    free(ctx);
}

static void test_build_errors(void **state)
{
    (void)state;
    char *ctx = path_join(g_tmp, "nodocker");
    assert_int_equal(gen_tree(79, 10, 20000, ctx), PB_OK);
    char *df = path_join(ctx, "Dockerfile");
    assert_int_equal(unlink(df), 0);
    bufpool_t *bp = pool_new("all", BUFPOOL_STD_CALLOC);
    char hex[PB_SHA256_HEX_BYTES];
    build_input_t in = { ctx, NULL, "img", "t", 2, 2 };
    assert_int_equal(build_run(bp, &g_kp, &in, hex), PB_ERR_NOT_FOUND);
    in.dockerfile = "f00001_missing.c";
    assert_int_equal(build_run(bp, &g_kp, &in, hex), PB_ERR_NOT_FOUND);
    in.tag = NULL;
    assert_int_equal(build_run(bp, &g_kp, &in, hex), PB_ERR_INPUT);
    char *missing = path_join(g_tmp, "no-such-context");
    build_input_t in2 = { missing, NULL, "img", "t", 2, 2 };
    assert_int_equal(build_run(bp, &g_kp, &in2, hex), PB_ERR_IO);
    bufpool_destroy(bp);
    free(missing);
    free(df);
    free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_matches_independent),
        cmocka_unit_test(test_build_same_under_policies),
        cmocka_unit_test(test_build_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
