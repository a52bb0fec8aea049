/* report_html.c: the HTML emitter of the report (report_html.h): the full document
 * (REPORT_DOC_FULL, as report-full.md). Text is HTML-escaped; **bold** and `code` become
 * <strong> and <code>; verdict words get a colour class; tables longer than
 * HTML_COLLAPSE_ROWS rows are collapsed in <details> with a summary giving the row count
 * (the answer's class table stays open).
 * Charts are embedded as data:image/png;base64 (a chart whose PNG cannot be read is
 * reported in place). Never prints to the terminal, never exits. */
#include "report_html.h"

#include <stdlib.h>
#include <string.h>

static void put(report_emitter_t *e, const char *s)
{
    if (fputs(s, e->out) < 0)
        e->error = 1;
}

/* escaped text with the two inline markups */
static void text(report_emitter_t *e, const char *s)
{
    int bold = 0, code = 0;
    for (; *s; s++) {
        if (s[0] == '*' && s[1] == '*' && !code) {
            put(e, bold ? "</strong>" : "<strong>");
            bold = !bold;
            s++;
            continue;
        }
        if (*s == '`') {
            put(e, code ? "</code>" : "<code>");
            code = !code;
            continue;
        }
        switch (*s) {
        case '<': put(e, "&lt;"); break;
        case '>': put(e, "&gt;"); break;
        case '&': put(e, "&amp;"); break;
        case '"': put(e, "&quot;"); break;
        default:
            if (fputc(*s, e->out) == EOF)
                e->error = 1;
        }
    }
    if (code)
        put(e, "</code>");
    if (bold)
        put(e, "</strong>");
}

static void end_list(report_emitter_t *e)
{
    if (e->in_list) {
        e->list_end(e);
        e->in_list = 0;
    }
}

static void h_heading(report_emitter_t *e, int level, const char *t)
{
    end_list(e);
    fprintf(e->out, "<h%d>", level);
    text(e, t);
    fprintf(e->out, "</h%d>\n", level);
}

static void h_para(report_emitter_t *e, const char *t)
{
    end_list(e);
    put(e, "<p>");
    text(e, t);
    put(e, "</p>\n");
}

static void h_item(report_emitter_t *e, const char *t)
{
    if (!e->in_list)
        put(e, "<ul>\n");
    put(e, "<li>");
    text(e, t);
    put(e, "</li>\n");
}

static void h_list_end(report_emitter_t *e) { put(e, "</ul>\n"); }

/* tables longer than this are collapsed (<details>), unless REPORT_TABLE_OPEN */
#define HTML_COLLAPSE_ROWS 12

typedef struct html_state {
    int collapsed;                     /* the open table is inside <details>            */
} html_state_t;

static void h_table_start(report_emitter_t *e, size_t ncols, const char *const *h, size_t nrows,
                          int flags)
{
    html_state_t *st = e->state;
    end_list(e);
    e->ncols = ncols;
    st->collapsed = !(flags & REPORT_TABLE_OPEN) && nrows > HTML_COLLAPSE_ROWS;
    if (st->collapsed)
        fprintf(e->out, "<details><summary>%zu rows (click to show the table)</summary>\n", nrows);
    put(e, "<div class=\"scroll\"><table>\n<thead><tr>");
    for (size_t i = 0; i < ncols; i++) {
        put(e, "<th>");
        text(e, h[i]);
        put(e, "</th>");
    }
    put(e, "</tr></thead>\n<tbody>\n");
}

static const char *verdict_class(const char *cell)
{
    static const char *const words[][2] = {
        {"**KEEP**", "keep"}, {"**REMOVE**", "remove"}, {"**INCONCLUSIVE**", "inconclusive"},
        {"**DISQUALIFIED**", "disq"}, {"**matches**", "keep"},
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcmp(cell, words[i][0]) == 0)
            return words[i][1];
    return NULL;
}

static void h_table_row(report_emitter_t *e, const char *const *cells)
{
    put(e, "<tr>");
    for (size_t i = 0; i < e->ncols; i++) {
        const char *c = cells[i] ? cells[i] : "";
        const char *cls = verdict_class(c);
        if (cls)
            fprintf(e->out, "<td class=\"v %s\">", cls);
        else
            put(e, "<td>");
        text(e, c);
        put(e, "</td>");
    }
    put(e, "</tr>\n");
}

