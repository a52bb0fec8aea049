/* report_dir.c: `poolbench report DIR` (report_dir.h). */
#include "report_dir.h"
#include "atomic_file.h"
#include "journal_read.h"
#include "summary.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { REPORT_DIR_OK = 0, REPORT_DIR_USAGE = 2, REPORT_DIR_HARNESS = 3 };

/* DIR/summary.md: one row per arm, written atomically (atomic_file.h). */
static int write_arm_table(const char *dir, const journal_t *j)
{
    char path[PATH_MAX], err[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/summary.md", dir);
    atomic_file_t af;
    if (atomic_file_open(&af, path, err, sizeof err) != 0) {
        fprintf(stderr, "poolbench report: %s\n", err);
        return REPORT_DIR_HARNESS;
    }
    errno = 0;
    if (summary_write(j, af.f) != 0) {
        int e = errno;
        atomic_file_abort(&af);
        fprintf(stderr, "poolbench report: %s: write failed: %s\n", path,
                e ? strerror(e) : "out of memory");
        return REPORT_DIR_HARNESS;
    }
    if (atomic_file_commit(&af, err, sizeof err) != 0) {
        fprintf(stderr, "poolbench report: %s\n", err);
        return REPORT_DIR_HARNESS;
    }
    return REPORT_DIR_OK;
}

int report_dir(const char *dir, const char *thresholds, const report_options_t *opt)
{
    journal_t j;
    char err[JOURNAL_READ_MSG_BYTES], warn[JOURNAL_READ_MSG_BYTES];
    int rc = journal_read(dir, &j, 1, err, warn);
    if (warn[0])
        fprintf(stderr, "poolbench: %s; `poolbench matrix --resume` cuts it off\n", warn);
    if (rc != 0) {
        fprintf(stderr, "poolbench: %s\n", err);
        return REPORT_DIR_USAGE;
    }
    rc = write_arm_table(dir, &j);
    journal_free(&j);
    if (rc)
        return rc;
    report_outcome_t out;
    char rerr[REPORT_ERR_BYTES];
    rc = report_write(dir, thresholds, opt, &out, rerr, sizeof rerr);
    if (rc != REPORT_OK) {
        fprintf(stderr, "poolbench report: %s\n", rerr);
        return rc == REPORT_BAD_INPUT ? REPORT_DIR_USAGE : REPORT_DIR_HARNESS;
    }
    for (int c = 0; c < CHARTS_COUNT; c++)
        if (out.charts[c].status == CHARTS_FAILED)
            fprintf(stderr, "poolbench report: warning: %s\n", out.charts[c].message);
    printf("overall: %s (%zu cells, %zu warnings; thresholds: %s)\n", out.overall, out.n_cells,
           out.n_warnings, thresholds ? thresholds : "built-in defaults");
    printf("report:  %s\n", out.report_md);
    printf("full:    %s\n", out.report_full_md);
    printf("html:    %s\n", out.report_html);
    return REPORT_DIR_OK;
}
