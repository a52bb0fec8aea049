/* test_checksum_concurrent.c: checksum_concurrent against a hash of chunk hashes that
 * Python's hashlib computes (its own chunking, written from KERNELS.md, not from the
 * kernel; not OpenSSL, which the kernel uses), its fallbacks (1 MiB, small chunks), the worker
 * minimum, one hash buffer per chunk, and allocation failure at every point (SQLite
 * style) with no leak. Must not: assert on timing or on which thread hashed what.
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

static const char *const policies[] = {"all", "none", "hash", "tar", "hash,tar", "plain"};

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

/* The reference digests from Python's hashlib (not OpenSSL's SHA256(), which the kernel
 * uses through EVP): the bytes go to a temporary file; parts 0 = the plain SHA-256 of the
 * whole, else KERNELS.md's chunking: `parts` chunks of len/parts bytes, the last one takes
 * the remainder, and the result is SHA-256 over the chunk digests in order. */
static void ref_hashlib(const unsigned char *data, size_t n, size_t parts, char hex[65])
{
    char path[] = "/tmp/pb_test_checksum_conc_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import hashlib,sys\n"
             "d=open(sys.argv[1],\"rb\").read(); p=int(sys.argv[2]); n=len(d)\n"
             "if p == 0: print(hashlib.sha256(d).hexdigest())\n"
             "else:\n"
             " c=n//p\n"
             " print(hashlib.sha256(b\"\".join(hashlib.sha256(d[i*c:(n if i==p-1 else i*c+c)]).digest()"
             " for i in range(p))).hexdigest())' '%s' %zu", path, parts);
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    char line[256] = "";
    char *got = fgets(line, sizeof line, pp);
    int st = pclose(pp);
    unlink(path);
    if (!got || st != 0)
        fail_msg("python3 hashlib failed (python3 is a test dependency): status %d", st);
    assert_true(strlen(line) >= 64);
    memcpy(hex, line, 64);
    hex[64] = '\0';
}

static void ref_plain(const unsigned char *data, size_t n, char hex[65])
{
    ref_hashlib(data, n, 0, hex);
}

static void ref_chunked(const unsigned char *data, size_t n, size_t parts, char hex[65])
{
    assert_true(parts >= 1);
    ref_hashlib(data, n, parts, hex);
}

static uint64_t hash_gets(bufpool_t *bp)
{
    bufpool_class_stats_t st;
    bufpool_stats_read(bp, BUFPOOL_HASH, &st);
    return st.gets;
}

static uint64_t live_now(void)
{
    alloc_stats_t st;
    alloc_stats_read(&st);
    return st.live_bytes;
}

static void test_matches_reference(void **state)
{
    static const size_t sizes[] = {MIB + 1, 2 * MIB + 3, 5 * MIB + 12345};
    static const int workers[] = {2, 3, 4, 7};
    static const size_t bufs[] = {32 * KIB, 64 * KIB, MIB, 5000};
    kernel_params_t kp;
    kernel_params_default(&kp);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        unsigned char *data = make_data(sizes[s], (uint32_t)(s + 11));
        char plain[65];
        ref_plain(data, sizes[s], plain);
        for (size_t w = 0; w < sizeof workers / sizeof workers[0]; w++) {
            char want[65];
            ref_chunked(data, sizes[s], (size_t)workers[w], want);
            assert_string_not_equal(want, plain);
            for (size_t b = 0; b < sizeof bufs / sizeof bufs[0]; b++) {
                for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
                    bufpool_t *bp = make_pool(policies[p], bufs[b]);
                    for (int rep = 0; rep < 2; rep++) {
                        char hex[PB_SHA256_HEX_BYTES] = "";
                        assert_int_equal(checksum_concurrent_compute(bp, &kp, data, sizes[s],
                                                                     workers[w], hex), PB_OK);
                        assert_string_equal(hex, want);
                    }
                    /* one hash buffer per chunk, per call; none for the plain code */
                    int plain_code = bufpool_config(bp)->plain;
                    assert_int_equal(hash_gets(bp), plain_code ? 0 : 2 * (uint64_t)workers[w]);
                    bufpool_destroy(bp);
                }
            }
        }
        free(data);
    }
}

