/* report_html.h: DIR/report.html, the same report as report-full.md (the same content
 * walker, report_md_content with REPORT_DOC_FULL; the answer and the class table first and
 * open, long tables collapsed), self-contained: CSS inline, charts embedded as base64 data: PNGs,
 * no script, no external resource of any kind, so it opens from disk and survives being
 * mailed or attached to a CI run. Nothing here prints to the terminal or exits.
 */
#ifndef PB_REPORT_HTML_H
#define PB_REPORT_HTML_H

#include <stdio.h>
#include "report_md.h"

/* Writes report.html to out; chart PNGs are read from doc->dir. Returns 0 or -1. */
int report_html_write(const report_doc_t *doc, FILE *out);

#endif
