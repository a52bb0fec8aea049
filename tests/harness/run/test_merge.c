/* test_merge.c: `poolbench merge` of shard journals (journal_merge.h) records where every
 * cell ran, and the report refuses every comparison whose arms ran on different hosts.
 *
 * Two shard journals of one matrix are built with the synthetic cells of the report tests
 * (tests/harness/report/synth_journal.h): scenario "split" has its baseline (plain) on
 * host alpha and its pooled arm (hash) on host beta, as the old per-cell --shard did;
 * scenario "whole" has both arms on alpha. After the merge: every cell carries its
 * origin (input index, shard, host); the merged context lists each input's host and
 * context block; the verdict of "split" is INCONCLUSIVE "cross_host", its comparisons and
 * its allocator_vs_pool row are flagged in summary.json and report.md says so; "whole"
 * is not flagged. The same journals with one host are merged as a control: no flag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis.h"
#include "journal.h"
#include "journal_merge.h"
#include "report.h"
#include "summary_json.h"
#include "synth_journal.h"

#define MERGE_REPS 8

static char merge_tmp[PATH_MAX];

/* A shard journal: context block (one matrix_hash, this host and shard) and arms. */
static void write_shard(const char *dir, const char *host, const char *shard,
                        const synth_arm_t *arms, size_t n_arms)
{
    char path[PATH_MAX];
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"context\",\"schema_version\":%d,\"cpu_model\":\"Synthetic CPU\","
               "\"cores\":2,\"seed\":42,\"matrix_hash\":\"feedbeef\",\"host\":\"%s\","
               "\"shard\":\"%s\",\"pool_code_lines\":812}\n", PB_SCHEMA_VERSION, host, shard);
    for (size_t i = 0; i < n_arms; i++)
        assert_int_equal(synth_arm_write(f, &arms[i], MERGE_REPS), 0);
    assert_int_equal(fclose(f), 0);
}

static const synth_arm_t arm_split_plain = {"split", "checksum", "glibc", "plain", "", NULL,
                                            1000, 0.01, 300000, 0, 0, 0, -1};
static const synth_arm_t arm_split_hash = {"split", "checksum", "glibc", "hash", "", NULL,
                                           700, 0.01, 300000, 99, 100, 0, -1};
static const synth_arm_t arm_split_mi_none = {"split", "checksum", "mimalloc", "none", "", NULL,
                                              900, 0.01, 300000, 0, 0, 0, -1};
static const synth_arm_t arm_whole_plain = {"whole", "checksum", "glibc", "plain", "", NULL,
                                            1000, 0.01, 300000, 0, 0, 0, -1};
static const synth_arm_t arm_whole_hash = {"whole", "checksum", "glibc", "hash", "", NULL,
                                           700, 0.01, 300000, 99, 100, 0, -1};

/* Builds two shards (hosts h1, h2) and merges them into OUT; returns the merged folder. */
static void build_and_merge(const char *name, const char *h1, const char *h2, char *out,
                            size_t cap)
{
    char d1[PATH_MAX], d2[PATH_MAX];
    snprintf(d1, sizeof d1, "%s/%s-1", merge_tmp, name);
    snprintf(d2, sizeof d2, "%s/%s-2", merge_tmp, name);
    snprintf(out, cap, "%s/%s-merged", merge_tmp, name);
    const synth_arm_t s1[] = {arm_split_plain, arm_split_mi_none, arm_whole_plain, arm_whole_hash};
    const synth_arm_t s2[] = {arm_split_hash};
    write_shard(d1, h1, "1/2", s1, 4);
    write_shard(d2, h2, "2/2", s2, 1);
    const char *inputs[2] = {d1, d2};
    assert_int_equal(journal_merge(out, inputs, 2), 0);
}

static json_object *read_json(const char *path)
{
    json_object *o = json_object_from_file(path);
    assert_non_null(o);
    return o;
}

static size_t count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = 0;
    char line[16384];
    while (fgets(line, sizeof line, f))
        for (const char *p = line; (p = strstr(p, needle)); p++)
            n++;
    fclose(f);
    return n;
}