static void test_worker_minimum(void **state)
{
    kernel_params_t kp;
    kernel_params_default(&kp);
    size_t n = 3 * MIB + 5;
    unsigned char *data = make_data(n, 21);
    char want[65];
    ref_chunked(data, n, 2, want);
    static const int workers[] = {-5, 0, 1, 2};
    for (size_t w = 0; w < sizeof workers / sizeof workers[0]; w++) {
        bufpool_t *bp = make_pool("all", 0);
        char hex[PB_SHA256_HEX_BYTES];
        assert_int_equal(checksum_concurrent_compute(bp, &kp, data, n, workers[w], hex), PB_OK);
        assert_string_equal(hex, want);
        assert_int_equal(hash_gets(bp), 2);
        bufpool_destroy(bp);
    }
    /* the minimum is a parameter */
    kernel_params_t kp3 = kp;
    kp3.min_workers = 3;
    ref_chunked(data, n, 3, want);
    bufpool_t *bp = make_pool("none", 0);
    char hex[PB_SHA256_HEX_BYTES];
    assert_int_equal(checksum_concurrent_compute(bp, &kp3, data, n, 1, hex), PB_OK);
    assert_string_equal(hex, want);
    assert_int_equal(hash_gets(bp), 3);
    bufpool_destroy(bp);
    free(data);
}

static void test_fallbacks(void **state)
{
    kernel_params_t kp;
    kernel_params_default(&kp);
    unsigned char *data = make_data(MIB + 1, 31);
    char want[65], hex[PB_SHA256_HEX_BYTES];
    for (size_t p = 0; p < 2; p++) {
        /* at or below 1 MiB: plain checksum (one hash buffer, or none up to 4096) */
        static const size_t small[] = {0, 1, 4096, 4097, 65537, MIB};
        for (size_t s = 0; s < sizeof small / sizeof small[0]; s++) {
            bufpool_t *bp = make_pool(policies[p], 0);
            ref_plain(data, small[s], want);
            assert_int_equal(checksum_concurrent_compute(bp, &kp, data, small[s], 4, hex), PB_OK);
            assert_string_equal(hex, want);
            assert_int_equal(hash_gets(bp), small[s] > 4096 ? 1 : 0);
            bufpool_destroy(bp);
        }
        /* 1 MiB + 1 with 256 workers: chunk 4096, concurrent; 257: chunk < 4096, plain */
        bufpool_t *bp = make_pool(policies[p], 0);
        ref_chunked(data, MIB + 1, 256, want);
        assert_int_equal(checksum_concurrent_compute(bp, &kp, data, MIB + 1, 256, hex), PB_OK);
        assert_string_equal(hex, want);
        assert_int_equal(hash_gets(bp), 256);
        ref_plain(data, MIB + 1, want);
        assert_int_equal(checksum_concurrent_compute(bp, &kp, data, MIB + 1, 257, hex), PB_OK);
        assert_string_equal(hex, want);
        assert_int_equal(hash_gets(bp), 257);
        bufpool_destroy(bp);
    }
    free(data);
}

/* Allocation failure at every point: pool created before and destroyed after the call
 * (pooled buffers are released with it), live bytes must return to where they were. */
static long fault_loop(const char *policy, const unsigned char *data, size_t n, int workers,
                       const char *want)
{
    kernel_params_t kp;
    kernel_params_default(&kp);
    for (long after = 0; after < 100000; after++) {
        char hex[PB_SHA256_HEX_BYTES] = "";
        uint64_t live0 = live_now();
        bufpool_t *bp = make_pool(policy, 0);
        alloc_fault_set(after, -1);
        pb_err_t err = checksum_concurrent_compute(bp, &kp, data, n, workers, hex);
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
    size_t n = 2 * MIB + 7;
    unsigned char *data = make_data(n, 41);
    static const int workers[] = {2, 4};
    for (size_t w = 0; w < 2; w++) {
        char want[65];
        ref_chunked(data, n, (size_t)workers[w], want);
        for (size_t p = 0; p < 2; p++) {
            long points = fault_loop(policies[p], data, n, workers[w], want);
            print_message("%d workers, policy %s: %ld failure points\n", workers[w],
                          policies[p], points);
            assert_true(points >= 2 * workers[w]);
        }
    }
    free(data);
}

static int warm_up(void **state)
{
    /* OpenSSL's one-time initialisation, the main thread's error queue and the thread
     * stacks glibc caches (with their TLS blocks) are set up here, outside leak checks. */
    kernel_params_t kp;
    kernel_params_default(&kp);
    bufpool_t *bp = make_pool("none", 0);
    unsigned char *data = make_data(2 * MIB, 1);
    char hex[PB_SHA256_HEX_BYTES];
    assert_int_equal(checksum_concurrent_compute(bp, &kp, data, 2 * MIB, 8, hex), PB_OK);
    free(data);
    bufpool_destroy(bp);
    ERR_clear_error();
    alloc_gc_configure(0, 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_worker_minimum),
        cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, warm_up, NULL);
}