static void h_table_end(report_emitter_t *e)
{
    html_state_t *st = e->state;
    put(e, "</tbody></table></div>\n");
    if (st->collapsed)
        put(e, "</details>\n");
    st->collapsed = 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* streams a file as base64; -1 when it cannot be read */
static int put_base64_file(report_emitter_t *e, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char in[3 * 1024];
    char out[4 * 1024 + 1];
    size_t n;
    int rc = 0;
    while ((n = fread(in, 1, sizeof in, f)) > 0) {
        size_t o = 0;
        for (size_t i = 0; i < n; i += 3) {
            unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                         (i + 2 < n ? in[i + 2] : 0);
            out[o++] = b64[v >> 18 & 63];
            out[o++] = b64[v >> 12 & 63];
            out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
            out[o++] = i + 2 < n ? b64[v & 63] : '=';
        }
        if (fwrite(out, 1, o, e->out) != o) {
            e->error = 1;
            rc = -1;
            break;
        }
        if (n < sizeof in)
            break;
    }
    if (ferror(f))
        rc = -1;
    fclose(f);
    return rc;
}

static void h_chart(report_emitter_t *e, const charts_result_t *c)
{
    char path[CHARTS_PATH_BYTES * 2];
    snprintf(path, sizeof path, "%s/%s", e->doc->dir, c->png);
    FILE *probe = fopen(path, "rb");
    if (!probe) {   /* not embeddable: say so instead of a broken image */
        put(e, "<p><strong>Chart missing</strong>: cannot read ");
        text(e, c->png);
        put(e, "</p>\n");
        return;
    }
    fclose(probe);
    put(e, "<figure><img class=\"chart\" alt=\"");
    text(e, c->title);
    put(e, "\" src=\"data:image/png;base64,");
    if (put_base64_file(e, path) < 0)
        e->error = 1;
    put(e, "\"><figcaption>");
    text(e, c->title);
    put(e, " (also as <code>");
    text(e, c->svg);
    put(e, "</code>)</figcaption></figure>\n");
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "max-width:1500px;margin:2em auto;padding:0 1.5em;color:#1a1a1a;line-height:1.45}"
    "h1{font-size:1.6em;border-bottom:2px solid #333;padding-bottom:.2em}"
    "h2{font-size:1.3em;margin-top:2em;border-bottom:1px solid #ccc}"
    "h3{font-size:1.1em;margin-top:1.5em}"
    "table{border-collapse:collapse;font-size:.9em;margin:.5em 0 1em}"
    "th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left;vertical-align:top}"
    "th{background:#f0f0f0}tbody tr:nth-child(even){background:#fafafa}"
    ".scroll{overflow-x:auto}"
    "td.v{font-weight:bold;white-space:nowrap}"
    "td.keep{background:#d9f2d9;color:#14541a}td.remove{background:#f9dcdc;color:#7a1212}"
    "td.inconclusive{background:#fff3cd;color:#6b4e00}td.disq{background:#e2e2e2;color:#333}"
    "code{background:#f3f3f3;padding:0 .2em;border-radius:3px}"
    "figure{margin:1em 0}img.chart{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{font-size:.85em;color:#555}"
    "details{margin:.5em 0 1em}summary{cursor:pointer;color:#444;font-size:.9em}";

int report_html_write(const report_doc_t *doc, FILE *out)
{
    html_state_t st = {0};
    report_emitter_t e = {
        .out = out, .heading = h_heading, .para = h_para, .item = h_item,
        .list_end = h_list_end, .table_start = h_table_start, .table_row = h_table_row,
        .table_end = h_table_end, .chart = h_chart, .state = &st,
    };
    put(&e, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>poolbench report: ");
    text(&e, analysis_overall_name(doc->model->overall));
    put(&e, "</title>\n<style>");
    put(&e, css);
    put(&e, "</style>\n</head>\n<body>\n");
    int rc = report_md_content(doc, &e, REPORT_DOC_FULL);
    put(&e, "</body>\n</html>\n");
    if (e.error || fflush(out) != 0 || ferror(out))
        rc = -1;
    return rc;
}
