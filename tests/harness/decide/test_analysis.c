/* test_analysis.c: the decision rules of analysis.c on synthetic journals.
 *
 * Each test writes a results.jsonl (decide_synth.h) whose truth it knows, loads it with
 * journal_load, builds the model and checks verdicts, rules, numbers and aggregation.
 * Also a writer mode for the verify_summary.py test:
 *   test_analysis --write-summary DIR [--tamper]
 * writes DIR/results.jsonl and DIR/summary.json (with --tamper, one p-value is altered
 * afterwards, so the checker must fail).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "decide_synth.h"
#include "summary_json.h"

typedef struct fixture {
    char dir[256];
    char path[300];
    FILE *f;
    journal_t j;
    analysis_model_t m;
    int built;
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_analysis.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/results.jsonl", fx->dir);
    fx->f = synth_open(fx->path, 1234);
    if (!fx->f)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    if (fx->f)
        fclose(fx->f);
    if (fx->built) {
        analysis_free(&fx->m);
        journal_free(&fx->j);
    }
    char p[400];
    snprintf(p, sizeof p, "%s/summary.json", fx->dir);
    unlink(p);
    unlink(fx->path);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static void build(fixture_t *fx)
{
    fclose(fx->f);
    fx->f = NULL;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(fx->path, &fx->j, err), 0);
    char aerr[ANALYSIS_ERR_BYTES];
    int rc = analysis_build(&fx->j, NULL, &fx->m, aerr);
    if (rc != 0)
        fail_msg("analysis_build: %s", aerr);
    fx->built = 1;
}

static const analysis_verdict_t *find_verdict(const analysis_model_t *m, const char *scenario,
                                              const char *backend, const char *cls)
{
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (strcmp(m->verdicts[i].scenario, scenario) == 0 &&
            strcmp(m->verdicts[i].backend, backend) == 0 && strcmp(m->verdicts[i].cls, cls) == 0)
            return &m->verdicts[i];
    fail_msg("no verdict for %s/%s/%s", scenario, backend, cls);
    return NULL;
}

static const analysis_class_verdict_t *find_class(const analysis_model_t *m, const char *cls)
{
    for (size_t i = 0; i < m->n_classes; i++)
        if (strcmp(m->classes[i].cls, cls) == 0)
            return &m->classes[i];
    fail_msg("no class verdict for %s", cls);
    return NULL;
}

static const analysis_comparison_t *find_cmp(const analysis_model_t *m,
                                             const analysis_verdict_t *v, analysis_metric_t mi)
{
    for (size_t k = 0; k < v->n_comparisons; k++)
        if (m->comparisons[v->comparisons[k]].metric == mi)
            return &m->comparisons[v->comparisons[k]];
    fail_msg("no comparison of %s", analysis_metric_name(mi));
    return NULL;
}

static int has_warning(const analysis_model_t *m, const char *kind)
{
    for (size_t i = 0; i < m->n_warnings; i++)
        if (strcmp(m->warnings[i].kind, kind) == 0)
            return 1;
    return 0;
}

static void test_keep_speedup(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 8, 1000, 1);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 8, 700, 2);
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    assert_int_equal(v->verdict, ANALYSIS_KEEP);
    assert_string_equal(v->rule, "speedup");
    assert_int_equal(v->metric, ANALYSIS_M_ns_per_op);
    assert_true(v->ci_hi < v->threshold);
    assert_true(fabs(v->threshold - 1.0 / 1.15) < 1e-12);
    assert_true(v->ratio > 0.6 && v->ratio < 0.8);
    assert_int_equal(fx->m.overall, ANALYSIS_KEEP_ALL);
    assert_int_equal(fx->m.pool_code_lines, 1234);
    /* counts and peak memory are constant: exact comparisons with ratio 1 */
    const analysis_comparison_t *c = find_cmp(&fx->m, v, ANALYSIS_M_alloc_calls);
    assert_int_equal(c->method, ANALYSIS_METHOD_EXACT);
    assert_true(c->ratio == 1.0 && c->ci_lo == 1.0 && c->ci_hi == 1.0);
    assert_true(isnan(c->p_value));
    /* the arms ran the same repetitions: time is compared pair by pair */
    const analysis_comparison_t *t = find_cmp(&fx->m, v, ANALYSIS_M_ns_per_op);
    assert_int_equal(t->method, ANALYSIS_METHOD_PAIRED);
    assert_string_equal(t->method_name, "paired_t");
    assert_int_equal(t->n_pairs, 8);
    assert_true(t->p_adjusted >= t->p_value && !isnan(t->t_statistic) && t->t_statistic < 0);
    /* max RSS is not time: unpaired */
    assert_int_equal(find_cmp(&fx->m, v, ANALYSIS_M_max_rss_bytes)->method, ANALYSIS_METHOD_MWU);
}

/* A host slow spell (reps 3..8 of 12 at 1.35x, in both arms as in one block) around a
 * pool 3 % slower than the plain code: paired by repetition, the spell cancels and the
 * verdict is REMOVE by equivalence; the same samples with the arms' repetitions apart
 * (unpaired) leave the time CI too wide to decide. The pooled arm has pooled_n cells
 * from repetition pooled_rep_base; returns its time comparison, *v its verdict. */
