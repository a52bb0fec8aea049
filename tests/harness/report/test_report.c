/* test_report.c: report_write() on a synthetic journal (synth_journal.h).
 *
 * report.md holds the class verdict table and one row per verdict of the model (rebuilt
 * here with analysis_build); report.html references nothing outside itself (every src is a
 * data: URI, no href/src to http(s), no <link>/<script>) and embeds every chart; a
 * journal cut mid-line is reported with its line number and the complete lines are used;
 * a corrupt line and a malformed thresholds file give REPORT_BAD_INPUT naming file:line;
 * a missing gnuplot still gives a report that says which charts are missing.
 * `test_report --make DIR` only writes a synthetic journal and its report into DIR (used
 * by test_report_chromium.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "analysis.h"
#include "report.h"
#include "synth_journal.h"

static char tmpdir[256];

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    return b;
}

static void make_dir(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
    mkdir(out, 0755);
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pb-test-report-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    if (getenv("PB_TEST_KEEP"))
        return 0;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_report_full(void **state)
{
    char dir[512], jp[600], p[700];
    make_dir(dir, sizeof dir, "full");
    snprintf(jp, sizeof jp, "%s/results.jsonl", dir);
    assert_true(synth_journal_write(jp, 8) > 0);
    report_outcome_t o;
    char err[REPORT_ERR_BYTES];
    int rc = report_write(dir, NULL, NULL, &o, err, sizeof err);
    if (rc)
        print_message("%s\n", err);
    assert_int_equal(rc, REPORT_OK);
    assert_int_equal(o.truncated_line, 0);
    for (int i = 0; i < CHARTS_COUNT; i++) {
        if (o.charts[i].status != CHARTS_OK)
            print_message("%s: %s\n", o.charts[i].name, o.charts[i].message);
        assert_int_equal(o.charts[i].status, CHARTS_OK);
    }
    const char *files[] = {"summary.json", "samples.csv", "bench.txt", "report.md", "report.html"};
    for (size_t i = 0; i < 5; i++) {
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        assert_int_equal(stat(p, &st), 0);
        assert_true(st.st_size > 0);
    }

    /* the model, rebuilt independently of the report */
    journal_t j;
    char jerr[JOURNAL_ERR_BYTES], aerr[ANALYSIS_ERR_BYTES];
    assert_int_equal(journal_load(jp, &j, jerr), 0);
    analysis_model_t m;
    assert_int_equal(analysis_build(&j, NULL, &m, aerr), 0);
    assert_true(m.n_verdicts > 0);
    assert_true(m.n_classes > 0);

    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    assert_non_null(md);
    /* verdicts come first: the class table before the evidence */
    char *classes = strstr(md, "## Verdicts per pool class");
    char *evidence = strstr(md, "## Evidence per class");
    assert_non_null(classes);
    assert_non_null(evidence);
    assert_true(classes < evidence);
    assert_non_null(strstr(md, "| Pool class | Verdict |"));
    assert_non_null(strstr(md, analysis_overall_name(m.overall)));
    for (size_t i = 0; i < m.n_classes; i++) {
        char row[200];
        snprintf(row, sizeof row, "| `%s` | **%s** |", m.classes[i].cls,
                 analysis_verdict_name(m.classes[i].verdict));
        assert_non_null(strstr(md, row));
    }
    for (size_t i = 0; i < m.n_verdicts; i++) {
        const analysis_verdict_t *v = &m.verdicts[i];
        char row[600];
        snprintf(row, sizeof row, "| %s | %s | %s | `%s` | **%s** | %s |", v->scenario,
                 v->variant && *v->variant ? v->variant : "—", v->backend, v->cls,
                 analysis_verdict_name(v->verdict), v->rule && *v->rule ? v->rule : "—");
        if (!strstr(md, row))
            print_message("missing verdict row: %s\n", row);
        assert_non_null(strstr(md, row));
    }
    for (int i = 0; i < CHARTS_COUNT; i++) {
        char link[200];
        snprintf(link, sizeof link, "](charts/%s.png)", charts_name(i));
        assert_non_null(strstr(md, link));
    }
    assert_non_null(strstr(md, "Synthetic CPU"));
    assert_non_null(strstr(md, "0123456789abcdef"));
    assert_non_null(strstr(md, "812 non-blank lines"));
    free(md);

    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p);
    assert_non_null(html);
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "href="));
    assert_null(strstr(html, "url("));
    size_t imgs = 0;
    for (char *s = strstr(html, "src=\""); s; s = strstr(s + 1, "src=\"")) {
        assert_int_equal(strncmp(s, "src=\"data:image/png;base64,", 27), 0);
        imgs++;
    }
    assert_int_equal(imgs, CHARTS_COUNT);
    for (size_t i = 0; i < m.n_verdicts; i++)
        assert_non_null(strstr(html, m.verdicts[i].detail[0] ? "<td class=\"v " : ""));
    free(html);
    analysis_free(&m);
    journal_free(&j);
}

