/* test_image_tag.c: image_tag gives image ":" tag on both paths (pooled builder and
 * exact-size in place) for every pool policy, including a tag longer than the builder's
 * keep limit (the builder grows, then is dropped, not kept), and allocation failure at
 * every point (SQLite style) with no leak. Expected strings come from snprintf.
 * Must not: assert on timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc.h"
#include "bufpool.h"
#include "kernels.h"

static const char *const policies[] = {"all", "none", "hash", "tar", "hash,tar"};

static bufpool_t *make_pool(const char *policy)
{
    bufpool_config_t cfg;
    char err[64];
    bufpool_config_default(&cfg);
    assert_int_equal(bufpool_policy_parse(policy, &cfg, err, sizeof err), 0);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    return bp;
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static char *expected(const char *image, const char *tag)
{
    size_t n = strlen(image) + strlen(tag) + 2;
    char *s = malloc(n);
    assert_non_null(s);
    assert_int_equal(snprintf(s, n, "%s:%s", image, tag), (int)(n - 1));
    return s;
}

static bufpool_class_stats_t string_stats(bufpool_t *bp)
{
    bufpool_class_stats_t st;
    bufpool_stats_read(bp, BUFPOOL_STRING, &st);
    return st;
}

static uint64_t live_now(void)
{
    alloc_stats_t st;
    alloc_stats_read(&st);
    return st.live_bytes;
}

typedef struct { const char *image, *tag; } pair_t;

static void test_all_policies_agree(void **state)
{
    char *long_image = repeat('i', 1500), *long_tag = repeat('t', 3000);
    char *edge_tag = repeat('e', 1024 - 8);   /* "registry" (8) + ":" crosses 1 KiB */
    const pair_t cases[] = {
        {"", ""}, {"alpine", "3.19"}, {"registry.example.com/org/app", "sha-0123abcd"},
        {"a", ""}, {"", "b"}, {"registry", edge_tag}, {long_image, "latest"},
        {"app", long_tag}, {long_image, long_tag},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *want = expected(cases[c].image, cases[c].tag);
        for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
            bufpool_t *bp = make_pool(policies[p]);
            int pooled = bufpool_config(bp)->pooled[BUFPOOL_STRING];
            for (int rep = 0; rep < 3; rep++) {
                char *out = NULL;
                assert_int_equal(image_tag_build(bp, cases[c].image, cases[c].tag, &out), PB_OK);
                assert_non_null(out);
                assert_string_equal(out, want);
                free(out);
            }
            bufpool_class_stats_t st = string_stats(bp);
            assert_int_equal(st.gets, pooled ? 3 : 0);
            bufpool_destroy(bp);
        }
        free(want);
    }
    free(edge_tag);
    free(long_image);
    free(long_tag);
}

static void test_long_tag_builder_dropped(void **state)
{
    char *tag = repeat('t', 2500);
    char *want = expected("img", tag);
    bufpool_t *bp = make_pool("all");
    assert_true(bufpool_config(bp)->pooled[BUFPOOL_STRING]);
    char *out = NULL;
    assert_int_equal(image_tag_build(bp, "img", "short", &out), PB_OK);
    assert_string_equal(out, "img:short");
    free(out);
    bufpool_class_stats_t st = string_stats(bp);
    assert_int_equal(st.drops, 0);
    assert_int_equal(image_tag_build(bp, "img", tag, &out), PB_OK);
    assert_string_equal(out, want);
    free(out);
    st = string_stats(bp);
    assert_int_equal(st.gets, 2);
    assert_int_equal(st.drops, 1);       /* grown past 2 KiB: released, not kept */
    /* the dropped builder is gone: the pool is empty again, so the next get must create
     * a builder (a miss), as the first one did */
    assert_int_equal(image_tag_build(bp, "img", "x", &out), PB_OK);
    assert_string_equal(out, "img:x");
    free(out);
    st = string_stats(bp);
    assert_int_equal(st.drops, 1);
    assert_int_equal(st.gets, 3);
    assert_int_equal(st.hits + st.misses, 3);
    assert_true(st.misses >= 2);
    bufpool_destroy(bp);
    free(want);
    free(tag);
}

static void test_result_is_exact_allocation(void **state)
{
    /* the result is a fresh allocation the caller owns, sized for the string:
     * counted as one alloc of exactly len+1 bytes on the unpooled path */
    bufpool_t *bp = make_pool("none");
    alloc_stats_t a, b;
    char *out = NULL;
    alloc_stats_read(&a);
    assert_int_equal(image_tag_build(bp, "alpine", "3.19", &out), PB_OK);
    alloc_stats_read(&b);
    assert_int_equal(b.alloc_calls - a.alloc_calls, 1);
    assert_int_equal(b.alloc_bytes - a.alloc_bytes, strlen("alpine:3.19") + 1);
    free(out);
    bufpool_destroy(bp);
}

static long fault_loop(const char *policy, const char *image, const char *tag, int warm)
{
    char *want = expected(image, tag);
    for (long after = 0; after < 10000; after++) {
        uint64_t live0 = live_now();
        bufpool_t *bp = make_pool(policy);
        char *out = NULL;
        if (warm) {
            assert_int_equal(image_tag_build(bp, "w", "w", &out), PB_OK);
            free(out);
            out = NULL;
        }
        alloc_fault_set(after, -1);
        pb_err_t err = image_tag_build(bp, image, tag, &out);
        alloc_fault_clear();
        if (err == PB_OK) {
            assert_non_null(out);
            assert_string_equal(out, want);
            free(out);
        } else {
            assert_int_equal(err, PB_ERR_NOMEM);
            assert_null(out);
        }
        bufpool_destroy(bp);
        if (live_now() != live0)
            fail_msg("after=%ld: live bytes %llu -> %llu", after,
                     (unsigned long long)live0, (unsigned long long)live_now());
        if (err == PB_OK) {
            free(want);
            return after;
        }
    }
    fail_msg("never succeeded");
    return -1;
}

static void test_faults(void **state)
{
#ifdef PB_FRONT_SANITIZER   /* sanitizer build: allocations cannot be made to fail (README) */
    print_message("fault injection: not available in sanitizer mode\n");
    skip();
#endif
    char *tag = repeat('t', 5000);
    for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
        for (int warm = 0; warm < 2; warm++) {
            long a = fault_loop(policies[p], "alpine", "3.19", warm);
            long b = fault_loop(policies[p], "alpine", tag, warm);
            assert_true(a >= 1 && b >= 1);
        }
    }
    free(tag);
}

static void test_bad_input(void **state)
{
    bufpool_t *bp = make_pool("all");
    char *out = (char *)1;
    assert_int_equal(image_tag_build(bp, NULL, "t", &out), PB_ERR_INPUT);
    assert_int_equal(image_tag_build(bp, "i", NULL, &out), PB_ERR_INPUT);
    assert_int_equal(image_tag_build(bp, "i", "t", NULL), PB_ERR_INPUT);
    bufpool_destroy(bp);
}

static int setup(void **state)
{
    alloc_gc_configure(0, 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_policies_agree),
        cmocka_unit_test(test_long_tag_builder_dropped),
        cmocka_unit_test(test_result_is_exact_allocation),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