static void test_merge_records_origin_and_flags_cross_host(void **state)
{
    (void)state;
    char out[PATH_MAX], jpath[PATH_MAX + 32], err[JOURNAL_ERR_BYTES];
    build_and_merge("cross", "alpha", "beta", out, sizeof out);
    snprintf(jpath, sizeof jpath, "%s/results.jsonl", out);
    journal_t j;
    assert_int_equal(journal_load(jpath, &j, err), 0);
    assert_int_equal(j.n_cells, 5 * MERGE_REPS);
    /* every cell says where it ran */
    for (size_t i = 0; i < j.n_cells; i++) {
        json_object *o;
        assert_true(json_object_object_get_ex(j.cells[i], "origin", &o));
        const char *pol = journal_str(j.cells[i], "policy");
        const char *sc = journal_str(j.cells[i], "scenario");
        int second = strcmp(sc, "split") == 0 && strcmp(pol, "hash") == 0;
        assert_string_equal(journal_str(o, "host"), second ? "beta" : "alpha");
        assert_string_equal(journal_str(o, "shard"), second ? "2/2" : "1/2");
        assert_int_equal(journal_int(o, "journal", -1), second ? 1 : 0);
    }
    /* the context block keeps each shard's host and block */
    json_object *from;
    assert_true(json_object_object_get_ex(j.context, "merged_from", &from));
    assert_int_equal(json_object_array_length(from), 2);
    json_object *e1 = json_object_array_get_idx(from, 1), *ctx1;
    assert_string_equal(journal_str(e1, "host"), "beta");
    assert_true(json_object_object_get_ex(e1, "context", &ctx1));
    assert_string_equal(journal_str(ctx1, "shard"), "2/2");

    /* the decision refuses the split comparison, keeps the whole one */
    analysis_model_t m;
    char aerr[ANALYSIS_ERR_BYTES];
    assert_int_equal(analysis_build(&j, NULL, &m, aerr), 0);
    size_t n_split = 0, n_whole = 0;
    for (size_t i = 0; i < m.n_verdicts; i++) {
        const analysis_verdict_t *v = &m.verdicts[i];
        if (strcmp(v->scenario, "split") == 0 && strcmp(v->backend, "glibc") == 0) {
            n_split++;
            assert_int_equal(v->verdict, ANALYSIS_INCONCLUSIVE);
            assert_string_equal(v->rule, "cross_host");
            assert_non_null(strstr(v->detail, "alpha"));
            assert_non_null(strstr(v->detail, "beta"));
        } else if (strcmp(v->scenario, "whole") == 0) {
            n_whole++;
            assert_string_not_equal(v->rule, "cross_host");
            assert_int_equal(v->verdict, ANALYSIS_KEEP);   /* 30 % faster, 1 % noise */
        }
    }
    assert_int_equal(n_split, 1);
    assert_int_equal(n_whole, 1);
    size_t n_cross_cmp = 0;
    for (size_t i = 0; i < m.n_comparisons; i++) {
        const analysis_comparison_t *c = &m.comparisons[i];
        assert_int_equal(c->cross_host, strcmp(c->scenario, "split") == 0);
        n_cross_cmp += c->cross_host;
    }
    assert_true(n_cross_cmp > 0);
    assert_int_equal(m.n_avp, 1);   /* glibc hash (beta) against mimalloc none (alpha) */
    assert_string_equal(m.avp[0].answer, "cross_host");
    size_t n_warn = 0;
    for (size_t i = 0; i < m.n_warnings; i++)
        if (strcmp(m.warnings[i].kind, "cross_host") == 0) {
            n_warn++;
            assert_string_equal(m.warnings[i].scenario, "split");
        }
    assert_int_equal(n_warn, 2);   /* the verdict and the allocator_vs_pool row */

    /* summary.json flags exactly the split comparisons and names both hosts */
    char serr[1024], spath[PATH_MAX + 32];
    assert_int_equal(summary_json_write(&m, out, serr, sizeof serr), 0);
    snprintf(spath, sizeof spath, "%s/summary.json", out);
    json_object *sum = read_json(spath), *cmps, *avp;
    assert_true(json_object_object_get_ex(sum, "comparisons", &cmps));
    assert_int_equal(json_object_array_length(cmps), m.n_comparisons);
    for (size_t i = 0; i < json_object_array_length(cmps); i++) {
        json_object *c = json_object_array_get_idx(cmps, i), *flag, *a, *b;
        assert_true(json_object_object_get_ex(c, "cross_host", &flag));
        int split = strcmp(journal_str(c, "scenario"), "split") == 0;
        assert_int_equal(json_object_get_boolean(flag), split);
        assert_true(json_object_object_get_ex(c, "a", &a));
        assert_true(json_object_object_get_ex(c, "b", &b));
        assert_string_equal(journal_str(a, "host"), "alpha");
        assert_string_equal(journal_str(b, "host"), split ? "beta" : "alpha");
    }
    assert_true(json_object_object_get_ex(sum, "allocator_vs_pool", &avp));
    json_object *row = json_object_array_get_idx(avp, 0), *flag;
    assert_true(json_object_object_get_ex(row, "cross_host", &flag));
    assert_true(json_object_get_boolean(flag));
    json_object_put(sum);
    analysis_free(&m);
    journal_free(&j);

    /* report.md says it where a reader looks */
    report_options_t ro = {.no_charts = 1};
    char rerr[REPORT_ERR_BYTES], rpath[PATH_MAX + 32];
    assert_int_equal(report_write(out, NULL, &ro, NULL, rerr, sizeof rerr), REPORT_OK);
    snprintf(rpath, sizeof rpath, "%s/report.md", out);
    assert_true(count_in_file(rpath, "Mixed machines") == 1);
    assert_true(count_in_file(rpath, "cross_host") >= 2);
}

