/* test_journal.c: appending, reading back, truncated last line recovery, corrupt lines,
 * duplicate keys, corrections, the result cross-check, and the folder lock; an append
 * after a partial last line starts a line of its own; an append cut short by a file-size
 * limit fails with EFBIG and leaves the file as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"

static char g_dir[] = "/tmp/pb_test_journal_XXXXXX";
static char g_path[600];

static json_object *cell(const char *key, const char *input, const char *backend,
                         const char *policy, const char *status, const char *result)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string("cell"));
    json_object_object_add(o, "key", json_object_new_string(key));
    json_object_object_add(o, "input_key", json_object_new_string(input));
    json_object_object_add(o, "backend", json_object_new_string(backend));
    json_object_object_add(o, "policy", json_object_new_string(policy));
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "result", result ? json_object_new_string(result) : NULL);
    json_object_object_add(o, "config", json_object_new_object());
    return o;
}

static int open_new(void)
{
    int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    assert_true(fd >= 0);
    json_object *ctx = json_object_new_object();
    json_object_object_add(ctx, "type", json_object_new_string("context"));
    json_object_object_add(ctx, "schema_version", json_object_new_int(1));
    assert_int_equal(journal_append(fd, ctx), 0);
    json_object_put(ctx);
    return fd;
}

static void append(int fd, json_object *o)
{
    assert_int_equal(journal_append(fd, o), 0);
    json_object_put(o);
}

static void test_roundtrip_and_has(void **state)
{
    (void)state;
    int fd = open_new();
    append(fd, cell("k1", "i", "glibc", "none", "ok", "r"));
    append(fd, cell("k2", "i", "glibc", "all", "ok", "r"));
    append(fd, cell("k1", "i", "glibc", "none", "ok", "other")); /* duplicate: first wins */
    close(fd);
    journal_t j;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(g_path, &j, err), 0);
    assert_non_null(j.context);
    assert_int_equal(j.n_cells, 2);
    assert_int_equal(j.n_duplicates, 1);
    assert_int_equal(j.truncated_line, 0);
    assert_true(journal_has(&j, "k1"));
    assert_true(journal_has(&j, "k2"));
    assert_false(journal_has(&j, "k3"));
    assert_string_equal(journal_str(j.cells[0], "result"), "r");
    journal_free(&j);
}

static void test_truncated_last_line(void **state)
{
    (void)state;
    int fd = open_new();
    append(fd, cell("k1", "i", "glibc", "none", "ok", "r"));
    struct stat st;
    fstat(fd, &st);
    size_t good = (size_t)st.st_size;
    const char *partial = "{\"type\":\"cell\",\"key\":\"k2\",\"sta";
    assert_int_equal(write(fd, partial, strlen(partial)), (ssize_t)strlen(partial));
    close(fd);
    journal_t j;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(g_path, &j, err), 0);
    assert_int_equal(j.truncated_line, 3);
    assert_int_equal(j.valid_bytes, good);
    assert_int_equal(j.n_cells, 1);
    assert_int_equal(journal_truncate(g_path, j.valid_bytes), 0);
    journal_free(&j);
    /* after truncation, appending gives a clean journal again */
    fd = open(g_path, O_WRONLY | O_APPEND);
    append(fd, cell("k2", "i", "glibc", "all", "ok", "r"));
    close(fd);
    assert_int_equal(journal_load(g_path, &j, err), 0);
    assert_int_equal(j.truncated_line, 0);
    assert_int_equal(j.n_cells, 2);
    journal_free(&j);
}

static void test_corrupt_middle_line(void **state)
{
    (void)state;
    int fd = open_new();
    append(fd, cell("k1", "i", "glibc", "none", "ok", "r"));
    assert_int_equal(write(fd, "{broken\n", 8), 8);
    append(fd, cell("k2", "i", "glibc", "all", "ok", "r"));
    close(fd);
    journal_t j;
    char err[JOURNAL_ERR_BYTES] = "";
    assert_int_equal(journal_load(g_path, &j, err), -1);
    char want[700];
    snprintf(want, sizeof want, "%s:3: corrupt journal line", g_path);
    assert_non_null(strstr(err, want));
    /* a first line that is not a context block */
    fd = open(g_path, O_WRONLY | O_TRUNC);
    append(fd, cell("k1", "i", "glibc", "none", "ok", "r"));
    close(fd);
    assert_int_equal(journal_load(g_path, &j, err), -1);
    assert_non_null(strstr(err, ":1: not a poolbench journal"));
}

