/* test_gate_ir.c: the gate's instruction counts (gate_ir.h) without valgrind: reading a
 * callgrind output file (summary:, else totals:; neither is an error), comparing two
 * sides' instructions.json files (equal -> PASS at ratio 1; 5 % more per operation ->
 * REGRESSION, confirmed by construction, and the gate's exit code 1; 2 % more -> PASS
 * under the 3 % default; an arm missing or not counted on one side -> NO_DATA naming why;
 * a file that is not an instructions file -> -1 naming it), the Markdown summary's
 * instruction line, and which arms are eligible (single-threaded C kernels only).
 * Every expected value is written here, not computed by the code under test.
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

#include "gate_compare.h"
#include "gate_ir.h"

static char g_dir[256];

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", g_dir, name);
}

static void write_text(const char *name, const char *text)
{
    char p[512];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* An instructions.json with two arms: checksum/hash counted at ir_per_op (ops 100) and
 * image_tag/string either counted at 500 or failed with an error. */
static void write_counts(const char *name, double ir_per_op, int tag_failed)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"schema_version\":1,\"kind\":\"poolbench-instructions\",\"side\":\"x\","
             "\"bin_dir\":\"/b\",\"extra_ops_pct\":0,\"arms\":["
             "{\"scenario\":\"micro_checksum\",\"backend\":\"glibc\",\"policy\":\"hash\","
             "\"variant\":\"zero_on_put=on\",\"ir\":%.0f,\"ops\":100,\"ir_per_op\":%.1f},"
             "{\"scenario\":\"micro_image_tag\",\"backend\":\"glibc\",\"policy\":\"string\","
             "\"variant\":\"\"%s}]}\n",
             ir_per_op * 100, ir_per_op,
             tag_failed ? ",\"error\":\"pb-glibc-bare under callgrind: exit:1: boom\""
                        : ",\"ir\":50000,\"ops\":100,\"ir_per_op\":500");
    write_text(name, text);
}

static const gate_row_t *row_of(const gate_report_t *r, const char *scenario)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (!strcmp(r->rows[i].scenario, scenario))
            return &r->rows[i];
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "%s/test_gate_ir.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_parse(void **state)
{
    (void)state;
    char p[512], err[512];
    uint64_t ir = 0;
    write_text("cg.summary", "# callgrind format\nversion: 1\ncmd: x\nevents: Ir\n"
                             "fn=(1) main\n3 5\nsummary: 123456789\ntotals: 99\n");
    path_of(p, sizeof p, "cg.summary");
    assert_int_equal(gate_ir_parse_file(p, &ir, err, sizeof err), 0);
    assert_true(ir == 123456789ull);
    write_text("cg.totals", "events: Ir\nfn=(1) main\n3 5\ntotals: 4242\n");
    path_of(p, sizeof p, "cg.totals");
    assert_int_equal(gate_ir_parse_file(p, &ir, err, sizeof err), 0);
    assert_true(ir == 4242);
    write_text("cg.none", "events: Ir\nfn=(1) main\n3 5\n");
    path_of(p, sizeof p, "cg.none");
    assert_int_equal(gate_ir_parse_file(p, &ir, err, sizeof err), -1);
    assert_non_null(strstr(err, "cg.none"));
    path_of(p, sizeof p, "missing.out");
    assert_int_equal(gate_ir_parse_file(p, &ir, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing.out"));
}

static void compare(const char *base, const char *cand, gate_report_t *r)
{
    char pb[512], pc[512], err[512];
    path_of(pb, sizeof pb, base);
    path_of(pc, sizeof pc, cand);
    memset(r, 0, sizeof *r);
    r->max_regression = 0.10;
    assert_int_equal(gate_ir_compare_files(pb, pc, 3.0, r, err, sizeof err), 0);
}

static void test_identical_pass(void **state)
{
    (void)state;
    write_counts("a.json", 1000, 0);
    write_counts("b.json", 1000, 0);
    gate_report_t r;
    compare("a.json", "b.json", &r);
    assert_int_equal(r.n_rows, 2);
    const gate_row_t *w = row_of(&r, "micro_checksum");
    assert_non_null(w);
    assert_string_equal(w->metric, "instructions");
    assert_string_equal(w->method, "exact");
    assert_int_equal(w->status, GATE_PASS);
    assert_true(w->ratio == 1.0 && w->lo == 1.0 && w->hi == 1.0);
    assert_int_equal(row_of(&r, "micro_image_tag")->status, GATE_PASS);
    assert_true(fabs(r.max_instructions_increase - 0.03) < 1e-12);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_PASS);
    gate_report_free(&r);
}

static void test_five_percent_regresses(void **state)
{
    (void)state;
    write_counts("a.json", 1000, 0);
    write_counts("c.json", 1050, 0);
    gate_report_t r;
    compare("a.json", "c.json", &r);
    const gate_row_t *w = row_of(&r, "micro_checksum");
    assert_int_equal(w->status, GATE_REGRESSION);
    assert_int_equal(w->confirm, GATE_CONFIRM_AGREED);
    assert_true(fabs(w->ratio - 1.05) < 1e-12);
    assert_true(w->med_base == 1000 && w->med_cand == 1050);
    assert_int_equal(row_of(&r, "micro_image_tag")->status, GATE_PASS);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_REGRESSION);
    /* the summary says so in its own line */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    gate_write_markdown(f, &r, "base", "cand", NULL);
    fclose(f);
    assert_non_null(strstr(text, "Instructions (valgrind callgrind"));
    assert_non_null(strstr(text, "threshold +3.0 %): **REGRESSION**. 2 rows: 1 pass, 1 regression"));
    assert_non_null(strstr(text, "| REGRESSION (confirmed) | micro_checksum | glibc | hash |"));
    free(text);
    gate_report_free(&r);
}

