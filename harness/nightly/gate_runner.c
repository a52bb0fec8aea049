/* gate_runner.c: the interleaved runner of several sides (gate_runner.h) and the gate's
 * scenario set. Guarantees: journals only through journal.h; a side's journal is created
 * exclusively (never overwrites an earlier run); never prints or exits.
 */
#define _GNU_SOURCE
#include "gate_runner.h"
#include "cell.h"
#include "context.h"
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

typedef struct argv_buf {
    char *argv[72];
    char store[56][256];
    size_t n, ns;
} argv_buf_t;

static void av_add(argv_buf_t *a, const char *s)
{
    if (a->n < 71) {
        a->argv[a->n++] = (char *)s;
        a->argv[a->n] = NULL;
    }
}

static void av_addu(argv_buf_t *a, unsigned long long v)
{
    if (a->ns < 56) {
        snprintf(a->store[a->ns], sizeof a->store[0], "%llu", v);
        av_add(a, a->store[a->ns++]);
    }
}

static void av_adds(argv_buf_t *a, const char *s)
{
    if (a->ns < 56) {
        snprintf(a->store[a->ns], sizeof a->store[0], "%s", s);
        av_add(a, a->store[a->ns++]);
    }
}

/* The runner command line of a cell: the same options the driver passes (poolbench.c). */
static void build_argv(const matrix_cell_t *c, const char *exe, const char *cache_dir,
                       unsigned inject_pct, argv_buf_t *a)
{
    const scenario_t *sc = c->sc;
    memset(a, 0, sizeof *a);
    av_add(a, exe);
    av_add(a, "--workload");
    av_add(a, sc->workload);
    if (sc->input_path[0]) {
        av_add(a, "--input");
        av_add(a, sc->input_path);
    } else {
        if (c->size_bytes != SCENARIO_UNSET) {
            av_add(a, "--size");
            av_addu(a, c->size_bytes);
        }
        av_add(a, "--seed");
        av_addu(a, sc->seed);
    }
#define OPT_U(flag, v) if ((v) != SCENARIO_UNSET) { av_add(a, flag); av_addu(a, v); }
#define OPT_S(flag, v) if ((v)[0]) { av_add(a, flag); av_add(a, v); }
    OPT_U("--files", sc->files);
    OPT_S("--member", sc->member);
    OPT_S("--image", sc->image);
    OPT_S("--tag", sc->tag);
    char pools[SCENARIO_NAME_BYTES];
    snprintf(pools, sizeof pools, "%s", c->policy);
    for (char *p = pools; *p; p++)
        if (*p == '+')
            *p = ',';
    av_add(a, "--pools");
    av_adds(a, pools);
    OPT_U("--threads", c->threads);
    OPT_U("--iterations", sc->iterations);
    OPT_U("--warmup", sc->warmup_iterations);
    av_add(a, "--zero-on-put");
    av_add(a, c->zero_on_put ? "on" : "off");
    av_add(a, "--standard-alloc");
    av_add(a, c->standard_alloc);
    OPT_U("--hash-size", c->hash_size_bytes);
    OPT_U("--tar-size", c->tar_size_bytes);
    OPT_U("--string-size", c->string_size_bytes);
    OPT_U("--gogc", sc->gogc_percent);
#undef OPT_U
#undef OPT_S
    if (cache_dir) {
        av_add(a, "--cache-dir");
        av_add(a, cache_dir);
    }
    if (inject_pct) {
        av_add(a, "--inject-slowdown");
        av_addu(a, inject_pct);
    }
}

