/* atomic_file.h: writing an output file so that a reader sees either the old file whole
 * or the new one whole: the text goes to a temporary name in the same folder
 * (NAME.tmp.XXXXXX), which is flushed, fsync'd, closed and then renamed over NAME (and
 * the folder fsync'd). A failure at any step (a full disk, a file-size limit, an
 * unwritable folder) removes the temporary file, leaves NAME as it was, and gives a
 * message naming the file and the error. Used by the report's outputs.
 */
#ifndef PB_ATOMIC_FILE_H
#define PB_ATOMIC_FILE_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

typedef struct atomic_file {
    FILE *f;                      /* write the contents here                          */
    char path[PATH_MAX];          /* the final name                                   */
    char tmp[PATH_MAX + 16];      /* the temporary name in the same folder            */
} atomic_file_t;

/* Creates the temporary file for path. 0, or -1 with err ("PATH: cannot write: ..."). */
int atomic_file_open(atomic_file_t *af, const char *path, char *err, size_t err_cap);

/* Flushes, checks every earlier write (ferror), fsyncs, closes and renames over the final
 * name, then fsyncs the folder. 0, or -1 with err; the temporary file is removed and the
 * final name untouched on failure. */
int atomic_file_commit(atomic_file_t *af, char *err, size_t err_cap);

/* Gives up: closes and removes the temporary file (the final name is untouched). */
void atomic_file_abort(atomic_file_t *af);

#endif
