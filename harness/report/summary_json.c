/* summary_json.c: writes DIR/summary.json from the decision model (summary_json.h).
 *
 * Guarantees: every comparison carries both arms' raw samples (in the order the
 * statistics used them, so a bootstrap with the same RNG would reproduce the CI), the
 * method, medians, ratio, CI, U statistic, p and Holm-adjusted p; NAN and infinities
 * become null. Written to a temporary file and renamed. Never prints or exits.
 */
#include "summary_json.h"
#include "atomic_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct sj {
    int bad;   /* an allocation failed */
} sj_t;

static void sj_add(sj_t *s, json_object *o, const char *k, json_object *v)
{
    if (!o) {
        s->bad = 1;
        json_object_put(v);
        return;
    }
    if (!v && s->bad)
        return;
    if (json_object_object_add(o, k, v) != 0) {
        json_object_put(v);
        s->bad = 1;
    }
}

/* A double, or null when not finite (json-c's NULL object is JSON null). */
static json_object *sj_num(sj_t *s, double x)
{
    if (!isfinite(x))
        return NULL;
    if (x == floor(x) && fabs(x) < 9007199254740992.0)
        return json_object_new_int64((int64_t)x);
    json_object *o = json_object_new_double(x);
    if (!o)
        s->bad = 1;
    return o;
}

static json_object *sj_str(sj_t *s, const char *x)
{
    if (!x)
        return NULL;
    json_object *o = json_object_new_string(x);
    if (!o)
        s->bad = 1;
    return o;
}

static json_object *sj_int(sj_t *s, long long x)
{
    json_object *o = json_object_new_int64(x);
    if (!o)
        s->bad = 1;
    return o;
}

static json_object *sj_bool(sj_t *s, int x)
{
    json_object *o = json_object_new_boolean(x);
    if (!o)
        s->bad = 1;
    return o;
}

static json_object *sj_arr(sj_t *s)
{
    json_object *o = json_object_new_array();
    if (!o)
        s->bad = 1;
    return o;
}

static json_object *sj_obj(sj_t *s)
{
    json_object *o = json_object_new_object();
    if (!o)
        s->bad = 1;
    return o;
}

static void sj_push(sj_t *s, json_object *arr, json_object *v)
{
    if (!arr) {
        json_object_put(v);
        s->bad = 1;
        return;
    }
    if (json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        s->bad = 1;
    }
}

static json_object *sj_samples(sj_t *s, const double *x, size_t n)
{
    json_object *a = sj_arr(s);
    for (size_t i = 0; a && i < n; i++)
        sj_push(s, a, sj_num(s, x[i]));
    return a;
}

static json_object *sj_ci(sj_t *s, double lo, double hi)
{
    json_object *a = sj_arr(s);
    sj_push(s, a, sj_num(s, lo));
    sj_push(s, a, sj_num(s, hi));
    return a;
}

static json_object *sj_side(sj_t *s, const analysis_arm_t *arm, analysis_metric_t mi)
{
    json_object *o = sj_obj(s);
    sj_add(s, o, "backend", sj_str(s, arm->backend));
    sj_add(s, o, "policy", sj_str(s, arm->policy));
    sj_add(s, o, "variant", sj_str(s, arm->variant));
    sj_add(s, o, "samples", sj_samples(s, arm->samples[mi], arm->stat[mi].n));
    sj_add(s, o, "median", sj_num(s, arm->stat[mi].median));
    sj_add(s, o, "median_ci", sj_ci(s, arm->stat[mi].ci_lo, arm->stat[mi].ci_hi));
    sj_add(s, o, "host", sj_str(s, arm->host));
    sj_add(s, o, "shard", sj_str(s, arm->shard));
    sj_add(s, o, "host_mixed", sj_bool(s, arm->host_mixed));
    sj_add(s, o, "shard_mixed", sj_bool(s, arm->shard_mixed));
    return o;
}