/* One journal line for a finished cell (the driver's cell-line fields, plus "rev"). */
static json_object *cell_line(const matrix_cell_t *c, const gate_side_t *side, size_t order,
                              const cell_outcome_t *o)
{
    json_object *l = json_object_new_object();
    if (!l)
        return NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_object_object_add(l, "type", json_object_new_string("cell"));
    json_object_object_add(l, "key", json_object_new_string(c->key));
    json_object_object_add(l, "arm_key", json_object_new_string(c->arm_key));
    json_object_object_add(l, "input_key", json_object_new_string(c->input_key));
    json_object_object_add(l, "scenario", json_object_new_string(c->sc->name));
    json_object_object_add(l, "workload", json_object_new_string(c->sc->workload));
    json_object_object_add(l, "mode", json_object_new_string("cell"));
    json_object_object_add(l, "backend", json_object_new_string(c->backend));
    json_object_object_add(l, "policy", json_object_new_string(c->policy));
    json_object_object_add(l, "variant", json_object_new_string(c->variant));
    json_object_object_add(l, "rep", json_object_new_int(c->rep));
    json_object_object_add(l, "rev", json_object_new_string(side->label));
    json_object_object_add(l, "source", json_object_new_string("runner"));
    json_object_object_add(l, "order", json_object_new_uint64(order));
    json_object_object_add(l, "finished_unix_ns",
                           json_object_new_int64((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
    json_object *cfg = json_object_new_object();
    if (cfg) {
        if (c->threads != SCENARIO_UNSET)
            json_object_object_add(cfg, "threads", json_object_new_uint64(c->threads));
        if (c->sc->iterations != SCENARIO_UNSET)
            json_object_object_add(cfg, "iterations", json_object_new_uint64(c->sc->iterations));
        json_object_object_add(cfg, "zero_on_put", json_object_new_boolean(c->zero_on_put));
        json_object_object_add(cfg, "standard_alloc", json_object_new_string(c->standard_alloc));
        json_object_object_add(cfg, "inject_slowdown_pct",
                               json_object_new_int((int)side->inject_slowdown_pct));
        json_object_object_add(cfg, "canonical", json_object_new_string(c->canon));
    }
    json_object_object_add(l, "config", cfg);

    char status[64], why[200] = "";
    cell_status(o, status, sizeof status);
    pb_metrics_t m;
    journal_present_t pr;
    memset(&m, 0, sizeof m);
    memset(&pr, 0, sizeof pr);
    const char *result = NULL, *bver = NULL;
    json_object *root = NULL;
    if (!strcmp(status, "ok")) {
        root = o->out ? json_tokener_parse(o->out) : NULL;
        int n_all = 0, n_m = 0;
#define COUNT_ALL(name, kind, desc) n_all++;
        PB_METRICS(COUNT_ALL)
#undef COUNT_ALL
        if (root && json_object_is_type(root, json_type_object))
            n_m = journal_metrics_get(root, &m, &pr);
        const char *st = journal_str(root, "status"), *be = journal_str(root, "backend");
        if (!root || !json_object_is_type(root, json_type_object) || o->out_truncated)
            snprintf(why, sizeof why, "stdout is not one JSON object");
        else if (journal_int(root, "schema_version", -1) != PB_SCHEMA_VERSION)
            snprintf(why, sizeof why, "runner schema_version is not %d", PB_SCHEMA_VERSION);
        else if (!st || strcmp(st, "ok") != 0)
            snprintf(why, sizeof why, "runner status is not ok");
        else if (!be || strcmp(be, scenario_backend_runner(c->backend)) != 0)
            snprintf(why, sizeof why, "runner reports backend %s", be ? be : "?");
        else if (n_m != n_all)
            snprintf(why, sizeof why, "runner output lacks %d of the metrics", n_all - n_m);
        result = journal_str(root, "result");
        bver = journal_str(root, "backend_version");
        if (why[0]) {
            snprintf(status, sizeof status, "bad_output");
            memset(&pr, 0, sizeof pr);
            result = NULL;
        } else {
            m.max_rss_bytes = (uint64_t)o->ru.ru_maxrss * 1024u;
            m.minor_faults = (uint64_t)o->ru.ru_minflt;
            m.major_faults = (uint64_t)o->ru.ru_majflt;
            m.vol_ctx_switches = (uint64_t)o->ru.ru_nvcsw;
            m.invol_ctx_switches = (uint64_t)o->ru.ru_nivcsw;
        }
    }
    json_object_object_add(l, "status", json_object_new_string(status));
    json_object_object_add(l, "result", result ? json_object_new_string(result) : NULL);
    json_object_object_add(l, "metrics", journal_metrics_json(&m, &pr));
    json_object_object_add(l, "backend_version", bver ? json_object_new_string(bver) : NULL);
    json_object_object_add(l, "exit_code", o->exited ? json_object_new_int(o->exit_code) : NULL);
    json_object_object_add(l, "signal", o->signaled ? json_object_new_int(o->term_signal) : NULL);
    json_object_object_add(l, "stderr", json_object_new_string_len(o->err, (int)o->err_len));
    if (why[0])
        json_object_object_add(l, "bad_output_reason", json_object_new_string(why));
    if (root)
        json_object_put(root);
    return l;
}

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

typedef struct unit {
    size_t cell;
    size_t side;
    int warmup;
} unit_t;

static void shuffle(unit_t *u, size_t n, uint64_t seed)
{
    stats_rng_t r;
    stats_rng_seed(&r, seed);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)stats_rng_below(&r, i);
        unit_t t = u[i - 1];
        u[i - 1] = u[j];
        u[j] = t;
    }
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
    int rc = -2;
    int *fds = calloc(n_sides, sizeof *fds);
    unit_t *units = NULL;
    size_t n_units = 0;
    if (!fds) {
        snprintf(err, GATE_ERR_BYTES, "out of memory");
        goto out;
    }
    for (size_t s = 0; s < n_sides; s++)
        fds[s] = -1;
    /* every runner must exist before a journal is created */
    for (size_t i = 0; i < mx.n_cells; i++)
        for (size_t s = 0; s < n_sides; s++) {
            char exe[PATH_MAX];
            snprintf(exe, sizeof exe, "%s/pb-%s", sides[s].bin_dir,
                     scenario_backend_runner(mx.cells[i].backend));
            if (access(exe, X_OK) != 0) {
                snprintf(err, GATE_ERR_BYTES, "runner %s not found (side %s, scenario %s)", exe,
                         sides[s].label, mx.cells[i].sc->name);
                rc = -1;
                goto out;
            }
        }
    int max_rep = 0, max_warm = 0;
    size_t n_sel = 0;
    for (size_t i = 0; i < mx.n_cells; i++)
        if (arm_selected(opt->arms_filter, &mx.cells[i])) {
            n_sel++;
            if (mx.cells[i].rep > max_rep)
                max_rep = mx.cells[i].rep;
            if ((int)mx.cells[i].sc->warmup_repetitions > max_warm)
                max_warm = (int)mx.cells[i].sc->warmup_repetitions;
        }
    if (n_sel == 0) {
        snprintf(err, GATE_ERR_BYTES, "no cell matches the arms to run");
        rc = -1;
        goto out;
    }
    units = calloc((n_sel + 1) * n_sides * (size_t)(1 + max_warm), sizeof *units);
    if (!units) {
        snprintf(err, GATE_ERR_BYTES, "out of memory");
        goto out;
    }
    /* journals: context block first */
    for (size_t s = 0; s < n_sides; s++) {
        fds[s] = open(sides[s].journal_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fds[s] < 0) {
            snprintf(err, GATE_ERR_BYTES, "cannot create %s: %s", sides[s].journal_path,
                     strerror(errno));
            rc = errno == EEXIST ? -1 : -2;
            goto out;
        }
        json_object *ctx = context_build();
        if (!ctx) {
            snprintf(err, GATE_ERR_BYTES, "out of memory");
            goto out;
        }
        json_object_object_add(ctx, "seed", json_object_new_uint64(opt->seed));
        json_object_object_add(ctx, "matrix", json_object_new_string("gate"));
        json_object_object_add(ctx, "matrix_hash", json_object_new_string(mx.hash));
        json_object_object_add(ctx, "rev", json_object_new_string(sides[s].label));
        json_object_object_add(ctx, "commit",
                               sides[s].commit ? json_object_new_string(sides[s].commit) : NULL);
        json_object_object_add(ctx, "bin_dir", json_object_new_string(sides[s].bin_dir));
        json_object_object_add(ctx, "inject_slowdown_pct",
                               json_object_new_int((int)sides[s].inject_slowdown_pct));
        json_object_object_add(ctx, "interleaved_sides", json_object_new_int((int)n_sides));
        json_object *runners = json_object_new_object();
        for (size_t i = 0; runners && i < n_scs; i++)
            for (size_t b = 0; b < scs[i].backends.n; b++) {
                const char *rb = scenario_backend_runner(scs[i].backends.v[b]);
                if (json_object_object_get_ex(runners, rb, NULL))
                    continue;
                char exe[PATH_MAX];
                snprintf(exe, sizeof exe, "%s/pb-%s", sides[s].bin_dir, rb);
                if (access(exe, X_OK) == 0)
                    json_object_object_add(runners, rb, context_runner_version(exe, NULL));
            }
        json_object_object_add(ctx, "runners", runners);
        int arc = journal_append(fds[s], ctx);
        json_object_put(ctx);
        if (arc != 0) {
            snprintf(err, GATE_ERR_BYTES, "cannot write %s: %s", sides[s].journal_path,
                     strerror(errno));
            goto out;
        }
    }
    size_t total = n_sel * n_sides, done_count = 0;
    for (int block = -max_warm; block <= max_rep; block++) {
        n_units = 0;
        for (size_t i = 0; i < mx.n_cells; i++) {
            const matrix_cell_t *c = &mx.cells[i];
            if (!arm_selected(opt->arms_filter, c))
                continue;
            if (block < 0 ? (c->rep != 0 || -block > (int)c->sc->warmup_repetitions) : c->rep != block)
                continue;
            for (size_t s = 0; s < n_sides; s++)
                units[n_units++] = (unit_t){.cell = i, .side = s, .warmup = block < 0};
        }
        uint64_t st = opt->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(block + 1000));
        shuffle(units, n_units, matrix_splitmix64(&st));
        for (size_t u = 0; u < n_units; u++) {
            const matrix_cell_t *c = &mx.cells[units[u].cell];
            const gate_side_t *sd = &sides[units[u].side];
            char exe[PATH_MAX];
            snprintf(exe, sizeof exe, "%s/pb-%s", sd->bin_dir, scenario_backend_runner(c->backend));
            argv_buf_t av;
            build_argv(c, exe, opt->cache_dir, sd->inject_slowdown_pct, &av);
            cell_spec_t spec = {.exe = exe, .argv = av.argv,
                                .extra_env = scenario_backend_env(c->backend),
                                .timeout_s = (double)c->sc->timeout_s, .grace_s = 2};
            cell_outcome_t o;
            if (cell_run(&spec, &o, opt->interrupt) != 0 && !o.spawn_errno) {
                cell_outcome_free(&o);
                snprintf(err, GATE_ERR_BYTES, "cannot start a runner (pipes or memory)");
                goto out;
            }
            if (opt->interrupt && *opt->interrupt) {
                cell_outcome_free(&o);
                rc = 130;
                goto out;
            }
            char status[64], msg[512];
            cell_status(&o, status, sizeof status);
            if (units[u].warmup) {
                if (opt->progress) {
                    snprintf(msg, sizeof msg, "warm-up %s %s/%s %s [%s]: %s", c->sc->name,
                             c->backend, c->policy, c->variant, sd->label, status);
                    opt->progress(opt->progress_user, msg);
                }
                cell_outcome_free(&o);
                continue;
            }
            json_object *line = cell_line(c, sd, done_count, &o);
            cell_outcome_free(&o);
            if (!line) {
                snprintf(err, GATE_ERR_BYTES, "out of memory");
                goto out;
            }
            const char *lst = journal_str(line, "status");
            snprintf(status, sizeof status, "%s", lst ? lst : "?");
            int arc = journal_append(fds[units[u].side], line);
            json_object_put(line);
            if (arc != 0) {
                snprintf(err, GATE_ERR_BYTES, "cannot append to %s: %s", sd->journal_path,
                         strerror(errno));
                goto out;
            }
            done_count++;
            if (opt->progress) {
                snprintf(msg, sizeof msg, "[%zu/%zu] %s %s/%s %s rep %d [%s]: %s", done_count,
                         total, c->sc->name, c->backend, c->policy, c->variant, c->rep, sd->label,
                         status);
                opt->progress(opt->progress_user, msg);
            }
        }
    }
    rc = 0;
out:
    if (fds)
        for (size_t s = 0; s < n_sides; s++)
            if (fds[s] >= 0)
                close(fds[s]);
    free(fds);
    free(units);
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
