/* test_report.c: report_write() on synthetic journals (synth_journal.h).
 *
 * report.md (the short document) opens with the overall sentence as its first line for
 * each overall kind (KEEP_SOME, REMOVE_ALL, UNDECIDED, journals built to give them), holds
 * the class table and the verdicts that decided each class, the what-if section (a flip
 * listed with its setting, "None would" without one) and the model-vs-runtime section
 * (with pb-go arms; "no Go runtime cells" without), and stays within 65,536 characters on
 * a journal with hundreds of verdicts (the longest table cut, with a note); report-full.md
 * holds every verdict's own row (its scenario, variant, backend, class, baseline, verdict,
 * rule and its own numbers), every chart and the context; report.html references nothing
 * outside itself (every src is a data: URI, no href/src to http(s), no <link>/<script>),
 * embeds every chart, holds every verdict's own text and collapses long tables in
 * <details> with the row count; a journal cut mid-line is reported with its line number
 * and the complete lines are used; a corrupt line and a malformed thresholds file give
 * REPORT_BAD_INPUT naming file:line; a missing gnuplot still gives a report that says which
 * charts are missing.
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
#include "report_md.h"
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

/* s with &, <, >, " escaped as report.html writes text (no ** or ` in s) */
static void html_escape(char *out, size_t cap, const char *s)
{
    size_t l = 0;
    for (; *s && l + 8 < cap; s++) {
        const char *r = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;"
                        : *s == '"' ? "&quot;" : NULL;
        if (r)
            l += (size_t)snprintf(out + l, cap - l, "%s", r);
        else
            out[l++] = *s;
    }
    out[l] = '\0';
}

/* the first line of a text, copied */
static void first_line_of(const char *text, char *out, size_t cap)
{
    size_t n = strcspn(text, "\n");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), text);
}

/* the row report-full.md gives verdict v (its own cells, its own numbers) */
static void verdict_row(const analysis_verdict_t *v, char *row, size_t cap)
{
    size_t l = 0;
    if (!v->headline)
        l += (size_t)snprintf(row + l, cap - l, "| `%s` ", v->setting);
    snprintf(row + l, cap - l, "| %s | %s | %s | `%s` | `%s` | **%s** | %s | %s |", v->scenario,
             v->variant && *v->variant ? v->variant : "—", v->backend, v->cls,
             v->baseline_policy && *v->baseline_policy ? v->baseline_policy : "—",
             analysis_verdict_name(v->verdict), v->rule && *v->rule ? v->rule : "—", v->detail);
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
    char line[1024], want[1024];
    first_line_of(md, line, sizeof line);
    snprintf(want, sizeof want, "# %s: ", analysis_overall_name(m.overall));
    assert_int_equal(strncmp(line, want, strlen(want)), 0);
    assert_true(report_md_chars(md, strlen(md)) <= REPORT_MD_LIMIT_CHARS);
    assert_non_null(strstr(md, "| Pool class | Verdict (C model) |"));
    for (size_t i = 0; i < m.n_classes; i++) {
        char row[200];
        snprintf(row, sizeof row, "| `%s` | **%s** | %s |", m.classes[i].cls,
                 analysis_verdict_name(m.classes[i].verdict), m.classes[i].basis);
        assert_non_null(strstr(md, row));
        snprintf(row, sizeof row, "`%s`", m.classes[i].cls);
        assert_non_null(strstr(line, row));      /* every class named on the first line */
    }
    assert_non_null(strstr(md, "## What decided each class"));
    assert_non_null(strstr(md, "## Would the answer change if ..."));
    assert_non_null(strstr(md, "no Go runtime cells"));
    assert_non_null(strstr(md, "`report-full.md`"));
    assert_null(strstr(md, "## Comparisons per class"));   /* the evidence is elsewhere */
    free(md);

    snprintf(p, sizeof p, "%s/report-full.md", dir);
    char *full = slurp(p);
    assert_non_null(full);
    char full_line[1024];
    first_line_of(full, full_line, sizeof full_line);
    assert_string_equal(full_line, line);
    /* the answer first: the class table before the evidence */
    char *classes = strstr(full, "## Verdicts per pool class");
    char *evidence = strstr(full, "## Comparisons per class");
    assert_non_null(classes);
    assert_non_null(evidence);
    assert_true(classes < evidence);
    /* every verdict's own row: its cells and its own numbers */
    for (size_t i = 0; i < m.n_verdicts; i++) {
        char row[1400];
        verdict_row(&m.verdicts[i], row, sizeof row);
        if (!strstr(full, row))
            print_message("missing verdict row: %s\n", row);
        assert_non_null(strstr(full, row));
    }
    /* evidence comparisons are marked as such */
    assert_non_null(strstr(full, "| `alloc_calls`"));
    assert_non_null(strstr(full, "| **evidence** |"));
    for (int i = 0; i < CHARTS_COUNT; i++) {
        char link[200];
        snprintf(link, sizeof link, "](charts/%s.png)", charts_name(i));
        assert_non_null(strstr(full, link));
    }
    assert_non_null(strstr(full, "Synthetic CPU"));
    assert_non_null(strstr(full, "0123456789abcdef"));
    assert_non_null(strstr(full, "812 non-blank lines"));
    free(full);

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
    /* every verdict's own numbers, as HTML text */
    for (size_t i = 0; i < m.n_verdicts; i++) {
        char esc[2 * ANALYSIS_TEXT_BYTES];
        html_escape(esc, sizeof esc, m.verdicts[i].detail);
        if (!strstr(html, esc))
            print_message("missing in report.html: %s\n", esc);
        assert_non_null(strstr(html, esc));
    }
    /* the answer and the class table first and open, long tables collapsed */
    char *h1 = strstr(html, "<h1>");
    char *det = strstr(html, "<details>");
    assert_non_null(h1);
    assert_non_null(det);
    assert_true(h1 < det);
    assert_true(strstr(html, "<table>") < det);
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
    free(md);
    snprintf(p, sizeof p, "%s/report-full.md", dir);
    md = slurp(p);
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
    snprintf(p, sizeof p, "%s/report-full.md", dir);
    char *md = slurp(p);
    assert_non_null(strstr(md, "**Chart missing**: chart time: gnuplot not found"));
    free(md);
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p);
    assert_null(strstr(html, "<img"));
    assert_non_null(strstr(html, "Chart missing"));
    free(html);
}

