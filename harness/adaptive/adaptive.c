/* adaptive.c: adaptive repetitions (adaptive.h). One look: analyse the journal with the
 * alpha split over the planned looks, pick the undecided headline comparisons whose
 * estimate says more repetitions could settle them (cheapest first, the reference backend
 * before the Go runtime and both before the others; a cell's cost is what the journal
 * measured, cell_cost.h; a comparison that does not fit whole gets what fits, at least
 * ADAPTIVE_MIN_ADD_PER_ARM more per arm) within this look's share of the budget left
 * (an even split over the looks to come), plan the extra
 * repetitions of both arms like any cells (shuffled within repetition blocks, warm-ups
 * first), run them through the engine, append the look line.
 */
#define _GNU_SOURCE
#include "adaptive.h"
#include "analysis.h"
#include "cell_cost.h"
#include "engine.h"
#include "hyperfine.h"
#include "interrupt.h"
#include "journal.h"
#include "matrix.h"
#include "progress.h"
#include "scenario.h"
#include "thresholds.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

/* At most this many more cells per arm and look (a look doubles an arm at most). */
#define ADAPTIVE_MAX_ADD_PER_ARM 20
/* A comparison that does not fit the budget whole gets what fits, if at least this many
 * more cells per arm (fewer would hardly move its interval). */
#define ADAPTIVE_MIN_ADD_PER_ARM 4

/* One arm to extend: its cells are wanted up to rep target - 1. */
typedef struct ad_arm {
    char arm_key[MATRIX_KEY_HEX];
    const char *scenario;
    int target;
} ad_arm_t;

/* One undecided comparison picked for more repetitions. */
typedef struct ad_pick {
    const analysis_verdict_t *v;
    size_t arm_base, arm_pooled;
    int target;
    double cost_s;
    double cell_cost_s[2];       /* one more cell of the base, the pooled arm */
} ad_pick_t;

typedef struct ad_session {
    const adaptive_options_t *opt;
    thresholds_t th;
    scenario_t *scs;
    size_t n_scs;
    char bin_dir[PATH_MAX], hyperfine_exe[PATH_MAX];
    char journal_path[PATH_MAX + 32];
    int lock_fd, fd;
    struct timespec start;
    uint64_t seed;
    size_t added, failed;
    ad_arm_t *arms;            /* the arms of the current look                          */
    size_t n_arms;
    const journal_t *journal;  /* the current look's journal                            */
    const matrix_t *mx;        /* the current look's expansion                          */
} ad_session_t;

static double ad_elapsed_s(const ad_session_t *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - s->start.tv_sec) + (double)(now.tv_nsec - s->start.tv_nsec) / 1e9;
}

/* Seconds one more cell of arm a likely takes: what its cells took in this run (the
 * median gap between journalled finishes, cell_cost.h); for an arm with no such gap, its
 * timed window, about as long again for set-up and warm-up iterations, and the process
 * start. */
static double ad_cell_cost_s(const cell_cost_t *cost, const analysis_arm_t *a)
{
    double measured = cell_cost_median_s(cost, a->all_cells, a->n_total);
    if (measured > 0)
        return measured;
    double wall = a->stat[ANALYSIS_M_wall_ns].median;
    return (isfinite(wall) ? 2.0 * wall / 1e9 : 0.5) + 0.15;
}

/* Seconds the cells that take comparison p's arms from (n_a, n_b) to target cost. */
static double ad_pick_cost_s(const ad_pick_t *p, size_t target, double cost_a, double cost_b)
{
    double add_a = target > p->v->n_a ? (double)(target - p->v->n_a) : 0;
    double add_b = target > p->v->n_b ? (double)(target - p->v->n_b) : 0;
    return add_a * cost_a + add_b * cost_b;
}

/* 2: the reference backend (the headline's class verdicts rest on it), 1: the Go
 * runtime (its own column), 0: the other backends. */
static int ad_priority(const analysis_model_t *m, const analysis_verdict_t *v)
{
    if (strcmp(v->backend, m->th.reference_backend) == 0)
        return 2;
    return strcmp(v->backend, "go") == 0;
}

static int ad_pick_cmp(const void *x, const void *y)
{
    const ad_pick_t *a = x, *b = y;
    return a->cost_s < b->cost_s ? -1 : a->cost_s > b->cost_s;
}

