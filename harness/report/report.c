/* report.c: report_write(), every output of a results folder from its journal (report.h).
 * Files are written to a temporary name, fsync'd and renamed (atomic_file.h). Never prints, never exits. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "atomic_file.h"
#include "export_csv.h"
#include "export_gobench.h"
#include "journal.h"
#include "report_html.h"
#include "report_md.h"
#include "report_profiles.h"
#include "summary_json.h"
#include "thresholds.h"

#include <json-c/json.h>
#include <unistd.h>

typedef int (*writer_fn)(void *ctx, FILE *out);

/* writes DIR/name through fn, atomically (atomic_file.h); -1 with err */
static int write_file(const char *dir, const char *name, writer_fn fn, void *ctx, char *err,
                      size_t err_cap)
{
    char path[REPORT_PATH_BYTES];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    atomic_file_t af;
    if (atomic_file_open(&af, path, err, err_cap) != 0)
        return -1;
    errno = 0;
    if (fn(ctx, af.f) < 0) {
        int e = errno;
        atomic_file_abort(&af);
        snprintf(err, err_cap, "%s: write failed: %s", path, e ? strerror(e) : "out of memory");
        return -1;
    }
    return atomic_file_commit(&af, err, err_cap);
}

static int w_csv(void *ctx, FILE *out) { return export_csv_write(ctx, out) < 0 ? -1 : 0; }
static int w_bench(void *ctx, FILE *out) { return export_gobench_write(ctx, out, NULL) < 0 ? -1 : 0; }
static int w_md(void *ctx, FILE *out) { return report_md_write(ctx, REPORT_DOC_SHORT, out); }
static int w_md_full(void *ctx, FILE *out) { return report_md_write(ctx, REPORT_DOC_FULL, out); }
static int w_html(void *ctx, FILE *out) { return report_html_write(ctx, out); }

/* The decision calibration (`poolbench calibrate --decision`), quoted when present: beside
 * the calibration file, in DIR, or in DIR/calibration. A file of another kind is ignored. */
static json_object *report_decision_calibration(const char *dir, const char *cal_path,
                                                char *path, size_t cap)
{
    char beside[REPORT_PATH_BYTES];
    snprintf(beside, sizeof beside, "%s", cal_path);
    char *slash = strrchr(beside, '/');
    if (slash)
        *slash = '\0';
    const char *folders[3] = {slash ? beside : ".", dir, NULL};
    char sub[REPORT_PATH_BYTES];
    snprintf(sub, sizeof sub, "%s/calibration", dir);
    folders[2] = sub;
    path[0] = '\0';
    for (int i = 0; i < 3; i++) {
        snprintf(path, cap, "%s/decision-calibration.json", folders[i]);
        if (access(path, R_OK) != 0)
            continue;
        json_object *o = json_object_from_file(path), *k;
        if (o && json_object_object_get_ex(o, "kind", &k) &&
            strcmp(json_object_get_string(k), "poolbench-decision-calibration") == 0)
            return o;
        json_object_put(o);
    }
    path[0] = '\0';
    return NULL;
}

