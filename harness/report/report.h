/* report.h: `poolbench report DIR`: every output regenerated from DIR/results.jsonl,
 * without rerunning anything.
 *
 * report_write() loads the journal (journal.h), the thresholds (thresholds.h), builds the
 * analysis model (analysis.h) and writes, in DIR: summary.json (summary_json.h),
 * samples.csv (export_csv.h), bench.txt (export_gobench.h), charts/ (charts.h),
 * report.md (the answer, at most 65,536 characters), report-full.md (everything; both
 * report_md.h) and report.html (everything, report_html.h). Each file is written to
 * NAME.tmp and renamed, so a reader never sees half a file.
 * A journal cut mid-line is not an error: the complete lines are used and
 * outcome->truncated_line names the partial line (the report says so too).
 * Charts that gnuplot cannot draw are warnings (outcome->charts), never errors.
 * Never prints, never exits.
 */
#ifndef PB_REPORT_H
#define PB_REPORT_H

#include <stddef.h>
#include "charts.h"

#define REPORT_ERR_BYTES 1024
#define REPORT_PATH_BYTES 4096

/* Return values of report_write (they are also the driver's exit codes). */
enum {
    REPORT_OK = 0,
    REPORT_BAD_INPUT = 2,   /* missing/corrupt journal, malformed thresholds: err = "FILE:LINE: ..." */
    REPORT_FAILED = 3       /* cannot write an output, out of memory, internal error */
};

typedef struct report_options {
    const char *scripts_dir;   /* gnuplot scripts; NULL: $POOLBENCH_CHARTS_DIR or the source tree */
    const char *gnuplot;       /* NULL: $POOLBENCH_GNUPLOT or "gnuplot" on PATH             */
    int no_charts;             /* 1: skip gnuplot (the report says charts were not made)     */
    const char *calibration;   /* calibration.json; NULL: DIR/calibration.json when present  */
} report_options_t;

typedef struct report_outcome {
    int truncated_line;                      /* partial last journal line, or 0            */
    size_t n_cells;                          /* cells used                                  */
    size_t n_warnings;                       /* model warnings                              */
    size_t n_chart_problems;                 /* charts with status CHARTS_FAILED            */
    const char *overall;                     /* "KEEP_SOME", "REMOVE_ALL", ... (static)     */
    charts_result_t charts[CHARTS_COUNT];    /* per chart: status and message               */
    char report_md[REPORT_PATH_BYTES];       /* path of report.md, to print to the user     */
    char report_full_md[REPORT_PATH_BYTES];  /* path of report-full.md (everything)         */
    char report_html[REPORT_PATH_BYTES];     /* path of report.html (everything, collapsed)  */
} report_outcome_t;

/* Writes every output of DIR. thresholds_path NULL: DIR/../scenarios/thresholds.ini is NOT
 * guessed; the defaults are used. opt and out may be NULL. Returns REPORT_OK,
 * REPORT_BAD_INPUT or REPORT_FAILED with err set (one line, naming the file and line). */
int report_write(const char *dir, const char *thresholds_path, const report_options_t *opt,
                 report_outcome_t *out, char *err, size_t err_cap);

#endif