static void test_verify_results(void **state)
{
    (void)state;
    int fd = open_new();
    /* input A: the glibc/none arm says "x"; one mimalloc cell says "y" */
    append(fd, cell("a1", "A", "mimalloc", "all", "ok", "y"));
    append(fd, cell("a2", "A", "glibc", "none", "ok", "x"));
    append(fd, cell("a3", "A", "glibc", "all", "ok", "x"));
    append(fd, cell("a4", "A", "mimalloc", "none", "ok", "y"));
    append(fd, cell("a5", "A", "mimalloc", "none", "timeout", NULL));
    /* input B: no reference arm: the most common result wins */
    append(fd, cell("b1", "B", "tcmalloc", "all", "ok", "p"));
    append(fd, cell("b2", "B", "tcmalloc", "all", "ok", "p"));
    append(fd, cell("b3", "B", "tcmalloc", "all", "ok", "q"));
    close(fd);
    journal_t j;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(g_path, &j, err), 0);
    json_object *corr = json_object_new_array();
    assert_int_equal(journal_verify_results(&j, corr), 3);
    assert_string_equal(journal_str(j.cells[0], "status"), "wrong_result");
    assert_string_equal(journal_str(j.cells[0], "expected"), "x");
    assert_string_equal(journal_str(j.cells[1], "status"), "ok");
    assert_string_equal(journal_str(j.cells[4], "status"), "timeout");
    assert_string_equal(journal_str(j.cells[7], "status"), "wrong_result");
    /* corrections written to the journal are applied when it is read again */
    fd = open(g_path, O_WRONLY | O_APPEND);
    for (size_t i = 0; i < json_object_array_length(corr); i++)
        assert_int_equal(journal_append(fd, json_object_array_get_idx(corr, i)), 0);
    close(fd);
    json_object_put(corr);
    journal_free(&j);
    assert_int_equal(journal_load(g_path, &j, err), 0);
    assert_int_equal(j.n_corrections, 3);
    assert_string_equal(journal_str(j.cells[3], "status"), "wrong_result");
    assert_string_equal(journal_str(j.cells[2], "status"), "ok");
    corr = json_object_new_array();
    assert_int_equal(journal_verify_results(&j, corr), 0); /* already corrected */
    json_object_put(corr);
    journal_free(&j);
}

static void test_metrics_json(void **state)
{
    (void)state;
    pb_metrics_t m, back;
    journal_present_t p, pback;
    memset(&m, 0, sizeof m);
    memset(&p, 0, sizeof p);
    m.wall_ns = 123456789012ULL;
    p.wall_ns = 1;
    m.max_rss_bytes = 1ULL << 40;
    p.max_rss_bytes = 1;
    json_object *o = journal_metrics_json(&m, &p);
    int n_all = 0;
#define COUNT(name, kind, desc) n_all++;
    PB_METRICS(COUNT)
#undef COUNT
    assert_int_equal(json_object_object_length(o), n_all); /* absent ones are null */
    assert_int_equal(journal_metrics_get(o, &back, &pback), 2);
    assert_true(back.wall_ns == m.wall_ns);
    assert_true(back.max_rss_bytes == m.max_rss_bytes);
    assert_int_equal(pback.ns_per_op, 0);
    json_object_put(o);
}

