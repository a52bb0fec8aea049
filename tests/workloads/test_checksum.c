/* test_checksum.c: checksum and sum_checksum against known answers (NIST vectors) and
 * coreutils' sha256sum (independent of OpenSSL, which the kernels use), their pool thresholds (via bufpool stats), and allocation failure
 * at every point (SQLite style: fail the Nth allocation and every later one, for every
 * N until the call succeeds; each call returns PB_OK or PB_ERR_NOMEM and leaks nothing).
 * Must not: assert on timing, or depend on the kernels' own helpers for expected values.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/err.h>

#include "alloc.h"
#include "bufpool.h"
#include "kernels.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

static const char *const policies[] = {"all", "none", "hash", "tar", "hash,tar", "plain",
                                       "tar,plain"};
static const size_t buf_sizes[] = {32 * KIB, 64 * KIB, MIB, 5000};

static bufpool_t *make_pool(const char *policy, size_t hash_bytes)
{
    bufpool_config_t cfg;
    char err[64];
    bufpool_config_default(&cfg);
    assert_int_equal(bufpool_policy_parse(policy, &cfg, err, sizeof err), 0);
    if (hash_bytes) {
        cfg.size_bytes[BUFPOOL_HASH] = hash_bytes;
        cfg.size_bytes[BUFPOOL_SMALL] = hash_bytes;
    }
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    return bp;
}

/* test data: a simple LCG, independent of gen.c */
static unsigned char *make_data(size_t n, uint32_t seed)
{
    unsigned char *p = malloc(n ? n : 1);
    assert_non_null(p);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (unsigned char)(x >> 24);
    }
    return p;
}

/* The reference digest from coreutils' sha256sum (its own SHA-256, not OpenSSL, which the
 * kernel uses): the bytes go to a temporary file, sha256sum prints the hex. */
static void ref_hex(const unsigned char *data, size_t n, char hex[65])
{
    char path[] = "/tmp/pb_test_checksum_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256] = "";
    char *got = fgets(line, sizeof line, p);
    int st = pclose(p);
    unlink(path);
    if (!got || st != 0)
        fail_msg("sha256sum failed (coreutils is a test dependency): status %d", st);
    assert_true(strlen(line) > 64 && line[64] == ' ');
    memcpy(hex, line, 64);
    hex[64] = '\0';
}

static uint64_t gets_of(bufpool_t *bp, bufpool_class_t cls)
{
    bufpool_class_stats_t st;
    bufpool_stats_read(bp, cls, &st);
    return st.gets;
}

static uint64_t live_now(void)
{
    alloc_stats_t st;
    alloc_stats_read(&st);
    return st.live_bytes;
}

/* ---- known answers ---------------------------------------------------------------- */

static void test_nist_vectors(void **state)
{
    static const struct { const char *msg; const char *hex; } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
         "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    kernel_params_t kp;
    kernel_params_default(&kp);
    char hex[PB_SHA256_HEX_BYTES];
    for (size_t p = 0; p < 2; p++) {
        bufpool_t *bp = make_pool(policies[p], 0);
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
            assert_int_equal(checksum_compute(bp, &kp, (const unsigned char *)v[i].msg,
                                              strlen(v[i].msg), hex), PB_OK);
            assert_string_equal(hex, v[i].hex);
        }
        /* one million 'a': the buffered path, with several buffer sizes */
        size_t n = 1000000;
        unsigned char *a = malloc(n);
        assert_non_null(a);
        memset(a, 'a', n);
        for (size_t b = 0; b < sizeof buf_sizes / sizeof buf_sizes[0]; b++) {
            bufpool_t *bp2 = make_pool(policies[p], buf_sizes[b]);
            assert_int_equal(checksum_compute(bp2, &kp, a, n, hex), PB_OK);
            assert_string_equal(hex,
                "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
            bufpool_destroy(bp2);
        }
        free(a);
        bufpool_destroy(bp);
    }
}

static void test_checksum_matches_sha256sum(void **state)
{
    static const size_t sizes[] = {0, 1, 4096, 4097, 65535, 65536, 65537,
                                   MIB, MIB + 1, 3 * MIB + 17};
    kernel_params_t kp;
    kernel_params_default(&kp);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        unsigned char *data = make_data(sizes[s], (uint32_t)s);
        char want[65], hex[PB_SHA256_HEX_BYTES];
        ref_hex(data, sizes[s], want);
        for (size_t b = 0; b < sizeof buf_sizes / sizeof buf_sizes[0]; b++) {
            for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
                bufpool_t *bp = make_pool(policies[p], buf_sizes[b]);
                /* twice: the second call may reuse a pooled, zeroed buffer */
                for (int rep = 0; rep < 2; rep++) {
                    memset(hex, 'x', sizeof hex);
                    assert_int_equal(checksum_compute(bp, &kp, data, sizes[s], hex), PB_OK);
                    assert_string_equal(hex, want);
                }
                bufpool_destroy(bp);
            }
        }
        free(data);
    }
}