static const analysis_comparison_t *spell_time(fixture_t *fx, int pooled_rep_base,
                                               int pooled_n, const analysis_verdict_t **v)
{
    synth_arm_t a = synth_arm("s", "glibc", "plain", 12, 1000, 81);
    synth_arm_t b = synth_arm("s", "glibc", "hash", pooled_n, 1030, 82);
    a.time_rel_sd = b.time_rel_sd = 0.015;
    a.spell_from = b.spell_from = 3;
    a.spell_to = b.spell_to = 9;
    a.spell_factor = b.spell_factor = 1.35;
    b.rep_base = pooled_rep_base;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    *v = find_verdict(&fx->m, "s", "glibc", "hash");
    return find_cmp(&fx->m, *v, ANALYSIS_M_ns_per_op);
}

static void test_paired_spell_cancels(void **state)
{
    const analysis_verdict_t *v;
    const analysis_comparison_t *t = spell_time(*state, 0, 12, &v);
    assert_int_equal(t->method, ANALYSIS_METHOD_PAIRED);
    assert_int_equal(t->n_pairs, 12);
    assert_true(t->ratio > 1.01 && t->ratio < 1.05 && t->ci_lo > 0.97 && t->ci_hi < 1.08);
    assert_int_equal(v->verdict, ANALYSIS_REMOVE);
}

static void test_unpaired_spell_undecided(void **state)
{
    const analysis_verdict_t *v;
    /* reps 100..111 against 0..11: no pairs */
    const analysis_comparison_t *t = spell_time(*state, 100, 12, &v);
    assert_int_equal(t->method, ANALYSIS_METHOD_MWU);
    assert_int_equal(t->n_pairs, 0);
    if (!(t->ci_lo < 0.9 || t->ci_hi > 1.1))
        print_message("unpaired time CI [%.3f, %.3f]\n", t->ci_lo, t->ci_hi);
    assert_true(t->ci_lo < 0.9 || t->ci_hi > 1.1);
    assert_int_equal(v->verdict, ANALYSIS_INCONCLUSIVE);
}

/* A look cut short leaves the pooled arm a repetition short: 11 pairs of 12 are still
 * paired; 9 of 12 (below 80 %) are not. */
static void test_paired_share(void **state)
{
    const analysis_verdict_t *v;
    const analysis_comparison_t *t = spell_time(*state, 0, 11, &v);
    assert_int_equal(t->method, ANALYSIS_METHOD_PAIRED);
    assert_true(t->n_pairs == 11 && t->n_a == 12 && t->n_b == 11);
}

static void test_paired_share_too_small(void **state)
{
    const analysis_verdict_t *v;
    const analysis_comparison_t *t = spell_time(*state, 0, 9, &v);
    assert_int_equal(t->method, ANALYSIS_METHOD_MWU);
    assert_int_equal(t->n_pairs, 0);
}

static void test_remove_worse(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 10, 1000, 3);
    synth_arm_t b = synth_arm("s", "glibc", "tar", 10, 1300, 4);
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "tar");
    assert_int_equal(v->verdict, ANALYSIS_REMOVE);
    assert_string_equal(v->rule, "worse");
    assert_int_equal(v->metric, ANALYSIS_M_ns_per_op);
    assert_true(v->ci_lo > 1.0);
    assert_true(v->p_adjusted < 0.05);
    assert_int_equal(fx->m.overall, ANALYSIS_REMOVE_ALL);
}

static void test_remove_equivalence(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 30, 1000, 5);
    synth_arm_t b = synth_arm("s", "glibc", "string", 30, 990, 6);
    a.time_rel_sd = b.time_rel_sd = 0.01;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "string");
    assert_int_equal(v->verdict, ANALYSIS_REMOVE);
    assert_string_equal(v->rule, "equivalence");
    assert_true(v->ci_lo >= 0.9 && v->ci_hi <= 1.1);
}

static void test_inconclusive_noisy(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 5, 1000, 7);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 5, 970, 8);
    a.time_rel_sd = b.time_rel_sd = 0.10;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    assert_int_equal(v->verdict, ANALYSIS_INCONCLUSIVE);
    assert_string_equal(v->rule, "undecided");
    assert_true(v->reps_needed > 5);
    /* nothing to keep and nothing shown removable: UNDECIDED, never "keep selectively" */
    assert_int_equal(fx->m.overall, ANALYSIS_UNDECIDED);
    assert_int_equal(fx->m.n_inconclusive_classes, 1);
    assert_int_equal(fx->m.n_keep_classes, 0);
    assert_true(fx->m.classes[0].settle[0] != '\0');
}

/* Significantly worse, but the CI crosses the +10 % line: neither "worse past the band"
 * nor equivalence settles it, yet every value the CI allows leads to REMOVE ("no
 * difference" below 1.10, "worse" above), so the verdict is REMOVE "no_benefit" (it used
 * to stay undecided, and flipped from run to run with the CI's upper bound). */