static json_object *sj_arms(sj_t *s, const analysis_model_t *m)
{
    static const analysis_metric_t shown[] = {
        ANALYSIS_M_wall_ns, ANALYSIS_M_ns_per_op, ANALYSIS_M_peak_live_bytes,
        ANALYSIS_M_max_rss_bytes, ANALYSIS_M_alloc_calls, ANALYSIS_M_pool_cycles,
        ANALYSIS_M_bytes_per_op, ANALYSIS_M_allocs_per_op,
    };
    json_object *arr = sj_arr(s);
    for (size_t i = 0; arr && i < m->n_arms; i++) {
        const analysis_arm_t *a = &m->arms[i];
        json_object *o = sj_obj(s);
        sj_add(s, o, "scenario", sj_str(s, a->scenario));
        sj_add(s, o, "workload", sj_str(s, a->workload));
        sj_add(s, o, "mode", sj_str(s, a->mode));
        sj_add(s, o, "backend", sj_str(s, a->backend));
        sj_add(s, o, "policy", sj_str(s, a->policy));
        sj_add(s, o, "variant", sj_str(s, a->variant));
        sj_add(s, o, "source", sj_str(s, a->source));
        sj_add(s, o, "threads", sj_int(s, a->threads));
        sj_add(s, o, "counts_deterministic", sj_bool(s, a->counts_deterministic));
        sj_add(s, o, "n_ok", sj_int(s, (long long)a->n_cells));
        sj_add(s, o, "n_failed", sj_int(s, (long long)a->n_failed));
        sj_add(s, o, "host", sj_str(s, a->host));
        sj_add(s, o, "shard", sj_str(s, a->shard));
        sj_add(s, o, "host_mixed", sj_bool(s, a->host_mixed));
        sj_add(s, o, "shard_mixed", sj_bool(s, a->shard_mixed));
        json_object *ms = sj_obj(s);
        for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++) {
            const analysis_arm_stat_t *st = &a->stat[shown[k]];
            if (st->n == 0)
                continue;
            json_object *mo = sj_obj(s);
            sj_add(s, mo, "n", sj_int(s, (long long)st->n));
            sj_add(s, mo, "median", sj_num(s, st->median));
            sj_add(s, mo, "ci", sj_ci(s, st->ci_lo, st->ci_hi));
            sj_add(s, mo, "mad", sj_num(s, st->mad));
            sj_add(s, mo, "min", sj_num(s, st->min));
            sj_add(s, mo, "max", sj_num(s, st->max));
            sj_add(s, ms, analysis_metric_name(shown[k]), mo);
        }
        sj_add(s, o, "metrics", ms);
        sj_push(s, arr, o);
    }
    return arr;
}

/* A paired comparison's pairs, as the analysis tested them: {"reps": [...], "a": [...],
 * "b": [...]}. */
static json_object *sj_pairs(sj_t *s, const analysis_comparison_t *c)
{
    json_object *o = sj_obj(s), *ra = sj_arr(s), *aa = sj_arr(s), *ab = sj_arr(s);
    for (size_t i = 0; i < c->n_pairs; i++) {
        sj_push(s, ra, sj_int(s, c->pair_reps[i]));
        sj_push(s, aa, sj_num(s, c->pair_a[i]));
        sj_push(s, ab, sj_num(s, c->pair_b[i]));
    }
    sj_add(s, o, "reps", ra);
    sj_add(s, o, "a", aa);
    sj_add(s, o, "b", ab);
    return o;
}

