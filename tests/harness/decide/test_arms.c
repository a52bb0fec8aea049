/* test_arms.c: the one model of arms and comparisons (decide/arms.h) on a synthetic
 * journal written by the test: collection (arms in order of first appearance, ok and
 * failed cells, samples, results and mixed results, scenario filter, unnamed cells), the
 * time metric choice (the journal's integer ns_per_op vs wall_ns / ops unrounded, with
 * its fallbacks), the sample order, exact vs statistical comparison, the pairs by
 * repetition and the paired comparison, the Holm family, and
 * the instrument split (issue 12: time from the bare cells, counts from the counting one).
 * Every value is written by the test, so each assertion can fail only through the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arms.h"
#include "journal.h"

static char g_path[256];

static void cell(FILE *f, const char *scenario, const char *policy, int rep, const char *status,
                 const char *result, long long wall_ns, long long ops, long long alloc_calls)
{
    fprintf(f, "{\"type\":\"cell\",\"key\":\"k-%s-%s-%d\",\"scenario\":\"%s\",\"workload\":\"w\","
               "\"mode\":\"cell\",\"backend\":\"glibc\",\"policy\":\"%s\",\"variant\":\"\","
               "\"rep\":%d,\"status\":\"%s\",\"result\":\"%s\",\"config\":{\"threads\":1},"
               "\"metrics\":{\"wall_ns\":%lld,\"ops\":%lld,\"ns_per_op\":%lld,"
               "\"alloc_calls\":%lld}}\n",
            scenario, policy, rep, scenario, policy, rep, status, result, wall_ns, ops,
            ops ? wall_ns / ops : 0, alloc_calls);
}

/* s1/none: reps 2,0,1 (journal order) with wall 1050,1000,1020 over 100 ops; one failed
 * cell. s1/all: 3 ok cells with two different results. s2/none: a hyperfine-like cell
 * (wall_ns only). A cell without a policy. */
static void write_journal(void)
{
    snprintf(g_path, sizeof g_path, "/tmp/test_arms.%d.jsonl", (int)getpid());
    FILE *f = fopen(g_path, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"context\",\"schema_version\":1}\n");
    cell(f, "s1", "none", 2, "ok", "r1", 1050, 100, 7);
    cell(f, "s1", "all", 0, "ok", "r1", 900, 100, 5);
    cell(f, "s1", "none", 0, "ok", "r1", 1000, 100, 7);
    cell(f, "s1", "none", 1, "ok", "r1", 1020, 100, 7);
    cell(f, "s1", "none", 3, "timeout", "r1", 0, 0, 0);
    cell(f, "s1", "all", 1, "ok", "r2", 910, 100, 5);
    cell(f, "s1", "all", 2, "ok", "r1", 920, 100, 5);
    fprintf(f, "{\"type\":\"cell\",\"key\":\"h1\",\"scenario\":\"s2\",\"backend\":\"glibc\","
               "\"policy\":\"none\",\"rep\":0,\"status\":\"ok\",\"result\":null,"
               "\"metrics\":{\"wall_ns\":5000000}}\n");
    fprintf(f, "{\"type\":\"cell\",\"key\":\"u1\",\"scenario\":\"s1\",\"backend\":\"glibc\","
               "\"rep\":0,\"status\":\"ok\",\"metrics\":{\"wall_ns\":1}}\n");
    fclose(f);
}

static void load(journal_t *j)
{
    char err[JOURNAL_ERR_BYTES];
    write_journal();
    assert_int_equal(journal_load(g_path, j, err), 0);
    unlink(g_path);
}

