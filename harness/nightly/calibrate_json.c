/* calibrate_json.c: calibration.json (calibrate_json.h).
 * Guarantees: writes only the file it is given. What it must not do: compute statistics.
 */
#include "calibrate_json.h"
#include "atomic_file.h"

#include <math.h>
#include <stdio.h>

static json_object *calibrate_json_num(double v)
{
    return isfinite(v) ? json_object_new_double(v) : NULL;
}

static json_object *calibrate_json_rate(size_t flagged, size_t n)
{
    return n ? json_object_new_double((double)flagged / (double)n) : NULL;
}

static json_object *calibrate_json_workload(const calibrate_setup_t *setup,
                                            const calibrate_stats_workload_t *w)
{
    const calibrate_tally_workload_t *x = w->names;
    json_object *o = json_object_new_object(), *aa = json_object_new_object();
    json_object *det = json_object_new_array();
    json_object_object_add(o, "scenario", json_object_new_string(x->scenario));
    json_object_object_add(o, "backend", json_object_new_string(x->backend));
    json_object_object_add(o, "policy", json_object_new_string(x->policy));
    json_object_object_add(o, "variant", json_object_new_string(x->variant));
    json_object_object_add(aa, "runs", json_object_new_int((int)w->aa_runs));
    json_object_object_add(aa, "flagged", json_object_new_int((int)w->aa_flagged));
    json_object_object_add(aa, "false_alarm_rate", calibrate_json_rate(w->aa_flagged, w->aa_runs));
    json_object_object_add(aa, "ratio_median", calibrate_json_num(w->aa_ratio_median));
    json_object_object_add(aa, "ci_low_factor_median", calibrate_json_num(w->ci_low_factor_median));
    json_object_object_add(aa, "ci_half_width_pct_median",
                           calibrate_json_num(w->ci_half_width_pct_median));
    json_object_object_add(aa, "flagged_time", json_object_new_int((int)w->aa_flagged_time));
    json_object_object_add(aa, "flagged_cost", json_object_new_int((int)w->aa_flagged_cost));
    json_object_object_add(aa, "instructions_runs", json_object_new_int((int)w->ir_aa_runs));
    json_object_object_add(aa, "instructions_flagged", json_object_new_int((int)w->ir_aa_flagged));
    json_object_object_add(aa, "instructions_ratio_median",
                           calibrate_json_num(w->ir_aa_ratio_median));
    json_object_object_add(o, "aa", aa);
    for (size_t k = 0; k < setup->n_slowdowns; k++) {
        const calibrate_stats_detection_t *d = &w->detection[k];
        json_object *dj = json_object_new_object();
        json_object_object_add(dj, "slowdown_pct", json_object_new_int((int)setup->slowdowns_pct[k]));
        json_object_object_add(dj, "runs", json_object_new_int((int)d->runs));
        json_object_object_add(dj, "flagged", json_object_new_int((int)d->flagged));
        json_object_object_add(dj, "detection_rate", calibrate_json_rate(d->flagged, d->runs));
        json_object_object_add(dj, "ratio_median", calibrate_json_num(d->ratio_median));
        json_object_object_add(dj, "ci_low_median", calibrate_json_num(d->ci_low_median));
        json_object_object_add(dj, "flagged_time", json_object_new_int((int)d->flagged_time));
        json_object_object_add(dj, "flagged_cost", json_object_new_int((int)d->flagged_cost));
        json_object_object_add(dj, "instructions_runs", json_object_new_int((int)d->ir_runs));
        json_object_object_add(dj, "instructions_flagged", json_object_new_int((int)d->ir_flagged));
        json_object_object_add(dj, "instructions_ratio_median",
                               calibrate_json_num(d->ir_ratio_median));
        json_object_array_add(det, dj);
    }
    json_object_object_add(o, "detection", det);
    json_object_object_add(o, "min_detectable_slowdown_pct",
                           calibrate_json_num(w->min_detectable_slowdown_pct));
    json_object_object_add(o, "min_resolvable_difference_pct",
                           calibrate_json_num(w->min_resolvable_difference_pct));
    return o;
}

