/* report_md.h: the decision report in Markdown, and the one content walker that
 * report.html shares (report_html.h), so the documents cannot say different things.
 *
 * Two documents from one walker (report_document_t):
 *  - REPORT_DOC_SHORT, DIR/report.md: paste-able into a pull request, at most
 *    REPORT_MD_LIMIT_CHARS characters. Its first line is the overall answer
 *    ("# KEEP_SOME: keep `tar`; remove `hash`, `string`"), then the class table (the C
 *    model, and beside it the Go runtime's class verdicts when the journal has pb-go
 *    cells), the headline verdicts that decided each class, the what-ifs that would
 *    change a class ("would the answer change if ..."), model vs runtime, the rules with
 *    the Holm family sizes, and where the evidence is. report_md_write guards the limit:
 *    when the short document would be longer, the longest table is cut, with a line
 *    saying how many rows were left out and where they are.
 *  - REPORT_DOC_FULL, DIR/report-full.md and report.html: the same opening, then every
 *    verdict (headline first, then the what-ifs with their setting and baseline), the
 *    explanation (the pool against allocate-instead), the comparisons per class (costs
 *    that decide, evidence that does not), warnings with what to do, "no pool on a
 *    better allocator vs pool on glibc", the cost of zeroing on put, pool code size, the
 *    calibration of `poolbench calibrate` (when present), the heap profiles of the
 *    profiled pass (when present; report_profiles.h), failed cells, charts, context.
 * Content is written through report_emitter_t: plain text in which **bold** and `code`
 * are the only markup. Nothing here prints to the terminal or exits.
 */
#ifndef PB_REPORT_MD_H
#define PB_REPORT_MD_H

#include <stddef.h>
#include <stdio.h>
#include "analysis.h"
#include "charts.h"

/* A pull-request comment's limit; report.md never exceeds it. */
#define REPORT_MD_LIMIT_CHARS 65536

typedef enum report_document {
    REPORT_DOC_SHORT,   /* report.md: the answer and what decided it               */
    REPORT_DOC_FULL     /* report-full.md and report.html: everything               */
} report_document_t;

/* What a report shows besides the model. */
typedef struct report_doc {
    const analysis_model_t *model;
    const charts_result_t *charts;     /* CHARTS_COUNT entries, or NULL: charts not made */
    const char *dir;                   /* output folder (charts are relative to it)     */
    const char *journal_path;
    int truncated_line;                /* partial last journal line, or 0               */
    const struct json_object *calibration; /* calibration.json of `poolbench calibrate`, or NULL */
    const char *calibration_path;      /* where it came from (or where it was looked for) */
    const struct json_object *decision_calibration; /* decision-calibration.json of
                                          `poolbench calibrate --decision`, or NULL       */
    const char *decision_calibration_path;
    const char *generated_at;          /* UTC time text                                 */
    const struct report_profiles *profiles; /* the profiled pass (report_profiles.h), or
                                          NULL: no "Heap profiles" section               */
} report_doc_t;

/* table_start flags */
#define REPORT_TABLE_OPEN 1            /* never collapse (the answer's tables)           */

typedef struct report_emitter report_emitter_t;
struct report_emitter {
    FILE *out;
    const report_doc_t *doc;
    report_document_t document;        /* set by report_md_content                      */
    const char *section;               /* the current level-2 heading (for notes)       */
    void (*heading)(report_emitter_t *e, int level, const char *text);
    void (*para)(report_emitter_t *e, const char *text);
    void (*item)(report_emitter_t *e, const char *text);          /* bullet list item */
    void (*list_end)(report_emitter_t *e);
    /* nrows: the rows that will follow (emitters may collapse or cut long tables) */
    void (*table_start)(report_emitter_t *e, size_t ncols, const char *const *headers,
                        size_t nrows, int flags);
    void (*table_row)(report_emitter_t *e, const char *const *cells);
    void (*table_end)(report_emitter_t *e);
    void (*chart)(report_emitter_t *e, const charts_result_t *c);
    size_t ncols;                      /* columns of the open table */
    int in_list;
    int error;                         /* set by emitters on a write error or OOM       */
    void *state;                       /* the emitter's own                             */
};

/* Emits one document through e. Returns 0 or -1 (e->error or out of memory). */
int report_md_content(const report_doc_t *doc, report_emitter_t *e, report_document_t which);

/* Writes report.md (REPORT_DOC_SHORT, at most REPORT_MD_LIMIT_CHARS characters) or
 * report-full.md (REPORT_DOC_FULL) to out. Returns 0 or -1. */
int report_md_write(const report_doc_t *doc, report_document_t which, FILE *out);

/* Characters (UTF-8 code points) of s. */
size_t report_md_chars(const char *s, size_t len);

#endif
