/* report_md.h: DIR/report.md, the decision report in Markdown (paste-able into a pull
 * request), and the content generator that report.html shares (report_html.h), so the
 * two cannot say different things.
 *
 * Order: verdicts first (the class table a reader understands in 10 seconds, then every
 * verdict of the model with its rule and numbers), the overall decision in one sentence
 * with the rule, evidence per class (medians, CIs, p-values, rule fired), warnings with
 * what to do, "no pool on a better allocator vs pool on glibc", the cost of zeroing on
 * put, pool code size, what "no difference" means on this machine (the calibration of
 * `poolbench calibrate`, when present), failed cells, charts, the context.
 * Content is written through report_emitter_t: plain text in which **bold** and `code`
 * are the only markup. Nothing here prints to the terminal or exits.
 */
#ifndef PB_REPORT_MD_H
#define PB_REPORT_MD_H

#include <stddef.h>
#include <stdio.h>
#include "analysis.h"
#include "charts.h"

/* What a report shows besides the model. */
typedef struct report_doc {
    const analysis_model_t *model;
    const charts_result_t *charts;     /* CHARTS_COUNT entries, or NULL: charts not made */
    const char *dir;                   /* output folder (charts are relative to it)     */
    const char *journal_path;
    int truncated_line;                /* partial last journal line, or 0               */
    const struct json_object *calibration; /* calibration.json of `poolbench calibrate`, or NULL */
    const char *calibration_path;      /* where it came from (or where it was looked for) */
    const char *generated_at;          /* UTC time text                                 */
} report_doc_t;

typedef struct report_emitter report_emitter_t;
struct report_emitter {
    FILE *out;
    const report_doc_t *doc;
    void (*heading)(report_emitter_t *e, int level, const char *text);
    void (*para)(report_emitter_t *e, const char *text);
    void (*item)(report_emitter_t *e, const char *text);          /* bullet list item */
    void (*list_end)(report_emitter_t *e);
    void (*table_start)(report_emitter_t *e, size_t ncols, const char *const *headers);
    void (*table_row)(report_emitter_t *e, const char *const *cells);
    void (*table_end)(report_emitter_t *e);
    void (*chart)(report_emitter_t *e, const charts_result_t *c);
    size_t ncols;                      /* columns of the open table */
    int in_list;
    int error;                         /* set by emitters on a write error or OOM       */
};

/* Emits the whole report through e. Returns 0 or -1 (e->error or out of memory). */
int report_md_content(const report_doc_t *doc, report_emitter_t *e);

/* Writes report.md to out. Returns 0 or -1. */
int report_md_write(const report_doc_t *doc, FILE *out);

#endif
