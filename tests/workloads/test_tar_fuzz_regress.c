/* test_tar_fuzz_regress.c: the tar kernels on every archive fuzzing found a bug with
 * (tests/fuzz/corpus/tar_copy/regress-*.tar; tests/fuzz/fuzz_tar_copy.c and
 * fuzz_tar_read.c found them).
 *
 * Every regress-*.tar is a corrupt archive, so tar_copy_archive must reject it with
 * PB_ERR_INPUT (kernels.h: "not a tar archive or corrupt"), with all classes pooled and
 * with none, and leave its output empty. tar_read, from memory and from the file, is
 * asked for a member the archive does not hold (so the reader goes through every header
 * and skips every member's data): on regress-*.tar it must say PB_ERR_INPUT too, on
 * regress-data-*.tar (readable headers, the corruption is in a member's data, which only
 * a copy reads) PB_ERR_NOT_FOUND. The test fails when the folder has no regress-*.tar.
 * tar_copy must also stay within TEST_REGRESS_PEAK_BYTES of live memory (the counting
 * front end's peak), and the whole test runs with its address space limited to 1 GiB
 * (in an ASan or TSan build: its resident memory to 2 GiB, the sanitizer's
 * hard_rss_limit_mb, see main), so a copy that runs away fails here instead of
 * exhausting the machine.
 * Found so far:
 *  - regress-retry-damaged-header.tar, a GNU archive whose fourth header is damaged:
 *    libarchive returns ARCHIVE_RETRY (above ARCHIVE_WARN) with no entry; tar_copy wrote
 *    that entry and failed with PB_ERR_LIB, tar_read skipped it and said NOT_FOUND;
 *  - regress-size-minus-one-pads-forever.tar, a member whose base-256 size is -1: the
 *    data read fails, and closing the writer on the error path padded the entry with
 *    zeros towards 2^64 bytes (libFuzzer: timeout; here: the peak check);
 *  - regress-data-gnu-realsize.tar, an old-GNU regular file whose realsize field ("ot",
 *    read as 0) disagrees with its size field (22): libarchive gives the entry size 0
 *    and 22 bytes of data, the pax writer takes none of them, and tar_copy called the
 *    short write an allocation failure (PB_ERR_NOMEM).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "alloc.h"
#include "kernels.h"

#define TEST_REGRESS_PEAK_BYTES (16u << 20)

#ifndef PB_FUZZ_REGRESS_DIR
#error "PB_FUZZ_REGRESS_DIR (tests/fuzz/corpus/tar_copy) must be defined"
#endif

static unsigned char *test_regress_read(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 20, f);
    assert_int_equal(ferror(f), 0);
    assert_true(*n < (1 << 20));
    fclose(f);
    return buf;
}

static void test_regress_one(const char *path, int data_only, const char *policy)
{
    pb_err_t want_read = data_only ? PB_ERR_NOT_FOUND : PB_ERR_INPUT;
    bufpool_config_t cfg;
    char err[128];
    bufpool_config_default(&cfg);
    assert_int_equal(bufpool_policy_parse(policy, &cfg, err, sizeof err), 0);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    kernel_params_t kp;
    kernel_params_default(&kp);
    size_t n = 0;
    unsigned char *ar = test_regress_read(path, &n);
    pb_bytes_t out = { 0 };
    alloc_stats_reset();
    pb_err_t e = tar_copy_archive(bp, &kp, ar, n, &out);
    alloc_stats_t st;
    alloc_stats_read(&st);
    if (st.peak_live_bytes > TEST_REGRESS_PEAK_BYTES)
        fail_msg("%s (pools %s): tar_copy of %zu bytes peaked at %llu live bytes", path,
                 policy, n, (unsigned long long)st.peak_live_bytes);
    if (e != PB_ERR_INPUT)
        fail_msg("%s (pools %s): tar_copy gave %s, not bad input", path, policy, pb_err_name(e));
    assert_null(out.data);
    e = tar_read_member(bp, &kp, ar, n, "no-such-member", &out);
    if (e != want_read)
        fail_msg("%s (pools %s): tar_read (memory) gave %s, not %s", path, policy,
                 pb_err_name(e), pb_err_name(want_read));
    assert_null(out.data);
    e = tar_read_member_file(bp, &kp, path, "no-such-member", &out);
    if (e != want_read)
        fail_msg("%s (pools %s): tar_read (file) gave %s, not %s", path, policy,
                 pb_err_name(e), pb_err_name(want_read));
    assert_null(out.data);
    free(ar);
    bufpool_destroy(bp);
}

static void test_regress_all(void **state)
{
    (void)state;
    DIR *d = opendir(PB_FUZZ_REGRESS_DIR);
    assert_non_null(d);
    int found = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t len = strlen(de->d_name);
        if (strncmp(de->d_name, "regress-", 8) != 0 || len < 4 ||
            strcmp(de->d_name + len - 4, ".tar") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", PB_FUZZ_REGRESS_DIR, de->d_name);
        int data_only = strncmp(de->d_name, "regress-data-", 13) == 0;
        test_regress_one(path, data_only, "all");
        test_regress_one(path, data_only, "none");
        printf("regression input ok: %s\n", de->d_name);
        found++;
    }
    closedir(d);
    assert_true(found > 0);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* A sanitizer reserves terabytes of address space for its shadow memory at start-up, so
 * an RLIMIT_AS of 1 GiB makes it fail before main ("failed to allocate ... DTLS"). Its
 * own hard RSS limit bounds a runaway copy instead: a watcher thread aborts the process
 * with a report when its resident memory passes the limit (the sanitizer's shadow and
 * quarantine included, hence 2 GiB). ASAN_OPTIONS / TSAN_OPTIONS can still override. */
#define TEST_SANITIZER_OPTIONS "hard_rss_limit_mb=2048"
const char *__asan_default_options(void);
const char *__tsan_default_options(void);
const char *__asan_default_options(void)
{
    return TEST_SANITIZER_OPTIONS;
}
const char *__tsan_default_options(void)
{
    return TEST_SANITIZER_OPTIONS;
}
#endif

int main(void)
{
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    struct rlimit lim = { 1ul << 30, 1ul << 30 };
    if (setrlimit(RLIMIT_AS, &lim) != 0)
        perror("setrlimit");
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regress_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
