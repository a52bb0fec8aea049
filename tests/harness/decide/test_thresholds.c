/* test_thresholds.c: parsing of thresholds files (thresholds.c).
 *
 * The shipped scenarios/thresholds.ini must equal the built-in defaults (the seed's
 * matrix); a valid edit is applied; every malformed case (unknown section or key, key
 * twice, bad value, out of range, missing file, bad UTF-8, syntax error, key outside a
 * section) gives exactly "FILE:LINE: message" with the right line and leaves the
 * defaults in place.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thresholds.h"

#ifndef PB_SOURCE_DIR
#error "PB_SOURCE_DIR must be defined"
#endif

static char tmp_path[256];

static const char *write_file(const char *text, size_t len)
{
    snprintf(tmp_path, sizeof tmp_path, "/tmp/test_thresholds.XXXXXX");
    int fd = mkstemp(tmp_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return tmp_path;
}

static void expect_error(const char *text, int line, const char *fragment)
{
    const char *path = write_file(text, strlen(text));
    thresholds_t t, d;
    char err[THRESHOLDS_ERR_BYTES];
    int rc = thresholds_load(path, &t, err);
    unlink(path);
    if (rc != -1)
        fail_msg("accepted:\n%s", text);
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("expected prefix '%s', got '%s'", prefix, err);
    if (!strstr(err, fragment))
        fail_msg("expected '%s' in '%s'", fragment, err);
    thresholds_default(&d);
    assert_true(t.alpha == d.alpha && t.speedup_percent == d.speedup_percent &&
                t.min_samples_per_arm == d.min_samples_per_arm);
    assert_string_equal(t.source, "defaults");
}

/* a file that sets nothing is a mistake (a wrong path, a truncated copy), not the defaults */
static void test_empty_file(void **state)
{
    (void)state;
    expect_error("", 1, "no thresholds set");
    expect_error("# only a comment\n\n[keep]\n", 1, "no thresholds set");
}

static void test_shipped_file_is_the_default(void **state)
{
    (void)state;
    thresholds_t t, d;
    char err[THRESHOLDS_ERR_BYTES];
    int rc = thresholds_load(PB_SOURCE_DIR "/scenarios/thresholds.ini", &t, err);
    if (rc != 0)
        fail_msg("%s", err);
    thresholds_default(&d);
    assert_true(t.speedup_percent == d.speedup_percent);
    assert_true(t.peak_memory_reduction_percent == d.peak_memory_reduction_percent);
    assert_true(t.pressure_reduction_percent == d.pressure_reduction_percent);
    assert_true(t.worse_tolerance_percent == d.worse_tolerance_percent);
    assert_true(t.equivalence_percent == d.equivalence_percent);
    assert_true(t.max_regression_percent == d.max_regression_percent);
    assert_true(t.alpha == d.alpha);
    assert_true(t.confidence_level == d.confidence_level);
    assert_int_equal(t.min_samples_per_arm, d.min_samples_per_arm);
    assert_int_equal(t.bootstrap_resamples, d.bootstrap_resamples);
    assert_int_equal(t.bootstrap_seed, d.bootstrap_seed);
    assert_true(t.high_spread_percent == d.high_spread_percent);
    assert_true(t.noisy_machine_percent == d.noisy_machine_percent);
    assert_string_equal(t.reference_backend, d.reference_backend);
    /* the seed's matrix */
    assert_true(d.speedup_percent == 15 && d.peak_memory_reduction_percent == 20 &&
                d.pressure_reduction_percent == 30 && d.max_regression_percent == 10 &&
                d.alpha == 0.05 && d.min_samples_per_arm == 4);
    assert_true(thresholds_keep_time_ratio(&d) < 0.8696 && thresholds_keep_time_ratio(&d) > 0.8695);
    assert_true(thresholds_keep_memory_ratio(&d) == 0.8);
    assert_true(thresholds_worse_ratio(&d) == 1.1);
}