static json_object *sj_comparisons(sj_t *s, const analysis_model_t *m)
{
    json_object *arr = sj_arr(s);
    for (size_t i = 0; arr && i < m->n_comparisons; i++) {
        const analysis_comparison_t *c = &m->comparisons[i];
        const analysis_arm_t *A = &m->arms[c->arm_a], *B = &m->arms[c->arm_b];
        json_object *o = sj_obj(s);
        sj_add(s, o, "id", sj_int(s, (long long)i));
        sj_add(s, o, "scenario", sj_str(s, c->scenario));
        sj_add(s, o, "backend", sj_str(s, c->backend));
        sj_add(s, o, "variant", sj_str(s, c->variant));
        sj_add(s, o, "class", sj_str(s, c->cls));
        sj_add(s, o, "metric", sj_str(s, c->metric_name));
        sj_add(s, o, "group", sj_str(s, c->group));
        sj_add(s, o, "role", sj_str(s, analysis_role_name(c->role)));
        sj_add(s, o, "family", sj_str(s, analysis_family_name(c->family)));
        sj_add(s, o, "method", sj_str(s, c->method_name));
        sj_add(s, o, "mwu_method", sj_str(s, c->mwu_method));
        sj_add(s, o, "a", sj_side(s, A, c->metric));
        sj_add(s, o, "b", sj_side(s, B, c->metric));
        sj_add(s, o, "n_a", sj_int(s, (long long)c->n_a));
        sj_add(s, o, "n_b", sj_int(s, (long long)c->n_b));
        sj_add(s, o, "median_a", sj_num(s, c->median_a));
        sj_add(s, o, "median_b", sj_num(s, c->median_b));
        sj_add(s, o, "ratio", sj_num(s, c->ratio));
        sj_add(s, o, "ci", sj_ci(s, c->ci_lo, c->ci_hi));
        sj_add(s, o, "u_statistic", sj_num(s, c->u1));
        sj_add(s, o, "t_statistic", sj_num(s, c->t_statistic));
        if (c->method == ANALYSIS_METHOD_PAIRED) {
            sj_add(s, o, "n_pairs", sj_int(s, (long long)c->n_pairs));
            sj_add(s, o, "pairs", sj_pairs(s, c));
        }
        sj_add(s, o, "p_value", sj_num(s, c->p_value));
        sj_add(s, o, "p_adjusted", sj_num(s, c->p_adjusted));
        sj_add(s, o, "deterministic_expected", sj_bool(s, c->deterministic_expected));
        sj_add(s, o, "count_varies", sj_bool(s, c->count_varies));
        sj_add(s, o, "cross_host", sj_bool(s, c->cross_host));
        sj_add(s, o, "note", sj_str(s, c->note));
        sj_push(s, arr, o);
    }
    return arr;
}

static json_object *sj_failed_cell(sj_t *s, const analysis_failed_t *f)
{
    json_object *o = sj_obj(s);
    sj_add(s, o, "key", sj_str(s, f->key));
    sj_add(s, o, "scenario", sj_str(s, f->scenario));
    sj_add(s, o, "backend", sj_str(s, f->backend));
    sj_add(s, o, "policy", sj_str(s, f->policy));
    sj_add(s, o, "variant", sj_str(s, f->variant));
    sj_add(s, o, "rep", sj_int(s, f->rep));
    sj_add(s, o, "status", sj_str(s, f->status));
    return o;
}

static json_object *sj_verdicts(sj_t *s, const analysis_model_t *m)
{
    json_object *arr = sj_arr(s);
    for (size_t i = 0; arr && i < m->n_verdicts; i++) {
        const analysis_verdict_t *v = &m->verdicts[i];
        json_object *o = sj_obj(s);
        sj_add(s, o, "scenario", sj_str(s, v->scenario));
        sj_add(s, o, "backend", sj_str(s, v->backend));
        sj_add(s, o, "variant", sj_str(s, v->variant));
        sj_add(s, o, "class", sj_str(s, v->cls));
        sj_add(s, o, "headline", sj_bool(s, v->headline));
        sj_add(s, o, "setting", sj_str(s, v->setting));
        sj_add(s, o, "baseline", sj_str(s, v->baseline_policy));
        sj_add(s, o, "verdict", sj_str(s, analysis_verdict_name(v->verdict)));
        sj_add(s, o, "rule", sj_str(s, v->rule));
        json_object *n = sj_obj(s);
        sj_add(s, n, "metric",
               v->metric >= 0 ? sj_str(s, analysis_metric_name((analysis_metric_t)v->metric))
                              : NULL);
        sj_add(s, n, "ratio", sj_num(s, v->ratio));
        sj_add(s, n, "ci", sj_ci(s, v->ci_lo, v->ci_hi));
        sj_add(s, n, "p_adjusted", sj_num(s, v->p_adjusted));
        sj_add(s, n, "threshold", sj_num(s, v->threshold));
        sj_add(s, n, "n_a", sj_int(s, (long long)v->n_a));
        sj_add(s, n, "n_b", sj_int(s, (long long)v->n_b));
        sj_add(s, o, "numbers", n);
        sj_add(s, o, "detail", sj_str(s, v->detail));
        sj_add(s, o, "reps_needed",
               v->verdict == ANALYSIS_INCONCLUSIVE && v->reps_needed
                   ? sj_int(s, (long long)v->reps_needed)
                   : NULL);
        json_object *ids = sj_arr(s);
        for (size_t k = 0; ids && k < v->n_comparisons; k++)
            sj_push(s, ids, sj_int(s, (long long)v->comparisons[k]));
        sj_add(s, o, "comparisons", ids);
        json_object *ex = sj_arr(s);
        for (size_t k = 0; ex && k < v->n_explain; k++)
            sj_push(s, ex, sj_int(s, (long long)v->explain[k]));
        sj_add(s, o, "explain", ex);
        json_object *fc = sj_arr(s);
        for (size_t k = 0; fc && k < v->n_failed; k++)
            sj_push(s, fc, sj_failed_cell(s, &m->failed[v->failed[k]]));
        sj_add(s, o, "failed_cells", fc);
        sj_push(s, arr, o);
    }
    return arr;
}

