/* report_dir.h: `poolbench report DIR`: reads DIR's journal (never reruns) and writes
 * summary.md (the arm table) and every output of report_write (report.h) into DIR, then
 * prints the overall verdict and where the report is.
 * Guarantees: each file is written to a temporary name and renamed; a bad journal or
 * thresholds file changes nothing in DIR.
 */
#ifndef PB_REPORT_DIR_H
#define PB_REPORT_DIR_H

#include "report.h"

/* Returns 0, 2 (bad input: journal, thresholds) or 3 (cannot write). */
int report_dir(const char *dir, const char *thresholds, const report_options_t *opt);

#endif
