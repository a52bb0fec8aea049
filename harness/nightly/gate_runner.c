/* gate_runner.c: the interleaved runner of several sides (gate_runner.h) and the gate's
 * scenario set. Guarantees: journals only through journal.h; a side's journal is created
 * exclusively (never overwrites an earlier run); never prints or exits.
 */
#define _GNU_SOURCE
#include "gate_runner.h"
#include "cell.h"
#include "context.h"
#include "engine.h"
#include "journal.h"
#include "matrix.h"
#include "metrics.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

/* ======================================================= interleaved runner ===== */

/* Is the cell's arm one of the filter's "scenario\tbackend\tpolicy\tvariant" lines? */
static int arm_selected(const char *filter, const matrix_cell_t *c)
{
    if (!filter)
        return 1;
    char line[512];
    snprintf(line, sizeof line, "%s\t%s\t%s\t%s\n", c->sc->name, c->backend, c->policy, c->variant);
    /* match a whole line */
    size_t l = strlen(line);
    for (const char *p = filter; (p = strstr(p, line)); p += l)
        if (p == filter || p[-1] == '\n')
            return 1;
    return 0;
}

typedef struct selection {
    const matrix_t *mx;
    const char *filter;
} selection_t;

/* matrix_plan's "done" callback: a cell outside the arms to run counts as done. */
static int not_selected(const char *key, void *user)
{
    const selection_t *sel = user;
    for (size_t i = 0; i < sel->mx->n_cells; i++)
        if (strcmp(sel->mx->cells[i].key, key) == 0)
            return !arm_selected(sel->filter, &sel->mx->cells[i]);
    return 1;
}

