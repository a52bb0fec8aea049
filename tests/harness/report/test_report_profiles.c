/* test_report_profiles.c: report_profiles_parse_top on texts `go tool pprof -top -unit=B`
 * printed (copied from real runs of pb-glibc's build kernel): the header's totals, the
 * rows in pprof's order with zero-flat rows skipped, the sign filter of diffs, the
 * -focus header's "accounting for" (the via-bufpool share), and a text without a header
 * (go's error message) refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "report_profiles.h"

static const char *TOP =
    "File: pb-glibc\n"
    "pb-glibc --workload build\n"
    "Type: alloc_space\n"
    "Time: Dec 2, 2026 at 12:13pm (UTC)\n"
    "Duration: 779.55ms, Total samples = 132507077B \n"
    "Dropped 52 nodes (cum <= 662535B)\n"
    "Showing top 4 nodes out of 26\n"
    "Showing nodes accounting for 131740000B, 99.42% of 132507077B total\n"
    "      flat  flat%   sum%        cum   cum%\n"
    "110753050B 83.58% 83.58% 110753050B 83.58%  pb_bytes_reserve\n"
    "         0     0% 83.58%  92275630B 71.31%  __libc_start_call_main\n"
    " 20129377B 15.19% 98.77%  20129377B 15.19%  bufpool_alloc\n"
    "   829853B  0.63% 99.40%    829853B  0.63%  archive_entry_new2\n"
    "    14678B 0.011% 99.41%   6822581B  5.15%  bd_file_sum\n"
    "     4800B 0.004% 99.42%      4800B 0.004%  tc_concurrent\n"
    "     1000B 0.001% 99.42%      1000B 0.001%  libarchive.so.13.6.2+0x647f9\n";

static const char *DIFF =
    "Type: alloc_space\n"
    "Showing nodes accounting for -19795058B, 14.94% of 132507077B total\n"
    "      flat  flat%   sum%        cum   cum%\n"
    "-19801537B 14.94% 14.94% -19801537B 14.94%  bufpool_alloc\n"
    "    33700B 0.025% 14.92%     33700B 0.025%  pool_local_create\n"
    "         0     0% 14.92% -13041758B  9.84%  __clone3\n"
    "    -6479B 0.0049% 14.92%  -6615870B  4.99%  bd_file_sum\n";

static const char *FOCUS =
    "Active filters:\n"
    "   focus=^bufpool_\n"
    "Showing nodes accounting for 20129377B, 15.19% of 132507077B total\n"
    "      flat  flat%   sum%        cum   cum%\n"
    " 20129377B 15.19% 15.19%  20129377B 15.19%  bufpool_alloc\n";

static void test_top(void **state)
{
    (void)state;
    report_profile_table_t t;
    assert_int_equal(report_profiles_parse_top(TOP, 0, &t), 0);
    assert_true(t.ok);
    assert_true(t.total == 132507077.0);
    assert_true(t.shown == 131740000.0);
    assert_int_equal(t.n, REPORT_PROFILES_TOP);          /* the zero-flat row is skipped */
    assert_string_equal(t.top[0].name, "pb_bytes_reserve");
    assert_true(t.top[0].value == 110753050.0);
    assert_string_equal(t.top[1].name, "bufpool_alloc");
    assert_string_equal(t.top[4].name, "tc_concurrent");
    assert_true(t.top[1].pct > 15.19 && t.top[1].pct < 15.20);
}

static void test_diff_signs(void **state)
{
    (void)state;
    report_profile_table_t neg, pos;
    assert_int_equal(report_profiles_parse_top(DIFF, -1, &neg), 0);
    assert_int_equal(neg.n, 2);
    assert_string_equal(neg.top[0].name, "bufpool_alloc");
    assert_true(neg.top[0].value == -19801537.0);
    assert_string_equal(neg.top[1].name, "bd_file_sum");
    assert_int_equal(report_profiles_parse_top(DIFF, 1, &pos), 0);
    assert_int_equal(pos.n, 1);
    assert_string_equal(pos.top[0].name, "pool_local_create");
    assert_true(pos.top[0].value == 33700.0);
}

static void test_focus_share(void **state)
{
    (void)state;
    report_profile_table_t f;
    assert_int_equal(report_profiles_parse_top(FOCUS, 0, &f), 0);
    double share = 100.0 * f.shown / f.total;
    assert_true(share > 15.19 && share < 15.20);
}

static void test_not_pprof(void **state)
{
    (void)state;
    report_profile_table_t t;
    assert_int_equal(report_profiles_parse_top("failed to fetch any source profiles\n", 0, &t), -1);
    assert_false(t.ok);
    assert_int_equal(report_profiles_parse_top(NULL, 0, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top),
        cmocka_unit_test(test_diff_signs),
        cmocka_unit_test(test_focus_share),
        cmocka_unit_test(test_not_pprof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