static void test_worse_straddling_is_no_benefit(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 10, 1000, 11);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 10, 1130, 12);
    a.time_rel_sd = b.time_rel_sd = 0.05;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    const analysis_comparison_t *t = find_cmp(&fx->m, v, ANALYSIS_M_ns_per_op);
    if (v->verdict != ANALYSIS_REMOVE || !(t->ci_lo < 1.1 && t->ci_hi > 1.1))
        print_message("verdict %d %s, time ratio %.3f CI [%.3f, %.3f] p_adj %.3g\n",
                      v->verdict, v->rule, t->ratio, t->ci_lo, t->ci_hi, t->p_adjusted);
    assert_true(t->p_adjusted < 0.05);
    assert_true(t->ci_lo > 0.9 && t->ci_lo < 1.1 && t->ci_hi > 1.1);
    assert_int_equal(v->verdict, ANALYSIS_REMOVE);
    assert_string_equal(v->rule, "no_benefit");
    assert_true(fabs(v->threshold - 0.9) < 1e-12);
    assert_int_equal(v->reps_needed, 0);
    assert_int_equal(fx->m.overall, ANALYSIS_REMOVE_ALL);
}

/* no_benefit needs EVERY cost clear of a gain past the band: a time CI reaching below
 * 0.90 keeps the verdict undecided even with peak memory exactly 5 % worse, and the
 * repetitions asked for are those that lift time's lower bound over 0.90 (fewer than
 * the two-sided equivalence would need for the same estimate above 1). */
static void test_no_benefit_needs_every_cost(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 6, 1000, 61);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 6, 1040, 66);
    a.time_rel_sd = b.time_rel_sd = 0.20;
    b.rep_base = 100;   /* unpaired: the rule's arithmetic on the Mann-Whitney path */
    b.peak_bytes = a.peak_bytes * 1.05;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    const analysis_comparison_t *t = find_cmp(&fx->m, v, ANALYSIS_M_ns_per_op);
    if (!(t->ci_lo < 0.9 && t->ratio > 1.0 && t->ratio <= 1.1))
        print_message("time ratio %.3f CI [%.3f, %.3f]\n", t->ratio, t->ci_lo, t->ci_hi);
    assert_true(t->ci_lo < 0.9 && t->ratio > 1.0 && t->ratio <= 1.1);
    assert_int_equal(v->verdict, ANALYSIS_INCONCLUSIVE);
    assert_string_equal(v->rule, "undecided");
    assert_true(v->reps_needed > 6);
    assert_int_equal(v->metric, ANALYSIS_M_ns_per_op);
    /* the one-sided estimate: room r - 0.90 instead of 0.10 - (r - 1) */
    stats_reps_t two_sided;
    const analysis_arm_t *A = &fx->m.arms[t->arm_a], *B = &fx->m.arms[t->arm_b];
    assert_int_equal(stats_reps_needed(A->samples[t->metric], t->n_a, B->samples[t->metric],
                                       t->n_b, 0.10, &two_sided), STATS_OK);
    if (!(v->reps_needed < two_sided.equivalence_reps))
        print_message("time ratio %.3f CI [%.3f, %.3f]: reps %zu, two-sided %zu\n", t->ratio,
                      t->ci_lo, t->ci_hi, v->reps_needed, two_sided.equivalence_reps);
    assert_true(v->reps_needed < two_sided.equivalence_reps);
}

/* A significant gain inside the band (0.90 < r < 1) whose CI reaches below the KEEP
 * limit as well as 0.90: what settles it is the lower bound clearing 0.90 (no_benefit),
 * so the estimate has room r - 0.90, not r - 0.87 (clearing the KEEP limit from above
 * decides nothing). */
static void test_gain_inside_band_aims_at_floor(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 8, 1000, 71);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 8, 930, 75);
    a.time_rel_sd = b.time_rel_sd = 0.04;
    b.rep_base = 100;   /* unpaired: the estimate is stats_reps_needed's */
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    const analysis_comparison_t *t = find_cmp(&fx->m, v, ANALYSIS_M_ns_per_op);
    double limit = 1.0 / 1.15;
    if (!(t->p_adjusted < 0.05 && t->ratio > 0.9 && t->ratio < 1.0 && t->ci_lo < limit &&
          t->ci_hi > limit))
        print_message("time ratio %.3f CI [%.3f, %.3f] p_adj %.3g\n", t->ratio, t->ci_lo,
                      t->ci_hi, t->p_adjusted);
    assert_true(t->p_adjusted < 0.05 && t->ratio > 0.9 && t->ratio < 1.0);
    assert_true(t->ci_lo < limit && t->ci_hi > limit);
    assert_int_equal(v->verdict, ANALYSIS_INCONCLUSIVE);
    const analysis_arm_t *A = &fx->m.arms[t->arm_a], *B = &fx->m.arms[t->arm_b];
    stats_reps_t to_floor, to_limit;
    assert_int_equal(stats_reps_needed(A->samples[t->metric], t->n_a, B->samples[t->metric],
                                       t->n_b, 0.10, &to_floor), STATS_OK);
    assert_int_equal(stats_reps_needed(A->samples[t->metric], t->n_a, B->samples[t->metric],
                                       t->n_b, fabs(t->ratio - 1) + fabs(t->ratio - limit),
                                       &to_limit), STATS_OK);
    size_t want = to_floor.equivalence_reps > 8 ? to_floor.equivalence_reps : 16;
    if (v->reps_needed != want)
        print_message("reps %zu, to the floor %zu, to the KEEP limit %zu\n", v->reps_needed,
                      to_floor.equivalence_reps, to_limit.equivalence_reps);
    assert_true(to_limit.equivalence_reps < to_floor.equivalence_reps);
    assert_int_equal(v->reps_needed, want);
}