static void test_two_percent_passes(void **state)
{
    (void)state;
    write_counts("a.json", 1000, 0);
    write_counts("d.json", 1020, 0);
    gate_report_t r;
    compare("a.json", "d.json", &r);
    assert_int_equal(row_of(&r, "micro_checksum")->status, GATE_PASS);
    assert_int_equal(gate_exit_code(&r), GATE_EXIT_PASS);
    gate_report_free(&r);
}

static void test_missing_counts_no_data(void **state)
{
    (void)state;
    write_counts("a.json", 1000, 0);
    write_counts("e.json", 1000, 1);   /* image_tag failed on the candidate */
    write_text("f.json", "{\"schema_version\":1,\"kind\":\"poolbench-instructions\",\"arms\":[]}\n");
    gate_report_t r;
    compare("a.json", "e.json", &r);
    const gate_row_t *w = row_of(&r, "micro_image_tag");
    assert_int_equal(w->status, GATE_NO_DATA);
    assert_non_null(strstr(w->note, "exit:1: boom"));
    gate_report_free(&r);
    compare("a.json", "f.json", &r);
    assert_int_equal(row_of(&r, "micro_checksum")->status, GATE_NO_DATA);
    assert_non_null(strstr(row_of(&r, "micro_checksum")->note, "missing from the candidate"));
    gate_report_free(&r);
}

static void test_bad_files(void **state)
{
    (void)state;
    write_counts("a.json", 1000, 0);
    write_text("g.json", "{\"kind\":\"poolbench-calibration\",\"arms\":[]}\n");
    write_text("h.json", "not json at all\n");
    char pa[512], pg[512], ph[512], pm[512], err[512];
    path_of(pa, sizeof pa, "a.json");
    path_of(pg, sizeof pg, "g.json");
    path_of(ph, sizeof ph, "h.json");
    path_of(pm, sizeof pm, "nope.json");
    gate_report_t r;
    memset(&r, 0, sizeof r);
    assert_int_equal(gate_ir_compare_files(pa, pg, 3.0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "g.json"));
    assert_int_equal(gate_ir_compare_files(ph, pa, 3.0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "h.json"));
    assert_int_equal(gate_ir_compare_files(pa, pm, 3.0, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "nope.json"));
    assert_int_equal(r.n_rows, 0);
    gate_report_free(&r);
}

static void test_eligible(void **state)
{
    (void)state;
    scenario_t sc;
    memset(&sc, 0, sizeof sc);
    sc.mode = SCENARIO_MODE_CELL;
    matrix_cell_t c;
    memset(&c, 0, sizeof c);
    c.sc = &sc;
    snprintf(c.backend, sizeof c.backend, "glibc");
    const char *yes[] = {"checksum", "sum_checksum", "tar_read", "tar_copy", "image_tag"};
    const char *no[] = {"checksum_concurrent", "tar_create", "tar_create_concurrent", "build",
                        "pool_churn"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(sc.workload, sizeof sc.workload, "%s", yes[i]);
        assert_true(gate_ir_eligible(&c));
        snprintf(sc.workload, sizeof sc.workload, "%s", no[i]);
        assert_false(gate_ir_eligible(&c));
    }
    snprintf(sc.workload, sizeof sc.workload, "checksum");
    snprintf(c.backend, sizeof c.backend, "go");   /* the Go runtime: its own runtime */
    assert_false(gate_ir_eligible(&c));
    snprintf(c.backend, sizeof c.backend, "glibc");
    sc.mode = SCENARIO_MODE_HYPERFINE;
    assert_false(gate_ir_eligible(&c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_identical_pass),
        cmocka_unit_test(test_five_percent_regresses),
        cmocka_unit_test(test_two_percent_passes),
        cmocka_unit_test(test_missing_counts_no_data),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_eligible),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
