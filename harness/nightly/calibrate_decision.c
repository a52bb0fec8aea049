/* calibrate_decision.c: A/A runs of the decision rules (calibrate_decision.h). */
#define _GNU_SOURCE
#include "calibrate_decision.h"
#include "atomic_file.h"
#include "analysis.h"
#include "journal.h"
#include "matrix.h"
#include "matrix_run.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct dc_tally {
    size_t verdicts, keep, worse, equivalence, no_benefit, inconclusive, disqualified,
        exact_differing;
    const char *overall;
} dc_tally_t;

/* The headline verdicts of one A/A journal. Returns 0 or -1 (err). */
static int dc_tally_journal(const char *path, const thresholds_t *th, dc_tally_t *t,
                            char *err, size_t cap)
{
    journal_t j;
    char jerr[JOURNAL_ERR_BYTES], aerr[ANALYSIS_ERR_BYTES];
    if (journal_load(path, &j, jerr) != 0) {
        snprintf(err, cap, "%s", jerr);
        return -1;
    }
    analysis_model_t m;
    if (analysis_build(&j, th, &m, aerr) != 0) {
        snprintf(err, cap, "%s", aerr);
        journal_free(&j);
        return -1;
    }
    memset(t, 0, sizeof *t);
    t->overall = analysis_overall_name(m.overall);
    for (size_t i = 0; i < m.n_verdicts; i++) {
        const analysis_verdict_t *v = &m.verdicts[i];
        if (!v->headline)
            continue;
        t->verdicts++;
        t->keep += v->verdict == ANALYSIS_KEEP;
        t->worse += v->verdict == ANALYSIS_REMOVE && !strcmp(v->rule, "worse");
        t->equivalence += v->verdict == ANALYSIS_REMOVE && !strcmp(v->rule, "equivalence");
        t->no_benefit += v->verdict == ANALYSIS_REMOVE && !strcmp(v->rule, "no_benefit");
        t->inconclusive += v->verdict == ANALYSIS_INCONCLUSIVE;
        t->disqualified += v->verdict == ANALYSIS_DISQUALIFIED;
        for (size_t k = 0; k < v->n_comparisons; k++) {
            const analysis_comparison_t *c = &m.comparisons[v->comparisons[k]];
            t->exact_differing += c->method == ANALYSIS_METHOD_EXACT && c->ratio != 1.0;
        }
    }
    analysis_free(&m);
    journal_free(&j);
    return 0;
}

static json_object *dc_run_json(unsigned run, const char *journal, const dc_tally_t *t)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "run", json_object_new_int((int)run));
    json_object_object_add(o, "journal", json_object_new_string(journal));
    json_object_object_add(o, "overall", json_object_new_string(t->overall));
#define DC_N(name, v) json_object_object_add(o, name, json_object_new_uint64(v))
    DC_N("verdicts", t->verdicts);
    DC_N("keep", t->keep);
    DC_N("remove_worse", t->worse);
    DC_N("remove_equivalence", t->equivalence);
    DC_N("remove_no_benefit", t->no_benefit);
    DC_N("inconclusive", t->inconclusive);
    DC_N("disqualified", t->disqualified);
    DC_N("exact_counts_differing", t->exact_differing);
#undef DC_N
    return o;
}