static json_object *calibrate_json_overall(const calibrate_setup_t *setup,
                                           const calibrate_stats_t *s)
{
    json_object *ov = json_object_new_object(), *od = json_object_new_array();
    json_object_object_add(ov, "aa_comparisons", json_object_new_int((int)s->aa_comparisons));
    json_object_object_add(ov, "aa_flagged", json_object_new_int((int)s->aa_flagged));
    json_object_object_add(ov, "false_alarm_rate", calibrate_json_rate(s->aa_flagged, s->aa_comparisons));
    json_object_object_add(ov, "aa_flagged_time", json_object_new_int((int)s->aa_flagged_time));
    json_object_object_add(ov, "aa_flagged_cost", json_object_new_int((int)s->aa_flagged_cost));
    json_object_object_add(ov, "false_alarm_rate_cost",
                           calibrate_json_rate(s->aa_flagged_cost, s->aa_comparisons));
    json_object_object_add(ov, "instructions_aa_comparisons",
                           json_object_new_int((int)s->ir_aa_comparisons));
    json_object_object_add(ov, "instructions_aa_flagged", json_object_new_int((int)s->ir_aa_flagged));
    for (size_t k = 0; k < setup->n_slowdowns; k++) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "slowdown_pct", json_object_new_int((int)setup->slowdowns_pct[k]));
        json_object_object_add(d, "comparisons", json_object_new_int((int)s->detection_comparisons[k]));
        json_object_object_add(d, "flagged", json_object_new_int((int)s->detection_flagged[k]));
        json_object_object_add(d, "detection_rate",
                               calibrate_json_rate(s->detection_flagged[k], s->detection_comparisons[k]));
        json_object_object_add(d, "flagged_time", json_object_new_int((int)s->detection_flagged_time[k]));
        json_object_object_add(d, "flagged_cost", json_object_new_int((int)s->detection_flagged_cost[k]));
        json_object_object_add(d, "detection_rate_cost",
                               calibrate_json_rate(s->detection_flagged_cost[k],
                                                   s->detection_comparisons[k]));
        json_object_object_add(d, "detection_rate_time",
                               calibrate_json_rate(s->detection_flagged_time[k],
                                                   s->detection_comparisons[k]));
        json_object_object_add(d, "instructions_comparisons",
                               json_object_new_int((int)s->ir_detection_comparisons[k]));
        json_object_object_add(d, "instructions_flagged",
                               json_object_new_int((int)s->ir_detection_flagged[k]));
        json_object_object_add(d, "detection_rate_instructions",
                               calibrate_json_rate(s->ir_detection_flagged[k],
                                                   s->ir_detection_comparisons[k]));
        json_object_array_add(od, d);
    }
    json_object_object_add(ov, "detection", od);
    return ov;
}

static json_object *calibrate_json_thresholds(const thresholds_t *th)
{
    json_object *tj = json_object_new_object();
    json_object_object_add(tj, "max_regression_percent", json_object_new_double(th->max_regression_percent));
    json_object_object_add(tj, "max_instructions_increase_percent",
                           json_object_new_double(th->max_instructions_increase_percent));
    json_object_object_add(tj, "alpha", json_object_new_double(th->alpha));
    json_object_object_add(tj, "confidence_level", json_object_new_double(th->confidence_level));
    json_object_object_add(tj, "min_samples_per_arm", json_object_new_uint64(th->min_samples_per_arm));
    return tj;
}

int calibrate_json_write(const char *path, const calibrate_setup_t *setup,
                         const calibrate_stats_t *s)
{
    json_object *root = json_object_new_object(), *wls = json_object_new_array();
    json_object *sl = json_object_new_array();
    if (!root || !wls || !sl) {
        json_object_put(root);
        json_object_put(wls);
        json_object_put(sl);
        return -1;
    }
    json_object_object_add(root, "schema_version", json_object_new_int(1));
    json_object_object_add(root, "kind", json_object_new_string("poolbench-calibration"));
    json_object_object_add(root, "context", setup->context ? json_object_get(setup->context) : NULL);
    json_object_object_add(root, "bin_dir", json_object_new_string(setup->bin_dir));
    json_object_object_add(root, "seed", json_object_new_uint64(setup->seed));
    json_object_object_add(root, "runs", json_object_new_int((int)setup->runs));
    json_object_object_add(root, "repetitions", json_object_new_int((int)setup->repetitions));
    for (size_t k = 0; k < setup->n_slowdowns; k++)
        json_object_array_add(sl, json_object_new_int((int)setup->slowdowns_pct[k]));
    json_object_object_add(root, "slowdowns_pct", sl);
    json_object_object_add(root, "thresholds", calibrate_json_thresholds(setup->th));
    for (size_t i = 0; i < s->n_workloads; i++)
        json_object_array_add(wls, calibrate_json_workload(setup, &s->workloads[i]));
    json_object_object_add(root, "workloads", wls);
    json_object_object_add(root, "overall", calibrate_json_overall(setup, s));
    /* temporary name, fsync, rename (atomic_file.h): a failed write keeps the old file */
    const char *text = json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    atomic_file_t af;
    char err[PATH_MAX + 256];
    int rc = -1;
    if (text && atomic_file_open(&af, path, err, sizeof err) == 0) {
        if (fputs(text, af.f) == EOF || fputc('\n', af.f) == EOF)
            atomic_file_abort(&af);
        else
            rc = atomic_file_commit(&af, err, sizeof err);
    }
    json_object_put(root);
    return rc != 0 ? -1 : 0;
}
