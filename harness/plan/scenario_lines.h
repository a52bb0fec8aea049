/* scenario_lines.h: the line scanner that reads a scenario or matrix file before libinih
 * does, for the loaders of pb_plan only (scenario_file.c, scenario_matrix.c).
 *
 * Guarantees: the checks libinih does not make (valid UTF-8, no control bytes, lines of
 * at most 198 bytes, a file with at least one key), each with one message
 * "FILE:LINE: what is wrong"; and the line numbers libinih does not give its handler
 * (section headers, override keys).
 * Must not: interpret values, print, exit, create files.
 */
#ifndef PB_SCENARIO_LINES_H
#define PB_SCENARIO_LINES_H

#include <stddef.h>

#include "scenario.h"

/* One section header: its name (trimmed) and line. */
typedef struct scenario_lines_section {
    char name[SCENARIO_NAME_BYTES];
    int line;
} scenario_lines_section_t;

/* Reads the whole file, checks every line and collects up to max_secs section headers
 * (one more is an error). *n_lines gets the number of lines. Returns 0, or -1 with err. */
int scenario_lines_check(const char *path, scenario_lines_section_t *secs, size_t max_secs,
                         size_t *n_secs, int *n_lines, char *err);

/* The line of the last `key =` inside the section whose header is on sec_line (best
 * effort: sec_line when not found or the file cannot be read). */
int scenario_lines_key_line(const char *path, int sec_line, const char *key);

#endif