static void test_merge_one_host_is_not_flagged(void **state)
{
    (void)state;
    char out[PATH_MAX], jpath[PATH_MAX + 32], err[JOURNAL_ERR_BYTES];
    build_and_merge("same", "alpha", "alpha", out, sizeof out);
    snprintf(jpath, sizeof jpath, "%s/results.jsonl", out);
    journal_t j;
    assert_int_equal(journal_load(jpath, &j, err), 0);
    analysis_model_t m;
    char aerr[ANALYSIS_ERR_BYTES];
    assert_int_equal(analysis_build(&j, NULL, &m, aerr), 0);
    for (size_t i = 0; i < m.n_comparisons; i++)
        assert_false(m.comparisons[i].cross_host);
    for (size_t i = 0; i < m.n_verdicts; i++)
        assert_string_not_equal(m.verdicts[i].rule, "cross_host");
    for (size_t i = 0; i < m.n_warnings; i++)
        assert_string_not_equal(m.warnings[i].kind, "cross_host");
    analysis_free(&m);
    journal_free(&j);
}

/* Adaptive looks survive a merge: each of two shards took 2 looks of 3 planned; the
 * merged journal holds all 4, each with its shard's origin, and the report splits alpha
 * over 3 looks with 2 taken (not 4, and not the unsplit alpha of a journal without looks). */
static void test_merge_keeps_looks(void **state)
{
    (void)state;
    char d[2][PATH_MAX], out[PATH_MAX], jpath[PATH_MAX + 32], err[JOURNAL_ERR_BYTES];
    const synth_arm_t s1[] = {arm_whole_plain, arm_whole_hash};
    const synth_arm_t s2[] = {arm_split_plain, arm_split_hash};
    for (int i = 0; i < 2; i++) {
        snprintf(d[i], sizeof d[i], "%s/looks-%d", merge_tmp, i + 1);
        write_shard(d[i], "alpha", i == 0 ? "1/2" : "2/2", i == 0 ? s1 : s2, 2);
        char p[PATH_MAX + 32];
        snprintf(p, sizeof p, "%s/results.jsonl", d[i]);
        FILE *f = fopen(p, "a");
        assert_non_null(f);
        for (int k = 1; k <= 2; k++)
            fprintf(f, "{\"type\":\"look\",\"look\":%d,\"looks_planned\":3,"
                       "\"alpha_per_look\":0.016666666666666666,\"extended\":[],"
                       "\"cells_added\":0}\n", k);
        assert_int_equal(fclose(f), 0);
    }
    snprintf(out, sizeof out, "%s/looks-merged", merge_tmp);
    const char *inputs[2] = {d[0], d[1]};
    assert_int_equal(journal_merge(out, inputs, 2), 0);
    snprintf(jpath, sizeof jpath, "%s/results.jsonl", out);
    assert_int_equal(count_in_file(jpath, "\"type\":\"look\""), 4);
    journal_t j;
    assert_int_equal(journal_load(jpath, &j, err), 0);
    assert_int_equal(j.n_looks, 4);
    json_object *origin = NULL;
    assert_true(json_object_object_get_ex(j.looks[3], "origin", &origin));
    assert_string_equal(json_object_get_string(json_object_object_get(origin, "shard")), "2/2");
    analysis_model_t m;
    char aerr[ANALYSIS_ERR_BYTES];
    assert_int_equal(analysis_build(&j, NULL, &m, aerr), 0);
    assert_int_equal(m.n_looks, 2);
    assert_int_equal(m.looks_planned, 3);
    assert_true(fabs(m.th.alpha - 0.05 / 3) < 1e-12);
    analysis_free(&m);
    journal_free(&j);
}

static int setup(void **state)
{
    (void)state;
    snprintf(merge_tmp, sizeof merge_tmp, "%s/pb-test-merge-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(merge_tmp) ? 0 : -1;
}

int main(void)
{
    (void)synth_journal_write;   /* the header's whole-journal writer: not used here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_records_origin_and_flags_cross_host),
        cmocka_unit_test(test_merge_one_host_is_not_flagged),
        cmocka_unit_test(test_merge_keeps_looks),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
