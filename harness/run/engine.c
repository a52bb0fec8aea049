/* engine.c: runs planned units and journals them (engine.h), for matrix, gate and
 * calibrate. Sections: the runner command line, the journal line, reference results, and
 * the three ways a unit runs (one child, a group of concurrent children, hyperfine).
 */
#define _GNU_SOURCE
#include "engine.h"
#include "cell.h"
#include "hyperfine.h"
#include "metrics.h"
#include "monitor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENGINE_GROUP_MAX 64

/* ================================================================ command line ===== */

static void argv_add(engine_argv_t *a, const char *s)
{
    if (a->n < ENGINE_ARGV_MAX) {
        a->argv[a->n++] = (char *)s;
        a->argv[a->n] = NULL;
    } else {
        a->overflow = 1;
    }
}

/* Adds a copy of s (for strings that do not outlive the call). */
static void argv_add_copy(engine_argv_t *a, const char *s)
{
    if (a->n_store == ENGINE_ARGV_MAX || strlen(s) >= sizeof a->store[0]) {
        a->overflow = 1;
        return;
    }
    snprintf(a->store[a->n_store], sizeof a->store[0], "%s", s);
    argv_add(a, a->store[a->n_store++]);
}

static void argv_add_u64(engine_argv_t *a, unsigned long long v)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", v);
    argv_add_copy(a, b);
}

static void argv_opt_u64(engine_argv_t *a, const char *flag, uint64_t v)
{
    if (v != SCENARIO_UNSET) {
        argv_add(a, flag);
        argv_add_u64(a, v);
    }
}

static void argv_opt_str(engine_argv_t *a, const char *flag, const char *v)
{
    if (v && v[0]) {
        argv_add(a, flag);
        argv_add(a, v);
    }
}

void engine_runner_path(const char *bin_dir, const char *backend, char *out, size_t cap)
{
    snprintf(out, cap, "%s/pb-%s", bin_dir, scenario_backend_runner(backend));
}

void engine_cell_runner_path(const matrix_t *m, const matrix_cell_t *c, const char *bin_dir,
                             char *out, size_t cap)
{
    if (matrix_cell_bare(m, c))
        snprintf(out, cap, "%s/pb-%s-bare", bin_dir, scenario_backend_runner(c->backend));
    else
        engine_runner_path(bin_dir, c->backend, out, cap);
}

int engine_argv_build(const matrix_cell_t *c, const char *exe, const char *cache_dir,
                      const engine_side_t *side, engine_argv_t *a)
{
    unsigned inject_slowdown_pct = side ? side->inject_slowdown_pct : 0;
    unsigned inject_live_pct = side ? side->inject_live_pct : 0;
    unsigned inject_extra_ops_pct = side ? side->inject_extra_ops_pct : 0;
    /* pool_churn has no operation loop to extend (its threads run their pairs): its
       calibration slowdown stays the busy-wait of the same size */
    if (inject_extra_ops_pct && strcmp(c->sc->workload, "pool_churn") == 0) {
        inject_slowdown_pct += inject_extra_ops_pct;
        inject_extra_ops_pct = 0;
    }
    const scenario_t *sc = c->sc;
    memset(a, 0, sizeof *a);
    argv_add(a, exe);
    argv_add(a, "--workload");
    argv_add(a, sc->workload);
    if (sc->input_path[0]) {
        argv_add(a, "--input");
        argv_add(a, sc->input_path);
    } else {
        argv_opt_u64(a, "--size", c->size_bytes);
        argv_add(a, "--seed");
        argv_add_u64(a, sc->seed);
    }
    argv_opt_u64(a, "--files", sc->files);
    argv_opt_str(a, "--member", sc->member);
    argv_opt_str(a, "--image", sc->image);
    argv_opt_str(a, "--tag", sc->tag);
    /* the scenario writes "hash+tar"; the runner takes "hash,tar" */
    char pools[SCENARIO_NAME_BYTES];
    snprintf(pools, sizeof pools, "%s", c->policy);
    for (char *p = pools; *p; p++)
        if (*p == '+')
            *p = ',';
    argv_add(a, "--pools");
    argv_add_copy(a, pools);
    argv_opt_u64(a, "--threads", c->threads);
    argv_opt_u64(a, "--iterations", c->iterations);
    argv_opt_u64(a, "--warmup", c->warmup_iterations);
    argv_add(a, "--zero-on-put");
    argv_add(a, c->zero_on_put ? "on" : "off");
    argv_add(a, "--standard-alloc");
    argv_add(a, c->standard_alloc);
    argv_opt_u64(a, "--hash-size", c->hash_size_bytes);
    argv_opt_u64(a, "--tar-size", c->tar_size_bytes);
    argv_opt_u64(a, "--string-size", c->string_size_bytes);
    argv_opt_u64(a, "--gogc", sc->gogc_percent);
    argv_opt_str(a, "--cache-dir", cache_dir);
    if (sc->pprof_http)
        argv_add(a, "--pprof-http");
    if (inject_slowdown_pct) {
        argv_add(a, "--inject-slowdown");
        argv_add_u64(a, inject_slowdown_pct);
    }
    if (inject_extra_ops_pct) {
        argv_add(a, "--inject-extra-ops");
        argv_add_u64(a, inject_extra_ops_pct);
    }
    if (inject_live_pct) {
        argv_add(a, "--inject-live");
        argv_add_u64(a, inject_live_pct);
    }
    return a->overflow ? -1 : 0;
}