static void test_valid_edit(void **state)
{
    (void)state;
    const char *text = "# comment\n; other comment\n\n[keep]\nspeedup_percent = 5\n"
                       "[stats]\nalpha = 0.01\nmin_samples_per_arm = 10\n"
                       "bootstrap_seed = 18446744073709551615\n"
                       "[decision]\nreference_backend = jemalloc\n";
    const char *path = write_file(text, strlen(text));
    thresholds_t t;
    char err[THRESHOLDS_ERR_BYTES];
    int rc = thresholds_load(path, &t, err);
    unlink(path);
    if (rc != 0)
        fail_msg("%s", err);
    assert_true(t.speedup_percent == 5);
    assert_true(t.alpha == 0.01);
    assert_int_equal(t.min_samples_per_arm, 10);
    assert_true(t.bootstrap_seed == UINT64_MAX);
    assert_string_equal(t.reference_backend, "jemalloc");
    assert_true(t.peak_memory_reduction_percent == 20);   /* untouched: default */
    assert_string_equal(t.source, path);
    json_object *j = thresholds_json(&t);
    assert_non_null(j);
    json_object *v;
    assert_true(json_object_object_get_ex(j, "alpha", &v));
    json_object_put(j);
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error("[keep]\nspeedup_percent = 15\nspeed_up = 3\n", 3, "unknown key 'speed_up'");
}

static void test_unknown_section(void **state)
{
    (void)state;
    expect_error("[keep]\n\n[kepe]\nalpha = 1\n", 4, "unknown section [kepe]");
}

static void test_key_outside_section(void **state)
{
    (void)state;
    expect_error("alpha = 0.05\n", 1, "outside a section");
}

static void test_key_twice(void **state)
{
    (void)state;
    expect_error("[stats]\nalpha = 0.05\n[keep]\n[stats]\nalpha = 0.01\n", 5, "given twice");
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_error("[stats]\nalpha = abc\n", 2, "bad value 'abc'");
    expect_error("[stats]\nalpha =\n", 2, "bad value");
    expect_error("[stats]\nalpha = nan\n", 2, "bad value");
    expect_error("[stats]\nalpha = 0.05x\n", 2, "bad value");
    expect_error("[keep]\nspeedup_percent = 15%\n", 2, "bad value");
    expect_error("[stats]\nmin_samples_per_arm = 4.5\n", 2, "bad value");
    expect_error("[stats]\nmin_samples_per_arm = -4\n", 2, "bad value");
    expect_error("[stats]\nbootstrap_seed = 18446744073709551616\n", 2, "bad value");
    expect_error("[decision]\nreference_backend = Glibc!\n", 2, "bad value");
}

static void test_out_of_range(void **state)
{
    (void)state;
    expect_error("[stats]\nalpha = 0.7\n", 2, "out of range");
    expect_error("[stats]\nalpha = 0\n", 2, "out of range");
    expect_error("[stats]\nconfidence_level = 1\n", 2, "out of range");
    expect_error("[stats]\nmin_samples_per_arm = 3\n", 2, "out of range");
    expect_error("[stats]\nbootstrap_resamples = 999\n", 2, "out of range");
    expect_error("[keep]\npeak_memory_reduction_percent = 100\n", 2, "out of range");
    expect_error("[keep]\nspeedup_percent = -5\n", 2, "out of range");
    expect_error("[remove]\nequivalence_percent = 0\n", 2, "out of range");
}

static void test_missing_file(void **state)
{
    (void)state;
    thresholds_t t;
    char err[THRESHOLDS_ERR_BYTES];
    assert_int_equal(thresholds_load("/nonexistent/thresholds.ini", &t, err), -1);
    assert_non_null(strstr(err, "/nonexistent/thresholds.ini:0: cannot open"));
}

static void test_bad_utf8(void **state)
{
    (void)state;
    expect_error("[keep]\n# caf\xc3\xa9 is fine\n# bad \xff byte\n", 3, "invalid UTF-8");
    expect_error("[keep]\n# overlong \xc0\xaf\n", 2, "invalid UTF-8");
    expect_error("[keep]\n# surrogate \xed\xa0\x80\n", 2, "invalid UTF-8");
    expect_error("[keep]\nspeedup_percent = 1\x01\n", 2, "control character");
}

static void test_syntax_error(void **state)
{
    (void)state;
    expect_error("[keep]\nspeedup_percent 15\n", 2, "syntax error");
    expect_error("[keep\n", 1, "syntax error");
}

static void test_long_line(void **state)
{
    (void)state;
    char text[400];
    memset(text, '#', sizeof text);
    memcpy(text, "[keep]\n", 7);
    text[sizeof text - 2] = '\n';
    text[sizeof text - 1] = '\0';
    expect_error(text, 2, "longer than");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_file_is_the_default),
        cmocka_unit_test(test_valid_edit),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_key_outside_section),
        cmocka_unit_test(test_key_twice),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_empty_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
