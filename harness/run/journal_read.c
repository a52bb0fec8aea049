/* journal_read.c: a finished journal for reading (journal_read.h). */
#include "journal_read.h"
#include "metrics.h"

#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

void journal_read_path(const char *in, char *out, size_t cap)
{
    struct stat st;
    if (stat(in, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(out, cap, "%s/%s", in, JOURNAL_FILE);
    else
        snprintf(out, cap, "%s", in);
}

int journal_read(const char *in, journal_t *j, int check_schema,
                 char err[JOURNAL_READ_MSG_BYTES], char warn[JOURNAL_READ_MSG_BYTES])
{
    char path[PATH_MAX], lerr[JOURNAL_ERR_BYTES];
    err[0] = warn[0] = '\0';
    journal_read_path(in, path, sizeof path);
    if (journal_load(path, j, lerr) != 0) {
        snprintf(err, JOURNAL_READ_MSG_BYTES, "%s", lerr);
        return -1;
    }
    if (!j->context) {
        snprintf(err, JOURNAL_READ_MSG_BYTES, "%s: empty journal (no context block)", path);
        journal_free(j);
        return -1;
    }
    if (j->truncated_line)
        snprintf(warn, JOURNAL_READ_MSG_BYTES, "%s:%d: incomplete last line ignored (an "
                 "interrupted write); the %zu complete cells before it are used", path,
                 j->truncated_line, j->n_cells);
    long long sv = journal_int(j->context, "schema_version", -1);
    if (check_schema && sv != PB_SCHEMA_VERSION) {
        snprintf(err, JOURNAL_READ_MSG_BYTES, "%s: schema version %lld, this poolbench reads %d",
                 path, sv, PB_SCHEMA_VERSION);
        journal_free(j);
        return -1;
    }
    return 0;
}