/* The undecided headline comparisons worth more repetitions, chosen within budget_s:
 * the reference backend first, then the Go runtime, then the others, cheapest first
 * within each; one that does not fit whole is cut to what fits (at least
 * ADAPTIVE_MIN_ADD_PER_ARM more per arm). Returns how many. */
static size_t ad_choose(const analysis_model_t *m, const cell_cost_t *cc, double budget_s,
                        ad_pick_t *picks, size_t cap)
{
    size_t n = 0;
    for (int pass = 2; pass >= 0; pass--) {
        size_t first = n;
        for (size_t i = 0; i < m->n_verdicts && n < cap; i++) {
            const analysis_verdict_t *v = &m->verdicts[i];
            if (!v->headline || v->verdict != ANALYSIS_INCONCLUSIVE || !v->rule ||
                strcmp(v->rule, "undecided") != 0 || v->reps_needed == 0 ||
                v->n_comparisons == 0 || ad_priority(m, v) != pass)
                continue;
            const analysis_comparison_t *c = &m->comparisons[v->comparisons[0]];
            size_t have = v->n_a > v->n_b ? v->n_a : v->n_b;
            size_t target = v->reps_needed;
            if (target > 2 * have)
                target = 2 * have;
            if (target > have + ADAPTIVE_MAX_ADD_PER_ARM)
                target = have + ADAPTIVE_MAX_ADD_PER_ARM;
            if (target <= have)
                continue;
            ad_pick_t p = {.v = v, .arm_base = c->arm_a, .arm_pooled = c->arm_b,
                           .target = (int)target};
            p.cell_cost_s[0] = ad_cell_cost_s(cc, &m->arms[c->arm_a]);
            p.cell_cost_s[1] = ad_cell_cost_s(cc, &m->arms[c->arm_b]);
            p.cost_s = ad_pick_cost_s(&p, target, p.cell_cost_s[0], p.cell_cost_s[1]);
            picks[n++] = p;
        }
        qsort(picks + first, n - first, sizeof *picks, ad_pick_cmp);
    }
    size_t kept = 0;
    double spent = 0;
    for (size_t i = 0; i < n; i++) {
        ad_pick_t p = picks[i];
        size_t have = p.v->n_a > p.v->n_b ? p.v->n_a : p.v->n_b;
        while (spent + p.cost_s > budget_s && (size_t)p.target > have + ADAPTIVE_MIN_ADD_PER_ARM) {
            p.target--;
            p.cost_s = ad_pick_cost_s(&p, (size_t)p.target, p.cell_cost_s[0], p.cell_cost_s[1]);
        }
        if (spent + p.cost_s <= budget_s) {
            spent += p.cost_s;
            picks[kept++] = p;
        }
    }
    return kept;
}

/* The arm keys and targets of the picks (an arm picked twice keeps the larger target). */
static int ad_arms_of(ad_session_t *s, const analysis_model_t *m, const ad_pick_t *picks,
                      size_t n)
{
    free(s->arms);
    s->arms = calloc(2 * n + 1, sizeof *s->arms);
    s->n_arms = 0;
    if (!s->arms)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t both[2] = {picks[i].arm_base, picks[i].arm_pooled};
        for (int k = 0; k < 2; k++) {
            const analysis_arm_t *a = &m->arms[both[k]];
            const char *key = a->n_total ? journal_str(a->all_cells[0], "arm_key") : NULL;
            if (!key)
                continue;
            size_t j = 0;
            while (j < s->n_arms && strcmp(s->arms[j].arm_key, key) != 0)
                j++;
            if (j == s->n_arms) {
                snprintf(s->arms[j].arm_key, sizeof s->arms[j].arm_key, "%s", key);
                s->arms[j].scenario = a->scenario;
                s->n_arms++;
            }
            if (picks[i].target > s->arms[j].target)
                s->arms[j].target = picks[i].target;
        }
    }
    return 0;
}

/* matrix_plan's "done": a cell already journalled, of an arm not picked, or past its
 * arm's target counts as done. */