static void test_collect(void **state)
{
    (void)state;
    journal_t j;
    load(&j);
    arms_model_t m;
    arms_options_t o = {.time = ARMS_TIME_JOURNAL_NS_PER_OP, .order = ARMS_ORDER_JOURNAL,
                        .confidence_level = 0.95};
    assert_int_equal(arms_collect(&j, &o, &m), 0);
    assert_int_equal(m.n_arms, 4);    /* s1/none, s1/all, s2/none, s1/"" (unnamed) */
    long none = arms_find(&m, "s1", "glibc", "none", NULL);
    long all = arms_find(&m, "s1", "glibc", "all", "");
    assert_int_equal(none, 0);
    assert_int_equal(all, 1);
    assert_true(arms_find(&m, "s1", "glibc", "", NULL) >= 0);
    const arms_arm_t *a = &m.arms[none];
    assert_int_equal(a->n_total, 4);
    assert_int_equal(a->n_cells, 3);
    assert_int_equal(a->n_failed, 1);
    assert_int_equal(m.n_failed, 1);
    assert_int_equal(m.failed[0].arm, (size_t)none);
    assert_true(a->counts_deterministic);
    assert_int_equal(a->stat[ARMS_M_wall_ns].n, 3);
    assert_true(a->samples[ARMS_M_wall_ns][0] == 1050);   /* journal order */
    assert_true(a->stat[ARMS_M_wall_ns].median == 1020);
    assert_true(a->stat[ARMS_M_alloc_calls].constant);
    assert_string_equal(a->result, "r1");
    assert_false(a->result_mixed);
    assert_true(m.arms[all].result_mixed);
    assert_int_equal(arms_metric_index("alloc_calls"), ARMS_M_alloc_calls);
    assert_int_equal(arms_metric_index("nope"), -1);
    assert_string_equal(arms_metric_name(ARMS_M_ns_per_op), "ns_per_op");
    arms_free(&m);

    /* repetition order, the gate's skipping of unnamed cells and the scenario filter */
    o.order = ARMS_ORDER_REPETITION;
    o.skip_unnamed = true;
    o.scenarios = "s1";
    assert_int_equal(arms_collect(&j, &o, &m), 0);
    assert_int_equal(m.n_arms, 2);
    assert_true(m.arms[0].samples[ARMS_M_wall_ns][0] == 1000);   /* rep 0 first */
    assert_true(m.arms[0].samples[ARMS_M_wall_ns][2] == 1050);
    arms_free(&m);
    journal_free(&j);
}

static void test_time_metric_choice(void **state)
{
    (void)state;
    journal_t j;
    load(&j);
    arms_model_t report, gate;
    arms_options_t o = {.time = ARMS_TIME_JOURNAL_NS_PER_OP, .order = ARMS_ORDER_JOURNAL,
                        .confidence_level = 0.95};
    assert_int_equal(arms_collect(&j, &o, &report), 0);
    o.time = ARMS_TIME_EXACT_WALL_PER_OP;
    o.skip_unnamed = true;
    assert_int_equal(arms_collect(&j, &o, &gate), 0);
    /* s1/none: the report reads the journal's integer ns_per_op (10), the gate 10.5 */
    const arms_arm_t *r = &report.arms[0], *g = &gate.arms[0];
    assert_int_equal(r->time_metric, ARMS_M_ns_per_op);
    assert_int_equal(r->n_time, 3);
    assert_true(r->time[0] == 10.0);
    assert_int_equal(g->n_time, 3);
    assert_true(g->time[0] == 10.5);
    assert_true(g->time[2] == 10.2);
    /* s2/none has wall_ns only: both fall back to it */
    long ri = arms_find(&report, "s2", "glibc", "none", NULL);
    long gi = arms_find(&gate, "s2", "glibc", "none", NULL);
    assert_int_equal(report.arms[ri].time_metric, ARMS_M_wall_ns);
    assert_true(report.arms[ri].time[0] == 5000000.0);
    assert_true(gate.arms[gi].time[0] == 5000000.0);
    /* the report's pair rule: ns_per_op only when both arms have it */
    assert_int_equal(arms_pair_time_metric(&report.arms[0], &report.arms[1]), ARMS_M_ns_per_op);
    assert_int_equal(arms_pair_time_metric(&report.arms[0], &report.arms[ri]), ARMS_M_wall_ns);
    arms_free(&report);
    arms_free(&gate);
    journal_free(&j);
}

