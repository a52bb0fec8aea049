/* test_cell_cost.c: cell_cost.h on journals the test writes: the gap to the previous
 * finish whatever the journal's order, the median per arm, pauses dropped, cells without
 * a finish time skipped, an arm with no gap reported as -1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "cell_cost.h"

#define TEST_S 1000000000ll

static json_object *test_cell(long long finished_ns)
{
    json_object *o = json_object_new_object();
    assert_non_null(o);
    if (finished_ns >= 0)
        json_object_object_add(o, "finished_unix_ns", json_object_new_int64(finished_ns));
    return o;
}

static void test_gaps_and_median(void **state)
{
    (void)state;
    /* finishes at 100, 100.1 (a), 100.4 (b), 100.5 (a), 100.9 (b), 101.2 (a), journalled
     * out of order; a's gaps 0.1, 0.1, 0.3 -> median 0.1; b's 0.3, 0.4 -> 0.35 */
    long long t0 = 1700000000ll * TEST_S;
    json_object *first = test_cell(t0);
    json_object *a[3] = {test_cell(t0 + TEST_S / 10), test_cell(t0 + 5 * TEST_S / 10),
                         test_cell(t0 + 12 * TEST_S / 10)};
    json_object *b[2] = {test_cell(t0 + 4 * TEST_S / 10), test_cell(t0 + 9 * TEST_S / 10)};
    json_object *journal[6] = {a[2], b[1], first, a[0], b[0], a[1]};
    cell_cost_t t;
    assert_int_equal(cell_cost_build(journal, 6, &t), 0);
    assert_int_equal(t.n, 5);
    assert_float_equal(cell_cost_median_s(&t, a, 3), 0.1, 1e-9);
    assert_float_equal(cell_cost_median_s(&t, b, 2), 0.35, 1e-9);
    /* the first finish has no gap */
    assert_float_equal(cell_cost_median_s(&t, &first, 1), -1, 0);
    cell_cost_free(&t);
    for (int i = 0; i < 6; i++)
        json_object_put(journal[i]);
}

static void test_pause_and_missing(void **state)
{
    (void)state;
    long long t0 = 1700000000ll * TEST_S;
    /* a pause of 2 minutes (a resume) before c[1]; c[2] has no finish time */
    json_object *c[4] = {test_cell(t0), test_cell(t0 + 120 * TEST_S), test_cell(-1),
                         test_cell(t0 + 120 * TEST_S + TEST_S / 4)};
    cell_cost_t t;
    assert_int_equal(cell_cost_build(c, 4, &t), 0);
    assert_int_equal(t.n, 1);
    assert_float_equal(cell_cost_median_s(&t, c, 4), 0.25, 1e-9);
    assert_float_equal(cell_cost_median_s(&t, c + 1, 2), -1, 0);
    cell_cost_free(&t);
    /* an empty journal */
    assert_int_equal(cell_cost_build(c, 0, &t), 0);
    assert_float_equal(cell_cost_median_s(&t, c, 4), -1, 0);
    cell_cost_free(&t);
    for (int i = 0; i < 4; i++)
        json_object_put(c[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gaps_and_median),
        cmocka_unit_test(test_pause_and_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