static void test_too_few_samples(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 3, 1000, 9);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 3, 500, 10);
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    assert_int_equal(v->verdict, ANALYSIS_INCONCLUSIVE);
    assert_string_equal(v->rule, "too_few_samples");
    assert_int_equal(v->n_a, 3);
    assert_true(has_warning(&fx->m, "too_few_samples"));
}

static void test_failed_cell_disqualifies(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 6, 1000, 11);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 6, 700, 12);
    synth_arm_t c = synth_arm("s", "glibc", "tar", 6, 1000, 13);
    synth_arm_t d = synth_arm("s", "jemalloc", "none", 6, 1000, 14);
    synth_arm_t e = synth_arm("s", "jemalloc", "hash", 6, 700, 15);
    c.fail_rep = 2;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    synth_write(fx->f, &c);
    synth_write(fx->f, &d);
    synth_write(fx->f, &e);
    build(fx);
    assert_int_equal(fx->m.n_failed, 1);
    for (const char *cls = "hash"; cls; cls = strcmp(cls, "hash") == 0 ? "tar" : NULL) {
        const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", cls);
        assert_int_equal(v->verdict, ANALYSIS_DISQUALIFIED);
        assert_string_equal(v->rule, "failed_cells");
        assert_int_equal(v->n_failed, 1);
        assert_string_equal(fx->m.failed[v->failed[0]].status, "signal:11");
        assert_int_equal(fx->m.failed[v->failed[0]].rep, 2);
    }
    assert_int_equal(find_verdict(&fx->m, "s", "jemalloc", "hash")->verdict, ANALYSIS_KEEP);
    assert_true(has_warning(&fx->m, "disqualified"));
    /* glibc is the reference backend and has only disqualified verdicts */
    const analysis_class_verdict_t *cv = find_class(&fx->m, "tar");
    assert_int_equal(cv->verdict, ANALYSIS_INCONCLUSIVE);
    assert_string_equal(cv->rule, "no_evidence");
}

/* Fewer allocation calls cost nothing by themselves in a C process: an exact 40 % drop
 * with time and memory unchanged is evidence, not a KEEP (it is REMOVE by equivalence). */
static void test_exact_pressure_is_evidence(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 5, 1000, 16);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 5, 1000, 17);
    a.time_rel_sd = b.time_rel_sd = 0.03;
    b.alloc_calls = 60;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    assert_int_not_equal(v->verdict, ANALYSIS_KEEP);
    assert_int_equal(v->verdict, ANALYSIS_REMOVE);
    assert_string_equal(v->rule, "equivalence");
    const analysis_comparison_t *c = find_cmp(&fx->m, v, ANALYSIS_M_alloc_calls);
    assert_int_equal(c->role, ANALYSIS_ROLE_EVIDENCE);
    assert_int_equal(c->family, ANALYSIS_FAMILY_EVIDENCE);
    assert_int_equal(c->method, ANALYSIS_METHOD_EXACT);
    assert_string_equal(c->method_name, "exact");
    assert_true(fabs(c->ratio - 0.6) < 1e-12);
    assert_true(c->ci_lo == c->ratio && c->ci_hi == c->ratio);
    assert_true(c->deterministic_expected);
    assert_false(c->count_varies);
    assert_int_equal(find_cmp(&fx->m, v, ANALYSIS_M_ns_per_op)->role, ANALYSIS_ROLE_COST);
}

/* Branch B ("plain") is the baseline when the journal has it; "allocate instead" ("none")
 * becomes the explanation, compared but never voting. */
static void test_plain_is_the_baseline(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t none = synth_arm("s", "glibc", "none", 10, 1000, 61);
    synth_arm_t plain = synth_arm("s", "glibc", "plain", 10, 700, 62);
    synth_arm_t hash = synth_arm("s", "glibc", "hash", 10, 800, 63);
    synth_write(fx->f, &none);
    synth_write(fx->f, &plain);
    synth_write(fx->f, &hash);
    build(fx);
    assert_int_equal(fx->m.n_verdicts, 1);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    assert_string_equal(v->baseline_policy, "plain");
    /* against plain the pool is 14 % slower: not a KEEP, although it beats allocating */
    assert_int_not_equal(v->verdict, ANALYSIS_KEEP);
    const analysis_comparison_t *t = find_cmp(&fx->m, v, ANALYSIS_M_ns_per_op);
    assert_true(fabs(t->ratio - 800.0 / 700.0) < 0.03);
    assert_string_equal(fx->m.arms[t->arm_a].policy, "plain");
    assert_true(v->n_explain > 0);
    for (size_t k = 0; k < v->n_explain; k++) {
        const analysis_comparison_t *e = &fx->m.comparisons[v->explain[k]];
        assert_int_equal(e->role, ANALYSIS_ROLE_EXPLAIN);
        assert_int_equal(e->family, ANALYSIS_FAMILY_EXPLAIN);
        assert_string_equal(fx->m.arms[e->arm_a].policy, "none");
        if (e->metric == ANALYSIS_M_ns_per_op)
            assert_true(e->ratio < 0.85);   /* the pool beats allocating */
    }
}

/* KEEP needs non-inferiority: a clear speed-up does not stand while another cost's CI
 * reaches past the +10 % band, even when that cost is not significantly worse. */
