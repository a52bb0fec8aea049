/* test_export.c: samples.csv, bench.txt and the gnuplot charts on a synthetic journal.
 *
 * CSV: one row per cell here; parsed back by Python's csv module in csv_check.py (header
 * = the id columns followed by the PB_METRICS names, every field equals the journal's
 * value, empty for null). bench.txt: every line parsed with the benchfmt grammar; one result
 * per ok sample with a time, hyperfine samples carry only ns/op. Charts: every chart
 * gives a non-empty PNG (PNG signature) and SVG (<svg); a missing gnuplot and a failing
 * script give CHARTS_FAILED with a message naming the chart, never a crash.
 * `test_export --write-bench FILE` only writes the synthetic bench.txt (for the Go check);
 * `test_export --write-csv DIR` only writes DIR/samples.csv and DIR/results.jsonl.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "charts.h"
#include "export_csv.h"
#include "export_gobench.h"
#include "journal.h"
#include "synth_journal.h"

static char tmpdir[256];
static char jpath[512];
static journal_t J;

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pb-test-export-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(jpath, sizeof jpath, "%s/results.jsonl", tmpdir);
    if (synth_journal_write(jpath, 8) <= 0)
        return -1;
    char err[JOURNAL_ERR_BYTES];
    return journal_load(jpath, &J, err);
}

static int teardown(void **state)
{
    journal_free(&J);
    if (getenv("PB_TEST_KEEP")) {   /* keep the outputs to look at them */
        fprintf(stderr, "outputs kept in %s\n", tmpdir);
        return 0;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- samples.csv */

/* samples.csv is read back by Python's csv module (csv_check.py, CTest
 * test_export_csv_python): `test_export --write-csv DIR` writes DIR/samples.csv and the
 * synthetic journal it came from, DIR/results.jsonl. Here only the row count. */
static void test_csv_rows(void **state)
{
    char path[600];
    snprintf(path, sizeof path, "%s/samples.csv", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    long rows = export_csv_write(&J, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rows, (long)J.n_cells);
}

/* ---------------------------------------------------------------- benchfmt grammar */

/* benchfmt: a result line starts with "Benchmark" followed by end/non-lowercase; fields
 * are whitespace-separated: name, iterations (integer), then (value, unit) pairs. */
static int is_result_line(const char *line)
{
    return strncmp(line, "Benchmark", 9) == 0 && !islower((unsigned char)line[9]);
}

static void test_gobench_grammar(void **state)
{
    char path[600];
    snprintf(path, sizeof path, "%s/bench.txt", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    size_t skipped = 99;
    long lines = export_gobench_write(&J, f, &skipped);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(skipped, 0);

    size_t ok = 0, hyperfine_ok = 0;
    for (size_t i = 0; i < J.n_cells; i++)
        if (!strcmp(journal_str(J.cells[i], "status"), "ok")) {
            ok++;
            hyperfine_ok += !strcmp(journal_str(J.cells[i], "source"), "hyperfine");
        }
    assert_int_equal(lines, (long)ok);
    long long cores = journal_int(J.context, "cores", 0);

    f = fopen(path, "r");
    assert_non_null(f);
    char line[2048];
    size_t results = 0, only_ns = 0, configs = 0;
    int seen_goos = 0, seen_cpu = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!*line)
            continue;
        if (!is_result_line(line)) {
            /* configuration line: key: value; key lowercase-initial, no space/upper */
            char *colon = strchr(line, ':');
            assert_non_null(colon);
            assert_true(islower((unsigned char)line[0]));
            for (char *p = line; p < colon; p++)
                assert_false(isspace((unsigned char)*p) || isupper((unsigned char)*p));
            assert_true(colon[1] == ' ');
            seen_goos |= !strncmp(line, "goos: ", 6);
            seen_cpu |= !strncmp(line, "cpu: ", 5);
            configs++;
            continue;
        }
        assert_int_equal(configs > 0, 1);   /* header before results */
        char *save = NULL, *tok[16];
        int nt = 0;
        for (char *t = strtok_r(line, " \t", &save); t && nt < 16; t = strtok_r(NULL, " \t", &save))
            tok[nt++] = t;
        assert_true(nt >= 4 && nt % 2 == 0);
        /* name: Benchmark<W>/key=value.../-N */
        char *dash = strrchr(tok[0], '-');
        assert_non_null(dash);
        assert_int_equal(atoll(dash + 1), cores);
        for (char *p = dash + 1; *p; p++)
            assert_true(isdigit((unsigned char)*p));
        *dash = '\0';
        assert_true(isupper((unsigned char)tok[0][9]));
        int parts = 0;
        for (char *p = strchr(tok[0], '/'); p; p = strchr(p + 1, '/')) {
            char *end = strchr(p + 1, '/');
            char *eq = strchr(p + 1, '=');
            assert_true(eq && (!end || eq < end) && eq > p + 1);
            parts++;
        }
        assert_true(parts >= 3);
        assert_non_null(strstr(tok[0], "/scenario="));
        assert_non_null(strstr(tok[0], "/backend="));
        assert_non_null(strstr(tok[0], "/policy="));
        char *endp;
        long long iters = strtoll(tok[1], &endp, 10);
        assert_true(*endp == '\0' && iters >= 1);
        int has_ns = 0;
        for (int k = 2; k < nt; k += 2) {
            strtod(tok[k], &endp);
            assert_true(*endp == '\0');
            has_ns |= !strcmp(tok[k + 1], "ns/op");
        }
        assert_true(has_ns);
        only_ns += nt == 4;
        results++;
    }
    fclose(f);
    assert_true(seen_goos && seen_cpu);
    assert_int_equal(results, ok);
    assert_int_equal(only_ns, hyperfine_ok);
    assert_true(hyperfine_ok > 0);
}