/* ---- decisions: journals built to give each overall kind ------------------------------ */

enum { J_KEEP_SOME, J_REMOVE_ALL, J_UNDECIDED };

/* Two scenarios on glibc, Branch B (`plain`) against the pooled class: s_tar (tar 30 %
 * faster for KEEP_SOME, 11.5 % for UNDECIDED: past the equivalence band, short of the
 * keep line; the same for REMOVE_ALL) with a `none` arm (the explanation), and s_hash (no
 * difference: REMOVE), plus a what-if zero_on_put=off where hash is 40 % faster in
 * KEEP_SOME (a flip). with_go: the Go runtime's arms (tar: fewer GC cycles, hash: none
 * fewer). Returns the number of cells, -1 on error. */
static long write_decision_journal(const char *path, int kind, int with_go)
{
    FILE *f = synth_arms_open(path);
    if (!f)
        return -1;
    double tar = kind == J_KEEP_SOME ? 0.70 : kind == J_UNDECIDED ? 0.885 : 1.0;
    double hash_off = kind == J_KEEP_SOME ? 0.60 : 1.0;
    const char *off = "{\"zero_on_put\":false}";
    const synth_arm_t arms[] = {
        {"s_tar", "tar_create", "glibc", "plain", "", NULL, 100000, 0.005, 8000000, 0, 0, 0, -1},
        {"s_tar", "tar_create", "glibc", "tar", "", NULL, 100000 * tar, 0.005, 8000000, 990, 1000, 2, -1},
        {"s_tar", "tar_create", "glibc", "none", "", NULL, 110000, 0.005, 8000000, 0, 1000, 40, -1},
        {"s_hash", "checksum", "glibc", "plain", "", NULL, 50000, 0.005, 300000, 0, 0, 0, -1},
        {"s_hash", "checksum", "glibc", "hash", "", NULL, 50000, 0.005, 300000, 995, 1000, 1, -1},
        {"s_hash", "checksum", "glibc", "plain", "zero_on_put=off", off, 50000, 0.005, 300000, 0, 0, 0, -1},
        {"s_hash", "checksum", "glibc", "hash", "zero_on_put=off", off, 50000 * hash_off, 0.005, 300000,
         995, 1000, 1, -1},
    };
    const synth_arm_t go[] = {
        {"s_tar", "tar_create", "go", "plain", "", NULL, 120000, 0.005, 9000000, 0, 0, 0, 20},
        {"s_tar", "tar_create", "go", "tar", "", NULL, 118000, 0.005, 9000000, 700, 1000, 0, 8},
        {"s_hash", "checksum", "go", "plain", "", NULL, 60000, 0.005, 400000, 0, 0, 0, 10},
        {"s_hash", "checksum", "go", "hash", "", NULL, 60000, 0.005, 400000, 990, 1000, 0, 10},
    };
    for (size_t i = 0; i < sizeof arms / sizeof *arms; i++)
        if (synth_arm_write(f, &arms[i], 8) < 0)
            goto fail;
    for (size_t i = 0; with_go && i < sizeof go / sizeof *go; i++)
        if (synth_arm_write(f, &go[i], 8) < 0)
            goto fail;
    if (fclose(f) != 0)
        return -1;
    return synth_counter;
fail:
    fclose(f);
    return -1;
}