static json_object *sj_classes(sj_t *s, const analysis_class_verdict_t *classes, size_t n_classes)
{
    json_object *arr = sj_arr(s);
    for (size_t i = 0; arr && i < n_classes; i++) {
        const analysis_class_verdict_t *c = &classes[i];
        json_object *o = sj_obj(s);
        sj_add(s, o, "class", sj_str(s, c->cls));
        sj_add(s, o, "verdict", sj_str(s, analysis_verdict_name(c->verdict)));
        sj_add(s, o, "rule", sj_str(s, c->rule));
        sj_add(s, o, "basis", sj_str(s, c->basis));
        sj_add(s, o, "settle", c->settle[0] ? sj_str(s, c->settle) : NULL);
        json_object *n = sj_obj(s);
        sj_add(s, n, "keep", sj_int(s, (long long)c->n_keep));
        sj_add(s, n, "remove", sj_int(s, (long long)c->n_remove));
        sj_add(s, n, "worse", sj_int(s, (long long)c->n_worse));
        sj_add(s, n, "inconclusive", sj_int(s, (long long)c->n_inconclusive));
        sj_add(s, n, "disqualified", sj_int(s, (long long)c->n_disqualified));
        sj_add(s, o, "counts", n);
        sj_push(s, arr, o);
    }
    return arr;
}

static json_object *sj_flips(sj_t *s, const analysis_model_t *m)
{
    json_object *arr = sj_arr(s);
    for (size_t i = 0; arr && i < m->n_flips; i++) {
        const analysis_flip_t *f = &m->flips[i];
        json_object *o = sj_obj(s);
        sj_add(s, o, "class", sj_str(s, f->cls));
        sj_add(s, o, "setting", sj_str(s, f->setting));
        sj_add(s, o, "headline", sj_str(s, analysis_verdict_name(f->headline)));
        sj_add(s, o, "what_if", sj_str(s, analysis_verdict_name(f->what_if)));
        sj_add(s, o, "why", sj_str(s, f->why));
        sj_push(s, arr, o);
    }
    return arr;
}

static json_object *sj_overall(sj_t *s, const analysis_model_t *m)
{
    json_object *o = sj_obj(s);
    sj_add(s, o, "verdict", sj_str(s, analysis_overall_name(m->overall)));
    json_object *k = sj_arr(s);
    for (size_t i = 0; k && i < m->n_keep_classes; i++)
        sj_push(s, k, sj_str(s, m->keep_classes[i]));
    sj_add(s, o, "keep", k);
    json_object *q = sj_arr(s);
    for (size_t i = 0; q && i < m->n_inconclusive_classes; i++)
        sj_push(s, q, sj_str(s, m->inconclusive_classes[i]));
    sj_add(s, o, "inconclusive", q);
    sj_add(s, o, "rule", sj_str(s, "KEEP_ALL when every class is KEEP, REMOVE_ALL when every "
                                   "class is REMOVE, KEEP_SOME when at least one class is KEEP "
                                   "(the listed ones), else UNDECIDED"));
    return o;
}

