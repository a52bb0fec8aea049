/* test_gate.c: the regression gate's decisions on synthetic journals written by the test
 * (identical -> pass; 25 % slower with tight samples -> regression; noisy overlap -> no
 * regression; a deterministic count increase -> regression on its own; 25 % more memory
 * -> regression on its own, with its summary line), confirmation
 * handling, and the command's exit codes on malformed input (missing journal, corrupt
 * journal, bad thresholds, bad revision, bad arguments -> 2).
 * The samples are deterministic, so every assertion can fail only through the code.
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
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gate.h"
#include "journal.h"
#include "thresholds.h"

static char g_dir[256];
/* memory figures of the next write_journal: peak live bytes (constant within an arm) and
 * peak RSS (jittered like time); 0 = not written */
static double g_peak_live_bytes, g_max_rss_bytes;

/* Writes a journal: for each of the arms (policy all and none), n cells with
 * ns_per_op = base_ns * scale * (1 + jitter * ((i * 7) % n - n/2) / n) and the given
 * alloc_calls (alloc_step > 0: alloc_calls varies with i). */
static void write_journal(const char *path, int n, double base_ns, double scale, double jitter,
                          long alloc_calls, int alloc_step, const char *status_of_first)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"context\",\"schema_version\":1,\"commit\":\"abc123\",\"host\":\"t\"}\n");
    const char *pol[2] = {"all", "none"};
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < n; i++) {
            double v = base_ns * scale * (1 + jitter * ((double)((i * 7) % n) - n / 2.0) / n);
            long ac = alloc_calls + (alloc_step ? (long)(i % 3) * alloc_step : 0);
            const char *st = (i == 0 && status_of_first) ? status_of_first : "ok";
            fprintf(f, "{\"type\":\"cell\",\"key\":\"k%s%d\",\"scenario\":\"micro_checksum\","
                       "\"backend\":\"glibc\",\"policy\":\"%s\",\"variant\":\"size=1M\",\"rep\":%d,"
                       "\"status\":\"%s\",\"result\":\"r1\",\"metrics\":{\"ns_per_op\":%.0f,"
                       "\"wall_ns\":%.0f,\"alloc_calls\":%ld,\"allocs_per_op\":2,\"ops\":100",
                    pol[p], i, pol[p], i, st, v, v * 100, ac);
            if (g_peak_live_bytes > 0)
                fprintf(f, ",\"peak_live_bytes\":%.0f,\"max_rss_bytes\":%.0f", g_peak_live_bytes,
                        g_max_rss_bytes * (1 + 0.02 * ((double)((i * 3) % n) - n / 2.0) / n));
            fprintf(f, "}}\n");
        }
    fclose(f);
}

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", g_dir, name);
}

static int compare_files(const char *b, const char *c, gate_report_t *r, double count_pct)
{
    journal_t jb, jc;
    char err[JOURNAL_ERR_BYTES], gerr[GATE_ERR_BYTES];
    assert_int_equal(journal_load(b, &jb, err), 0);
    assert_int_equal(journal_load(c, &jc, err), 0);
    thresholds_t th;
    thresholds_default(&th);
    gate_options_t o = {.th = &th, .max_count_increase_percent = count_pct};
    int rc = gate_compare(&jb, &jc, &o, r, gerr);
    journal_free(&jb);
    journal_free(&jc);
    return rc;
}

static const gate_row_t *find_row(const gate_report_t *r, const char *policy, const char *metric)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (!strcmp(r->rows[i].policy, policy) && !strcmp(r->rows[i].metric, metric))
            return &r->rows[i];
    return NULL;
}

static int run_gate(int extra_n, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "gate";
    va_list ap;
    va_start(ap, extra_n);
    for (int i = 0; i < extra_n; i++)
        argv[argc++] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    return gate_main(argc, argv);
}