static int ad_done(const char *key, void *user)
{
    const ad_session_t *s = user;
    if (journal_has(s->journal, key))
        return 1;
    for (size_t i = 0; i < s->mx->n_cells; i++) {
        const matrix_cell_t *c = &s->mx->cells[i];
        if (strcmp(c->key, key) != 0)
            continue;
        for (size_t k = 0; k < s->n_arms; k++)
            if (strcmp(s->arms[k].arm_key, c->arm_key) == 0)
                return c->rep >= s->arms[k].target;
        return 1;
    }
    return 1;
}

/* The scenarios of the picked arms with their repetitions raised to the targets, into
 * *sub_out (the cells of mx point at them: free after mx). */
static int ad_expand(ad_session_t *s, matrix_t *mx, scenario_t **sub_out)
{
    scenario_t *sub = calloc(s->n_scs, sizeof *sub);
    size_t n_sub = 0;
    if (!sub)
        return -1;
    for (size_t i = 0; i < s->n_scs; i++) {
        int target = 0;
        for (size_t k = 0; k < s->n_arms; k++)
            if (strcmp(s->arms[k].scenario, s->scs[i].name) == 0 && s->arms[k].target > target)
                target = s->arms[k].target;
        if (target == 0)
            continue;
        sub[n_sub] = s->scs[i];
        if ((uint64_t)target > sub[n_sub].repetitions)
            sub[n_sub].repetitions = (uint64_t)target;
        n_sub++;
    }
    *sub_out = sub;
    if (n_sub == 0)
        return -2;
    /* the same split as the main run: more timed cells on the bare runners; the arms'
     * counting cells are journalled already (matrix.h, issue 12) */
    int rc = matrix_expand(sub, n_sub, s->opt->run->backends, mx);
    return rc == 0 && matrix_add_counting(mx) != 0 ? -1 : rc;
}

static void ad_on_start(void *user, const char *label)
{
    progress_start(user, label);
}

static void ad_on_done(void *user, const char *label, const char *status, uint64_t wall_ns,
                       int warmup, const char *detail)
{
    (void)warmup;
    (void)detail;
    progress_done(user, label, status, wall_ns);
}

/* Runs the plan of the look until the budget is spent. Returns an exit code. */
static int ad_run_plan(ad_session_t *s, matrix_t *mx, const journal_t *j, size_t *added)
{
    engine_side_t side = {.bin_dir = s->bin_dir, .fd = s->fd, .journal_path = s->journal_path};
    progress_t progress;
    progress_init(&progress, stderr, mx->n_plan);
    engine_t e = {.mx = mx, .sides = &side, .n_sides = 1, .cache_dir = s->opt->run->cache_dir,
                  .out_dir = s->opt->run->out, .hyperfine_exe = s->hyperfine_exe,
                  .resumed = j, .check_results = 1, .interrupt = &interrupt_signal,
                  .on_start = ad_on_start, .on_done = ad_on_done, .user = &progress};
    int rc = MATRIX_RUN_OK;
    for (size_t i = 0; i < mx->n_plan && rc == MATRIX_RUN_OK; i++) {
        if (interrupt_signal) {
            rc = MATRIX_RUN_INTERRUPTED;
            break;
        }
        if (ad_elapsed_s(s) > s->opt->budget_s) {
            fprintf(stderr, "poolbench: adaptive: budget of %.0f s spent; %zu of %zu units "
                            "not run\n", s->opt->budget_s, mx->n_plan - i, mx->n_plan);
            break;
        }
        int ur = engine_run_unit(&e, &mx->plan[i], i);
        if (ur == ENGINE_INTERRUPTED)
            rc = MATRIX_RUN_INTERRUPTED;
        else if (ur != ENGINE_OK) {
            fprintf(stderr, "poolbench: %s\n", e.err);
            rc = MATRIX_RUN_HARNESS;
        }
    }
    progress_end(&progress);
    *added = e.written;
    s->failed += e.failed;
    engine_free(&e);
    return rc;
}