/* The JSON file and the Markdown summary of all runs. */
static int dc_write(const calibrate_decision_options_t *o, json_object *per_run,
                    const dc_tally_t *sum, unsigned clean, char **markdown, char *err,
                    size_t cap)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "schema_version", json_object_new_int(1));
    json_object_object_add(root, "kind", json_object_new_string("poolbench-decision-calibration"));
    json_object_object_add(root, "matrix", json_object_new_string(o->matrix_file));
    json_object_object_add(root, "runs", json_object_new_int((int)o->runs));
    json_object *th = json_object_new_object();
    json_object_object_add(th, "alpha", json_object_new_double(o->th->alpha));
    json_object_object_add(th, "confidence_level", json_object_new_double(o->th->confidence_level));
    json_object_object_add(th, "equivalence_percent", json_object_new_double(o->th->equivalence_percent));
    json_object_object_add(root, "thresholds", th);
    json_object_object_add(root, "per_run", per_run);
    json_object_object_add(root, "verdicts", json_object_new_uint64(sum->verdicts));
    json_object_object_add(root, "false_keep", json_object_new_uint64(sum->keep));
    json_object_object_add(root, "false_remove_worse", json_object_new_uint64(sum->worse));
    double n = (double)sum->verdicts;
    json_object_object_add(root, "false_keep_rate", sum->verdicts ? json_object_new_double((double)sum->keep / n) : NULL);
    json_object_object_add(root, "false_remove_worse_rate", sum->verdicts ? json_object_new_double((double)sum->worse / n) : NULL);
    json_object_object_add(root, "runs_clean", json_object_new_int((int)clean));
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", o->out_dir, CALIBRATE_DECISION_FILE);
    /* temporary name, fsync, rename (atomic_file.h) */
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
    atomic_file_t af;
    int rc = -1;
    if (!text)
        snprintf(err, cap, "%s: out of memory", path);
    else if (atomic_file_open(&af, path, err, cap) == 0) {
        if (fputs(text, af.f) == EOF || fputc('\n', af.f) == EOF) {
            snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
            atomic_file_abort(&af);
        } else {
            rc = atomic_file_commit(&af, err, cap);
        }
    }
    json_object_put(root);
    if (rc != 0)
        return 3;
    if (asprintf(markdown, "## Decision calibration (A/A)\n\n%u A/A runs of `%s`: %zu headline "
                 "verdicts, %zu false KEEP, %zu false REMOVE-as-worse, %zu REMOVE by "
                 "equivalence and %zu by no benefit (the right answers), %zu INCONCLUSIVE; "
                 "%u of %u runs clean. File: `%s`.\n", o->runs, o->matrix_file, sum->verdicts,
                 sum->keep, sum->worse, sum->equivalence, sum->no_benefit, sum->inconclusive,
                 clean, o->runs, path) < 0)
        *markdown = NULL;
    return 0;
}

int calibrate_decision_run(const calibrate_decision_options_t *o, char **markdown,
                           char *err, size_t cap)
{
    *markdown = NULL;
    err[0] = '\0';
    json_object *per_run = json_object_new_array();
    dc_tally_t sum = {0};
    unsigned clean = 0;
    uint64_t st = o->seed;
    for (unsigned r = 1; r <= o->runs; r++) {
        char out[PATH_MAX], journal[PATH_MAX + 32];
        snprintf(out, sizeof out, "%s/decision/run-%03u", o->out_dir, r);
        snprintf(journal, sizeof journal, "%s/%s", out, JOURNAL_FILE);
        matrix_run_options_t mo = {.matrix_file = o->matrix_file,
                                   .scenario_dir = o->scenario_dir,
                                   .default_scenario_dir = o->default_scenario_dir,
                                   .out = out, .shard_k = 1, .shard_n = 1, .have_seed = 1,
                                   .seed = matrix_splitmix64(&st) >> 16, .bin_dir = o->bin_dir,
                                   .cache_dir = o->cache_dir};
        int rc = matrix_run(&mo);
        if (rc == MATRIX_RUN_USAGE || rc == MATRIX_RUN_HARNESS || rc == MATRIX_RUN_INTERRUPTED) {
            snprintf(err, cap, "A/A run %u (%s) failed with exit code %d", r, out, rc);
            json_object_put(per_run);
            return rc;
        }
        dc_tally_t t;
        if (dc_tally_journal(journal, o->th, &t, err, cap) != 0) {
            json_object_put(per_run);
            return 3;
        }
        json_object_array_add(per_run, dc_run_json(r, journal, &t));
        sum.verdicts += t.verdicts;
        sum.keep += t.keep;
        sum.worse += t.worse;
        sum.equivalence += t.equivalence;
        sum.no_benefit += t.no_benefit;
        sum.inconclusive += t.inconclusive;
        sum.disqualified += t.disqualified;
        sum.exact_differing += t.exact_differing;
        clean += t.keep == 0 && t.worse == 0;
    }
    return dc_write(o, per_run, &sum, clean, markdown, err, cap);
}