static void test_compare_exact_and_statistical(void **state)
{
    (void)state;
    const double a[] = {7, 7, 7, 7}, b[] = {5, 5, 5, 5}, zero[] = {0, 0, 0, 0};
    const double x[] = {100, 102, 98, 101, 99, 100}, y[] = {80, 82, 79, 81, 80, 78};
    arms_compare_options_t o = {.confidence_level = 0.95, .resamples = 0, .seed = 1,
                                .exact_when_constant = true};
    arms_comparison_t c;
    assert_int_equal(arms_compare(a, 4, b, 4, &o, &c), 0);
    assert_int_equal(c.method, ARMS_METHOD_EXACT);
    assert_true(c.ratio == 5.0 / 7.0 && c.ci.lo == c.ratio && c.ci.hi == c.ratio);
    assert_true(isnan(c.mwu.p));
    assert_int_equal(arms_compare(zero, 4, b, 4, &o, &c), 0);
    assert_true(isinf(c.ratio));
    assert_int_equal(arms_compare(zero, 4, zero, 4, &o, &c), 0);
    assert_true(c.ratio == 1.0);
    /* constant arms without the exact method: statistical (no interval: resamples tie) */
    o.exact_when_constant = false;
    assert_int_equal(arms_compare(a, 4, b, 4, &o, &c), 0);
    assert_int_equal(c.method, ARMS_METHOD_STATISTICAL);
    assert_int_equal(c.mwu_status, STATS_OK);
    /* varying samples: bootstrap CI around 0.8 and a small p */
    assert_int_equal(arms_compare(x, 6, y, 6, &o, &c), 0);
    assert_int_equal(c.ci_status, STATS_OK);
    assert_true(fabs(c.ratio - 80.0 / 100.0) < 1e-12);
    assert_true(c.ci.lo < 0.8 + 1e-9 && c.ci.hi < 0.9 && c.ci.lo > 0.7);
    assert_true(c.mwu.p < 0.01);
    /* an empty vector: no statistics */
    assert_int_equal(arms_compare(x, 0, y, 6, &o, &c), 0);
    assert_int_equal(c.ci_status, STATS_EINVAL);
    assert_int_equal(c.mwu_status, STATS_EINVAL);
    assert_true(isnan(c.median_a) && isnan(c.ratio));
}

/* Pairs by repetition: s1/none has ok reps 2, 0, 1 (rep 3 timed out), s1/all 0, 1, 2. */
static void test_pairs(void **state)
{
    (void)state;
    journal_t j;
    load(&j);
    arms_model_t m;
    arms_options_t o = {.time = ARMS_TIME_EXACT_NS_PER_OP, .order = ARMS_ORDER_REPETITION,
                        .confidence_level = 0.95};
    assert_int_equal(arms_collect(&j, &o, &m), 0);
    arms_arm_t *none = &m.arms[arms_find(&m, "s1", "glibc", "none", "")];
    arms_arm_t *all = &m.arms[arms_find(&m, "s1", "glibc", "all", "")];
    double xa[3] = {0}, xb[3] = {0};
    long long reps[3] = {-1, -1, -1};
    assert_int_equal(arms_pairs(none, all, ARMS_M_wall_ns, xa, xb, reps), 3);
    assert_true(reps[0] == 0 && reps[1] == 1 && reps[2] == 2);
    assert_true(xa[0] == 1000 && xa[1] == 1020 && xa[2] == 1050);
    assert_true(xb[0] == 900 && xb[1] == 910 && xb[2] == 920);
    assert_int_equal(arms_pairs(none, all, ARMS_M_wall_ns, NULL, NULL, NULL), 3);
    /* the pooled arm without its rep 1 (as a look cut short leaves it): 2 pairs */
    none->reps[ARMS_M_wall_ns][1] = 5;   /* reps 0, 5, 2: not increasing */
    assert_int_equal(arms_pairs(none, all, ARMS_M_wall_ns, xa, xb, reps), 0);
    none->reps[ARMS_M_wall_ns][1] = 1;
    all->reps[ARMS_M_wall_ns][1] = 2;
    all->reps[ARMS_M_wall_ns][2] = 4;    /* reps 0, 2, 4 against 0, 1, 2 */
    assert_int_equal(arms_pairs(none, all, ARMS_M_wall_ns, xa, xb, reps), 2);
    assert_true(reps[0] == 0 && reps[1] == 2 && xa[1] == 1050 && xb[1] == 910);
    /* no repetition index recorded */
    all->reps[ARMS_M_wall_ns][0] = -1;
    assert_int_equal(arms_pairs(none, all, ARMS_M_wall_ns, xa, xb, reps), 0);
    arms_free(&m);
    /* journal order: s1/none's samples are reps 2, 0, 1, so they do not pair */
    o.order = ARMS_ORDER_JOURNAL;
    assert_int_equal(arms_collect(&j, &o, &m), 0);
    assert_int_equal(arms_pairs(&m.arms[arms_find(&m, "s1", "glibc", "none", "")],
                                &m.arms[arms_find(&m, "s1", "glibc", "all", "")],
                                ARMS_M_wall_ns, xa, xb, reps), 0);
    arms_free(&m);
    journal_free(&j);
}