/* The look line: what was analysed, extended and added. */
static int ad_write_look(ad_session_t *s, unsigned look, const analysis_model_t *m,
                         const ad_pick_t *picks, size_t n_picks, size_t added)
{
    json_object *o = json_object_new_object();
    if (!o)
        return -1;
    json_object_object_add(o, "type", json_object_new_string("look"));
    json_object_object_add(o, "look", json_object_new_int((int)look));
    json_object_object_add(o, "looks_planned", json_object_new_int((int)s->opt->looks_planned));
    json_object_object_add(o, "alpha_per_look", json_object_new_double(m->th.alpha));
    json_object_object_add(o, "confidence_per_look", json_object_new_double(m->th.confidence_level));
    json_object_object_add(o, "budget_s", json_object_new_double(s->opt->budget_s));
    json_object_object_add(o, "elapsed_s", json_object_new_double(ad_elapsed_s(s)));
    json_object_object_add(o, "overall", json_object_new_string(analysis_overall_name(m->overall)));
    json_object *ext = json_object_new_array();
    for (size_t i = 0; ext && i < n_picks; i++) {
        const analysis_verdict_t *v = picks[i].v;
        json_object *x = json_object_new_object();
        json_object_object_add(x, "scenario", json_object_new_string(v->scenario));
        json_object_object_add(x, "backend", json_object_new_string(v->backend));
        json_object_object_add(x, "variant", json_object_new_string(v->variant));
        json_object_object_add(x, "class", json_object_new_string(v->cls));
        json_object_object_add(x, "reps_before", json_object_new_int((int)(v->n_a < v->n_b ? v->n_a : v->n_b)));
        json_object_object_add(x, "reps_target", json_object_new_int(picks[i].target));
        json_object_object_add(x, "reps_needed", json_object_new_int((int)v->reps_needed));
        json_object_array_add(ext, x);
    }
    json_object_object_add(o, "extended", ext);
    json_object_object_add(o, "cells_added", json_object_new_uint64(added));
    int rc = journal_append(s->fd, o);
    json_object_put(o);
    if (rc != 0)
        fprintf(stderr, "poolbench matrix: cannot append to %s: %s\n", s->journal_path,
                strerror(errno));
    return rc;
}

/* One look. *more is set when another look may help. Returns an exit code. */
static int ad_look(ad_session_t *s, unsigned look, int *more)
{
    *more = 0;
    journal_t j;
    char err[JOURNAL_ERR_BYTES], aerr[ANALYSIS_ERR_BYTES];
    if (journal_load(s->journal_path, &j, err) != 0) {
        fprintf(stderr, "poolbench matrix: %s\n", err);
        return MATRIX_RUN_HARNESS;
    }
    analysis_model_t m;
    if (analysis_build_planned(&j, &s->th, s->opt->looks_planned, &m, aerr) != 0) {
        fprintf(stderr, "poolbench matrix: adaptive look %u: %s\n", look, aerr);
        journal_free(&j);
        return MATRIX_RUN_HARNESS;
    }
    int rc = MATRIX_RUN_OK;
    /* each look may plan for its share of what is left (look 1 of 3: half), so that a
     * later look can give the rest to what is still undecided */
    double left = s->opt->budget_s - ad_elapsed_s(s);
    double share = left / (double)(s->opt->looks_planned - look);
    ad_pick_t *picks = calloc(m.n_verdicts + 1, sizeof *picks);
    cell_cost_t cc;
    if (cell_cost_build(j.cells, j.n_cells, &cc) != 0) {
        free(picks);
        picks = NULL;
    }
    size_t n_picks = picks && left > 0 ? ad_choose(&m, &cc, share, picks, m.n_verdicts) : 0;
    size_t added = 0;
    matrix_t mx;
    memset(&mx, 0, sizeof mx);
    scenario_t *sub = NULL;
    fprintf(stderr, "poolbench: adaptive look %u of %u (alpha %.4g per look): %zu undecided "
                    "headline comparison(s) get more repetitions, %.0f s of budget left "
                    "(%.0f s for this look)\n",
            look, s->opt->looks_planned, m.th.alpha, n_picks, left > 0 ? left : 0,
            left > 0 ? share : 0);
    if (!picks) {
        rc = MATRIX_RUN_HARNESS;
    } else if (n_picks > 0) {
        s->journal = &j;
        uint64_t st = s->seed ^ (0x9E3779B97F4A7C15ull * look);
        if (ad_arms_of(s, &m, picks, n_picks) != 0 || ad_expand(s, &mx, &sub) != 0 ||
            (s->mx = &mx, matrix_plan(&mx, matrix_splitmix64(&st) >> 16, 1, 1, ad_done, s)) != 0)
            rc = MATRIX_RUN_HARNESS;
        else
            rc = ad_run_plan(s, &mx, &j, &added);
        *more = rc == MATRIX_RUN_OK && added > 0;
    }
    s->added += added;
    if (ad_write_look(s, look, &m, picks, n_picks, added) != 0 && rc == MATRIX_RUN_OK)
        rc = MATRIX_RUN_HARNESS;
    matrix_free(&mx);
    free(sub);
    free(picks);
    cell_cost_free(&cc);
    analysis_free(&m);
    journal_free(&j);
    s->journal = NULL;
    s->mx = NULL;
    return rc;
}