static void test_keep_needs_noninferiority(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "plain", 10, 1000, 71);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 10, 600, 72);
    a.rss_rel_sd = b.rss_rel_sd = 0.06;
    b.rss_bytes = a.rss_bytes * 1.07;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    const analysis_comparison_t *rss = find_cmp(&fx->m, v, ANALYSIS_M_max_rss_bytes);
    assert_true(rss->ci_lo < 1.10 && rss->ci_hi > 1.10);   /* the premise */
    const analysis_comparison_t *t = find_cmp(&fx->m, v, ANALYSIS_M_ns_per_op);
    assert_true(t->ci_hi < 0.85);                          /* a clear speed-up */
    assert_int_not_equal(v->verdict, ANALYSIS_KEEP);
    assert_int_equal(v->verdict, ANALYSIS_INCONCLUSIVE);
}

/* A what-if variant never moves the headline; the report learns which variant would
 * flip which class. */
static void test_sensitivity_never_moves_headline(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t arms[] = {
        synth_arm("s", "glibc", "plain", 10, 1000, 81),
        synth_arm("s", "glibc", "hash", 10, 1000, 82),   /* headline: no difference */
        synth_arm("s", "glibc", "plain", 10, 1000, 83),
        synth_arm("s", "glibc", "hash", 10, 500, 84),    /* zero_on_put=off: faster */
    };
    arms[0].variant = arms[1].variant = "zero_on_put=on";
    arms[2].variant = arms[3].variant = "zero_on_put=off";
    for (size_t i = 0; i < 4; i++)
        synth_write(fx->f, &arms[i]);
    build(fx);
    const analysis_class_verdict_t *h = find_class(&fx->m, "hash");
    assert_int_equal(h->verdict, ANALYSIS_REMOVE);
    assert_int_equal(fx->m.overall, ANALYSIS_REMOVE_ALL);
    assert_int_equal(h->n_keep + h->n_remove + h->n_inconclusive, 1);  /* one voter */
    assert_int_equal(fx->m.n_flips, 1);
    assert_string_equal(fx->m.flips[0].cls, "hash");
    assert_string_equal(fx->m.flips[0].setting, "zero_on_put=off");
    assert_int_equal(fx->m.flips[0].headline, ANALYSIS_REMOVE);
    assert_int_equal(fx->m.flips[0].what_if, ANALYSIS_KEEP);
    /* the what-if's p-values live in their own family */
    assert_int_equal(fx->m.family_size[ANALYSIS_FAMILY_HEADLINE],
                     fx->m.family_size[ANALYSIS_FAMILY_SENSITIVITY]);
}

/* The Go runtime's verdicts are its own class verdicts, beside the C model's. */
static void test_go_runtime_classes_apart(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t arms[] = {
        synth_arm("s", "glibc", "plain", 10, 1000, 91),
        synth_arm("s", "glibc", "tar", 10, 1000, 92),
        synth_arm("s", "go", "plain", 10, 1000, 93),
        synth_arm("s", "go", "tar", 10, 600, 94),
    };
    for (size_t i = 0; i < 4; i++)
        synth_write(fx->f, &arms[i]);
    build(fx);
    assert_int_equal(fx->m.n_classes, 1);
    assert_int_equal(find_class(&fx->m, "tar")->verdict, ANALYSIS_REMOVE);
    assert_string_equal(find_class(&fx->m, "tar")->basis, "glibc");
    assert_int_equal(fx->m.n_runtime_classes, 1);
    assert_string_equal(fx->m.runtime_classes[0].cls, "tar");
    assert_string_equal(fx->m.runtime_classes[0].basis, "go");
    assert_int_equal(fx->m.runtime_classes[0].verdict, ANALYSIS_KEEP);
}

static void test_count_varies_flagged(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 6, 1000, 18);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 6, 1000, 19);
    b.alloc_jitter = 5;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    /* the same in a multi-threaded scenario: varying counts are expected there */
    synth_arm_t c = synth_arm("mt", "glibc", "none", 6, 1000, 20);
    synth_arm_t d = synth_arm("mt", "glibc", "hash", 6, 1000, 21);
    c.threads = d.threads = 4;
    d.alloc_jitter = 5;
    synth_write(fx->f, &c);
    synth_write(fx->f, &d);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    const analysis_comparison_t *cmp = find_cmp(&fx->m, v, ANALYSIS_M_alloc_calls);
    assert_int_equal(cmp->method, ANALYSIS_METHOD_MWU);
    assert_true(cmp->count_varies);
    assert_true(has_warning(&fx->m, "count_varies"));
    const analysis_verdict_t *w = find_verdict(&fx->m, "mt", "glibc", "hash");
    const analysis_comparison_t *cmt = find_cmp(&fx->m, w, ANALYSIS_M_alloc_calls);
    assert_false(cmt->deterministic_expected);
    assert_false(cmt->count_varies);
    size_t n = 0;
    for (size_t i = 0; i < fx->m.n_warnings; i++)
        if (strcmp(fx->m.warnings[i].kind, "count_varies") == 0) {
            assert_string_equal(fx->m.warnings[i].scenario, "s");
            n++;
        }
    assert_int_equal(n, 1);
}

