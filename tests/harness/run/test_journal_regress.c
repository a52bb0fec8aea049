/* test_journal_regress.c: the journal reader on every journal fuzzing found a bug with
 * (tests/fuzz/corpus/journal/regress-*.jsonl; tests/fuzz/fuzz_journal.c found them).
 *
 * Every regress-*.jsonl is a corrupt journal, so journal_load must return -1 with one
 * message "FILE:LINE: ..." naming the file, and journal_read the same; the test runs
 * under valgrind (CTest: journal_regress), so a read of freed memory fails it even where
 * the message happens to come out right. It fails when the folder has no regress-*.jsonl.
 * Found so far: regress-cell-without-key.jsonl, a cell line without "key": the reader
 * freed the line's object and then printed its "type" string into the message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "journal_read.h"

#ifndef PB_FUZZ_REGRESS_DIR
#error "PB_FUZZ_REGRESS_DIR (tests/fuzz/corpus/journal) must be defined"
#endif

static void test_journal_regress_one(const char *path)
{
    journal_t j;
    char err[JOURNAL_ERR_BYTES] = "";
    assert_int_equal(journal_load(path, &j, err), -1);
    size_t n = strlen(path);
    if (strncmp(err, path, n) != 0 || err[n] != ':' || !strchr(err + n + 1, ':'))
        fail_msg("%s: message does not name the file and line: %s", path, err);
    printf("%s\n", err);
    char rerr[JOURNAL_READ_MSG_BYTES], warn[JOURNAL_READ_MSG_BYTES];
    assert_int_equal(journal_read(path, &j, 0, rerr, warn), -1);
    assert_string_equal(rerr, err);
}

static void test_journal_regress_all(void **state)
{
    (void)state;
    DIR *d = opendir(PB_FUZZ_REGRESS_DIR);
    assert_non_null(d);
    int found = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t len = strlen(de->d_name);
        if (strncmp(de->d_name, "regress-", 8) != 0 || len < 6 ||
            strcmp(de->d_name + len - 6, ".jsonl") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", PB_FUZZ_REGRESS_DIR, de->d_name);
        test_journal_regress_one(path);
        found++;
    }
    closedir(d);
    assert_true(found > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_regress_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
