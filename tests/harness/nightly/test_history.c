/* test_history.c: the nightly history database: a journal recorded and read back (row
 * count, metric values, two nights as a trend, the chart files), and refusal of files
 * that are not ours: garbage, a truncated database, another application's database, a
 * newer schema. A refused file must be byte-for-byte unchanged afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gate.h"
#include "history.h"
#include "journal.h"

static char g_dir[256];

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", g_dir, name);
}

static void write_journal(const char *path, int n, double ns)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"context\",\"schema_version\":1,\"commit\":\"c0ffee\",\"host\":\"h\"}\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "{\"type\":\"cell\",\"key\":\"k%d\",\"scenario\":\"micro_checksum\","
                   "\"backend\":\"glibc\",\"policy\":\"none\",\"variant\":\"\",\"rep\":%d,"
                   "\"status\":\"%s\",\"metrics\":{\"ns_per_op\":%.0f,\"alloc_calls\":201,"
                   "\"peak_live_bytes\":null}}\n",
                i, i, i == n - 1 ? "timeout" : "ok", ns + i);
    fclose(f);
}

/* whole file content (malloc'd) */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void test_round_trip(void **state)
{
    char jp[300], db[300], chart[300], png[320], svg[320];
    path_of(jp, sizeof jp, "j.jsonl");
    path_of(db, sizeof db, "h.sqlite");
    path_of(chart, sizeof chart, "trend");
    write_journal(jp, 8, 1000);
    journal_t j;
    char err[HISTORY_ERR_BYTES], jerr[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(jp, &j, jerr), 0);
    history_t *h = NULL;
    assert_int_equal(history_open(db, 1, &h, err), HISTORY_OK);
    assert_int_equal(history_record(h, &j, "run1", "candidate", "c0ffee", 1700000000, err), 0);
    assert_int_equal(history_count(h), 8);
    history_close(h);
    /* reopened: the rows are there, the schema is versioned */
    assert_int_equal(history_open(db, 0, &h, err), HISTORY_OK);
    assert_int_equal(history_count(h), 8);
    write_journal(jp, 8, 1100);
    journal_free(&j);
    assert_int_equal(journal_load(jp, &j, jerr), 0);
    assert_int_equal(history_record(h, &j, "run2", "candidate", "beef42", 1700086400, err), 0);
    assert_int_equal(history_count(h), 16);
    history_close(h);
    journal_free(&j);
    sqlite3 *s;
    assert_int_equal(sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(s, "SELECT (SELECT user_version FROM pragma_user_version),"
                     " count(*), sum(ns_per_op), count(peak_live_bytes), min(night), max(night),"
                     " sum(status = 'ok') FROM results", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), HISTORY_SCHEMA_VERSION);
    assert_int_equal(sqlite3_column_int(q, 1), 16);
    /* 8*1000 + 28 + 8*1100 + 28 */
    assert_int_equal(sqlite3_column_int64(q, 2), 8000 + 28 + 8800 + 28);
    assert_int_equal(sqlite3_column_int(q, 3), 0); /* null metric stays NULL */
    assert_string_equal((const char *)sqlite3_column_text(q, 4), "2023-11-14");
    assert_string_equal((const char *)sqlite3_column_text(q, 5), "2023-11-15");
    assert_int_equal(sqlite3_column_int(q, 6), 14);
    sqlite3_finalize(q);
    sqlite3_close(s);
    /* the command prints the trend and draws the chart */
    char *argv[] = {"history", "--db", db, "--scenario", "micro_checksum", "--chart", chart, NULL};
    fflush(stdout);
    int rc = history_main(7, argv);
    if (access("/usr/bin/gnuplot", X_OK) == 0) {
        assert_int_equal(rc, 0);
        snprintf(png, sizeof png, "%s.png", chart);
        snprintf(svg, sizeof svg, "%s.svg", chart);
        struct stat st;
        assert_int_equal(stat(png, &st), 0);
        assert_true(st.st_size > 1000);
        assert_int_equal(stat(svg, &st), 0);
        assert_true(st.st_size > 1000);
    }
    char *bad_metric[] = {"history", "--db", db, "--metric", "x; DROP TABLE results", NULL};
    assert_int_equal(history_main(5, bad_metric), 2);
}