static void test_gobench_name_sanitized(void **state)
{
    json_object *c = json_object_new_object();
    json_object_object_add(c, "workload", json_object_new_string("checksum_concurrent"));
    json_object_object_add(c, "scenario", json_object_new_string("odd name/with slash"));
    json_object_object_add(c, "backend", json_object_new_string("glibc"));
    json_object_object_add(c, "policy", json_object_new_string("hash+tar"));
    json_object_object_add(c, "variant", json_object_new_string("threads=4 hash_size=32768"));
    char buf[512];
    assert_int_equal(export_gobench_name(c, buf, sizeof buf), 0);
    assert_string_equal(buf, "BenchmarkChecksumConcurrent/scenario=odd_name_with_slash/backend=glibc/"
                             "policy=hash+tar/threads=4/hash_size=32768");
    assert_int_equal(export_gobench_name(c, buf, 20), -1);
    json_object_put(c);
}

/* ---------------------------------------------------------------- charts */

static int file_starts_with(const char *path, const char *magic, size_t n, long *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[4096] = {0};
    size_t r = fread(buf, 1, sizeof buf - 1, f);
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fclose(f);
    if (n == 0)
        return strstr(buf, magic) != NULL;
    return r >= n && memcmp(buf, magic, n) == 0;
}

static void test_charts_render(void **state)
{
    charts_options_t o;
    charts_default_options(&o);
    charts_result_t res[CHARTS_COUNT];
    char err[512] = "";
    assert_int_equal(charts_write(&J, tmpdir, &o, res, err, sizeof err), 0);
    for (int i = 0; i < CHARTS_COUNT; i++) {
        if (res[i].status != CHARTS_OK)
            print_message("chart %s: %s\n", res[i].name, res[i].message);
        assert_int_equal(res[i].status, CHARTS_OK);
        char p[4200];
        long size = 0;
        snprintf(p, sizeof p, "%s/%s", tmpdir, res[i].png);
        assert_true(file_starts_with(p, "\x89PNG\r\n\x1a\n", 8, &size));
        assert_true(size > 1000);
        snprintf(p, sizeof p, "%s/%s", tmpdir, res[i].svg);
        assert_true(file_starts_with(p, "<svg", 0, &size));
        assert_true(size > 1000);
    }
    /* the size sweep's x axis is in bytes, parsed from the driver's "32K"-style labels */
    char p[4200];
    snprintf(p, sizeof p, "%s/charts/data/sizes_1.tsv", tmpdir);
    long size = 0;
    assert_true(file_starts_with(p, "32768\t32K\t", 0, &size));
    assert_true(file_starts_with(p, "1048576\t1M\t", 0, &size));
}