/* Paired comparison: a slow spell (pairs 3..5 at 1.4x in both arms) cancels; constant
 * arms stay exact; pairs whose log ratios are all equal fall back to the unpaired test. */
static void test_compare_paired(void **state)
{
    (void)state;
    const double a[] = {100, 101, 99, 140, 141, 139, 100, 102};
    const double b[] = {90, 92, 89, 127, 126, 125, 91, 91};
    arms_compare_options_t o = {.confidence_level = 0.95, .resamples = 0, .seed = 1,
                                .exact_when_constant = true};
    arms_comparison_t p, u;
    assert_int_equal(arms_compare_paired(a, b, 8, &o, &p), 0);
    assert_int_equal(arms_compare(a, 8, b, 8, &o, &u), 0);
    assert_int_equal(p.method, ARMS_METHOD_PAIRED);
    assert_int_equal(u.method, ARMS_METHOD_STATISTICAL);
    assert_true(p.n_a == 8 && p.n_b == 8 && p.paired.n == 8);
    assert_true(p.median_a == u.median_a && p.median_b == u.median_b);
    assert_true(p.ratio > 0.89 && p.ratio < 0.92 && p.ci.lo < p.ratio && p.ratio < p.ci.hi);
    assert_true(p.ci.hi < 0.93 && p.paired.p < 1e-4);
    assert_true(p.ci.hi - p.ci.lo < 0.25 * (u.ci.hi - u.ci.lo));
    assert_true(isnan(p.mwu.p) && p.mwu_status != STATS_OK);
    const double c7[] = {7, 7, 7, 7}, c5[] = {5, 5, 5, 5};
    assert_int_equal(arms_compare_paired(c7, c5, 4, &o, &p), 0);
    assert_int_equal(p.method, ARMS_METHOD_EXACT);
    const double x[] = {10, 20, 30, 40}, y[] = {20, 40, 60, 80};
    assert_int_equal(arms_compare_paired(x, y, 4, &o, &p), 0);
    assert_int_equal(p.method, ARMS_METHOD_STATISTICAL);
    assert_int_equal(p.mwu_status, STATS_OK);
}

static void test_holm_family(void **state)
{
    (void)state;
    arms_family_t f = {0};
    double adj[4] = {NAN, NAN, NAN, NAN};
    assert_int_equal(arms_family_add(&f, 0.01, &adj[0]), 0);
    assert_int_equal(arms_family_add(&f, NAN, &adj[1]), 0);   /* no test: not a member */
    assert_int_equal(arms_family_add(&f, 0.04, &adj[2]), 0);
    assert_int_equal(arms_family_add(&f, 0.03, &adj[3]), 0);
    assert_int_equal(f.n, 3);
    assert_int_equal(arms_family_adjust(&f), STATS_OK);
    assert_true(fabs(adj[0] - 0.03) < 1e-12);   /* 3 x 0.01 */
    assert_true(isnan(adj[1]));
    assert_true(fabs(adj[3] - 0.06) < 1e-12);   /* 2 x 0.03 */
    assert_true(fabs(adj[2] - 0.06) < 1e-12);   /* max(1 x 0.04, 0.06) */
    arms_family_free(&f);
    arms_family_t empty = {0};
    assert_int_equal(arms_family_adjust(&empty), STATS_OK);
}

/* One cell of arm s3/none with its instrument: time, RSS, faults and counts given. */
static void icell(FILE *f, int rep, const char *instrument, long long wall_ns, long long rss,
                  const char *counts)
{
    fprintf(f, "{\"type\":\"cell\",\"key\":\"i-%d-%s\",\"scenario\":\"s3\",\"workload\":\"w\","
               "\"mode\":\"cell\",\"backend\":\"glibc\",\"policy\":\"none\",\"variant\":\"\","
               "\"rep\":%d,\"status\":\"ok\",\"result\":\"r\",\"instrument\":\"%s\","
               "\"config\":{\"threads\":1},\"metrics\":{\"wall_ns\":%lld,\"ops\":100,"
               "\"ns_per_op\":%lld,\"user_ns\":%lld,\"max_rss_bytes\":%lld,\"minor_faults\":%lld,"
               "\"pool_gets\":%s,\"pool_cycles\":%s,\"alloc_calls\":%s,\"alloc_bytes\":%s,"
               "\"peak_live_bytes\":%s}}\n",
            rep, instrument, rep, instrument, wall_ns, wall_ns / 100, wall_ns, rss, rss / 4096,
            counts ? "700" : "400", counts ? "9" : "0", counts ? counts : "null",
            counts ? "4096" : "null", counts ? "8192" : "null");
}