/* Writes the journal of kind into DIR/name, reports it (no charts), loads report.md
 * (*md) and report-full.md (*full) and builds the model (*m, *j). */
static void decide(const char *name, int kind, int with_go, char **md, char **full,
                   analysis_model_t *m, journal_t *j)
{
    char dir[512], jp[600], p[700];
    make_dir(dir, sizeof dir, name);
    snprintf(jp, sizeof jp, "%s/results.jsonl", dir);
    assert_true(write_decision_journal(jp, kind, with_go) > 0);
    report_options_t opt = {.no_charts = 1};
    char err[REPORT_ERR_BYTES];
    int rc = report_write(dir, NULL, &opt, NULL, err, sizeof err);
    if (rc)
        print_message("%s\n", err);
    assert_int_equal(rc, REPORT_OK);
    snprintf(p, sizeof p, "%s/report.md", dir);
    assert_non_null(*md = slurp(p));
    snprintf(p, sizeof p, "%s/report-full.md", dir);
    assert_non_null(*full = slurp(p));
    char jerr[JOURNAL_ERR_BYTES], aerr[ANALYSIS_ERR_BYTES];
    assert_int_equal(journal_load(jp, j, jerr), 0);
    assert_int_equal(analysis_build(j, NULL, m, aerr), 0);
}

static void expect_first_line(const char *md, const char *want)
{
    char line[1024];
    first_line_of(md, line, sizeof line);
    if (strcmp(line, want) != 0)
        print_message("first line: %s\nexpected:   %s\n", line, want);
    assert_string_equal(line, want);
}

static void test_first_line_keep_some(void **state)
{
    char *md, *full;
    analysis_model_t m;
    journal_t j;
    decide("keep_some", J_KEEP_SOME, 0, &md, &full, &m, &j);
    assert_int_equal(m.overall, ANALYSIS_KEEP_SOME);
    expect_first_line(md, "# KEEP_SOME: keep `tar`; remove `hash`");
    expect_first_line(full, "# KEEP_SOME: keep `tar`; remove `hash`");
    /* the verdict that decided tar, with its own numbers, in the short report */
    int found = 0;
    for (size_t i = 0; i < m.n_verdicts; i++) {
        const analysis_verdict_t *v = &m.verdicts[i];
        if (v->headline && !strcmp(v->cls, "tar") && !strcmp(v->backend, "glibc")) {
            assert_int_equal(v->verdict, ANALYSIS_KEEP);
            assert_non_null(strstr(md, v->detail));
            found = 1;
        }
    }
    assert_true(found);
    /* the what-if: zero_on_put=off would make hash KEEP */
    assert_true(m.n_flips >= 1);
    assert_non_null(strstr(md, "## Would the answer change if ..."));
    assert_non_null(strstr(md, "| `hash` | `zero_on_put=off` | **REMOVE** | **KEEP** |"));
    assert_non_null(strstr(md, m.flips[0].why));
    /* the explanation (pool vs allocate-instead) in the full report only */
    assert_non_null(strstr(full, "## The pool against allocate-instead"));
    assert_non_null(strstr(full, "| Ratio pooled/none |"));
    /* without Go cells: one line saying so and how to get them */
    assert_non_null(strstr(md, "no Go runtime cells"));
    assert_non_null(strstr(md, "add `go` to `backends`"));
    free(md);
    free(full);
    analysis_free(&m);
    journal_free(&j);
}