static void test_checksum_threshold(void **state)
{
    kernel_params_t kp;
    kernel_params_default(&kp);
    unsigned char *data = make_data(4097, 7);
    char hex[PB_SHA256_HEX_BYTES];
    for (size_t p = 0; p < 2; p++) {
        bufpool_t *bp = make_pool(policies[p], 0);
        assert_int_equal(checksum_compute(bp, &kp, data, 4096, hex), PB_OK);
        assert_int_equal(gets_of(bp, BUFPOOL_HASH), 0);
        assert_int_equal(checksum_compute(bp, &kp, data, 4097, hex), PB_OK);
        assert_int_equal(gets_of(bp, BUFPOOL_HASH), 1);
        /* the threshold is a parameter */
        kernel_params_t kp2 = kp;
        kp2.checksum_direct_max_bytes = 100;
        assert_int_equal(checksum_compute(bp, &kp2, data, 101, hex), PB_OK);
        assert_int_equal(gets_of(bp, BUFPOOL_HASH), 2);
        bufpool_destroy(bp);
    }
    free(data);
}

/* Branch B ("plain"): the hash class takes no buffer at all, whatever the size, and
 * sum_checksum holds no small buffer; "hash,plain" still pools hash. */
static void test_plain_takes_no_buffer(void **state)
{
    kernel_params_t kp;
    kernel_params_default(&kp);
    unsigned char *data = make_data(MIB + 3, 9);
    char want[65], hex[PB_SHA256_HEX_BYTES];
    ref_hex(data, MIB + 3, want);
    bufpool_t *bp = make_pool("plain", 0);
    assert_int_equal(checksum_compute(bp, &kp, data, MIB + 3, hex), PB_OK);
    assert_string_equal(hex, want);
    assert_int_equal(gets_of(bp, BUFPOOL_HASH), 0);
    unsigned char (*digests)[PB_SHA256_BYTES] = (unsigned char (*)[PB_SHA256_BYTES])data;
    assert_int_equal(sum_checksum_compute(bp, &kp, digests, 100, hex), PB_OK);
    assert_int_equal(gets_of(bp, BUFPOOL_SMALL) + gets_of(bp, BUFPOOL_HASH), 0);
    bufpool_destroy(bp);
    bp = make_pool("hash,plain", 0);
    assert_int_equal(checksum_compute(bp, &kp, data, MIB + 3, hex), PB_OK);
    assert_string_equal(hex, want);
    assert_int_equal(gets_of(bp, BUFPOOL_HASH), 1);
    bufpool_destroy(bp);
    free(data);
}

/* ---- sum_checksum ---------------------------------------------------------------- */

static void test_sum_checksum(void **state)
{
    static const size_t counts[] = {0, 1, 2, 31, 32, 33, 100, 1000};
    kernel_params_t kp;
    kernel_params_default(&kp);
    unsigned char (*dig)[PB_SHA256_BYTES] = (void *)make_data(1000 * 32, 99);
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        char want[65], hex[PB_SHA256_HEX_BYTES];
        ref_hex((const unsigned char *)dig, n * 32, want);
        for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
            bufpool_t *bp = make_pool(policies[p], 0);
            assert_int_equal(sum_checksum_compute(bp, &kp, (const void *)dig, n, hex), PB_OK);
            assert_string_equal(hex, want);
            uint64_t small = gets_of(bp, BUFPOOL_SMALL);
            /* digests total > 1024 bytes (n > 32): exactly one small buffer held; the
             * plain code (Branch B) holds none */
            int plain = bufpool_config(bp)->plain && !bufpool_config(bp)->pooled[BUFPOOL_SMALL];
            assert_int_equal(small, n * 32 > 1024 && !plain ? 1 : 0);
            assert_int_equal(gets_of(bp, BUFPOOL_TAR) + gets_of(bp, BUFPOOL_STRING), 0);
            bufpool_destroy(bp);
        }
    }
    free(dig);
}

/* ---- allocation failure, SQLite style ------------------------------------------- */

typedef pb_err_t (*call_fn)(bufpool_t *bp, const kernel_params_t *kp, const void *arg,
                            char hex[PB_SHA256_HEX_BYTES]);

typedef struct { const unsigned char *data; size_t n; } span_t;