static void test_identical_passes(void **state)
{
    char b[300], c[300];
    path_of(b, sizeof b, "id_b.jsonl");
    path_of(c, sizeof c, "id_c.jsonl");
    write_journal(b, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    write_journal(c, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    gate_report_t r;
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    const gate_row_t *t = find_row(&r, "none", "ns_per_op");
    assert_non_null(t);
    assert_int_equal(t->status, GATE_PASS);
    assert_true(fabs(t->ratio - 1.0) < 1e-9);
    assert_true(t->hi <= 1.10);
    const gate_row_t *a = find_row(&r, "all", "alloc_calls");
    assert_non_null(a);
    assert_string_equal(a->method, "exact");
    assert_int_equal(a->status, GATE_PASS);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_PASS);
    gate_report_free(&r);
    assert_int_equal(run_gate(4, "--baseline", b, "--candidate", c), 0);
}

static void test_slower_25_regresses(void **state)
{
    char b[300], c[300], sum[300];
    path_of(b, sizeof b, "slow_b.jsonl");
    path_of(c, sizeof c, "slow_c.jsonl");
    path_of(sum, sizeof sum, "slow_summary.md");
    write_journal(b, 10, 1000, 1.0, 0.02, 201, 0, NULL);
    write_journal(c, 10, 1000, 1.25, 0.02, 201, 0, NULL);
    gate_report_t r;
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    const gate_row_t *t = find_row(&r, "none", "ns_per_op");
    assert_non_null(t);
    assert_int_equal(t->status, GATE_REGRESSION);
    assert_true(t->lo > 1.10);
    assert_true(t->p_holm < 0.05);
    /* the counts did not change: no count regression */
    assert_int_equal(find_row(&r, "none", "alloc_calls")->status, GATE_PASS);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_REGRESSION);
    /* a confirmation rerun that does not reproduce it: pass */
    gate_report_t same;
    assert_int_equal(compare_files(b, b, &same, 0), 0);
    gate_apply_confirmation(&r, &same);
    assert_int_equal(find_row(&r, "none", "ns_per_op")->confirm, GATE_CONFIRM_NOT_REPRODUCED);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_PASS);
    gate_report_free(&same);
    gate_report_free(&r);
    /* ... and one that does: regression */
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    gate_report_t again;
    assert_int_equal(compare_files(b, c, &again, 0), 0);
    gate_apply_confirmation(&r, &again);
    assert_int_equal(find_row(&r, "none", "ns_per_op")->confirm, GATE_CONFIRM_AGREED);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_REGRESSION);
    gate_report_free(&again);
    gate_report_free(&r);
    /* saved journals: exit 1, marked unconfirmed in the summary */
    assert_int_equal(run_gate(6, "--baseline", b, "--candidate", c, "--summary", sum), 1);
    FILE *f = fopen(sum, "r");
    assert_non_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "REGRESSION (unconfirmed)"));
    assert_non_null(strstr(buf, "exit 1"));
}

static void test_noisy_overlap_not_regression(void **state)
{
    char b[300], c[300];
    path_of(b, sizeof b, "noisy_b.jsonl");
    path_of(c, sizeof c, "noisy_c.jsonl");
    /* +8 % with +-30 % spread: the CI reaches below the threshold */
    write_journal(b, 10, 1000, 1.0, 0.6, 201, 0, NULL);
    write_journal(c, 10, 1000, 1.08, 0.6, 201, 0, NULL);
    gate_report_t r;
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    const gate_row_t *t = find_row(&r, "none", "ns_per_op");
    assert_non_null(t);
    assert_int_not_equal(t->status, GATE_REGRESSION);
    assert_true(t->lo <= 1.10);
    int ec = gate_exit_code(&r);
    assert_true(ec == GATE_EXIT_PASS || ec == GATE_EXIT_INCONCLUSIVE);
    gate_report_free(&r);
    /* a big slowdown that is too noisy to establish: unclear, exit 2, never 1 */
    write_journal(c, 10, 1000, 1.3, 1.4, 201, 0, NULL);
    write_journal(b, 10, 1000, 1.0, 1.4, 201, 0, NULL);
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    t = find_row(&r, "none", "ns_per_op");
    assert_int_equal(t->status, GATE_UNCLEAR);
    assert_true(t->ratio > 1.10);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_INCONCLUSIVE);
    /* such a suspect is rerun: a clean rerun clears it, a clear regression confirms it */
    char *arms = NULL;
    assert_int_equal(gate_regressed_arms(&r, &arms), 1);
    assert_non_null(strstr(arms, "micro_checksum\tglibc\tnone\tsize=1M\n"));
    free(arms);
    gate_report_t rerun;
    assert_int_equal(compare_files(b, b, &rerun, 0), 0);
    gate_apply_confirmation(&r, &rerun);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_PASS);
    gate_report_free(&rerun);
    gate_report_free(&r);
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    char slow[300];
    path_of(slow, sizeof slow, "noisy_slow.jsonl");
    write_journal(slow, 10, 1000, 1.3, 0.02, 201, 0, NULL);
    write_journal(b, 10, 1000, 1.0, 0.02, 201, 0, NULL);
    assert_int_equal(compare_files(b, slow, &rerun, 0), 0);
    gate_apply_confirmation(&r, &rerun);
    assert_int_equal(find_row(&r, "none", "ns_per_op")->confirm, GATE_CONFIRM_AGREED);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_REGRESSION);
    gate_report_free(&rerun);
    gate_report_free(&r);
}