static void sj_two_sample(sj_t *s, json_object *o, const analysis_model_t *m, size_t arm_a,
                          size_t arm_b, analysis_metric_t mi, size_t n_a, size_t n_b,
                          double med_a, double med_b, double ratio, double lo, double hi,
                          double u1, double p, double p_adj, const char *mwu_method)
{
    sj_add(s, o, "metric", sj_str(s, analysis_metric_name(mi)));
    sj_add(s, o, "method", sj_str(s, "mannwhitneyu"));
    sj_add(s, o, "mwu_method", sj_str(s, mwu_method));
    sj_add(s, o, "a", sj_side(s, &m->arms[arm_a], mi));
    sj_add(s, o, "b", sj_side(s, &m->arms[arm_b], mi));
    sj_add(s, o, "cross_host", sj_bool(s, !arms_same_host(&m->arms[arm_a], &m->arms[arm_b])));
    sj_add(s, o, "n_a", sj_int(s, (long long)n_a));
    sj_add(s, o, "n_b", sj_int(s, (long long)n_b));
    sj_add(s, o, "median_a", sj_num(s, med_a));
    sj_add(s, o, "median_b", sj_num(s, med_b));
    sj_add(s, o, "ratio", sj_num(s, ratio));
    sj_add(s, o, "ci", sj_ci(s, lo, hi));
    sj_add(s, o, "u_statistic", sj_num(s, u1));
    sj_add(s, o, "p_value", sj_num(s, p));
    sj_add(s, o, "p_adjusted", sj_num(s, p_adj));
}