int report_write(const char *dir, const char *thresholds_path, const report_options_t *optp,
                 report_outcome_t *outp, char *err, size_t err_cap)
{
    report_options_t opt = {0};
    if (optp)
        opt = *optp;
    report_outcome_t local;
    report_outcome_t *out = outp ? outp : &local;
    memset(out, 0, sizeof *out);
    err[0] = '\0';

    thresholds_t th;
    thresholds_default(&th);
    if (thresholds_path) {
        char terr[THRESHOLDS_ERR_BYTES];
        if (thresholds_load(thresholds_path, &th, terr) < 0) {
            snprintf(err, err_cap, "%s", terr);
            return REPORT_BAD_INPUT;
        }
    }
    char jpath[REPORT_PATH_BYTES];
    snprintf(jpath, sizeof jpath, "%s/%s", dir, JOURNAL_FILE);
    journal_t j;
    char jerr[JOURNAL_ERR_BYTES];
    if (journal_load(jpath, &j, jerr) < 0) {
        snprintf(err, err_cap, "%s", jerr);
        return strstr(jerr, "out of memory") ? REPORT_FAILED : REPORT_BAD_INPUT;
    }
    if (!j.context) {
        journal_free(&j);
        snprintf(err, err_cap, "%s: empty journal (no context block): nothing to report", jpath);
        return REPORT_BAD_INPUT;
    }
    out->truncated_line = j.truncated_line;
    out->n_cells = j.n_cells;

    analysis_model_t m;
    char aerr[ANALYSIS_ERR_BYTES];
    if (analysis_build(&j, &th, &m, aerr) < 0) {
        journal_free(&j);
        snprintf(err, err_cap, "%s: analysis failed: %s", jpath, aerr);
        return REPORT_FAILED;
    }
    out->n_warnings = m.n_warnings;
    out->overall = analysis_overall_name(m.overall);

    int rc = REPORT_FAILED;
    if (summary_json_write(&m, dir, err, err_cap) < 0)
        goto done;
    if (write_file(dir, "samples.csv", w_csv, &j, err, err_cap) < 0 ||
        write_file(dir, "bench.txt", w_bench, &j, err, err_cap) < 0)
        goto done;

    const charts_result_t *charts = NULL;
    if (!opt.no_charts) {
        charts_options_t co;
        charts_default_options(&co);
        co.scripts_dir = opt.scripts_dir;
        co.gnuplot = opt.gnuplot;
        co.equivalence_margin = thresholds_equivalence_margin(&th);
        co.keep_time_ratio = thresholds_keep_time_ratio(&th);
        co.bootstrap_seed = th.bootstrap_seed;
        if (charts_write(&j, dir, &co, out->charts, err, err_cap) < 0)
            goto done;
        charts = out->charts;
        for (int i = 0; i < CHARTS_COUNT; i++)
            out->n_chart_problems += out->charts[i].status == CHARTS_FAILED;
    }

    char when[64] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    /* the calibration of this machine, quoted when present (never required) */
    char cpath[REPORT_PATH_BYTES];
    if (opt.calibration)
        snprintf(cpath, sizeof cpath, "%s", opt.calibration);
    else
        snprintf(cpath, sizeof cpath, "%s/calibration.json", dir);
    json_object *cal = NULL;
    if (opt.calibration || access(cpath, R_OK) == 0) {
        cal = json_object_from_file(cpath);
        const char *kind = NULL;
        json_object *k;
        if (cal && json_object_object_get_ex(cal, "kind", &k))
            kind = json_object_get_string(k);
        if (!cal || !kind || strcmp(kind, "poolbench-calibration") != 0) {
            snprintf(err, err_cap, "%s: not a calibration file of `poolbench calibrate`%s%s",
                     cpath, cal ? "" : ": ", cal ? "" : json_util_get_last_err());
            json_object_put(cal);
            rc = REPORT_BAD_INPUT;
            goto done;
        }
    }
    char dpath[REPORT_PATH_BYTES];
    json_object *dcal = report_decision_calibration(dir, cpath, dpath, sizeof dpath);
    report_profiles_t profiles;
    if (report_profiles_load(dir, &profiles) < 0) {
        snprintf(err, err_cap, "%s/profiles: out of memory", dir);
        json_object_put(cal);
        json_object_put(dcal);
        goto done;
    }
    report_doc_t doc = {
        .profiles = &profiles,
        .model = &m, .charts = charts, .dir = dir, .journal_path = jpath,
        .truncated_line = j.truncated_line, .generated_at = when,
        .calibration = cal, .calibration_path = cpath,
        .decision_calibration = dcal, .decision_calibration_path = dpath,
    };
    if (write_file(dir, "report.md", w_md, &doc, err, err_cap) < 0 ||
        write_file(dir, "report-full.md", w_md_full, &doc, err, err_cap) < 0 ||
        write_file(dir, "report.html", w_html, &doc, err, err_cap) < 0) {
        report_profiles_free(&profiles);
        json_object_put(cal);
        json_object_put(dcal);
        goto done;
    }
    report_profiles_free(&profiles);
    json_object_put(cal);
    json_object_put(dcal);
    snprintf(out->report_md, sizeof out->report_md, "%s/report.md", dir);
    snprintf(out->report_full_md, sizeof out->report_full_md, "%s/report-full.md", dir);
    snprintf(out->report_html, sizeof out->report_html, "%s/report.html", dir);
    rc = REPORT_OK;
done:
    analysis_free(&m);
    journal_free(&j);
    return rc;
}