static void test_first_line_remove_all(void **state)
{
    char *md, *full;
    analysis_model_t m;
    journal_t j;
    decide("remove_all", J_REMOVE_ALL, 0, &md, &full, &m, &j);
    assert_int_equal(m.overall, ANALYSIS_REMOVE_ALL);
    /* the journal has s_tar's cells first: the headline still lists the classes in the
       fixed order (hash, tar, string, all), not in the order the run met them */
    expect_first_line(md, "# REMOVE_ALL: remove the pool package (`hash`, `tar`)");
    assert_non_null(strstr(md, "None would: no what-if setting changes a class verdict"));
    free(md);
    free(full);
    analysis_free(&m);
    journal_free(&j);
}

static void test_first_line_undecided(void **state)
{
    char *md, *full;
    analysis_model_t m;
    journal_t j;
    decide("undecided", J_UNDECIDED, 0, &md, &full, &m, &j);
    assert_int_equal(m.overall, ANALYSIS_UNDECIDED);
    expect_first_line(md, "# UNDECIDED: remove `hash`; undecided `tar`");
    /* what would settle tar, in the class table */
    const analysis_class_verdict_t *tar = NULL;
    for (size_t i = 0; i < m.n_classes; i++)
        if (!strcmp(m.classes[i].cls, "tar"))
            tar = &m.classes[i];
    assert_non_null(tar);
    assert_int_equal(tar->verdict, ANALYSIS_INCONCLUSIVE);
    assert_true(tar->settle[0] != '\0');
    assert_non_null(strstr(md, tar->settle));
    free(md);
    free(full);
    analysis_free(&m);
    journal_free(&j);
}

static void test_model_vs_runtime(void **state)
{
    char *md, *full;
    analysis_model_t m;
    journal_t j;
    decide("go", J_KEEP_SOME, 1, &md, &full, &m, &j);
    assert_true(m.n_runtime_classes > 0);
    /* the class table has the Go runtime's verdicts beside the model's */
    assert_non_null(strstr(md, "| Go runtime | Go rule |"));
    char *sec = strstr(md, "## Model vs runtime");
    assert_non_null(sec);
    assert_null(strstr(md, "no Go runtime cells"));
    for (size_t i = 0; i < m.n_runtime_classes; i++) {
        const analysis_class_verdict_t *g = &m.runtime_classes[i];
        const analysis_class_verdict_t *c = NULL;
        for (size_t k = 0; k < m.n_classes; k++)
            if (!strcmp(m.classes[k].cls, g->cls))
                c = &m.classes[k];
        assert_non_null(c);
        char row[400];
        snprintf(row, sizeof row, "| `%s` | **%s** (glibc) |", g->cls, analysis_verdict_name(c->verdict));
        char *r = strstr(sec, row);
        if (!r)
            print_message("missing model-vs-runtime row: %s\n", row);
        assert_non_null(r);
        /* the runtime's verdict and the agreement on the same row */
        char *eol = strchr(r, '\n');
        char gv[64], ag[80];
        snprintf(gv, sizeof gv, "| **%s** |", analysis_verdict_name(g->verdict));
        if (c->verdict == g->verdict)
            snprintf(ag, sizeof ag, "**agree** (both %s)", analysis_verdict_name(g->verdict));
        else
            snprintf(ag, sizeof ag, "**disagree**: model %s, runtime %s",
                     analysis_verdict_name(c->verdict), analysis_verdict_name(g->verdict));
        char *x = strstr(r, gv), *y = strstr(r, ag);
        assert_true(x && x < eol);
        assert_true(y && y < eol);
    }
    /* tar: the model's hits (990 of 1000 per arm, 8 samples: medians) and the runtime's
       real GC cycles, pooled vs plain */
    assert_non_null(strstr(sec, "99.0 % (990 of 1000 gets)"));
    assert_non_null(strstr(sec, "70.0 % (700 of 1000 gets)"));
    assert_non_null(strstr(sec, "8 vs 20 (×0.40)"));
    /* the full report has the per-scenario table too */
    assert_non_null(strstr(full, "### Per scenario"));
    free(md);
    free(full);
    analysis_free(&m);
    journal_free(&j);
}