static void test_count_increase_alone(void **state)
{
    char b[300], c[300];
    path_of(b, sizeof b, "cnt_b.jsonl");
    path_of(c, sizeof c, "cnt_c.jsonl");
    /* identical, noisy timing; one more allocation per run */
    write_journal(b, 10, 1000, 1.0, 0.3, 201, 0, NULL);
    write_journal(c, 10, 1000, 1.0, 0.3, 202, 0, NULL);
    gate_report_t r;
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    assert_int_not_equal(find_row(&r, "none", "ns_per_op")->status, GATE_REGRESSION);
    const gate_row_t *a = find_row(&r, "none", "alloc_calls");
    assert_non_null(a);
    assert_int_equal(a->status, GATE_REGRESSION);
    assert_string_equal(a->method, "exact");
    assert_true(a->med_cand == 202 && a->med_base == 201);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_REGRESSION);
    gate_report_free(&r);
    /* allowed by --max-count-increase 1 (%) */
    assert_int_equal(compare_files(b, c, &r, 1.0), 0);
    assert_int_equal(find_row(&r, "none", "alloc_calls")->status, GATE_PASS);
    gate_report_free(&r);
    /* fewer allocations are never a regression */
    assert_int_equal(compare_files(c, b, &r, 0), 0);
    assert_int_equal(find_row(&r, "none", "alloc_calls")->status, GATE_PASS);
    gate_report_free(&r);
    /* a count that varies is compared statistically and flagged */
    write_journal(c, 10, 1000, 1.0, 0.3, 201, 5, NULL);
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    a = find_row(&r, "none", "alloc_calls");
    assert_int_equal(a->varies, 1);
    assert_int_not_equal(a->status, GATE_REGRESSION);
    gate_report_free(&r);
}

/* The memory gate: identical memory passes; a candidate that keeps 25 % more live (and
 * resident) exits 1 on memory alone, with its own summary line; less memory never fails. */