/* A/A: both arms drawn from the same distribution, many seeds, small and larger n. */
static void test_aa_never_keep(void **state)
{
    fixture_t *fx = *state;
    char name[32];
    for (int s = 0; s < 60; s++) {
        snprintf(name, sizeof name, "aa%d", s);
        int n = s % 2 ? 5 : 12;
        synth_arm_t a = synth_arm(name, "glibc", "none", n, 1000, 1000 + 2 * (uint64_t)s);
        synth_arm_t b = synth_arm(name, "glibc", "hash", n, 1000, 1001 + 2 * (uint64_t)s);
        a.time_rel_sd = b.time_rel_sd = 0.05;
        a.rss_rel_sd = b.rss_rel_sd = 0.05;
        synth_write(fx->f, &a);
        synth_write(fx->f, &b);
    }
    build(fx);
    assert_int_equal(fx->m.n_verdicts, 60);
    for (size_t i = 0; i < fx->m.n_verdicts; i++)
        assert_int_not_equal(fx->m.verdicts[i].verdict, ANALYSIS_KEEP);
    assert_int_not_equal(fx->m.overall, ANALYSIS_KEEP_ALL);
    assert_int_equal(fx->m.n_keep_classes, 0);
}

static void test_overall_selective(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t arms[] = {
        synth_arm("x", "glibc", "none", 10, 1000, 31),
        synth_arm("x", "glibc", "hash", 10, 600, 32),     /* KEEP speedup         */
        synth_arm("x", "glibc", "tar", 10, 1400, 33),     /* REMOVE worse         */
        synth_arm("x", "glibc", "string", 10, 1000, 34),  /* REMOVE equivalence   */
        synth_arm("y", "glibc", "none", 10, 1000, 35),
        synth_arm("y", "glibc", "hash", 10, 1000, 36),    /* equivalence there    */
        synth_arm("y", "glibc", "tar", 10, 1000, 37),
        /* another backend disagrees about tar: the reference backend decides */
        synth_arm("x", "jemalloc", "none", 10, 1000, 38),
        synth_arm("x", "jemalloc", "tar", 10, 500, 39),
    };
    arms[3].time_rel_sd = arms[0].time_rel_sd = 0.01;
    for (size_t i = 0; i < sizeof arms / sizeof arms[0]; i++)
        synth_write(fx->f, &arms[i]);
    build(fx);
    assert_int_equal(find_verdict(&fx->m, "x", "glibc", "hash")->verdict, ANALYSIS_KEEP);
    assert_string_equal(find_verdict(&fx->m, "x", "glibc", "tar")->rule, "worse");
    assert_string_equal(find_verdict(&fx->m, "x", "glibc", "string")->rule, "equivalence");
    assert_int_equal(find_verdict(&fx->m, "x", "jemalloc", "tar")->verdict, ANALYSIS_KEEP);
    const analysis_class_verdict_t *h = find_class(&fx->m, "hash");
    assert_int_equal(h->verdict, ANALYSIS_KEEP);
    assert_string_equal(h->basis, "glibc");
    const analysis_class_verdict_t *t = find_class(&fx->m, "tar");
    assert_int_equal(t->verdict, ANALYSIS_REMOVE);
    assert_int_equal(t->n_worse, 1);
    assert_int_equal(find_class(&fx->m, "string")->verdict, ANALYSIS_REMOVE);
    assert_int_equal(fx->m.overall, ANALYSIS_KEEP_SOME);
    assert_int_equal(fx->m.n_keep_classes, 1);
    assert_string_equal(fx->m.keep_classes[0], "hash");
    assert_int_equal(fx->m.n_inconclusive_classes, 0);
}

static void test_keep_blocked_by_worse_metric(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 10, 1000, 41);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 10, 600, 42);
    b.peak_bytes = a.peak_bytes * 1.5;   /* exact: 50 % more peak memory */
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    assert_int_equal(v->verdict, ANALYSIS_REMOVE);
    assert_string_equal(v->rule, "worse");
    assert_int_equal(v->metric, ANALYSIS_M_peak_live_bytes);
}

/* A constant worsening inside the equivalence band (a pool that keeps a buffer: +0.5 %
 * peak) is no difference by the seed's rule: with the time still undecided the verdict
 * is INCONCLUSIVE, not REMOVE "worse". */
static void test_small_constant_worsening_is_not_worse(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 6, 1000, 51);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 6, 1000, 52);
    a.time_rel_sd = b.time_rel_sd = 0.25;          /* time undecided at n = 6      */
    b.peak_bytes = a.peak_bytes * 1.005;           /* exact, significant, tiny     */
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    assert_string_not_equal(v->rule, "worse");
    assert_int_equal(v->verdict, ANALYSIS_INCONCLUSIVE);
}

