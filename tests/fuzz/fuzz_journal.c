/* fuzz_journal.c: libFuzzer target for the journal reader (journal_read and
 * journal_load, harness/run: lines, the context block, cells, corrections, looks,
 * duplicate keys, a torn last line), then what every reader of a journal does next:
 * the cross-check of results (journal_verify_results), the metrics of each cell
 * (journal_metrics_get / journal_metrics_json) and journal_has.
 *
 * Oracles: no memory error, leak or UB (ASan, LSan, UBSan); a rejected journal gets a
 * message naming the file; a loaded one has a context block, valid_bytes within the
 * file (all of it unless a torn last line was reported), every cell a key that
 * journal_has finds, no key twice; the cross-check appends one correction per changed
 * cell.
 * Seeds: tests/fuzz/corpus/journal (small journals written by poolbench).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "journal.h"
#include "journal_read.h"

static void fuzz_journal_cells(journal_t *j, size_t size)
{
    fuzz_check(j->context != NULL, "loaded journal without a context block", "");
    fuzz_check(j->valid_bytes <= size, "valid_bytes past the end of the file", "");
    fuzz_check(j->truncated_line || j->valid_bytes == size,
               "bytes after the last complete line without a torn line reported", "");
    for (size_t i = 0; i < j->n_cells; i++) {
        const char *key = journal_str(j->cells[i], "key");
        fuzz_check(key != NULL, "a cell without a key", "");
        fuzz_check(journal_has(j, key), "journal_has misses a cell's key", key);
        for (size_t k = 0; k < i; k++)
            fuzz_check(strcmp(key, journal_str(j->cells[k], "key")) != 0,
                       "a key twice after deduplication", key);
        json_object *metrics = NULL;
        if (json_object_object_get_ex(j->cells[i], "metrics", &metrics)) {
            pb_metrics_t m;
            journal_present_t present;
            memset(&m, 0, sizeof m);
            memset(&present, 0, sizeof present);
            journal_metrics_get(metrics, &m, &present);
            json_object *back = journal_metrics_json(&m, &present);
            fuzz_check(back != NULL, "journal_metrics_json failed", key);
            json_object_put(back);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[FUZZ_INPUT_PATH_BYTES];
    fuzz_input_path(data, size, path);
    journal_t j;
    char err[JOURNAL_READ_MSG_BYTES], warn[JOURNAL_READ_MSG_BYTES];
    if (journal_read(path, &j, 0, err, warn) != 0) {
        fuzz_check(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
                   "message does not name the journal", err);
        return 0;
    }
    fuzz_check((warn[0] != '\0') == (j.truncated_line != 0),
               "a torn last line without a warning, or a warning without one", warn);
    fuzz_journal_cells(&j, size);
    json_object *corrections = json_object_new_array();
    fuzz_check(corrections != NULL, "out of memory", "");
    int n = journal_verify_results(&j, corrections);
    fuzz_check(n >= 0, "journal_verify_results failed", "");
    fuzz_check((size_t)n == json_object_array_length(corrections),
               "corrections returned and appended differ", "");
    json_object_put(corrections);
    journal_free(&j);
    return 0;
}