static pb_err_t call_checksum(bufpool_t *bp, const kernel_params_t *kp, const void *arg,
                              char hex[PB_SHA256_HEX_BYTES])
{
    const span_t *s = arg;
    return checksum_compute(bp, kp, s->data, s->n, hex);
}

static pb_err_t call_sum(bufpool_t *bp, const kernel_params_t *kp, const void *arg,
                         char hex[PB_SHA256_HEX_BYTES])
{
    const span_t *s = arg;
    return sum_checksum_compute(bp, kp, (const void *)s->data, s->n / 32, hex);
}

/* Fails allocation `after` onwards for after = 0, 1, ... until the call succeeds;
 * returns the number of failed attempts. The pool lives only around the call, so
 * pooled buffers count as released once it is destroyed. */
static long fault_loop(const char *policy, call_fn fn, const void *arg, const char *want)
{
    kernel_params_t kp;
    kernel_params_default(&kp);
    for (long after = 0; after < 100000; after++) {
        char hex[PB_SHA256_HEX_BYTES] = "";
        uint64_t live0 = live_now();
        bufpool_t *bp = make_pool(policy, 0);
        if (policy[0] == 'a') {
            /* warm: one buffer of each class already pooled */
            assert_int_equal(fn(bp, &kp, arg, hex), PB_OK);
        }
        alloc_fault_set(after, -1);
        pb_err_t err = fn(bp, &kp, arg, hex);
        alloc_fault_clear();
        bufpool_destroy(bp);
        if (err != PB_OK && err != PB_ERR_NOMEM)
            fail_msg("after=%ld: err %d (%s)", after, err, pb_err_name(err));
        if (live_now() != live0)
            fail_msg("after=%ld: live bytes %llu -> %llu", after,
                     (unsigned long long)live0, (unsigned long long)live_now());
        if (err == PB_OK) {
            assert_string_equal(hex, want);
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
    static const size_t sizes[] = {0, 100, 4097, 200000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        unsigned char *data = make_data(sizes[s], 3);
        span_t span = {data, sizes[s]};
        char want[65];
        ref_hex(data, sizes[s], want);
        long none = fault_loop("none", call_checksum, &span, want);
        long all = fault_loop("all", call_checksum, &span, want);
        print_message("checksum %zu bytes: %ld failure points unpooled, %ld pooled\n",
                      sizes[s], none, all);
        assert_true(none >= 1);   /* the call does allocate, so failures were injected */
        free(data);
    }
    static const size_t counts[] = {1, 33, 100};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        unsigned char *data = make_data(counts[c] * 32, 5);
        span_t span = {data, counts[c] * 32};
        char want[65];
        ref_hex(data, span.n, want);
        long none = fault_loop("none", call_sum, &span, want);
        long all = fault_loop("all", call_sum, &span, want);
        print_message("sum_checksum %zu digests: %ld failure points unpooled, %ld pooled\n",
                      counts[c], none, all);
        assert_true(none >= 1);
        free(data);
    }
}

static void test_bad_input(void **state)
{
    kernel_params_t kp;
    kernel_params_default(&kp);
    bufpool_t *bp = make_pool("all", 0);
    char hex[PB_SHA256_HEX_BYTES];
    assert_int_equal(checksum_compute(bp, &kp, NULL, 5, hex), PB_ERR_INPUT);
    assert_int_equal(sum_checksum_compute(bp, &kp, NULL, 5, hex), PB_ERR_INPUT);
    assert_int_equal(checksum_compute(NULL, &kp, (const unsigned char *)"a", 1, hex),
                     PB_ERR_INPUT);
    assert_int_equal(checksum_compute(bp, &kp, NULL, 0, hex), PB_OK);
    bufpool_destroy(bp);
}

static int warm_up(void **state)
{
    /* OpenSSL initialises itself (thousands of allocations) on the first digest, and
     * keeps a per-thread error queue from the first error on: both happen here,
     * outside every leak check. */
    kernel_params_t kp;
    kernel_params_default(&kp);
    bufpool_t *bp = make_pool("all", 0);
    char hex[PB_SHA256_HEX_BYTES];
    assert_int_equal(checksum_compute(bp, &kp, (const unsigned char *)"abc", 3, hex), PB_OK);
    bufpool_destroy(bp);
    ERR_clear_error();
    alloc_gc_configure(0, 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_checksum_matches_sha256sum),
        cmocka_unit_test(test_checksum_threshold),
        cmocka_unit_test(test_plain_takes_no_buffer),
        cmocka_unit_test(test_sum_checksum),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, warm_up, NULL);
}