static void test_all_only_and_side_questions(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t arms[] = {
        synth_arm("b", "glibc", "none", 8, 1000, 51),
        synth_arm("b", "glibc", "all", 8, 800, 52),
        synth_arm("b", "glibc", "all", 8, 850, 53),
        synth_arm("b", "glibc", "none", 8, 1000, 54),
        synth_arm("b", "mimalloc", "none", 8, 790, 55),
        synth_arm("b", "mimalloc", "none", 8, 790, 56),
    };
    arms[0].variant = "zero_on_put=on";
    arms[1].variant = "zero_on_put=on";
    arms[2].variant = "zero_on_put=off";
    arms[3].variant = "zero_on_put=off";
    arms[4].variant = "zero_on_put=on";
    arms[5].variant = "zero_on_put=off";
    for (size_t i = 0; i < sizeof arms / sizeof arms[0]; i++)
        synth_write(fx->f, &arms[i]);
    build(fx);
    assert_int_equal(fx->m.n_verdicts, 2);
    assert_string_equal(fx->m.verdicts[0].cls, "all");
    /* zero_on_put=off is a what-if: only the zero_on_put=on verdict is the headline */
    size_t n_headline = 0;
    for (size_t i = 0; i < fx->m.n_verdicts; i++)
        if (fx->m.verdicts[i].headline) {
            n_headline++;
            assert_string_equal(fx->m.verdicts[i].variant, "zero_on_put=on");
        } else {
            assert_string_equal(fx->m.verdicts[i].setting, "zero_on_put=off");
        }
    assert_int_equal(n_headline, 1);
    assert_int_equal(fx->m.n_classes, 1);
    assert_string_equal(fx->m.classes[0].cls, "all");
    /* mimalloc none vs glibc all, per variant */
    assert_int_equal(fx->m.n_avp, 2);
    for (size_t i = 0; i < fx->m.n_avp; i++) {
        assert_string_equal(fx->m.avp[i].backend, "mimalloc");
        assert_true(fx->m.avp[i].ratio > 0.85 && fx->m.avp[i].ratio < 1.05);
        assert_non_null(fx->m.avp[i].answer);
    }
    /* zeroing: on/off of the pooled arm only */
    assert_int_equal(fx->m.n_zeroing, 1);
    assert_string_equal(fx->m.zeroing[0].policy, "all");
    assert_string_equal(fx->m.zeroing[0].variant, "");
    assert_true(fx->m.zeroing[0].ratio > 0.85 && fx->m.zeroing[0].ratio < 1.0);
    /* one Holm family per question: the side questions apart from the verdicts' costs
       (time + rss per verdict; peak is exact), the headline apart from the what-if */
    assert_int_equal(fx->m.family_size[ANALYSIS_FAMILY_QUESTIONS], fx->m.n_avp + fx->m.n_zeroing);
    assert_int_equal(fx->m.family_size[ANALYSIS_FAMILY_HEADLINE], 2);
    assert_int_equal(fx->m.family_size[ANALYSIS_FAMILY_SENSITIVITY], 2);
    assert_int_equal(fx->m.holm_family_size, 2);
}

/* pool_cycles is 0 without a pool: the ratio is undefined and must not block KEEP */
static void test_zero_baseline_ignored(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 6, 1000, 81);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 6, 700, 82);
    b.pool_cycles = 3;
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    const analysis_verdict_t *v = find_verdict(&fx->m, "s", "glibc", "hash");
    const analysis_comparison_t *c = find_cmp(&fx->m, v, ANALYSIS_M_pool_cycles);
    assert_int_equal(c->method, ANALYSIS_METHOD_EXACT);
    assert_true(isinf(c->ratio));
    assert_non_null(c->note);
    assert_int_equal(v->verdict, ANALYSIS_KEEP);
    assert_string_equal(v->rule, "speedup");
    assert_true(has_warning(&fx->m, "degenerate"));
}

/* ---- allocation fault injection: fail the Nth malloc/calloc/realloc (linker --wrap) -- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
static long fi_countdown = -1;   /* < 0: off; 0: this call fails */
static int fi_fired;

