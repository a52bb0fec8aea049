/* journal_read.h: opening a finished journal for reading (report, compare, merge, gate):
 * a results folder (DIR/results.jsonl) or a journal file, with its context block.
 * Never prints: the caller prints err and warn with its own prefix.
 */
#ifndef PB_JOURNAL_READ_H
#define PB_JOURNAL_READ_H

#include <stddef.h>
#include "journal.h"

#define JOURNAL_READ_MSG_BYTES (JOURNAL_ERR_BYTES + 256)

/* The journal path of `in`: in/results.jsonl for a folder, else in itself. */
void journal_read_path(const char *in, char *out, size_t cap);

/* Loads `in`. Refuses a journal without a context block and, when check_schema, one of
 * another schema version (err says which; *j is then freed). When the last line was cut
 * off (an interrupted write: no '\n' at its end) that partial line is never read as a
 * record, not even in part: the complete lines before it are used, warn names its line
 * number (else ""), and the file is left as it is (the next append, or `matrix
 * --resume`, cuts the partial line off).
 * Returns 0 or -1. */
int journal_read(const char *in, journal_t *j, int check_schema,
                 char err[JOURNAL_READ_MSG_BYTES], char warn[JOURNAL_READ_MSG_BYTES]);

#endif
