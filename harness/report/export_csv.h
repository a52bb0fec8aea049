/* export_csv.h: DIR/samples.csv, the tidy table of every sample in a journal.
 *
 * One row per journalled cell (one sample), in journal order, whatever its status:
 * scenario, workload, backend, policy, variant, rep, status, source, result, then one
 * column per PB_METRICS name (generated from the X-macro in metrics.h, so the header is
 * the metrics list), empty when the metric is null or absent. RFC 4180: CRLF line ends,
 * a field containing a comma, a double quote, CR or LF is quoted and its quotes doubled.
 * Nothing here prints to the terminal or exits.
 */
#ifndef PB_EXPORT_CSV_H
#define PB_EXPORT_CSV_H

#include <stdio.h>
#include "journal.h"

/* Number of leading descriptive columns before the metric columns. */
#define EXPORT_CSV_ID_COLUMNS 9

/* Writes the header and one row per cell of j. Returns the number of rows (samples), or
 * -1 on a write error. */
long export_csv_write(const journal_t *j, FILE *out);

/* Writes one field with RFC 4180 quoting (NULL writes an empty field). 0 or -1. */
int export_csv_field(FILE *out, const char *s);

#endif