static void test_instrument_split(void **state)
{
    (void)state;
    snprintf(g_path, sizeof g_path, "/tmp/test_arms_inst.%d.jsonl", (int)getpid());
    FILE *f = fopen(g_path, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"context\",\"schema_version\":1}\n");
    icell(f, 0, "bare", 1000, 1 << 20, NULL);
    icell(f, 3, "counting", 5000, 9 << 20, "70");   /* slow: the instrument's cost */
    icell(f, 1, "bare", 1100, 1 << 20, NULL);
    icell(f, 2, "bare", 1200, 2 << 20, NULL);
    /* an arm with counting cells only (journals before bare runners): all from them */
    cell(f, "s4", "none", 0, "ok", "r", 3000, 100, 11);
    cell(f, "s4", "none", 1, "ok", "r", 3100, 100, 11);
    fclose(f);
    journal_t j;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(g_path, &j, err), 0);
    unlink(g_path);
    static const arms_time_t times[] = {ARMS_TIME_JOURNAL_NS_PER_OP, ARMS_TIME_EXACT_WALL_PER_OP,
                                        ARMS_TIME_EXACT_NS_PER_OP};
    for (size_t t = 0; t < sizeof times / sizeof times[0]; t++) {
        arms_model_t m;
        arms_options_t o = {.time = times[t], .order = ARMS_ORDER_REPETITION,
                            .confidence_level = 0.95};
        assert_int_equal(arms_collect(&j, &o, &m), 0);
        long ai = arms_find(&m, "s3", "glibc", "none", NULL);
        assert_true(ai >= 0);
        const arms_arm_t *a = &m.arms[ai];
        assert_true(a->instrument_split);
        assert_int_equal(a->n_cells, 4);
        /* time and process metrics: the three bare cells, never the counting one */
        assert_int_equal(a->n_time, 3);
        for (size_t i = 0; i < a->n_time; i++)   /* ns per op of reps 0, 1, 2; not 50 */
            assert_true(a->time[i] == 10.0 + (double)i);
        assert_int_equal(a->stat[ARMS_M_wall_ns].n, 3);
        assert_true(a->stat[ARMS_M_wall_ns].max == 1200);
        assert_int_equal(a->stat[ARMS_M_user_ns].n, 3);
        assert_int_equal(a->stat[ARMS_M_max_rss_bytes].n, 3);
        assert_true(a->stat[ARMS_M_max_rss_bytes].max == (double)(2 << 20));
        assert_int_equal(a->stat[ARMS_M_minor_faults].n, 3);
        /* counts: the counting cell only (the bare ones' pool counters are left out too) */
        assert_int_equal(a->stat[ARMS_M_alloc_calls].n, 1);
        assert_true(a->stat[ARMS_M_alloc_calls].median == 70);
        assert_int_equal(a->stat[ARMS_M_alloc_bytes].n, 1);
        assert_int_equal(a->stat[ARMS_M_peak_live_bytes].n, 1);
        assert_true(a->stat[ARMS_M_peak_live_bytes].median == 8192);
        assert_int_equal(a->stat[ARMS_M_pool_gets].n, 1);
        assert_true(a->stat[ARMS_M_pool_gets].median == 700);
        assert_int_equal(a->stat[ARMS_M_pool_cycles].n, 1);
        assert_true(a->stat[ARMS_M_pool_cycles].median == 9);
        /* a legacy arm: unchanged, every metric from every cell */
        long li = arms_find(&m, "s4", "glibc", "none", NULL);
        assert_true(li >= 0);
        assert_false(m.arms[li].instrument_split);
        assert_int_equal(m.arms[li].n_time, 2);
        assert_int_equal(m.arms[li].stat[ARMS_M_alloc_calls].n, 2);
        arms_free(&m);
    }
    journal_free(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collect),
        cmocka_unit_test(test_time_metric_choice),
        cmocka_unit_test(test_compare_exact_and_statistical),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_compare_paired),
        cmocka_unit_test(test_holm_family),
        cmocka_unit_test(test_instrument_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