static void test_memory_25_regresses(void **state)
{
    char b[300], c[300], sum[300];
    path_of(b, sizeof b, "mem_b.jsonl");
    path_of(c, sizeof c, "mem_c.jsonl");
    path_of(sum, sizeof sum, "mem_sum.md");
    g_peak_live_bytes = 4000000;
    g_max_rss_bytes = 20e6;
    write_journal(b, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    write_journal(c, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    gate_report_t r;
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    const gate_row_t *pl = find_row(&r, "none", "peak_live_bytes");
    const gate_row_t *rss = find_row(&r, "none", "max_rss_bytes");
    assert_non_null(pl);
    assert_non_null(rss);
    assert_string_equal(pl->method, "exact");
    assert_string_equal(rss->method, "bootstrap");
    assert_int_equal(pl->status, GATE_PASS);
    assert_int_equal(rss->status, GATE_PASS);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_PASS);
    gate_report_free(&r);

    g_peak_live_bytes = 5000000;   /* +25 % live, +25 % resident; time unchanged */
    g_max_rss_bytes = 25e6;
    write_journal(c, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    assert_int_equal(find_row(&r, "none", "ns_per_op")->status, GATE_PASS);
    pl = find_row(&r, "none", "peak_live_bytes");
    rss = find_row(&r, "all", "max_rss_bytes");
    assert_int_equal(pl->status, GATE_REGRESSION);
    assert_true(fabs(pl->ratio - 1.25) < 1e-9);
    assert_int_equal(rss->status, GATE_REGRESSION);
    assert_true(rss->lo > 1.10);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_REGRESSION);
    gate_report_free(&r);
    assert_int_equal(run_gate(6, "--baseline", b, "--candidate", c, "--summary", sum), 1);
    FILE *f = fopen(sum, "r");
    assert_non_null(f);
    char text[1 << 15];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    assert_non_null(strstr(text, "Memory (peak live bytes, peak RSS; the same +10 % threshold "
                                 "and rule as time): **REGRESSION**"));

    /* +5 % is within the 10 % allowance; less memory is never a regression */
    g_peak_live_bytes = 4200000;
    write_journal(c, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    assert_int_equal(find_row(&r, "none", "peak_live_bytes")->status, GATE_PASS);
    gate_report_free(&r);
    assert_int_equal(compare_files(c, b, &r, 0), 0);
    assert_int_equal(find_row(&r, "none", "peak_live_bytes")->status, GATE_PASS);
    gate_report_free(&r);
    g_peak_live_bytes = g_max_rss_bytes = 0;
}

static void test_failed_candidate_cells(void **state)
{
    char b[300], c[300];
    path_of(b, sizeof b, "fail_b.jsonl");
    path_of(c, sizeof c, "fail_c.jsonl");
    write_journal(b, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    write_journal(c, 10, 1000, 1.0, 0.04, 201, 0, "signal:11");
    gate_report_t r;
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    const gate_row_t *s = find_row(&r, "none", "status");
    assert_non_null(s);
    assert_int_equal(s->status, GATE_REGRESSION);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_REGRESSION);
    gate_report_free(&r);
    /* too few samples: no claim, and nothing compared -> exit 2 */
    write_journal(b, 3, 1000, 1.0, 0.04, 201, 0, NULL);
    write_journal(c, 3, 1000, 1.5, 0.04, 201, 0, NULL);
    assert_int_equal(compare_files(b, c, &r, 0), 0);
    assert_int_equal(find_row(&r, "none", "ns_per_op")->status, GATE_NO_DATA);
    gate_report_free(&r);
}

static void test_malformed_inputs_exit_2(void **state)
{
    char b[300], c[300], bad[300], thr[300], empty[300];
    path_of(b, sizeof b, "mf_b.jsonl");
    path_of(c, sizeof c, "mf_c.jsonl");
    path_of(bad, sizeof bad, "mf_corrupt.jsonl");
    path_of(thr, sizeof thr, "mf_thresholds.ini");
    path_of(empty, sizeof empty, "mf_empty.jsonl");
    write_journal(b, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    write_journal(c, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    /* missing journal */
    char missing[300];
    path_of(missing, sizeof missing, "no-such-journal.jsonl");
    assert_int_equal(run_gate(4, "--baseline", missing, "--candidate", c), 2);
    assert_int_equal(run_gate(4, "--baseline", b, "--candidate", missing), 2);
    /* corrupt journal: a broken line in the middle */
    FILE *f = fopen(bad, "w");
    fprintf(f, "{\"type\":\"context\",\"schema_version\":1}\n{\"type\":\"cell\",\"key\":\"x\",,,\n"
               "{\"type\":\"cell\",\"key\":\"y\"}\n");
    fclose(f);
    assert_int_equal(run_gate(4, "--baseline", b, "--candidate", bad), 2);
    /* empty journal */
    f = fopen(empty, "w");
    fclose(f);
    assert_int_equal(run_gate(4, "--baseline", empty, "--candidate", c), 2);
    /* bad thresholds file */
    f = fopen(thr, "w");
    fprintf(f, "[gate]\nmax_regression_percent = banana\n");
    fclose(f);
    assert_int_equal(run_gate(6, "--baseline", b, "--candidate", c, "--thresholds", thr), 2);
    /* bad arguments */
    assert_int_equal(run_gate(2, "--baseline", b), 2);
    assert_int_equal(run_gate(5, "--baseline", b, "--candidate", c, "--bogus"), 2);
    assert_int_equal(run_gate(6, "--baseline", b, "--candidate", c, "--inject-slowdown", "25"), 2);
    /* bad revision (resolved before anything is built) */
    assert_int_equal(run_gate(5, "--repo", PB_SOURCE_DIR, "--revs", "no-such-rev-xyz", "HEAD"), 2);
    assert_int_equal(run_gate(2, "--revs", "HEAD"), 2);
    /* a journal cut mid-line is usable: its complete lines are compared */
    f = fopen(c, "a");
    fprintf(f, "{\"type\":\"cell\",\"key\":\"cut");
    fclose(f);
    assert_int_equal(run_gate(4, "--baseline", b, "--candidate", c), 0);
}

static void test_no_common_arm_exit_2(void **state)
{
    char b[300], c[300];
    path_of(b, sizeof b, "nc_b.jsonl");
    path_of(c, sizeof c, "nc_c.jsonl");
    write_journal(b, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    write_journal(c, 10, 1000, 1.0, 0.04, 201, 0, NULL);
    /* filter to a scenario that neither journal has */
    assert_int_equal(run_gate(6, "--baseline", b, "--candidate", c, "--scenarios", "other"), 2);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "%s/test_gate.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir))
        return 1;
    unsetenv("GITHUB_STEP_SUMMARY");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_passes),
        cmocka_unit_test(test_slower_25_regresses),
        cmocka_unit_test(test_noisy_overlap_not_regression),
        cmocka_unit_test(test_count_increase_alone),
        cmocka_unit_test(test_memory_25_regresses),
        cmocka_unit_test(test_failed_candidate_cells),
        cmocka_unit_test(test_malformed_inputs_exit_2),
        cmocka_unit_test(test_no_common_arm_exit_2),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (rc == 0 && system(cmd) != 0)
        return 1;
    return rc;
}