static void test_report_truncated(void **state)
{
    char dir[512], jp[600], p[700];
    make_dir(dir, sizeof dir, "truncated");
    snprintf(jp, sizeof jp, "%s/results.jsonl", dir);
    long cells = synth_journal_write(jp, 4);
    assert_true(cells > 0);
    FILE *f = fopen(jp, "a");
    fputs("{\"type\":\"cell\",\"key\":\"abc\",\"scen", f);   /* cut mid-line */
    fclose(f);
    report_outcome_t o;
    report_options_t opt = {.no_charts = 1};
    char err[REPORT_ERR_BYTES];
    assert_int_equal(report_write(dir, NULL, &opt, &o, err, sizeof err), REPORT_OK);
    assert_int_equal(o.truncated_line, (int)cells + 2);
    assert_int_equal(o.n_cells, (size_t)cells);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    char want[64];
    snprintf(want, sizeof want, "line %d is a partial last line", (int)cells + 2);
    assert_non_null(strstr(md, want));
    assert_non_null(strstr(md, "Charts were not generated"));
    free(md);
}

static void test_report_corrupt(void **state)
{
    char dir[512], jp[600];
    make_dir(dir, sizeof dir, "corrupt");
    snprintf(jp, sizeof jp, "%s/results.jsonl", dir);
    assert_true(synth_journal_write(jp, 2) > 0);
    FILE *f = fopen(jp, "a");
    fputs("{not json}\n{\"type\":\"cell\",\"key\":\"x\"}\n", f);
    fclose(f);
    char err[REPORT_ERR_BYTES];
    assert_int_equal(report_write(dir, NULL, NULL, NULL, err, sizeof err), REPORT_BAD_INPUT);
    assert_non_null(strstr(err, "results.jsonl:"));
    assert_non_null(strstr(err, "corrupt"));
    /* missing journal */
    make_dir(dir, sizeof dir, "empty");
    assert_int_equal(report_write(dir, NULL, NULL, NULL, err, sizeof err), REPORT_BAD_INPUT);
    assert_non_null(strstr(err, "results.jsonl"));
}

static void test_report_bad_thresholds(void **state)
{
    char dir[512], jp[600], tp[600];
    make_dir(dir, sizeof dir, "thresholds");
    snprintf(jp, sizeof jp, "%s/results.jsonl", dir);
    assert_true(synth_journal_write(jp, 2) > 0);
    snprintf(tp, sizeof tp, "%s/bad.ini", dir);
    FILE *f = fopen(tp, "w");
    fputs("[keep]\nspeedup_percent = lots\n", f);
    fclose(f);
    char err[REPORT_ERR_BYTES];
    assert_int_equal(report_write(dir, tp, NULL, NULL, err, sizeof err), REPORT_BAD_INPUT);
    assert_non_null(strstr(err, "bad.ini:2"));
}

static void test_report_without_gnuplot(void **state)
{
    char dir[512], jp[600], p[700];
    make_dir(dir, sizeof dir, "nognuplot");
    snprintf(jp, sizeof jp, "%s/results.jsonl", dir);
    assert_true(synth_journal_write(jp, 4) > 0);
    report_outcome_t o;
    report_options_t opt = {.gnuplot = "/nonexistent/gnuplot"};
    char err[REPORT_ERR_BYTES];
    assert_int_equal(report_write(dir, NULL, &opt, &o, err, sizeof err), REPORT_OK);
    assert_int_equal(o.n_chart_problems, CHARTS_COUNT);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    assert_non_null(strstr(md, "**Chart missing**: chart time: gnuplot not found"));
    free(md);
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p);
    assert_null(strstr(html, "<img"));
    assert_non_null(strstr(html, "Chart missing"));
    free(html);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--make") == 0) {
        char jp[4200], err[REPORT_ERR_BYTES];
        mkdir(argv[2], 0755);
        snprintf(jp, sizeof jp, "%s/results.jsonl", argv[2]);
        if (synth_journal_write(jp, 8) <= 0)
            return 1;
        int rc = report_write(argv[2], NULL, NULL, NULL, err, sizeof err);
        if (rc)
            fprintf(stderr, "%s\n", err);
        return rc;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_full),
        cmocka_unit_test(test_report_truncated),
        cmocka_unit_test(test_report_corrupt),
        cmocka_unit_test(test_report_bad_thresholds),
        cmocka_unit_test(test_report_without_gnuplot),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