static int fi_fail(void)
{
    if (fi_countdown < 0)
        return 0;
    if (fi_countdown-- == 0) {
        fi_fired = 1;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) { return fi_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return fi_fail() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return fi_fail() ? NULL : __real_realloc(p, n); }

static void test_out_of_memory_everywhere(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t arms[] = {
        synth_arm("z", "glibc", "none", 5, 1000, 91),
        synth_arm("z", "glibc", "all", 5, 800, 92),
        synth_arm("z", "glibc", "none", 5, 1000, 93),
        synth_arm("z", "glibc", "all", 5, 900, 94),
        synth_arm("z", "jemalloc", "none", 5, 850, 95),
        synth_arm("z", "jemalloc", "hash", 3, 850, 96),
    };
    arms[0].variant = arms[1].variant = arms[4].variant = "zero_on_put=off";
    arms[2].variant = arms[3].variant = arms[5].variant = "zero_on_put=on";
    arms[5].fail_rep = 1;
    for (size_t i = 0; i < sizeof arms / sizeof arms[0]; i++)
        synth_write(fx->f, &arms[i]);
    fclose(fx->f);
    fx->f = NULL;
    char err[JOURNAL_ERR_BYTES];
    assert_int_equal(journal_load(fx->path, &fx->j, err), 0);
    int completed = 0;
    for (long n = 0; n < 100000 && !completed; n++) {
        analysis_model_t m;
        char aerr[ANALYSIS_ERR_BYTES];
        fi_fired = 0;
        fi_countdown = n;
        int rc = analysis_build(&fx->j, NULL, &m, aerr);
        fi_countdown = -1;
        if (fi_fired) {
            assert_int_equal(rc, -1);
            if (strcmp(aerr, "out of memory") != 0)
                fail_msg("allocation %ld: rc %d, err \"%s\"", n, rc, aerr);
        } else {
            assert_int_equal(rc, 0);
            assert_true(m.n_verdicts > 0 && m.n_avp > 0 && m.n_zeroing > 0);
            analysis_free(&m);
            completed = 1;
        }
    }
    assert_true(completed);
    journal_free(&fx->j);
}

static void test_summary_json(void **state)
{
    fixture_t *fx = *state;
    synth_arm_t a = synth_arm("s", "glibc", "none", 6, 1000, 61);
    synth_arm_t b = synth_arm("s", "glibc", "hash", 6, 700, 62);
    synth_write(fx->f, &a);
    synth_write(fx->f, &b);
    build(fx);
    char err[256];
    assert_int_equal(summary_json_write(&fx->m, fx->dir, err, sizeof err), 0);
    char p[400];
    snprintf(p, sizeof p, "%s/summary.json", fx->dir);
    json_object *s = json_object_from_file(p);
    assert_non_null(s);
    json_object *v;
    assert_true(json_object_object_get_ex(s, "schema_version", &v));
    assert_int_equal(json_object_get_int(v), SUMMARY_JSON_SCHEMA_VERSION);
    assert_true(json_object_object_get_ex(s, "overall", &v));
    json_object *ov;
    assert_true(json_object_object_get_ex(v, "verdict", &ov));
    assert_string_equal(json_object_get_string(ov), "KEEP_ALL");
    assert_true(json_object_object_get_ex(s, "comparisons", &v));
    assert_int_equal(json_object_array_length(v), (size_t)fx->m.n_comparisons);
    json_object *c0 = json_object_array_get_idx(v, 0), *side, *samples;
    assert_true(json_object_object_get_ex(c0, "a", &side));
    assert_true(json_object_object_get_ex(side, "samples", &samples));
    assert_int_equal(json_object_array_length(samples), 6);
    assert_true(json_object_object_get_ex(s, "pool_code_lines", &v));
    assert_int_equal(json_object_get_int(v), 1234);
    json_object_put(s);
}

/* ---- writer mode for the verify_summary.py test ---- */

static int write_summary(const char *dir, int tamper)
{
    char path[512];
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    FILE *f = synth_open(path, 321);
    if (!f)
        return 2;
    synth_arm_t arms[] = {
        synth_arm("v", "glibc", "none", 7, 1000, 71),     /* exact MWU (n <= 8, no ties) */
        synth_arm("v", "glibc", "hash", 7, 750, 72),
        synth_arm("v", "glibc", "tar", 12, 1100, 73),     /* asymptotic MWU (n > 8) */
        synth_arm("v", "mimalloc", "none", 7, 900, 74),
        synth_arm("v", "mimalloc", "hash", 7, 900, 75),
        synth_arm("t", "glibc", "none", 10, 1000, 76),    /* ties in counts -> asymptotic */
        synth_arm("t", "glibc", "all", 10, 990, 77),
        /* allocator_vs_pool and zeroing_cost */
        synth_arm("z", "glibc", "none", 6, 1000, 78),
        synth_arm("z", "glibc", "all", 6, 800, 79),
        synth_arm("z", "glibc", "none", 6, 1000, 80),
        synth_arm("z", "glibc", "all", 6, 900, 81),
        synth_arm("z", "jemalloc", "none", 6, 850, 82),
        synth_arm("z", "jemalloc", "none", 6, 850, 83),
    };
    arms[7].variant = arms[8].variant = arms[11].variant = "size=1M zero_on_put=off";
    arms[9].variant = arms[10].variant = arms[12].variant = "size=1M zero_on_put=on";
    arms[8].pool_cycles = 2;      /* zero baseline: exact, ratio undefined */
    arms[10].pool_cycles = 2;
    arms[2].alloc_calls = 40;
    arms[3].rss_rel_sd = 0;       /* constant rss in one arm only */
    arms[5].alloc_jitter = 3;
    arms[6].alloc_jitter = 3;
    arms[5].time_rel_sd = arms[6].time_rel_sd = 0.001; /* forces tied ns_per_op values */
    for (size_t i = 0; i < sizeof arms / sizeof arms[0]; i++)
        synth_write(f, &arms[i]);
    fclose(f);
    journal_t j;
    char err[JOURNAL_ERR_BYTES];
    if (journal_load(path, &j, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    analysis_model_t m;
    char aerr[ANALYSIS_ERR_BYTES];
    if (analysis_build(&j, NULL, &m, aerr) != 0) {
        fprintf(stderr, "%s\n", aerr);
        journal_free(&j);
        return 2;
    }
    if (tamper) {
        for (size_t i = 0; i < m.n_comparisons; i++)
            if (!isnan(m.comparisons[i].p_value)) {
                m.comparisons[i].p_value *= 1.1;
                break;
            }
    }
    int rc = summary_json_write(&m, dir, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    analysis_free(&m);
    journal_free(&j);
    return rc ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--write-summary") == 0)
        return write_summary(argv[2], argc >= 4 && strcmp(argv[3], "--tamper") == 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keep_speedup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paired_spell_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpaired_spell_undecided, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paired_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paired_share_too_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_worse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_equivalence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inconclusive_noisy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worse_straddling_is_no_benefit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_benefit_needs_every_cost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gain_inside_band_aims_at_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_few_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_cell_disqualifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_pressure_is_evidence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_is_the_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_needs_noninferiority, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sensitivity_never_moves_headline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_go_runtime_classes_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_varies_flagged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aa_never_keep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overall_selective, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_blocked_by_worse_metric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_constant_worsening_is_not_worse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_only_and_side_questions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_baseline_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_everywhere, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