static void check_refused(const char *db)
{
    size_t n0, n1;
    char *before = slurp(db, &n0);
    assert_non_null(before);
    struct stat st0, st1;
    assert_int_equal(stat(db, &st0), 0);
    history_t *h = NULL;
    char err[HISTORY_ERR_BYTES];
    assert_int_equal(history_open(db, 1, &h, err), HISTORY_EBADFILE);
    assert_null(h);
    assert_non_null(strstr(err, db));
    char *argv[] = {"history", "--db", (char *)db, NULL};
    assert_int_equal(history_main(3, argv), 2);
    /* the gate refuses to record into it, and still does not touch it */
    char jp[300];
    path_of(jp, sizeof jp, "refuse.jsonl");
    write_journal(jp, 6, 1000);
    char *gv[] = {"gate", "--baseline", jp, "--candidate", jp, "--history", (char *)db, NULL};
    unsetenv("GITHUB_STEP_SUMMARY");
    fflush(stdout);
    assert_int_equal(gate_main(7, gv), 2);
    char *after = slurp(db, &n1);
    assert_non_null(after);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    assert_int_equal(stat(db, &st1), 0);
    assert_int_equal(st0.st_mtime, st1.st_mtime);
    char side[340];
    snprintf(side, sizeof side, "%s-journal", db);
    assert_int_not_equal(access(side, F_OK), 0);
    free(before);
    free(after);
}

static void test_garbage_refused(void **state)
{
    char db[300];
    path_of(db, sizeof db, "garbage.sqlite");
    FILE *f = fopen(db, "w");
    for (int i = 0; i < 300; i++)
        fprintf(f, "this is not a database %d\n", i);
    fclose(f);
    check_refused(db);
}

static void test_truncated_refused(void **state)
{
    /* a real history cut in half */
    char db[300], jp[300];
    path_of(db, sizeof db, "cut.sqlite");
    path_of(jp, sizeof jp, "cut.jsonl");
    write_journal(jp, 200, 1000);
    journal_t j;
    char err[HISTORY_ERR_BYTES], jerr[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(jp, &j, jerr), 0);
    history_t *h = NULL;
    assert_int_equal(history_open(db, 1, &h, err), HISTORY_OK);
    assert_int_equal(history_record(h, &j, "r", "candidate", "c", 1700000000, err), 0);
    history_close(h);
    journal_free(&j);
    struct stat st;
    assert_int_equal(stat(db, &st), 0);
    assert_true(st.st_size > 8192);
    assert_int_equal(truncate(db, st.st_size / 2), 0);
    check_refused(db);
}

static void test_foreign_and_newer_refused(void **state)
{
    char db[300], db2[300];
    path_of(db, sizeof db, "foreign.sqlite");
    path_of(db2, sizeof db2, "newer.sqlite");
    sqlite3 *s;
    assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
    assert_int_equal(sqlite3_exec(s, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    check_refused(db);
    assert_int_equal(sqlite3_open(db2, &s), SQLITE_OK);
    char sql[200];
    snprintf(sql, sizeof sql, "CREATE TABLE results(x); PRAGMA application_id = %d; "
             "PRAGMA user_version = 99;", HISTORY_APPLICATION_ID);
    assert_int_equal(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    check_refused(db2);
}

static void test_empty_file_initialised(void **state)
{
    char db[300];
    path_of(db, sizeof db, "empty.sqlite");
    FILE *f = fopen(db, "w");
    fclose(f);
    history_t *h = NULL;
    char err[HISTORY_ERR_BYTES];
    assert_int_equal(history_open(db, 1, &h, err), HISTORY_OK);
    assert_int_equal(history_count(h), 0);
    history_close(h);
    char missing[300];
    path_of(missing, sizeof missing, "missing.sqlite");
    assert_int_equal(history_open(missing, 0, &h, err), HISTORY_EBADFILE);
    assert_int_not_equal(access(missing, F_OK), 0);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "%s/test_history.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_garbage_refused),
        cmocka_unit_test(test_truncated_refused),
        cmocka_unit_test(test_foreign_and_newer_refused),
        cmocka_unit_test(test_empty_file_initialised),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (rc == 0 && system(cmd) != 0)
        return 1;
    return rc;
}