static void test_charts_without_gnuplot(void **state)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/nognuplot", tmpdir);
    mkdir(dir, 0755);
    charts_options_t o;
    charts_default_options(&o);
    o.gnuplot = "/nonexistent/gnuplot-missing";
    charts_result_t res[CHARTS_COUNT];
    char err[512] = "";
    assert_int_equal(charts_write(&J, dir, &o, res, err, sizeof err), 0);
    for (int i = 0; i < CHARTS_COUNT; i++) {
        assert_int_equal(res[i].status, CHARTS_FAILED);
        assert_non_null(strstr(res[i].message, res[i].name));
        assert_non_null(strstr(res[i].message, "gnuplot not found"));
    }
}

static void test_charts_failing_script(void **state)
{
    char dir[600], scripts[600], p[700];
    snprintf(dir, sizeof dir, "%s/badscript", tmpdir);
    snprintf(scripts, sizeof scripts, "%s/scripts", tmpdir);
    mkdir(dir, 0755);
    mkdir(scripts, 0755);
    snprintf(p, sizeof p, "%s/time.gp", scripts);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("plot no_such_function_xyz(x)\n", f);
    fclose(f);
    charts_options_t o;
    charts_default_options(&o);
    o.scripts_dir = scripts;
    charts_result_t res[CHARTS_COUNT];
    char err[512] = "";
    assert_int_equal(charts_write(&J, dir, &o, res, err, sizeof err), 0);
    assert_int_equal(res[CHARTS_TIME].status, CHARTS_FAILED);
    assert_non_null(strstr(res[CHARTS_TIME].message, "chart time: gnuplot failed"));
    assert_non_null(strstr(res[CHARTS_TIME].message, "undefined function"));
    assert_int_equal(res[CHARTS_RATIO].status, CHARTS_FAILED);
    assert_non_null(strstr(res[CHARTS_RATIO].message, "not readable"));
}

static void test_charts_no_sweep(void **state)
{
    /* a journal with only single_build: no thread or size sweep -> NO_DATA with a reason */
    char dir[600], jp[700], cmd[1600];
    snprintf(dir, sizeof dir, "%s/nosweep", tmpdir);
    mkdir(dir, 0755);
    snprintf(jp, sizeof jp, "%s/results.jsonl", dir);
    snprintf(cmd, sizeof cmd, "grep -v '\"scenario\":\"pool_contention\"' '%s' | grep -v buffer_sweep > '%s'",
             jpath, jp);
    assert_int_equal(system(cmd), 0);
    journal_t j2;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(jp, &j2, err), 0);
    charts_options_t o;
    charts_default_options(&o);
    o.gnuplot = "/nonexistent/gnuplot-missing";
    charts_result_t res[CHARTS_COUNT];
    assert_int_equal(charts_write(&j2, dir, &o, res, err, sizeof err), 0);
    assert_int_equal(res[CHARTS_SCALING].status, CHARTS_NO_DATA);
    assert_non_null(strstr(res[CHARTS_SCALING].message, "threads"));
    assert_int_equal(res[CHARTS_SIZES].status, CHARTS_NO_DATA);
    assert_int_equal(res[CHARTS_TIME].status, CHARTS_FAILED);
    journal_free(&j2);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-bench") == 0) {
        if (setup(NULL) != 0)
            return 1;
        FILE *f = fopen(argv[2], "w");
        long n = f ? export_gobench_write(&J, f, NULL) : -1;
        int rc = (f && fclose(f) == 0 && n > 0) ? 0 : 1;
        teardown(NULL);
        return rc;
    }
    if (argc == 3 && strcmp(argv[1], "--write-csv") == 0) {
        char p[1024], cmd[2200];
        if (setup(NULL) != 0)
            return 1;
        snprintf(p, sizeof p, "%s/samples.csv", argv[2]);
        FILE *f = fopen(p, "w");
        long n = f ? export_csv_write(&J, f) : -1;
        int rc = (f && fclose(f) == 0 && n == (long)J.n_cells) ? 0 : 1;
        snprintf(cmd, sizeof cmd, "cp '%s' '%s/results.jsonl'", jpath, argv[2]);
        if (rc == 0 && system(cmd) != 0)
            rc = 1;
        teardown(NULL);
        return rc;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_rows),
        cmocka_unit_test(test_gobench_grammar),
        cmocka_unit_test(test_gobench_name_sanitized),
        cmocka_unit_test(test_charts_render),
        cmocka_unit_test(test_charts_without_gnuplot),
        cmocka_unit_test(test_charts_failing_script),
        cmocka_unit_test(test_charts_no_sweep),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