void engine_cell_label(const matrix_cell_t *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %s/%s%s%s rep %d%s", c->sc->name, c->backend, c->policy,
             c->variant[0] ? " " : "", c->variant, c->rep, c->counting ? " (counting)" : "");
}

/* ================================================================ journal line ===== */

static json_object *line_config(const matrix_cell_t *c, const engine_side_t *side)
{
    const scenario_t *sc = c->sc;
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
#define U(name, v) json_object_object_add(o, name, (v) == SCENARIO_UNSET ? NULL : json_object_new_uint64(v))
    U("size_bytes", c->size_bytes);
    U("threads", c->threads);
    U("hash_size_bytes", c->hash_size_bytes);
    U("tar_size_bytes", c->tar_size_bytes);
    U("string_size_bytes", c->string_size_bytes);
    U("seed", sc->seed);
    U("files", sc->files);
    U("iterations", c->iterations);
    U("warmup_iterations", c->warmup_iterations);
    U("gogc_percent", sc->gogc_percent);
    U("processes", sc->processes);
    U("timeout_s", sc->timeout_s);
#undef U
    json_object_object_add(o, "zero_on_put", json_object_new_boolean(c->zero_on_put));
    json_object_object_add(o, "standard_alloc", json_object_new_string(c->standard_alloc));
    json_object_object_add(o, "pprof_http", json_object_new_boolean(sc->pprof_http));
    /* may this cell vote in the headline verdicts (scenario key headline, default on) */
    json_object_object_add(o, "headline", json_object_new_boolean(sc->headline));
    if (sc->input_path[0])
        json_object_object_add(o, "input", json_object_new_string(sc->input_path));
    if (sc->member[0])
        json_object_object_add(o, "member", json_object_new_string(sc->member));
    if (sc->expect[0])
        json_object_object_add(o, "expect", json_object_new_string(sc->expect));
    if (side->label)
        json_object_object_add(o, "inject_slowdown_pct",
                               json_object_new_int((int)side->inject_slowdown_pct));
    if (side->inject_live_pct)
        json_object_object_add(o, "inject_live_pct",
                               json_object_new_int((int)side->inject_live_pct));
    if (side->inject_extra_ops_pct)
        json_object_object_add(o, "inject_extra_ops_pct",
                               json_object_new_int((int)side->inject_extra_ops_pct));
    json_object_object_add(o, "canonical", json_object_new_string(c->canon));
    return o;
}

static const char *mode_text(scenario_mode_t m)
{
    return m == SCENARIO_MODE_CONCURRENT ? "concurrent"
         : m == SCENARIO_MODE_HYPERFINE ? "hyperfine" : "cell";
}