/* Thresholds, scenarios, runners, the journal and its lock. */
static int ad_open(ad_session_t *s)
{
    const matrix_run_options_t *o = s->opt->run;
    char err[SCENARIO_ERR_BYTES], terr[THRESHOLDS_ERR_BYTES], name[SCENARIO_NAME_BYTES];
    thresholds_default(&s->th);
    if (s->opt->thresholds && thresholds_load(s->opt->thresholds, &s->th, terr) != 0) {
        fprintf(stderr, "poolbench matrix: %s\n", terr);
        return MATRIX_RUN_USAGE;
    }
    if (scenario_load_set(o->matrix_file, o->scenarios, o->scenario_dir, o->default_scenario_dir,
                          &s->scs, &s->n_scs, name, err) != 0) {
        fprintf(stderr, "poolbench matrix: %s\n", err);
        return MATRIX_RUN_USAGE;
    }
    if (o->bin_dir)
        snprintf(s->bin_dir, sizeof s->bin_dir, "%s", o->bin_dir);
    else
        util_exe_dir(s->bin_dir, sizeof s->bin_dir);
    char version[64];
    if (hyperfine_find(s->hyperfine_exe, sizeof s->hyperfine_exe, version, sizeof version) != 0)
        s->hyperfine_exe[0] = '\0';
    snprintf(s->journal_path, sizeof s->journal_path, "%s/%s", o->out, JOURNAL_FILE);
    char jerr[JOURNAL_ERR_BYTES];
    s->lock_fd = journal_lock(o->out, jerr);
    if (s->lock_fd < 0) {
        fprintf(stderr, "poolbench matrix: %s\n", jerr);
        return s->lock_fd == -1 ? MATRIX_RUN_USAGE : MATRIX_RUN_HARNESS;
    }
    s->fd = open(s->journal_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (s->fd < 0) {
        fprintf(stderr, "poolbench matrix: cannot open %s: %s\n", s->journal_path,
                strerror(errno));
        return MATRIX_RUN_HARNESS;
    }
    s->seed = o->have_seed ? o->seed : matrix_run_clock_seed();
    return MATRIX_RUN_OK;
}

int adaptive_run(const adaptive_options_t *opt)
{
    ad_session_t s;
    memset(&s, 0, sizeof s);
    s.opt = opt;
    s.lock_fd = s.fd = -1;
    clock_gettime(CLOCK_MONOTONIC, &s.start);
    if (opt->looks_planned < 2 || !opt->run->out)
        return MATRIX_RUN_USAGE;
    int rc = ad_open(&s);
    interrupt_install();
    int more = 1;
    for (unsigned look = 1; rc == MATRIX_RUN_OK && more && look < opt->looks_planned; look++)
        rc = ad_look(&s, look, &more);
    if (rc == MATRIX_RUN_OK && s.added > 0)
        rc = matrix_run_crosscheck(s.journal_path, s.fd);
    else if (rc == MATRIX_RUN_OK && s.failed)
        rc = MATRIX_RUN_FAILED_CELLS;
    if (rc == MATRIX_RUN_OK || rc == MATRIX_RUN_FAILED_CELLS)
        fprintf(stderr, "poolbench: adaptive repetitions: %zu cells added in %.0f s "
                        "(budget %.0f s)\n", s.added, ad_elapsed_s(&s), opt->budget_s);
    if (s.fd >= 0)
        close(s.fd);
    if (s.lock_fd >= 0)
        close(s.lock_fd);
    free(s.arms);
    free(s.scs);
    return rc;
}