json_object *summary_json_build(const analysis_model_t *m)
{
    sj_t st = {0}, *s = &st;
    json_object *root = sj_obj(s);
    if (!root)
        return NULL;
    sj_add(s, root, "schema_version", sj_int(s, SUMMARY_JSON_SCHEMA_VERSION));
    sj_add(s, root, "context", m->context ? json_object_get(m->context) : NULL);
    json_object *th = thresholds_json(&m->th);
    if (!th)
        s->bad = 1;
    sj_add(s, root, "thresholds", th);
    json_object *stats = sj_obj(s);
    sj_add(s, stats, "test", sj_str(s, "two-sided Mann-Whitney U (scipy 1.10 method 'auto')"));
    sj_add(s, stats, "ci", sj_str(s, "percentile bootstrap of median(b)/median(a), "
                                     "xoshiro256** seeded (stats.h)"));
    sj_add(s, stats, "paired", sj_str(s, "method \"paired_t\": time whose arms ran the same "
                                         "repetitions, tested on its \"pairs\": the 20 % "
                                         "trimmed t test of ln(b/a) (scipy.stats.trim_mean, "
                                         "mstats.trimmed_stde), ratio exp(trimmed mean), CI "
                                         "its t interval"));
    sj_add(s, stats, "confidence_level", sj_num(s, m->th.confidence_level));
    sj_add(s, stats, "bootstrap_resamples", sj_int(s, (long long)m->th.bootstrap_resamples));
    sj_add(s, stats, "bootstrap_seed", json_object_new_uint64(m->th.bootstrap_seed));
    sj_add(s, stats, "correction", sj_str(s, "Holm within each family: comparisons by their "
                                             "\"family\" (headline, sensitivity, evidence, "
                                             "explain); allocator_vs_pool and zeroing_cost "
                                             "together (questions)"));
    sj_add(s, stats, "holm_family_size", sj_int(s, (long long)m->holm_family_size));
    json_object *fams = sj_obj(s);
    for (int f = 0; fams && f < ANALYSIS_FAMILY_COUNT; f++)
        sj_add(s, fams, analysis_family_name((analysis_family_t)f),
               sj_int(s, (long long)m->family_size[f]));
    sj_add(s, stats, "family_sizes", fams);
    json_object *seq = sj_obj(s);
    sj_add(s, seq, "looks_taken", sj_int(s, (long long)m->n_looks));
    sj_add(s, seq, "looks_planned", sj_int(s, (long long)m->looks_planned));
    sj_add(s, seq, "alpha_nominal", sj_num(s, m->alpha_nominal));
    sj_add(s, seq, "alpha_per_look", sj_num(s, m->th.alpha));
    sj_add(s, seq, "confidence_per_look", sj_num(s, m->th.confidence_level));
    sj_add(s, seq, "method", sj_str(s, "Bonferroni split of alpha and of the interval's "
                                       "error over the planned looks (adaptive repetitions)"));
    sj_add(s, stats, "sequential", seq);
    sj_add(s, root, "statistics", stats);
    sj_add(s, root, "arms", sj_arms(s, m));
    sj_add(s, root, "comparisons", sj_comparisons(s, m));
    sj_add(s, root, "verdicts", sj_verdicts(s, m));
    sj_add(s, root, "class_verdicts", sj_classes(s, m->classes, m->n_classes));
    sj_add(s, root, "runtime_class_verdicts", sj_classes(s, m->runtime_classes,
                                                         m->n_runtime_classes));
    sj_add(s, root, "what_if", sj_flips(s, m));
    sj_add(s, root, "overall", sj_overall(s, m));
    json_object *avp = sj_arr(s);
    for (size_t i = 0; avp && i < m->n_avp; i++) {
        const analysis_avp_t *r = &m->avp[i];
        json_object *o = sj_obj(s);
        sj_add(s, o, "scenario", sj_str(s, r->scenario));
        sj_add(s, o, "variant", sj_str(s, r->variant));
        sj_add(s, o, "backend", sj_str(s, r->backend));
        sj_add(s, o, "question", sj_str(s, "ratio = time of no pool on this backend / time "
                                           "of the pool on the reference backend"));
        sj_two_sample(s, o, m, r->arm_a, r->arm_b, r->metric, r->n_a, r->n_b, r->median_a,
                      r->median_b, r->ratio, r->ci_lo, r->ci_hi, r->u1, r->p_value,
                      r->p_adjusted, r->mwu_method);
        sj_add(s, o, "answer", sj_str(s, r->answer));
        sj_push(s, avp, o);
    }
    sj_add(s, root, "allocator_vs_pool", avp);
    json_object *zc = sj_arr(s);
    for (size_t i = 0; zc && i < m->n_zeroing; i++) {
        const analysis_zeroing_t *z = &m->zeroing[i];
        json_object *o = sj_obj(s);
        sj_add(s, o, "scenario", sj_str(s, z->scenario));
        sj_add(s, o, "backend", sj_str(s, z->backend));
        sj_add(s, o, "policy", sj_str(s, z->policy));
        sj_add(s, o, "variant", sj_str(s, z->variant));
        sj_add(s, o, "question", sj_str(s, "ratio = time with zero_on_put on / off"));
        sj_two_sample(s, o, m, z->arm_a, z->arm_b, z->metric, z->n_a, z->n_b, z->median_a,
                      z->median_b, z->ratio, z->ci_lo, z->ci_hi, z->u1, z->p_value,
                      z->p_adjusted, z->mwu_method);
        sj_push(s, zc, o);
    }
    sj_add(s, root, "zeroing_cost", zc);
    json_object *w = sj_arr(s);
    for (size_t i = 0; w && i < m->n_warnings; i++) {
        const analysis_warning_t *x = &m->warnings[i];
        json_object *o = sj_obj(s);
        sj_add(s, o, "kind", sj_str(s, x->kind));
        sj_add(s, o, "scenario", sj_str(s, x->scenario));
        sj_add(s, o, "backend", sj_str(s, x->backend));
        sj_add(s, o, "policy", sj_str(s, x->policy));
        sj_add(s, o, "variant", sj_str(s, x->variant));
        sj_add(s, o, "message", sj_str(s, x->message));
        sj_add(s, o, "advice", sj_str(s, x->advice));
        sj_push(s, w, o);
    }
    sj_add(s, root, "warnings", w);
    json_object *fc = sj_arr(s);
    for (size_t i = 0; fc && i < m->n_failed; i++)
        sj_push(s, fc, sj_failed_cell(s, &m->failed[i]));
    sj_add(s, root, "failed_cells", fc);
    sj_add(s, root, "pool_code_lines",
           m->pool_code_lines >= 0 ? sj_int(s, m->pool_code_lines) : NULL);
    if (s->bad) {
        json_object_put(root);
        return NULL;
    }
    return root;
}

int summary_json_write(const analysis_model_t *m, const char *dir, char *err, size_t err_cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, SUMMARY_JSON_FILE);
    json_object *root = summary_json_build(m);
    if (!root) {
        snprintf(err, err_cap, "%s: out of memory", path);
        return -1;
    }
    const char *text = json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!text) {
        json_object_put(root);
        snprintf(err, err_cap, "%s: out of memory", path);
        return -1;
    }
    atomic_file_t af;
    if (atomic_file_open(&af, path, err, err_cap) != 0) {
        json_object_put(root);
        return -1;
    }
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, af.f) == len && fputc('\n', af.f) != EOF;
    json_object_put(root);
    if (!ok) {
        int e = errno;
        atomic_file_abort(&af);
        snprintf(err, err_cap, "%s: write failed: %s", path, strerror(e));
        return -1;
    }
    if (atomic_file_commit(&af, err, err_cap) != 0)
        return -1;
    return 0;
}
