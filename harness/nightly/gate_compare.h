/* gate_compare.h: the regression gate's model: one journal against another, arm by arm,
 * the confirmation rerun, the exit code and the Markdown summary.
 *
 * What it is for: deciding whether a candidate (a git revision, or a saved journal) is
 * slower or allocates more than a baseline, on the same machine, in a way a CI job can
 * trust: green on noise, red on a real regression (DESIGN.md, "The CI nightly job").
 *
 * Decision per arm (same scenario, backend, policy and variant in both journals):
 *  - time: ratio = median(candidate ns_per_op) / median(baseline ns_per_op) (ns_per_op
 *    taken as wall_ns / ops unrounded when both are present), with a seeded
 *    percentile bootstrap CI and a two-sided Mann-Whitney p (Holm over the time rows).
 *    REGRESSION only when the WHOLE CI is past the threshold (CI low > 1 + max_regression)
 *    and p_holm < alpha; PASS when CI high <= 1 + max_regression; otherwise UNCLEAR
 *    (the CI straddles the threshold). Fewer than min_samples_per_arm ok samples in
 *    either arm: NO_DATA.
 *  - counts (alloc_calls, allocs_per_op): when every sample of each arm is identical they
 *    compare exactly: candidate > baseline * (1 + max_count_increase) is a REGRESSION,
 *    whatever the timing noise. When they vary (multi-threaded kernels) they are
 *    compared like time and flagged "varies".
 *  - memory (peak_live_bytes, max_rss_bytes): held to the time threshold (max_regression);
 *    peak live bytes exactly when constant within each arm, else like time (CI + Holm);
 *    peak RSS like time. A memory regression fails the gate like a time regression and
 *    is confirmed by the same rerun; the summary has its own line for memory.
 *  - failures: a candidate arm with failed cells where the baseline arm has none is a
 *    REGRESSION; result digests that differ between the arms are a REGRESSION.
 * A SUSPECT is an UNCLEAR row whose point estimate is past the threshold (its CI is not).
 * Regressions and suspects are rerun (gate --revs): a regression counts when the rerun
 * flags it again (whole CI past); a suspect counts as a regression when the rerun flags
 * it, is cleared when the rerun passes, and stays inconclusive when the rerun is again
 * unclear past the threshold.
 * Exit code of a report (gate_exit_code): 1 when a regression is confirmed (or, for
 * saved journals, found: no rerun is possible and the summary says "unconfirmed"),
 * 2 when nothing could be compared, or a suspect (or a regression) could not be settled
 * (saved journals: any suspect), else 0.
 *
 * Guarantees: library code: never prints to stdout/stderr by itself (gate_run_sides
 * reports progress through a callback) and never exits; every allocation is checked.
 * What it must not do: decide KEEP/REMOVE (that is analysis.c), or own statistics
 * (pb_stats does).
 */
#ifndef PB_GATE_COMPARE_H
#define PB_GATE_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "journal.h"
#include "thresholds.h"

#define GATE_NAME_BYTES 64
#define GATE_VARIANT_BYTES 160
#define GATE_ERR_BYTES 1024

enum { GATE_EXIT_PASS = 0, GATE_EXIT_REGRESSION = 1, GATE_EXIT_INCONCLUSIVE = 2,
       GATE_EXIT_HARNESS = 3 };

typedef enum gate_status {
    GATE_PASS, GATE_REGRESSION, GATE_UNCLEAR, GATE_NO_DATA
} gate_status_t;

typedef enum gate_confirm {
    GATE_CONFIRM_NONE,          /* not a regression, or not rerun yet                 */
    GATE_CONFIRM_AGREED,        /* the confirmation rerun flagged it again            */
    GATE_CONFIRM_NOT_REPRODUCED,/* the rerun passed: noise; does not fail the gate    */
    GATE_CONFIRM_UNSETTLED,     /* the rerun straddles the threshold: inconclusive    */
    GATE_CONFIRM_IMPOSSIBLE     /* saved journals: no rerun possible ("unconfirmed")  */
} gate_confirm_t;

typedef struct gate_row {
    char scenario[GATE_NAME_BYTES], backend[GATE_NAME_BYTES], policy[GATE_NAME_BYTES];
    char variant[GATE_VARIANT_BYTES];
    char metric[32];            /* ns_per_op, alloc_calls, allocs_per_op, peak_live_bytes,
                                   max_rss_bytes, status, result                         */
    char method[16];            /* bootstrap, exact, -                                   */
    gate_status_t status;
    gate_confirm_t confirm;
    size_t n_base, n_cand;      /* ok samples                                            */
    size_t failed_base, failed_cand;
    double med_base, med_cand;  /* NAN when unknown                                      */
    double ratio, lo, hi;       /* candidate / baseline; CI (lo == hi for exact)         */
    double p, p_holm;           /* NAN when not applicable                               */
    int varies;                 /* a count that is not constant within an arm            */
    char note[256];
} gate_row_t;

typedef struct gate_report {
    gate_row_t *rows;
    size_t n_rows, cap_rows;
    double max_regression;      /* fraction (0.10)                                      */
    double max_count_increase;  /* fraction (0 = exact)                                 */
    double max_instructions_increase; /* fraction; rows of metric "instructions"
                                   (gate_ir.h) are REGRESSION past it                  */
    double alpha, confidence_level;
    int saved_journals;         /* 1: no confirmation rerun possible                    */
} gate_report_t;

typedef struct gate_options {
    const thresholds_t *th;
    double max_count_increase_percent;   /* 0 = any increase is a regression          */
    const char *scenarios;               /* comma list filter, or NULL                */
} gate_options_t;

/* Appends a zeroed row to r (the capacity doubles as needed). Returns it, or NULL on out
 * of memory (r unchanged). */
gate_row_t *gate_report_add_row(gate_report_t *r);

/* Compares every arm present in both journals (and lists arms present in only one as
 * NO_DATA). Returns 0, or -1 on out of memory (err says so). */
int gate_compare(const journal_t *base, const journal_t *cand, const gate_options_t *opt,
                 gate_report_t *out, char err[GATE_ERR_BYTES]);

/* Applies a confirmation rerun's report to the first report: each REGRESSION or suspect
 * row gets AGREED / NOT_REPRODUCED / UNSETTLED from the matching row of `rerun`. */
void gate_apply_confirmation(gate_report_t *first, const gate_report_t *rerun);

/* Marks every REGRESSION and suspect row GATE_CONFIRM_IMPOSSIBLE (saved journals). */
void gate_mark_unconfirmable(gate_report_t *r);

/* What one row does to the exit code: GATE_EXIT_PASS, _REGRESSION or _INCONCLUSIVE. */
int gate_row_outcome(const gate_row_t *w, double max_regression);

/* 0 / 1 / 2 as described above. */
int gate_exit_code(const gate_report_t *r);

/* Does any row flag a regression or a suspect (before confirmation)? Fills the arms to rerun as
 * "scenario\tbackend\tpolicy\tvariant" lines into a malloc'd string (NULL if none). */
int gate_regressed_arms(const gate_report_t *r, char **arms_out);

/* Writes the Markdown summary (CI job summary). title_extra may be NULL. */
void gate_write_markdown(FILE *f, const gate_report_t *r, const char *baseline_label,
                         const char *candidate_label, const char *title_extra);

void gate_report_free(gate_report_t *r);

/* Is metric one of the memory metrics (peak_live_bytes, max_rss_bytes)? */
int gate_is_memory(const char *metric);

/* Text of a status / confirmation. */
const char *gate_status_text(gate_status_t s);

#endif
