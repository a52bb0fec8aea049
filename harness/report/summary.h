/* summary.h: the plain summary table (`poolbench report`) and `poolbench compare`.
 *
 * Reads a loaded journal only (never reruns anything). The table has one row per
 * scenario x variant x backend x policy: n ok, median wall_ns and ns_per_op with the
 * distribution-free 95 % CI of the median, median peak_live_bytes, the largest
 * max_rss_bytes, median allocs_per_op, median pool hits/misses, status counts; then every
 * failed cell. Comparisons give medians, the ratio b/a of medians with a seeded bootstrap
 * 95 % CI, the two-sided Mann-Whitney p and the Holm-adjusted p across the rows shown.
 * All statistics come from pb_stats (stats.h). Output goes only to the FILE given.
 */
#ifndef PB_SUMMARY_H
#define PB_SUMMARY_H

#include <stdio.h>
#include "journal.h"

/* Writes the Markdown summary. Returns 0 or -1 (out of memory). */
int summary_write(const journal_t *j, FILE *out);

/* Compares arm a ("backend/policy") with arm b on metric (a PB_METRICS name) per
 * scenario x variant. Returns 0, -1 on out of memory, -2 when a or b matches no cell, -3
 * for an unknown metric. */
int summary_compare(const journal_t *j, const char *a, const char *b, const char *metric,
                    FILE *out, char *err, size_t err_cap);

#endif