/* The fields every cell line has, before the outcome. */
static json_object *line_new(const matrix_cell_t *c, const engine_side_t *side,
                             const char *source, size_t order)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_object_object_add(o, "type", json_object_new_string("cell"));
    json_object_object_add(o, "key", json_object_new_string(c->key));
    json_object_object_add(o, "arm_key", json_object_new_string(c->arm_key));
    json_object_object_add(o, "input_key", json_object_new_string(c->input_key));
    json_object_object_add(o, "scenario", json_object_new_string(c->sc->name));
    json_object_object_add(o, "workload", json_object_new_string(c->sc->workload));
    json_object_object_add(o, "mode", json_object_new_string(mode_text(c->sc->mode)));
    json_object_object_add(o, "backend", json_object_new_string(c->backend));
    json_object_object_add(o, "policy", json_object_new_string(c->policy));
    json_object_object_add(o, "variant", json_object_new_string(c->variant));
    json_object_object_add(o, "rep", json_object_new_int(c->rep));
    if (c->counting)   /* the arm's counting repetition: counts only, its time unused */
        json_object_object_add(o, "counting_repetition", json_object_new_boolean(1));
    if (side->label)
        json_object_object_add(o, "rev", json_object_new_string(side->label));
    json_object_object_add(o, "source", json_object_new_string(source));
    json_object_object_add(o, "order", json_object_new_uint64(order));
    json_object_object_add(o, "finished_unix_ns",
                           json_object_new_int64((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
    json_object_object_add(o, "config", line_config(c, side));
    return o;
}

/* What one runner's outcome says: status (ok / exit:N / signal:N / timeout / bad_output),
 * metrics (wait4 values replacing the runner's), result, pool classes, version. */
typedef struct run_parsed {
    char status[64];
    pb_metrics_t m;
    journal_present_t present;
    char result[256];
    json_object *pool_classes;   /* owned */
    char backend_version[64];
    char instrument[16];         /* the runner's "instrument" (bare, counting) or ""   */
    char why[256];
} run_parsed_t;

/* Is metric `name` one only the counting front end measures (null in a bare runner)? */
static int metric_counted_only(const char *name)
{
    static const char *const counted[] = {"alloc_calls", "free_calls", "alloc_bytes",
                                          "peak_live_bytes", "bytes_per_op", "allocs_per_op"};
    for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++)
        if (strcmp(name, counted[i]) == 0)
            return 1;
    return 0;
}

/* How many of the metrics every runner must print (all but the runtime's own, and for
 * an uninstrumented runner the counts) are missing from present. */
static int metrics_missing(const journal_present_t *present, int bare)
{
    int n = 0;
#define MISSING_ONE(name, kind, desc) \
    n += kind != PB_MK_RUNTIME && !(bare && metric_counted_only(#name)) && !present->name;
    PB_METRICS(MISSING_ONE)
#undef MISSING_ONE
    return n;
}

/* Why a runner's JSON is not acceptable, or "" when it is. */
static void runner_output_check(json_object *root, const cell_outcome_t *o,
                                const char *runner_backend, const journal_present_t *present,
                                char *why, size_t cap)
{
    const char *st = journal_str(root, "status"), *be = journal_str(root, "backend");
    long long sv = journal_int(root, "schema_version", -1);
    const char *inst = root ? journal_str(root, "instrument") : NULL;
    int missing = metrics_missing(present, inst && strcmp(inst, "bare") == 0);
    why[0] = '\0';
    if (!root || !json_object_is_type(root, json_type_object) || o->out_truncated)
        snprintf(why, cap, "stdout is not one JSON object");
    else if (sv != PB_SCHEMA_VERSION)
        snprintf(why, cap, "schema_version %lld, expected %d", sv, PB_SCHEMA_VERSION);
    else if (!st || strcmp(st, "ok") != 0)
        snprintf(why, cap, "runner status is not ok");
    else if (!be || strcmp(be, runner_backend) != 0)
        snprintf(why, cap, "runner reports backend %s, expected %s", be ? be : "?",
                 runner_backend);
    else if (missing)
        snprintf(why, cap, "runner output lacks %d of the metrics", missing);
    else if (!journal_str(root, "result"))
        snprintf(why, cap, "runner output has no result");
}

static void run_parse(const cell_outcome_t *o, const char *runner_backend, run_parsed_t *p)
{
    memset(p, 0, sizeof *p);
    cell_status(o, p->status, sizeof p->status);
    if (strcmp(p->status, "ok") != 0)
        return;
    json_object *root = o->out ? json_tokener_parse(o->out) : NULL;
    if (root && json_object_is_type(root, json_type_object))
        journal_metrics_get(root, &p->m, &p->present);
    runner_output_check(root, o, runner_backend, &p->present, p->why, sizeof p->why);
    if (p->why[0]) {
        snprintf(p->status, sizeof p->status, "bad_output");
        memset(&p->present, 0, sizeof p->present);
    } else {
        snprintf(p->result, sizeof p->result, "%s", journal_str(root, "result"));
        const char *bv = journal_str(root, "backend_version");
        snprintf(p->backend_version, sizeof p->backend_version, "%s", bv ? bv : "");
        const char *inst = journal_str(root, "instrument");
        snprintf(p->instrument, sizeof p->instrument, "%s", inst ? inst : "");
        json_object *pc;
        if (json_object_object_get_ex(root, "pool_classes", &pc))
            p->pool_classes = json_object_get(pc);
    }
    if (root)
        json_object_put(root);
    /* the child's own rusage, from wait4 of that child only; its peak RSS is the
       runner's own VmHWM when it reported one: wait4's ru_maxrss is at least this
       driver's high-water mark, which Linux copies into the child at exec
       (runner/peak_rss.h), so cells spawned after the driver grew reported the driver */
    if (!p->present.max_rss_bytes || p->m.max_rss_bytes == 0)
        p->m.max_rss_bytes = (uint64_t)o->ru.ru_maxrss * 1024u;
    p->m.minor_faults = (uint64_t)o->ru.ru_minflt;
    p->m.major_faults = (uint64_t)o->ru.ru_majflt;
    p->m.vol_ctx_switches = (uint64_t)o->ru.ru_nvcsw;
    p->m.invol_ctx_switches = (uint64_t)o->ru.ru_nivcsw;
    p->present.max_rss_bytes = p->present.minor_faults = p->present.major_faults = 1;
    p->present.vol_ctx_switches = p->present.invol_ctx_switches = 1;
}

static void line_add_outcome(json_object *line, const run_parsed_t *p, const cell_outcome_t *o)
{
    json_object_object_add(line, "status", json_object_new_string(p->status));
    json_object_object_add(line, "result", p->result[0] ? json_object_new_string(p->result) : NULL);
    json_object_object_add(line, "metrics", journal_metrics_json(&p->m, &p->present));
    json_object_object_add(line, "pool_classes", p->pool_classes ? json_object_get(p->pool_classes) : NULL);
    json_object_object_add(line, "backend_version",
                           p->backend_version[0] ? json_object_new_string(p->backend_version) : NULL);
    if (o) {
        json_object_object_add(line, "exit_code", o->exited ? json_object_new_int(o->exit_code) : NULL);
        json_object_object_add(line, "signal", o->signaled ? json_object_new_int(o->term_signal) : NULL);
        json_object_object_add(line, "stderr", json_object_new_string_len(o->err, (int)o->err_len));
    }
    if (p->instrument[0])   /* which runner measured it: bare (time) or counting (counts) */
        json_object_object_add(line, "instrument", json_object_new_string(p->instrument));
    if (p->why[0])
        json_object_object_add(line, "bad_output_reason", json_object_new_string(p->why));
}

/* Appends line to the side's journal and counts it. Takes the line. */
static int line_write(engine_t *e, const engine_side_t *side, json_object *line,
                      const char *status)
{
    int rc = journal_append(side->fd, line);
    json_object_put(line);
    if (rc != 0) {
        snprintf(e->err, sizeof e->err, "cannot append to %s: %s", side->journal_path,
                 strerror(errno));
        return ENGINE_HARNESS;
    }
    if (strcmp(status, "ok") != 0)
        e->failed++;
    e->written++;
    return ENGINE_OK;
}

/* ============================================================ reference results ===== */

/* Results known during the run, by input key: a pinned `expect`, else the first
 * glibc/none result seen; the final cross-check (journal_verify_results) decides the rest. */
struct engine_refs {
    char (*input_key)[MATRIX_KEY_HEX];
    char (*result)[256];
    size_t n, cap;
};

static const char *refs_get(const engine_refs_t *r, const char *input_key)
{
    for (size_t i = 0; r && i < r->n; i++)
        if (strcmp(r->input_key[i], input_key) == 0)
            return r->result[i];
    return NULL;
}

static void refs_put(engine_t *e, const char *input_key, const char *result)
{
    if (!e->refs && !(e->refs = calloc(1, sizeof *e->refs)))
        return;
    engine_refs_t *r = e->refs;
    if (refs_get(r, input_key))
        return;
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 64;
        void *a = realloc(r->input_key, nc * sizeof *r->input_key);
        if (!a)
            return;
        r->input_key = a;
        void *b = realloc(r->result, nc * sizeof *r->result);
        if (!b)
            return;
        r->result = b;
        r->cap = nc;
    }
    snprintf(r->input_key[r->n], MATRIX_KEY_HEX, "%s", input_key);
    snprintf(r->result[r->n], 256, "%s", result);
    r->n++;
}

static void refs_check(engine_t *e, const matrix_cell_t *c, run_parsed_t *p, json_object *line)
{
    if (!e->check_results || strcmp(p->status, "ok") != 0 || !p->result[0])
        return;
    const char *ref = c->sc->expect[0] ? c->sc->expect : refs_get(e->refs, c->input_key);
    if (ref && strcmp(ref, p->result) != 0) {
        snprintf(p->status, sizeof p->status, "wrong_result");
        json_object_object_add(line, "expected", json_object_new_string(ref));
        return;
    }
    if (!ref && strcmp(c->backend, "glibc") == 0 && strcmp(c->policy, "none") == 0)
        refs_put(e, c->input_key, p->result);
}

/* ---- cleanup cycles of bare cells ---------------------------------------------------
 * A bare runner counts no bytes, and its GOGC rule (alloc_bare.c) has a fixed goal, GOGC %
 * of the 4 MiB minimum heap, where the counting runner's follows the live heap. So the
 * bare cell is fed (--gc-bytes-per-op) the bytes per operation that give it its arm's
 * measured cycle rate: the counting cell's cycles in its window x that goal / its
 * operations. The pooled arm is then timed with as many cleanup cycles per operation as
 * it really has (within one cycle). The counting cell runs first (it is planned in the
 * first block); one that failed, or is missing, leaves the bare cells without
 * byte-driven cycles (0). */
#define ENGINE_GC_MIN_HEAP_BYTES (4u << 20)   /* the runners' alloc_gc_configure minimum */

static uint64_t gc_feed_bytes(const scenario_t *sc, uint64_t cycles, uint64_t ops)
{
    uint64_t pct = sc->gogc_percent == SCENARIO_UNSET ? 100 : sc->gogc_percent;
    if (!ops || !cycles || !pct)   /* GOGC 0: the rule is off in both runners */
        return 0;
    return (cycles * (ENGINE_GC_MIN_HEAP_BYTES / 100u) * pct + ops - 1) / ops;
}
struct engine_gc_bytes {
    char arm_key[MATRIX_KEY_HEX];
    uint64_t bytes_per_op;
};

static void gc_bytes_put(engine_t *e, const char *arm_key, uint64_t bytes_per_op)
{
    for (size_t i = 0; i < e->n_gc_bytes; i++)
        if (!strcmp(e->gc_bytes[i].arm_key, arm_key))
            return;
    if (e->n_gc_bytes == e->cap_gc_bytes) {
        size_t cap = e->cap_gc_bytes ? 2 * e->cap_gc_bytes : 64;
        struct engine_gc_bytes *g = realloc(e->gc_bytes, cap * sizeof *g);
        if (!g)
            return;   /* out of memory: the arm's bare cells run without cycles */
        e->gc_bytes = g;
        e->cap_gc_bytes = cap;
    }
    snprintf(e->gc_bytes[e->n_gc_bytes].arm_key, MATRIX_KEY_HEX, "%s", arm_key);
    e->gc_bytes[e->n_gc_bytes++].bytes_per_op = bytes_per_op;
}

static uint64_t gc_bytes_get(engine_t *e, const char *arm_key)
{
    if (!e->gc_bytes_scanned && e->resumed) {
        e->gc_bytes_scanned = 1;
        for (size_t i = 0; i < e->resumed->n_cells; i++) {
            json_object *o = e->resumed->cells[i], *v, *m, *cy, *ops;
            if (!json_object_object_get_ex(o, "counting_repetition", &v) ||
                !json_object_get_boolean(v) || !json_object_object_get_ex(o, "status", &v) ||
                strcmp(json_object_get_string(v), "ok") != 0 ||
                !json_object_object_get_ex(o, "arm_key", &v) ||
                !json_object_object_get_ex(o, "metrics", &m) ||
                !json_object_object_get_ex(m, "pool_cycles", &cy) ||
                !json_object_object_get_ex(m, "ops", &ops) ||
                json_object_get_type(cy) != json_type_int || json_object_get_type(ops) != json_type_int)
                continue;
            /* the arm's scenario: any cell of the matrix with this arm key */
            const char *arm = json_object_get_string(v);
            for (size_t k = 0; k < e->mx->n_cells; k++)
                if (!strcmp(e->mx->cells[k].arm_key, arm)) {
                    gc_bytes_put(e, arm, gc_feed_bytes(e->mx->cells[k].sc,
                                                       (uint64_t)json_object_get_int64(cy),
                                                       (uint64_t)json_object_get_int64(ops)));
                    break;
                }
        }
    }
    for (size_t i = 0; i < e->n_gc_bytes; i++)
        if (!strcmp(e->gc_bytes[i].arm_key, arm_key))
            return e->gc_bytes[i].bytes_per_op;
    return 0;
}

void engine_free(engine_t *e)
{
    free(e->gc_bytes);
    e->gc_bytes = NULL;
    e->n_gc_bytes = e->cap_gc_bytes = 0;
    if (e->refs) {
        free(e->refs->input_key);
        free(e->refs->result);
        free(e->refs);
        e->refs = NULL;
    }
}

/* ================================================================ running units ===== */

/* One cell measured by hyperfine: a journal line from run i of its result. */
static json_object *hyperfine_line(const matrix_cell_t *c, const engine_side_t *side,
                                   size_t order, int hf_rc, const hyperfine_result_t *hr,
                                   size_t i, const cell_outcome_t *o, const char *hf_err)
{
    json_object *line = line_new(c, side, "hyperfine", order);
    if (!line)
        return NULL;
    run_parsed_t p;
    memset(&p, 0, sizeof p);
    if (hf_rc == 0 && i < hr->n_runs) {
        if (hr->exit_codes[i] == 0)
            snprintf(p.status, sizeof p.status, "ok");
        else
            snprintf(p.status, sizeof p.status, "exit:%d", hr->exit_codes[i]);
        p.m.wall_ns = (uint64_t)(hr->times_s[i] * 1e9 + 0.5);
        p.present.wall_ns = 1;
    } else {
        /* hyperfine itself failed: every run of the unit carries its status */
        cell_status(o, p.status, sizeof p.status);
        if (strcmp(p.status, "ok") == 0)
            snprintf(p.status, sizeof p.status, "bad_output");
        snprintf(p.why, sizeof p.why, "%.250s", hf_err);
    }
    line_add_outcome(line, &p, NULL);
    json_object_object_add(line, "stderr", json_object_new_string_len(o->err, (int)o->err_len));
    json_object_object_add(line, "backend_version", NULL);
    return line;
}

/* A hyperfine unit: one measured cell, one whole process timed by `hyperfine --runs 1
 * --warmup 0` (the scenario's warm-ups are warm-up units of their own, run as children,
 * so the arms alternate in the shuffled plan like every other cell). */
static int run_hyperfine(engine_t *e, const matrix_unit_t *u, size_t order,
                         const engine_argv_t *av, const char *label)
{
    const matrix_cell_t *c = &e->mx->cells[u->first];
    const engine_side_t *side = &e->sides[u->side];
    const scenario_t *sc = c->sc;
    char cmd[8192], json_path[PATH_MAX + 64], err[512] = "";
    if (hyperfine_command(av->argv, cmd, sizeof cmd) != 0) {
        snprintf(e->err, sizeof e->err, "command line too long for hyperfine");
        return ENGINE_HARNESS;
    }
    snprintf(json_path, sizeof json_path, "%s/hyperfine-%.16s.json", e->out_dir, c->arm_key);
    cell_outcome_t o;
    hyperfine_result_t hr;
    double timeout = (double)sc->timeout_s * (double)u->n_cells;
    int rc = hyperfine_run(e->hyperfine_exe, cmd, (unsigned)u->n_cells, 0,
                           scenario_backend_env(c->backend), json_path, timeout, e->interrupt,
                           &o, &hr, err, sizeof err);
    int ret = ENGINE_OK;
    if (e->interrupt && *e->interrupt)
        ret = ENGINE_INTERRUPTED;
    for (size_t i = 0; i < u->n_cells && ret == ENGINE_OK; i++) {
        const matrix_cell_t *ci = &e->mx->cells[u->first + i];
        if (e->resumed && journal_has(e->resumed, ci->key))
            continue;
        json_object *line = hyperfine_line(ci, side, order, rc, &hr, i, &o, err);
        if (!line) {
            snprintf(e->err, sizeof e->err, "out of memory");
            ret = ENGINE_HARNESS;
            break;
        }
        const char *st = journal_str(line, "status");
        char status[64];
        snprintf(status, sizeof status, "%s", st ? st : "?");
        ret = line_write(e, side, line, status);
    }
    if (ret == ENGINE_OK && e->on_done)
        e->on_done(e->user, label, rc == 0 ? "ok (hyperfine)" : err, o.wall_ns, 0, "");
    cell_outcome_free(&o);
    hyperfine_result_free(&hr);
    return ret;
}

/* The one cell of a group of concurrent processes (scenarios/concurrent_builds.ini): the
 * group's status is the first failure, its result must agree across processes, its
 * memory metrics are the maximum and its counts the sum over processes, its wall time is
 * the group's. Fills p and a "processes" array (returned, owned by the caller). */
static json_object *group_parse(const cell_outcome_t *outs, size_t n_proc,
                                const char *runner_backend, uint64_t group_ns, run_parsed_t *p)
{
    run_parsed_t each;
    memset(p, 0, sizeof *p);
    snprintf(p->status, sizeof p->status, "ok");
    json_object *procs = json_object_new_array();
    for (size_t i = 0; i < n_proc; i++) {
        run_parse(&outs[i], runner_backend, &each);
        if (strcmp(each.status, "ok") != 0 && strcmp(p->status, "ok") == 0) {
            snprintf(p->status, sizeof p->status, "%s", each.status);
            snprintf(p->why, sizeof p->why, "process %zu: %s", i, each.why);
        }
        if (i == 0) {
            snprintf(p->result, sizeof p->result, "%s", each.result);
            snprintf(p->backend_version, sizeof p->backend_version, "%s", each.backend_version);
        } else if (strcmp(p->status, "ok") == 0 && strcmp(each.result, p->result) != 0) {
            snprintf(p->status, sizeof p->status, "wrong_result");
            snprintf(p->why, sizeof p->why, "process %zu disagrees with process 0", i);
        }
#define AGG(name, kind, desc)                                                              \
        if (each.present.name) {                                                           \
            p->m.name = (kind == PB_MK_MEM) ? (each.m.name > p->m.name ? each.m.name : p->m.name) \
                                            : p->m.name + each.m.name;                     \
            p->present.name = 1;                                                           \
        }
        PB_METRICS(AGG)
#undef AGG
        json_object *po = procs ? json_object_new_object() : NULL;
        if (po) {
            json_object_object_add(po, "status", json_object_new_string(each.status));
            json_object_object_add(po, "metrics", journal_metrics_json(&each.m, &each.present));
            json_object_object_add(po, "stderr",
                                   json_object_new_string_len(outs[i].err, (int)outs[i].err_len));
            json_object_array_add(procs, po);
        }
        if (each.pool_classes)
            json_object_put(each.pool_classes);
    }
    p->m.wall_ns = group_ns;
    p->present.wall_ns = 1;
    if (p->present.ops && p->m.ops > 0) {
        p->m.ns_per_op = group_ns / p->m.ops;
        p->m.bytes_per_op = p->m.alloc_bytes / p->m.ops;
        p->m.allocs_per_op = p->m.alloc_calls / p->m.ops;
    }
    if (strcmp(p->status, "ok") != 0) {
        memset(&p->present, 0, sizeof p->present);
        p->present.wall_ns = 1;
    }
    return procs;
}

/* What the endpoint sampler saw (pprof_http = on): the ports, the interval, and over all
 * processes the complete heap profiles fetched, their bytes, the bad responses (failed)
 * and the fetches cut by a runner's exit (cut). */
static json_object *monitor_json(const monitor_t *mons, size_t n)
{
    json_object *o = json_object_new_object(), *ports = json_object_new_array();
    uint64_t fetches = 0, bytes = 0, failed = 0, cut = 0;
    for (size_t i = 0; i < n; i++) {
        fetches += mons[i].fetches;
        bytes += mons[i].body_bytes;
        failed += mons[i].failed;
        cut += mons[i].cut;
        if (ports)
            json_object_array_add(ports, json_object_new_int((int)mons[i].port));
    }
    if (!o)
        return NULL;
    json_object_object_add(o, "endpoint", json_object_new_string("/debug/pprof/heap"));
    json_object_object_add(o, "ports", ports);
    json_object_object_add(o, "interval_ms", json_object_new_int((int)mons[0].interval_ms));
    json_object_object_add(o, "fetches", json_object_new_uint64(fetches));
    json_object_object_add(o, "fetched_bytes", json_object_new_uint64(bytes));
    json_object_object_add(o, "failed", json_object_new_uint64(failed));
    json_object_object_add(o, "cut", json_object_new_uint64(cut));
    return o;
}

/* A unit of one child, or of a group of concurrent children (one journalled cell). */
static int run_children(engine_t *e, const matrix_unit_t *u, size_t order,
                        const engine_argv_t *av, const char *exe, const char *label)
{
    const matrix_cell_t *c = u->warmup ? &e->mx->warmups[u->first] : &e->mx->cells[u->first];
    const engine_side_t *side = &e->sides[u->side];
    const scenario_t *sc = c->sc;
    size_t n_proc = sc->mode == SCENARIO_MODE_CONCURRENT ? (size_t)sc->processes : 1;
    if (n_proc > ENGINE_GROUP_MAX)
        n_proc = ENGINE_GROUP_MAX;
    if (n_proc < 1)
        n_proc = 1;
    cell_spec_t specs[ENGINE_GROUP_MAX];
    cell_outcome_t outs[ENGINE_GROUP_MAX];
    for (size_t i = 0; i < n_proc; i++)
        specs[i] = (cell_spec_t){.exe = exe, .argv = av->argv,
                                 .extra_env = scenario_backend_env(c->backend),
                                 .timeout_s = (double)sc->timeout_s, .grace_s = 2};
    /* pprof_http = on: each process on its own free port, its endpoint scraped meanwhile */
    engine_argv_t *pav = NULL;
    monitor_t *mons = NULL;
    if (sc->pprof_http) {
        pav = calloc(n_proc, sizeof *pav);
        mons = calloc(n_proc, sizeof *mons);
        if (!pav || !mons) {
            free(pav);
            free(mons);
            snprintf(e->err, sizeof e->err, "out of memory");
            return ENGINE_HARNESS;
        }
        for (size_t i = 0; i < n_proc; i++) {
            unsigned port = 0;
            if (monitor_port_pick(&port) != 0 ||
                engine_argv_build(c, exe, e->cache_dir, side, &pav[i]) != 0) {
                snprintf(e->err, sizeof e->err, "no free loopback port for --pprof-port: %s",
                         strerror(errno));
                free(pav);
                free(mons);
                return ENGINE_HARNESS;
            }
            argv_add(&pav[i], "--pprof-port");
            argv_add_u64(&pav[i], port);
            specs[i].argv = pav[i].argv;
            mons[i].port = port;
        }
        for (size_t i = 0; i < n_proc; i++)
            if (monitor_start(&mons[i], mons[i].port, MONITOR_INTERVAL_MS) != 0) {
                for (size_t k = 0; k < i; k++)
                    monitor_stop(&mons[k]);
                free(pav);
                free(mons);
                snprintf(e->err, sizeof e->err, "cannot start the endpoint sampler thread");
                return ENGINE_HARNESS;
            }
    }
    uint64_t group_ns = 0;
    int grc = cell_run_group(specs, n_proc, outs, e->interrupt, &group_ns);
    for (size_t i = 0; mons && i < n_proc; i++)
        monitor_stop(&mons[i]);
    free(pav);
    if (grc != 0 && !outs[0].spawn_errno) {
        free(mons);
        snprintf(e->err, sizeof e->err, "cannot start a child (pipes or memory)");
        return ENGINE_HARNESS;
    }
    int ret = ENGINE_OK;
    run_parsed_t p;
    memset(&p, 0, sizeof p);
    json_object *procs = NULL, *line = NULL;
    uint64_t wall_ns = n_proc > 1 ? group_ns : outs[0].wall_ns;
    if (e->interrupt && *e->interrupt) {
        ret = ENGINE_INTERRUPTED;
        goto out;
    }
    const char *runner_backend = scenario_backend_runner(c->backend);
    if (n_proc == 1)
        run_parse(&outs[0], runner_backend, &p);
    else
        procs = group_parse(outs, n_proc, runner_backend, group_ns, &p);
    if (u->warmup) {
        if (e->on_done)
            e->on_done(e->user, label, p.status, wall_ns, 1,
                       strcmp(p.status, "ok") != 0 ? outs[0].err : "");
        goto out;
    }
    line = line_new(c, side, n_proc > 1 ? "group" : "runner", order);
    if (!line) {
        snprintf(e->err, sizeof e->err, "out of memory");
        ret = ENGINE_HARNESS;
        goto out;
    }
    if (procs) {
        json_object_object_add(line, "processes", procs);
        procs = NULL;
    }
    refs_check(e, c, &p, line);
    if (c->counting && !strcmp(p.status, "ok"))
        gc_bytes_put(e, c->arm_key, gc_feed_bytes(c->sc, p.m.pool_cycles, p.m.ops));
    line_add_outcome(line, &p, n_proc == 1 ? &outs[0] : NULL);
    if (mons)
        json_object_object_add(line, "monitor", monitor_json(mons, n_proc));
    ret = line_write(e, side, line, p.status);
    if (ret == ENGINE_OK && e->on_done)
        e->on_done(e->user, label, p.status, wall_ns, 0, "");
out:
    if (procs)
        json_object_put(procs);
    if (p.pool_classes)
        json_object_put(p.pool_classes);
    for (size_t i = 0; i < n_proc; i++)
        cell_outcome_free(&outs[i]);
    free(mons);
    return ret;
}

int engine_run_unit(engine_t *e, const matrix_unit_t *u, size_t order)
{
    const matrix_cell_t *c = u->warmup ? &e->mx->warmups[u->first] : &e->mx->cells[u->first];
    const engine_side_t *side = &e->sides[u->side];
    char exe[PATH_MAX], label[512];
    engine_cell_runner_path(e->mx, c, side->bin_dir, exe, sizeof exe);
    engine_cell_label(c, label, sizeof label);
    if (side->label)
        snprintf(label + strlen(label), sizeof label - strlen(label), " [%s]", side->label);
    if (u->warmup)
        snprintf(label + strlen(label), sizeof label - strlen(label), " (warm-up)");
    if (e->on_start)
        e->on_start(e->user, label);
    engine_argv_t av;
    if (engine_argv_build(c, exe, e->cache_dir, side, &av) != 0) {
        snprintf(e->err, sizeof e->err, "the runner command line of %s does not fit "
                 "(%d arguments of at most 255 bytes)", label, ENGINE_ARGV_MAX);
        return ENGINE_HARNESS;
    }
    uint64_t gcb = matrix_cell_bare(e->mx, c) ? gc_bytes_get(e, c->arm_key) : 0;
    if (gcb) {
        argv_add(&av, "--gc-bytes-per-op");
        argv_add_u64(&av, gcb);
        if (av.overflow) {
            snprintf(e->err, sizeof e->err, "the runner command line of %s does not fit "
                     "(%d arguments of at most 255 bytes)", label, ENGINE_ARGV_MAX);
            return ENGINE_HARNESS;
        }
    }
    if (c->sc->mode == SCENARIO_MODE_HYPERFINE && !u->warmup)
        return run_hyperfine(e, u, order, &av, label);
    return run_children(e, u, order, &av, exe, label);
}