static void test_lock(void **state)
{
    (void)state;
    char err[JOURNAL_ERR_BYTES];
    int fd = journal_lock(g_dir, err);
    assert_true(fd >= 0);
    pid_t pid = fork();
    if (pid == 0) {
        char e2[JOURNAL_ERR_BYTES];
        int r = journal_lock(g_dir, e2);
        _exit(r == -1 && strstr(e2, "in use by another poolbench run") ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(fd);
    fd = journal_lock(g_dir, err); /* free again */
    assert_true(fd >= 0);
    close(fd);
}

/* The file ends in a partial line (kill -9 mid-write) and is appended to without a
 * --resume truncation: the partial line is cut off, the two records never share a line. */
static void test_append_after_partial_line(void **state)
{
    (void)state;
    int fd = open_new();
    append(fd, cell("k1", "i", "glibc", "none", "ok", "r"));
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    size_t good = (size_t)st.st_size;
    const char *partial = "{\"type\":\"cell\",\"key\":\"kX\",\"sta";
    assert_int_equal(write(fd, partial, strlen(partial)), (ssize_t)strlen(partial));
    append(fd, cell("k2", "i", "glibc", "all", "ok", "r"));
    close(fd);
    journal_t j;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(g_path, &j, err), 0);
    assert_int_equal(j.truncated_line, 0);
    assert_int_equal(j.n_cells, 2);
    assert_true(journal_has(&j, "k1"));
    assert_true(journal_has(&j, "k2"));
    assert_false(journal_has(&j, "kX"));
    /* the file is exactly the good prefix plus the new line: nothing of kX left */
    assert_int_equal(stat(g_path, &st), 0);
    assert_true((size_t)st.st_size > good);
    FILE *f = fopen(g_path, "r");
    char line[4096];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        assert_null(strstr(line, "kX"));
        assert_non_null(strchr(line, '\n'));
    }
    fclose(f);
    assert_int_equal(lines, 3);
    journal_free(&j);
}

/* A journal holding only a partial first line (killed while writing the context block):
 * the append cuts it to nothing, the file then starts with the new line. */
static void test_append_after_partial_only_line(void **state)
{
    (void)state;
    int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"type\":\"cont", 14), 14);
    json_object *ctx = json_object_new_object();
    json_object_object_add(ctx, "type", json_object_new_string("context"));
    append(fd, ctx);
    close(fd);
    journal_t j;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(g_path, &j, err), 0);
    assert_non_null(j.context);
    assert_int_equal(j.truncated_line, 0);
    journal_free(&j);
}

/* Under a file-size limit (SIGXFSZ ignored, as poolbench does) a line that does not fit
 * is written in part by the kernel; journal_append fails with EFBIG and cuts the part
 * off again. Run in a child so the limit stays there. */
static void test_append_file_size_limit(void **state)
{
    (void)state;
    int fd = open_new();
    append(fd, cell("k1", "i", "glibc", "none", "ok", "r"));
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    off_t before = st.st_size;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {(rlim_t)before + 40, (rlim_t)before + 40};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        json_object *big = cell("k2", "i", "glibc", "all", "ok", "a-result-longer-than-40");
        int rc = journal_append(fd, big);
        int e = errno;
        json_object_put(big);
        _exit(rc == -1 && e == EFBIG ? 0 : 11);
    }
    int wst;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFEXITED(wst));
    assert_int_equal(WEXITSTATUS(wst), 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, before);   /* the part written was cut off */
    append(fd, cell("k3", "i", "glibc", "all", "ok", "r"));   /* no limit here */
    close(fd);
    journal_t j;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(g_path, &j, err), 0);
    assert_int_equal(j.truncated_line, 0);
    assert_int_equal(j.n_cells, 2);
    assert_true(journal_has(&j, "k3"));
    assert_false(journal_has(&j, "k2"));
    journal_free(&j);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_path, sizeof g_path, "%s/%s", g_dir, JOURNAL_FILE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_has),
        cmocka_unit_test(test_truncated_last_line),
        cmocka_unit_test(test_corrupt_middle_line),
        cmocka_unit_test(test_verify_results),
        cmocka_unit_test(test_metrics_json),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_append_after_partial_line),
        cmocka_unit_test(test_append_after_partial_only_line),
        cmocka_unit_test(test_append_file_size_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