/* A journal with hundreds of verdicts: report.md stays within the limit (the longest
 * table cut, with a note naming where the rows are), report-full.md has every verdict's
 * row, report.html collapses the long tables with their row counts. */
static void test_report_many_arms(void **state)
{
    char dir[512], jp[600], p[700];
    make_dir(dir, sizeof dir, "many");
    snprintf(jp, sizeof jp, "%s/results.jsonl", dir);
    FILE *f = synth_arms_open(jp);
    assert_non_null(f);
    static const char *const backends[2] = {"glibc", "mimalloc"};
    for (int s = 0; s < 200; s++) {
        char sc[64], va[64];
        snprintf(sc, sizeof sc, "scenario_with_a_long_name_%03d", s);
        snprintf(va, sizeof va, "buffer_size=%dK", 32 + s % 3 * 32);
        for (int b = 0; b < 2; b++) {
            synth_arm_t a[] = {
                /* hash: REMOVE everywhere; string: undecided everywhere (11.5 % faster):
                   every glibc verdict decides its class, one row each */
                {sc, "checksum", backends[b], "plain", va, NULL, 50000, 0.005, 300000, 0, 0, 0, -1},
                {sc, "checksum", backends[b], "hash", va, NULL, 50000, 0.005, 300000, 990, 1000, 1, -1},
                {sc, "checksum", backends[b], "string", va, NULL, 50000 * 0.885, 0.005, 300000, 990,
                 1000, 1, -1},
            };
            for (size_t k = 0; k < 3; k++)
                assert_int_equal(synth_arm_write(f, &a[k], 5), 0);
        }
    }
    assert_int_equal(fclose(f), 0);
    report_options_t opt = {.no_charts = 1};
    char err[REPORT_ERR_BYTES];
    assert_int_equal(report_write(dir, NULL, &opt, NULL, err, sizeof err), REPORT_OK);

    journal_t j;
    char jerr[JOURNAL_ERR_BYTES], aerr[ANALYSIS_ERR_BYTES];
    assert_int_equal(journal_load(jp, &j, jerr), 0);
    analysis_model_t m;
    assert_int_equal(analysis_build(&j, NULL, &m, aerr), 0);
    assert_true(m.n_verdicts >= 600);

    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    assert_non_null(md);
    size_t chars = report_md_chars(md, strlen(md));
    print_message("report.md: %zu characters for %zu verdicts\n", chars, m.n_verdicts);
    assert_true(chars <= REPORT_MD_LIMIT_CHARS);
    assert_true(chars > REPORT_MD_LIMIT_CHARS / 2);   /* cut, not emptied */
    char line[1024], want[64];
    first_line_of(md, line, sizeof line);
    snprintf(want, sizeof want, "# %s: ", analysis_overall_name(m.overall));
    assert_int_equal(strncmp(line, want, strlen(want)), 0);
    assert_non_null(strstr(md, "rows were left out to keep `report.md` within 65536 characters"));
    assert_non_null(strstr(md, "(section \"What decided each class\")"));
    assert_non_null(strstr(md, "## The evidence"));   /* what follows the cut table stays */
    free(md);

    snprintf(p, sizeof p, "%s/report-full.md", dir);
    char *full = slurp(p);
    assert_non_null(full);
    assert_true(report_md_chars(full, strlen(full)) > REPORT_MD_LIMIT_CHARS);
    assert_null(strstr(full, "rows were left out"));
    for (size_t i = 0; i < m.n_verdicts; i++) {
        char row[1400];
        verdict_row(&m.verdicts[i], row, sizeof row);
        if (!strstr(full, row))
            print_message("missing verdict row: %s\n", row);
        assert_non_null(strstr(full, row));
    }
    free(full);

    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p);
    assert_non_null(html);
    size_t n_head = 0;
    for (size_t i = 0; i < m.n_verdicts; i++)
        n_head += m.verdicts[i].headline;
    char summary[128];
    snprintf(summary, sizeof summary, "<details><summary>%zu rows", n_head);
    assert_non_null(strstr(html, summary));
    free(html);
    analysis_free(&m);
    journal_free(&j);
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
        cmocka_unit_test(test_first_line_keep_some),
        cmocka_unit_test(test_first_line_remove_all),
        cmocka_unit_test(test_first_line_undecided),
        cmocka_unit_test(test_model_vs_runtime),
        cmocka_unit_test(test_report_many_arms),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