/* Creates each side's journal with its context block. */
static int sides_open(const matrix_t *mx, const gate_side_t *sides, engine_side_t *es,
                      size_t n_sides, uint64_t seed, char err[GATE_ERR_BYTES])
{
    for (size_t s = 0; s < n_sides; s++) {
        es[s] = (engine_side_t){.label = sides[s].label, .bin_dir = sides[s].bin_dir,
                                .inject_slowdown_pct = sides[s].inject_slowdown_pct,
                                .inject_live_pct = sides[s].inject_live_pct,
                                .inject_extra_ops_pct = sides[s].inject_extra_ops_pct,
                                .journal_path = sides[s].journal_path};
        es[s].fd = open(sides[s].journal_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (es[s].fd < 0) {
            snprintf(err, GATE_ERR_BYTES, "cannot create %s: %s", sides[s].journal_path,
                     strerror(errno));
            return errno == EEXIST ? -1 : -2;
        }
        json_object *ctx = context_build();
        if (!ctx) {
            snprintf(err, GATE_ERR_BYTES, "out of memory");
            return -2;
        }
        json_object_object_add(ctx, "seed", json_object_new_uint64(seed));
        json_object_object_add(ctx, "matrix", json_object_new_string("gate"));
        json_object_object_add(ctx, "matrix_hash", json_object_new_string(mx->hash));
        json_object_object_add(ctx, "rev", json_object_new_string(sides[s].label));
        json_object_object_add(ctx, "commit",
                               sides[s].commit ? json_object_new_string(sides[s].commit) : NULL);
        json_object_object_add(ctx, "bin_dir", json_object_new_string(sides[s].bin_dir));
        json_object_object_add(ctx, "inject_slowdown_pct",
                               json_object_new_int((int)sides[s].inject_slowdown_pct));
        if (sides[s].inject_live_pct)
            json_object_object_add(ctx, "inject_live_pct",
                                   json_object_new_int((int)sides[s].inject_live_pct));
        if (sides[s].inject_extra_ops_pct)
            json_object_object_add(ctx, "inject_extra_ops_pct",
                                   json_object_new_int((int)sides[s].inject_extra_ops_pct));
        json_object_object_add(ctx, "interleaved_sides", json_object_new_int((int)n_sides));
        context_add_runners(ctx, sides[s].bin_dir, mx, 1);
        int arc = journal_append(es[s].fd, ctx);
        json_object_put(ctx);
        if (arc != 0) {
            snprintf(err, GATE_ERR_BYTES, "cannot write %s: %s", sides[s].journal_path,
                     strerror(errno));
            return -2;
        }
    }
    return 0;
}

typedef struct run_progress {
    const gate_run_options_t *opt;
    size_t done, total;
} run_progress_t;

static void on_done(void *user, const char *label, const char *status, uint64_t wall_ns,
                    int warmup, const char *detail)
{
    (void)wall_ns;
    (void)detail;
    run_progress_t *rp = user;
    if (!rp->opt->progress)
        return;
    char msg[700];
    if (warmup)
        snprintf(msg, sizeof msg, "%s: %s", label, status);
    else
        snprintf(msg, sizeof msg, "[%zu/%zu] %s: %s", ++rp->done, rp->total, label, status);
    rp->opt->progress(rp->opt->progress_user, msg);
}

/* Every runner of every side must exist before a journal is created. */
static int runners_check(const matrix_t *mx, const gate_side_t *sides, size_t n_sides,
                         char err[GATE_ERR_BYTES])
{
    for (size_t i = 0; i < mx->n_cells; i++)
        for (size_t s = 0; s < n_sides; s++) {
            char exe[PATH_MAX];
            engine_runner_path(sides[s].bin_dir, mx->cells[i].backend, exe, sizeof exe);
            if (access(exe, X_OK) != 0) {
                snprintf(err, GATE_ERR_BYTES, "runner %s not found (side %s, scenario %s)", exe,
                         sides[s].label, mx->cells[i].sc->name);
                return -1;
            }
        }
    return 0;
}

/* The plan, run through the engine. */
static int sides_run(matrix_t *mx, engine_side_t *es, size_t n_sides,
                     const gate_run_options_t *opt, char err[GATE_ERR_BYTES])
{
    size_t measured = 0;
    for (size_t i = 0; i < mx->n_plan; i++)
        measured += !mx->plan[i].warmup;
    run_progress_t rp = {.opt = opt, .total = measured};
    engine_t e = {.mx = mx, .sides = es, .n_sides = n_sides, .cache_dir = opt->cache_dir,
                  .interrupt = opt->interrupt, .on_done = on_done, .user = &rp};
    int rc = 0;
    for (size_t i = 0; i < mx->n_plan && rc == 0; i++) {
        int ur = engine_run_unit(&e, &mx->plan[i], e.written);
        if (ur == ENGINE_INTERRUPTED || (opt->interrupt && *opt->interrupt))
            rc = 130;
        else if (ur != ENGINE_OK) {
            snprintf(err, GATE_ERR_BYTES, "%s", e.err);
            rc = -2;
        }
    }
    engine_free(&e);
    return rc;
}

int gate_run_sides(const scenario_t *scs, size_t n_scs, const gate_side_t *sides,
                   size_t n_sides, const gate_run_options_t *opt, char err[GATE_ERR_BYTES])
{
    for (size_t i = 0; i < n_scs; i++)
        if (scs[i].mode != SCENARIO_MODE_CELL) {
            snprintf(err, GATE_ERR_BYTES, "%s: scenario %s runs in %s mode; the gate runs one "
                     "process per cell only (leave it out of --scenarios)", scs[i].path,
                     scs[i].name, scs[i].mode == SCENARIO_MODE_HYPERFINE ? "hyperfine" : "concurrent");
            return -1;
        }
    matrix_t mx;
    int er = matrix_expand(scs, n_scs, NULL, &mx);
    if (er == -2) {
        snprintf(err, GATE_ERR_BYTES, "the scenarios expand to no cells");
        return -1;
    }
    if (er != 0) {
        snprintf(err, GATE_ERR_BYTES, "out of memory expanding the scenarios");
        return -2;
    }
    engine_side_t *es = calloc(n_sides, sizeof *es);
    selection_t sel = {.mx = &mx, .filter = opt->arms_filter};
    int rc = -2;
    for (size_t s = 0; es && s < n_sides; s++)
        es[s].fd = -1;
    if (!es)
        snprintf(err, GATE_ERR_BYTES, "out of memory");
    else if ((rc = runners_check(&mx, sides, n_sides, err)) != 0)
        ;
    else if (matrix_plan_sides(&mx, opt->seed, 1, 1, n_sides, not_selected, &sel) != 0) {
        snprintf(err, GATE_ERR_BYTES, "out of memory");
        rc = -2;
    } else if (mx.n_plan == 0) {
        snprintf(err, GATE_ERR_BYTES, "no cell matches the arms to run");
        rc = -1;
    } else if ((rc = sides_open(&mx, sides, es, n_sides, opt->seed, err)) == 0)
        rc = sides_run(&mx, es, n_sides, opt, err);
    for (size_t s = 0; es && s < n_sides; s++)
        if (es[s].fd >= 0)
            close(es[s].fd);
    free(es);
    matrix_free(&mx);
    return rc;
}

/* ==================================================== scenarios of the gate ===== */

static int apply(scenario_t *sc, const char *where, const char *key, const char *value,
                 char err[GATE_ERR_BYTES])
{
    scenario_override_t ov;
    memset(&ov, 0, sizeof ov);
    snprintf(ov.key, sizeof ov.key, "%s", key);
    snprintf(ov.value, sizeof ov.value, "%s", value);
    char e[SCENARIO_ERR_BYTES];
    if (scenario_apply_override(sc, where, &ov, e) != 0) {
        snprintf(err, GATE_ERR_BYTES, "%s", e);
        return -1;
    }
    return 0;
}

int gate_load_scenarios(const char *matrix_file, const char *scenarios,
                        const char *scenario_dir, unsigned repetitions, scenario_t **out,
                        size_t *n_out, char err[GATE_ERR_BYTES])
{
    *out = NULL;
    *n_out = 0;
    int builtin = !matrix_file && !scenarios;
    if (builtin)
        scenarios = GATE_DEFAULT_SCENARIOS;
    char dflt[PATH_MAX], name[SCENARIO_NAME_BYTES], e[SCENARIO_ERR_BYTES];
    snprintf(dflt, sizeof dflt, "%s/scenarios", PB_SOURCE_DIR);
    scenario_t *scs = NULL;
    size_t n = 0;
    if (scenario_load_set(matrix_file, scenarios, scenario_dir, dflt, &scs, &n, name, e) != 0) {
        snprintf(err, GATE_ERR_BYTES, "%s", e);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        /* the built-in set: glibc only, iterations giving a timed window of ~50 ms
         * per cell), so one gate run stays well under a minute on 2 cores */
        if (builtin) {
            if (apply(&scs[i], "gate defaults", "backends", "glibc", err) != 0)
                goto bad;
            const char *it = !strcmp(scs[i].name, "micro_checksum") ? "100"
                           : !strcmp(scs[i].name, "micro_image_tag") ? "1000000" : NULL;
            if (it && apply(&scs[i], "gate defaults", "iterations", it, err) != 0)
                goto bad;
        }
        if (repetitions || builtin) {
            char v[32];
            snprintf(v, sizeof v, "%u", repetitions ? repetitions : GATE_DEFAULT_REPETITIONS);
            if (apply(&scs[i], "--repetitions", "repetitions", v, err) != 0)
                goto bad;
        }
    }
    *out = scs;
    *n_out = n;
    return 0;
bad:
    free(scs);
    return -1;
}
