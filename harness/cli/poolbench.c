/* poolbench.c: the driver (build/bin/poolbench): matrix, report, compare, merge.
 *
 * `matrix` loads scenario files (all checks before anything is created), expands the
 * cells, takes DIR/.lock, writes or resumes DIR/results.jsonl, and runs every cell in its
 * own child (cell.c), hyperfine (hyperfine.c) or a group of concurrent children, writing
 * one fsync'd journal line per finished cell. Warm-up cells are run and not journalled.
 * Exit codes (also in --help and the README):
 *   0   every cell ok
 *   1   some cells failed (status other than ok); the matrix went on
 *   2   usage or bad input (arguments, scenario/matrix files, journals, busy folder)
 *   3   harness error (cannot write the journal, out of memory, runner missing at run time)
 *   130 interrupted (SIGINT/SIGTERM): rerun with --resume
 */
#define _GNU_SOURCE
#include "util.h"
#include "interrupt.h"
#include "cell.h"
#include "context.h"
#include "hyperfine.h"
#include "journal.h"
#include "matrix.h"
#include "metrics.h"
#include "progress.h"
#include "scenario.h"
#include "summary.h"
#include "report.h"
#include "gate.h"
#include "calibrate.h"
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

enum { EXIT_OK = 0, EXIT_FAILED_CELLS = 1, EXIT_USAGE = 2, EXIT_HARNESS = 3, EXIT_INTR = 130 };



static const char *exit_codes_text =
"exit codes:\n"
"  0    ok (matrix: every cell ok)\n"
"  1    some cells failed (crash, non-zero exit, timeout, wrong result); the rest ran\n"
"  2    usage or bad input: arguments, scenario or matrix file (FILE:LINE message),\n"
"       corrupt journal, output folder in use or already holding a journal\n"
"  3    harness error: cannot write results, out of memory\n"
"  130  interrupted by SIGINT/SIGTERM: nothing partial was written; rerun with --resume\n";

static void usage_main(FILE *f)
{
    fprintf(f,
"usage: poolbench COMMAND [options]   (poolbench COMMAND --help for details)\n"
"\n"
"The poolbench driver: runs the scenario matrix (each cell in its own process of the\n"
"right pb-<backend>), keeps an append-only journal, and summarises it.\n"
"\n"
"commands:\n"
"  matrix    run a matrix of scenarios into DIR/results.jsonl\n"
"  report    regenerate the decision report of DIR from its journal (never reruns)\n"
"  compare   compare two arms (backend/policy) scenario by scenario\n"
"  merge     combine shard journals into one\n"
"  gate      the nightly regression gate: baseline vs candidate (journals or git revisions)\n"
"  calibrate A/A and A/A' runs: false-alarm and detection rates on this machine\n"
"  history   the nightly trend from the SQLite history, with a chart\n"
"\n%s", exit_codes_text);
}

static void usage_matrix(FILE *f)
{
    fprintf(f,
"usage: poolbench matrix (--matrix FILE | --scenarios LIST) [options]\n"
"\n"
"Runs every cell (scenario x backend x pool policy x swept values x repetition) in its\n"
"own child process and appends one fsync'd line per finished cell to DIR/results.jsonl.\n"
"Cells are shuffled within each repetition block with a recorded seed; warm-up cells run\n"
"first and are not journalled. A failed cell is recorded and the matrix goes on.\n"
"\n"
"  --matrix FILE        a matrix file (scenarios/quick.matrix, scenarios/full.matrix)\n"
"  --scenarios LIST     comma-separated scenario names (scenarios/NAME.ini) or .ini\n"
"                       paths; with --matrix: only these scenarios of the matrix\n"
"  --scenario-dir DIR   where scenario names are looked up (default: the matrix file's\n"
"                       folder, else %s/scenarios)\n"
"  --backends LIST      keep only these backends (glibc, mimalloc, jemalloc, tcmalloc,\n"
"                       glibc-mmap128k) of each scenario\n"
"  --out DIR            output folder (default results/YYYYmmdd-HHMMSS-HOST)\n"
"  --resume             continue DIR's journal: skip cells already in it\n"
"  --shard K/N          run only the K-th of N deterministic parts (by cell key)\n"
"  --seed N             shuffle seed (default: from the clock; on --resume the journal's)\n"
"  --bin-dir DIR        where pb-<backend> live (default: poolbench's own folder)\n"
"  --cache-dir DIR      passed to the runners (generated input trees)\n"
"  --dry-run            list the plan and exit without running or creating anything\n"
"\n%s", PB_SOURCE_DIR, exit_codes_text);
}

static void usage_report(FILE *f)
{
    fprintf(f,
"usage: poolbench report DIR [--thresholds FILE] [--calibration FILE] [--no-charts]\n"
"\n"
"Reads DIR/results.jsonl (never reruns) and writes, in DIR:\n"
"  report.md     the decision (keep / remove / keep selectively) and its evidence\n"
"  report.html   the same, self-contained, charts embedded\n"
"  summary.json  machine-readable verdicts with the raw samples behind every comparison\n"
"  samples.csv   one row per sample;  bench.txt  Go benchmark format (for benchstat)\n"
"  charts/       gnuplot charts, PNG and SVG\n"
"  summary.md    one row per scenario x variant x backend x policy: n, median ns/op and\n"
"                its 95 %% CI, peak live bytes, max RSS, allocations per op, pool counts\n"
"--thresholds FILE  the decision thresholds (default: scenarios/thresholds.ini of the\n"
"                   source tree, when present; else the built-in seed defaults)\n"
"--calibration FILE the calibration.json of `poolbench calibrate`, quoted in the report\n"
"                   (default: DIR/calibration.json when present)\n"
"--no-charts        skip gnuplot\n\n%s", exit_codes_text);
}

static void usage_compare(FILE *f)
{
    fprintf(f,
"usage: poolbench compare DIR --a BACKEND/POLICY --b BACKEND/POLICY [--metric NAME]\n"
"\n"
"Per scenario: medians of both arms, the ratio b/a of the medians with a bootstrap 95 %%\n"
"CI, the two-sided Mann-Whitney p and the Holm-adjusted p. Default metric: ns_per_op\n"
"(any name of harness/common/metrics.h).\n\n%s", exit_codes_text);
}

static void usage_merge(FILE *f)
{
    fprintf(f,
"usage: poolbench merge OUT IN1 IN2 ...\n"
"\n"
"Combines shard journals (folders or results.jsonl files) into OUT/results.jsonl,\n"
"deduplicating cells by key, then cross-checks results across shards (wrong_result\n"
"corrections). Refuses journals of different matrices (matrix_hash) or schema versions.\n"
"\n%s", exit_codes_text);
}

/* ---- small helpers ----------------------------------------------------------------- */


static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void journal_path_of(const char *in, char *out, size_t cap)
{
    struct stat st;
    if (stat(in, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(out, cap, "%s/%s", in, JOURNAL_FILE);
    else
        snprintf(out, cap, "%s", in);
}


/* ---- loading scenarios ----------------------------------------------------------- */

typedef struct loaded {
    scenario_t *scs;
    size_t n;
    char matrix_name[SCENARIO_NAME_BYTES];
} loaded_t;


/* Loads the scenarios of a run; prints the error (FILE:LINE) and returns an exit code. */
static int load_scenarios(const char *matrix_file, const char *scenarios, const char *sdir_opt,
                          loaded_t *out)
{
    memset(out, 0, sizeof *out);
    char dflt[PATH_MAX], err[SCENARIO_ERR_BYTES];
    snprintf(dflt, sizeof dflt, "%s/scenarios", PB_SOURCE_DIR);
    int rc = scenario_load_set(matrix_file, scenarios, sdir_opt, dflt, &out->scs, &out->n,
                               out->matrix_name, err);
    if (rc == 0)
        return EXIT_OK;
    /* errors about the argument name it; errors in a file start with FILE:LINE */
    fprintf(stderr, "%s%s\n", strncmp(err, "--", 2) == 0 ? "poolbench: " : "", err);
    return rc == -2 ? EXIT_HARNESS : EXIT_USAGE;
}

/* ---- runner command lines ------------------------------------------------------- */

typedef struct argv_buf {
    char *argv[64];
    char store[48][256];
    size_t n, ns;
} argv_buf_t;

static void av_add(argv_buf_t *a, const char *s)
{
    if (a->n < 63) {
        a->argv[a->n++] = (char *)s;
        a->argv[a->n] = NULL;
    }
}

static void av_addf(argv_buf_t *a, const char *fmt, unsigned long long v)
{
    if (a->ns < 48) {
        snprintf(a->store[a->ns], sizeof a->store[0], fmt, v);
        av_add(a, a->store[a->ns++]);
    }
}

static void av_adds(argv_buf_t *a, const char *s)
{
    if (a->ns < 48) {
        snprintf(a->store[a->ns], sizeof a->store[0], "%s", s);
        av_add(a, a->store[a->ns++]);
    }
}

typedef struct run_opts {
    char bin_dir[PATH_MAX];
    const char *cache_dir;
} run_opts_t;

static void runner_exe(const run_opts_t *o, const char *backend, char *out, size_t cap)
{
    snprintf(out, cap, "%s/pb-%s", o->bin_dir, scenario_backend_runner(backend));
}

static void build_argv(const run_opts_t *o, const matrix_cell_t *c, const char *exe, argv_buf_t *a)
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
            av_addf(a, "%llu", c->size_bytes);
        }
        av_add(a, "--seed");
        av_addf(a, "%llu", sc->seed);
    }
    if (sc->files != SCENARIO_UNSET) {
        av_add(a, "--files");
        av_addf(a, "%llu", sc->files);
    }
    if (sc->member[0]) {
        av_add(a, "--member");
        av_add(a, sc->member);
    }
    if (sc->image[0]) {
        av_add(a, "--image");
        av_add(a, sc->image);
    }
    if (sc->tag[0]) {
        av_add(a, "--tag");
        av_add(a, sc->tag);
    }
    char pools[SCENARIO_NAME_BYTES];
    snprintf(pools, sizeof pools, "%s", c->policy);
    for (char *p = pools; *p; p++)
        if (*p == '+')
            *p = ',';
    av_add(a, "--pools");
    av_adds(a, pools);
    if (c->threads != SCENARIO_UNSET) {
        av_add(a, "--threads");
        av_addf(a, "%llu", c->threads);
    }
    if (sc->iterations != SCENARIO_UNSET) {
        av_add(a, "--iterations");
        av_addf(a, "%llu", sc->iterations);
    }
    if (sc->warmup_iterations != SCENARIO_UNSET) {
        av_add(a, "--warmup");
        av_addf(a, "%llu", sc->warmup_iterations);
    }
    av_add(a, "--zero-on-put");
    av_add(a, c->zero_on_put ? "on" : "off");
    av_add(a, "--standard-alloc");
    av_add(a, c->standard_alloc);
    if (c->hash_size_bytes != SCENARIO_UNSET) {
        av_add(a, "--hash-size");
        av_addf(a, "%llu", c->hash_size_bytes);
    }
    if (c->tar_size_bytes != SCENARIO_UNSET) {
        av_add(a, "--tar-size");
        av_addf(a, "%llu", c->tar_size_bytes);
    }
    if (c->string_size_bytes != SCENARIO_UNSET) {
        av_add(a, "--string-size");
        av_addf(a, "%llu", c->string_size_bytes);
    }
    if (sc->gogc_percent != SCENARIO_UNSET) {
        av_add(a, "--gogc");
        av_addf(a, "%llu", sc->gogc_percent);
    }
    if (o->cache_dir) {
        av_add(a, "--cache-dir");
        av_add(a, o->cache_dir);
    }
    if (sc->pprof_http)
        av_add(a, "--pprof-http");
}

/* ---- cell lines ----------------------------------------------------------------- */

static json_object *cell_config_json(const matrix_cell_t *c)
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
    U("iterations", sc->iterations);
    U("warmup_iterations", sc->warmup_iterations);
    U("gogc_percent", sc->gogc_percent);
    U("processes", sc->processes);
    U("timeout_s", sc->timeout_s);
#undef U
    json_object_object_add(o, "zero_on_put", json_object_new_boolean(c->zero_on_put));
    json_object_object_add(o, "standard_alloc", json_object_new_string(c->standard_alloc));
    json_object_object_add(o, "pprof_http", json_object_new_boolean(sc->pprof_http));
    if (sc->input_path[0])
        json_object_object_add(o, "input", json_object_new_string(sc->input_path));
    if (sc->member[0])
        json_object_object_add(o, "member", json_object_new_string(sc->member));
    if (sc->expect[0])
        json_object_object_add(o, "expect", json_object_new_string(sc->expect));
    json_object_object_add(o, "canonical", json_object_new_string(c->canon));
    return o;
}

static const char *mode_text(scenario_mode_t m)
{
    return m == SCENARIO_MODE_CONCURRENT ? "concurrent"
         : m == SCENARIO_MODE_HYPERFINE ? "hyperfine" : "cell";
}

static json_object *cell_line_base(const matrix_cell_t *c, const char *source, size_t order)
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
    json_object_object_add(o, "source", json_object_new_string(source));
    json_object_object_add(o, "order", json_object_new_uint64(order));
    json_object_object_add(o, "finished_unix_ns",
                           json_object_new_int64((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
    json_object *cfg = cell_config_json(c);
    json_object_object_add(o, "config", cfg);
    return o;
}

/* Interprets one runner's outcome. Fills status (ok/exit:N/signal:N/timeout/bad_output),
 * metrics (with wait4 values replacing the runner's), result, pool classes, version. */
typedef struct parsed_run {
    char status[64];
    pb_metrics_t m;
    journal_present_t present;
    char result[256];
    json_object *pool_classes;   /* owned */
    char backend_version[64];
    char why[256];
} parsed_run_t;

static void parse_run(const cell_outcome_t *o, const char *runner_backend, parsed_run_t *p)
{
    memset(p, 0, sizeof *p);
    cell_status(o, p->status, sizeof p->status);
    if (strcmp(p->status, "ok") != 0)
        return;
    json_object *root = o->out ? json_tokener_parse(o->out) : NULL;
    const char *st = journal_str(root, "status"), *be = journal_str(root, "backend");
    const char *res = journal_str(root, "result");
    long long sv = journal_int(root, "schema_version", -1);
    int n_metrics = 0, n_all = 0;
#define COUNT_ALL(name, kind, desc) n_all++;
    PB_METRICS(COUNT_ALL)
#undef COUNT_ALL
    if (root && json_object_is_type(root, json_type_object))
        n_metrics = journal_metrics_get(root, &p->m, &p->present);
    if (!root || !json_object_is_type(root, json_type_object) || o->out_truncated) {
        snprintf(p->why, sizeof p->why, "stdout is not one JSON object");
    } else if (sv != PB_SCHEMA_VERSION) {
        snprintf(p->why, sizeof p->why, "schema_version %lld, expected %d", sv, PB_SCHEMA_VERSION);
    } else if (!st || strcmp(st, "ok") != 0) {
        snprintf(p->why, sizeof p->why, "runner status is not ok");
    } else if (!be || strcmp(be, runner_backend) != 0) {
        snprintf(p->why, sizeof p->why, "runner reports backend %s, expected %s", be ? be : "?",
                 runner_backend);
    } else if (n_metrics != n_all) {
        snprintf(p->why, sizeof p->why, "runner output lacks %d of the metrics", n_all - n_metrics);
    } else if (!res) {
        snprintf(p->why, sizeof p->why, "runner output has no result");
    }
    if (p->why[0]) {
        snprintf(p->status, sizeof p->status, "bad_output");
        memset(&p->present, 0, sizeof p->present);
    } else {
        snprintf(p->result, sizeof p->result, "%s", res);
        const char *bv = journal_str(root, "backend_version");
        snprintf(p->backend_version, sizeof p->backend_version, "%s", bv ? bv : "");
        json_object *pc;
        if (json_object_object_get_ex(root, "pool_classes", &pc))
            p->pool_classes = json_object_get(pc);
    }
    if (root)
        json_object_put(root);
    /* the child's own rusage, from wait4 of that child only */
    p->m.max_rss_bytes = (uint64_t)o->ru.ru_maxrss * 1024u;
    p->m.minor_faults = (uint64_t)o->ru.ru_minflt;
    p->m.major_faults = (uint64_t)o->ru.ru_majflt;
    p->m.vol_ctx_switches = (uint64_t)o->ru.ru_nvcsw;
    p->m.invol_ctx_switches = (uint64_t)o->ru.ru_nivcsw;
    p->present.max_rss_bytes = p->present.minor_faults = p->present.major_faults = 1;
    p->present.vol_ctx_switches = p->present.invol_ctx_switches = 1;
}

static void add_outcome_fields(json_object *line, const parsed_run_t *p, const cell_outcome_t *o)
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
    if (p->why[0])
        json_object_object_add(line, "bad_output_reason", json_object_new_string(p->why));
}

/* ---- reference results known during the run (pinned or glibc/none) ---------------- */

typedef struct refs {
    char (*input_key)[MATRIX_KEY_HEX];
    char (*result)[256];
    size_t n, cap;
} refs_t;

static const char *refs_get(const refs_t *r, const char *ik)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->input_key[i], ik) == 0)
            return r->result[i];
    return NULL;
}

static void refs_put(refs_t *r, const char *ik, const char *res)
{
    if (refs_get(r, ik))
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
    snprintf(r->input_key[r->n], MATRIX_KEY_HEX, "%s", ik);
    snprintf(r->result[r->n], 256, "%s", res);
    r->n++;
}

/* Marks wrong_result against a known reference (pinned expect, or a glibc/none result
 * seen before); otherwise the final cross-check after the run decides. */
static void check_result(refs_t *refs, const matrix_cell_t *c, parsed_run_t *p, json_object *line)
{
    if (strcmp(p->status, "ok") != 0 || !p->result[0])
        return;
    const char *ref = c->sc->expect[0] ? c->sc->expect : refs_get(refs, c->input_key);
    if (ref && strcmp(ref, p->result) != 0) {
        snprintf(p->status, sizeof p->status, "wrong_result");
        json_object_object_add(line, "expected", json_object_new_string(ref));
        return;
    }
    if (!ref && strcmp(c->backend, "glibc") == 0 && strcmp(c->policy, "none") == 0)
        refs_put(refs, c->input_key, p->result);
}

/* ---- matrix ----------------------------------------------------------------------- */

static int done_in_journal(const char *key, void *user) { return journal_has(user, key); }

static void cell_label(const matrix_cell_t *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %s/%s%s%s rep %d", c->sc->name, c->backend, c->policy,
             c->variant[0] ? " " : "", c->variant, c->rep);
}

static int write_line(int fd, json_object *line, const char *path)
{
    if (journal_append(fd, line) != 0) {
        fprintf(stderr, "poolbench: cannot append to %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

typedef struct matrix_run {
    run_opts_t ro;
    matrix_t *mx;
    int fd;
    char jpath[PATH_MAX];
    char out_dir[PATH_MAX];
    refs_t refs;
    progress_t prog;
    const journal_t *old;
    char hf_exe[PATH_MAX];
    size_t failed, written;
} matrix_run_t;

/* Runs one unit. Returns 0, EXIT_INTR or EXIT_HARNESS. */
static int run_unit(matrix_run_t *r, const matrix_unit_t *u, size_t order)
{
    const matrix_cell_t *c = u->warmup ? &r->mx->warmups[u->first] : &r->mx->cells[u->first];
    const scenario_t *sc = c->sc;
    char exe[PATH_MAX], label[400];
    runner_exe(&r->ro, c->backend, exe, sizeof exe);
    cell_label(c, label, sizeof label);
    if (u->warmup)
        snprintf(label + strlen(label), sizeof label - strlen(label), " (warm-up)");
    progress_start(&r->prog, label);
    argv_buf_t av;
    build_argv(&r->ro, c, exe, &av);
    const char *env = scenario_backend_env(c->backend);
    const char *runner_backend = scenario_backend_runner(c->backend);

    if (sc->mode == SCENARIO_MODE_HYPERFINE) {
        char cmd[8192], json_path[PATH_MAX + 64], err[512];
        if (hyperfine_command(av.argv, cmd, sizeof cmd) != 0) {
            fprintf(stderr, "poolbench: command line too long for hyperfine\n");
            return EXIT_HARNESS;
        }
        snprintf(json_path, sizeof json_path, "%s/hyperfine-%.16s.json", r->out_dir, c->arm_key);
        cell_outcome_t o;
        hyperfine_result_t hr;
        double timeout = (double)sc->timeout_s * (double)(u->n_cells + sc->warmup_repetitions);
        int rc = hyperfine_run(r->hf_exe, cmd, (unsigned)u->n_cells,
                               (unsigned)sc->warmup_repetitions, env, json_path, timeout,
                               &interrupt_signal, &o, &hr, err, sizeof err);
        if (interrupt_signal) {
            cell_outcome_free(&o);
            hyperfine_result_free(&hr);
            return EXIT_INTR;
        }
        uint64_t total_ns = o.wall_ns;
        for (size_t i = 0; i < u->n_cells; i++) {
            const matrix_cell_t *ci = &r->mx->cells[u->first + i];
            if (r->old && journal_has(r->old, ci->key))
                continue;
            json_object *line = cell_line_base(ci, "hyperfine", order);
            if (!line)
                return EXIT_HARNESS;
            parsed_run_t p;
            memset(&p, 0, sizeof p);
            if (rc == 0 && i < hr.n_runs) {
                if (hr.exit_codes[i] == 0)
                    snprintf(p.status, sizeof p.status, "ok");
                else
                    snprintf(p.status, sizeof p.status, "exit:%d", hr.exit_codes[i]);
                p.m.wall_ns = (uint64_t)(hr.times_s[i] * 1e9 + 0.5);
                p.present.wall_ns = 1;
            } else {
                /* hyperfine itself failed: every run of the unit carries its status */
                cell_status(&o, p.status, sizeof p.status);
                if (strcmp(p.status, "ok") == 0)
                    snprintf(p.status, sizeof p.status, "bad_output");
                snprintf(p.why, sizeof p.why, "%.250s", err);
            }
            add_outcome_fields(line, &p, NULL);
            json_object_object_add(line, "stderr", json_object_new_string_len(o.err, (int)o.err_len));
            json_object_object_add(line, "backend_version", NULL);
            if (strcmp(p.status, "ok") != 0)
                r->failed++;
            if (write_line(r->fd, line, r->jpath) != 0) {
                json_object_put(line);
                return EXIT_HARNESS;
            }
            r->written++;
            json_object_put(line);
        }
        char st[64];
        snprintf(st, sizeof st, "%s", rc == 0 ? "ok (hyperfine)" : err);
        progress_done(&r->prog, label, st, total_ns);
        cell_outcome_free(&o);
        hyperfine_result_free(&hr);
        return 0;
    }

    size_t n_proc = sc->mode == SCENARIO_MODE_CONCURRENT ? (size_t)sc->processes : 1;
    cell_spec_t specs[64];
    cell_outcome_t outs[64];
    for (size_t i = 0; i < n_proc; i++)
        specs[i] = (cell_spec_t){.exe = exe, .argv = av.argv, .extra_env = env,
                                 .timeout_s = (double)sc->timeout_s, .grace_s = 2};
    uint64_t group_ns = 0;
    if (cell_run_group(specs, n_proc, outs, &interrupt_signal, &group_ns) != 0 && !outs[0].spawn_errno) {
        fprintf(stderr, "poolbench: cannot start a child (pipes or memory)\n");
        return EXIT_HARNESS;
    }
    if (interrupt_signal) {
        for (size_t i = 0; i < n_proc; i++)
            cell_outcome_free(&outs[i]);
        return EXIT_INTR;
    }
    parsed_run_t p;
    json_object *line = NULL;
    if (n_proc == 1) {
        parse_run(&outs[0], runner_backend, &p);
    } else {
        /* a group: one cell; see scenarios/concurrent_builds.ini for the aggregation */
        parsed_run_t each;
        memset(&p, 0, sizeof p);
        snprintf(p.status, sizeof p.status, "ok");
        json_object *procs = json_object_new_array();
        for (size_t i = 0; i < n_proc; i++) {
            parse_run(&outs[i], runner_backend, &each);
            if (strcmp(each.status, "ok") != 0 && strcmp(p.status, "ok") == 0) {
                snprintf(p.status, sizeof p.status, "%s", each.status);
                snprintf(p.why, sizeof p.why, "process %zu: %s", i, each.why);
            }
            if (i == 0) {
                snprintf(p.result, sizeof p.result, "%s", each.result);
                snprintf(p.backend_version, sizeof p.backend_version, "%s", each.backend_version);
            } else if (strcmp(p.status, "ok") == 0 && strcmp(each.result, p.result) != 0) {
                snprintf(p.status, sizeof p.status, "wrong_result");
                snprintf(p.why, sizeof p.why, "process %zu disagrees with process 0", i);
            }
#define AGG(name, kind, desc)                                                              \
            if (each.present.name) {                                                       \
                p.m.name = (kind == PB_MK_MEM) ? (each.m.name > p.m.name ? each.m.name : p.m.name) \
                                               : p.m.name + each.m.name;                   \
                p.present.name = 1;                                                        \
            }
            PB_METRICS(AGG)
#undef AGG
            if (procs) {
                json_object *po = json_object_new_object();
                if (po) {
                    json_object_object_add(po, "status", json_object_new_string(each.status));
                    json_object_object_add(po, "metrics", journal_metrics_json(&each.m, &each.present));
                    json_object_object_add(po, "stderr",
                                           json_object_new_string_len(outs[i].err, (int)outs[i].err_len));
                    json_object_array_add(procs, po);
                }
            }
            if (each.pool_classes)
                json_object_put(each.pool_classes);
        }
        /* the group's wall time is the elapsed time of the whole group */
        p.m.wall_ns = group_ns;
        p.present.wall_ns = 1;
        if (p.present.ops && p.m.ops > 0) {
            p.m.ns_per_op = group_ns / p.m.ops;
            p.m.bytes_per_op = p.m.alloc_bytes / p.m.ops;
            p.m.allocs_per_op = p.m.alloc_calls / p.m.ops;
        }
        if (strcmp(p.status, "ok") != 0)
            memset(&p.present, 0, sizeof p.present), p.present.wall_ns = 1;
        if (!u->warmup) {
            line = cell_line_base(c, "group", order);
            if (line)
                json_object_object_add(line, "processes", procs);
            else
                json_object_put(procs);
        } else {
            json_object_put(procs);
        }
    }
    if (u->warmup) {
        char st[80];
        snprintf(st, sizeof st, "%s", p.status);
        progress_done(&r->prog, label, st, n_proc > 1 ? group_ns : outs[0].wall_ns);
        if (strcmp(p.status, "ok") != 0)
            fprintf(stderr, "poolbench: warm-up of %s failed (%s): %.200s\n", label, p.status,
                    outs[0].err);
        if (p.pool_classes)
            json_object_put(p.pool_classes);
        for (size_t i = 0; i < n_proc; i++)
            cell_outcome_free(&outs[i]);
        return 0;
    }
    if (!line)
        line = cell_line_base(c, "runner", order);
    if (!line)
        return EXIT_HARNESS;
    check_result(&r->refs, c, &p, line);
    add_outcome_fields(line, &p, n_proc == 1 ? &outs[0] : NULL);
    if (strcmp(p.status, "ok") != 0)
        r->failed++;
    int wrc = write_line(r->fd, line, r->jpath);
    json_object_put(line);
    if (p.pool_classes)
        json_object_put(p.pool_classes);
    progress_done(&r->prog, label, p.status, n_proc > 1 ? group_ns : outs[0].wall_ns);
    for (size_t i = 0; i < n_proc; i++)
        cell_outcome_free(&outs[i]);
    if (wrc != 0)
        return EXIT_HARNESS;
    r->written++;
    return 0;
}

static int cmd_matrix(int argc, char **argv)
{
    static const struct option opts[] = {
        {"matrix", required_argument, 0, 'm'}, {"scenarios", required_argument, 0, 's'},
        {"scenario-dir", required_argument, 0, 'S'}, {"backends", required_argument, 0, 'b'},
        {"out", required_argument, 0, 'o'}, {"resume", no_argument, 0, 'r'},
        {"shard", required_argument, 0, 'k'}, {"seed", required_argument, 0, 'e'},
        {"bin-dir", required_argument, 0, 'B'}, {"cache-dir", required_argument, 0, 'C'},
        {"dry-run", no_argument, 0, 'n'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *matrix_file = NULL, *scen = NULL, *sdir = NULL, *backends = NULL, *out = NULL;
    const char *shard = NULL, *seed_s = NULL, *bin_dir = NULL, *cache_dir = NULL;
    int resume = 0, dry = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': matrix_file = optarg; break;
        case 's': scen = optarg; break;
        case 'S': sdir = optarg; break;
        case 'b': backends = optarg; break;
        case 'o': out = optarg; break;
        case 'r': resume = 1; break;
        case 'k': shard = optarg; break;
        case 'e': seed_s = optarg; break;
        case 'B': bin_dir = optarg; break;
        case 'C': cache_dir = optarg; break;
        case 'n': dry = 1; break;
        case 'h': usage_matrix(stdout); return EXIT_OK;
        default: usage_matrix(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "poolbench matrix: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (!matrix_file && !scen) {
        fprintf(stderr, "poolbench matrix: give --matrix FILE or --scenarios LIST (see --help)\n");
        return EXIT_USAGE;
    }
    unsigned sk = 1, sn = 1;
    if (shard && matrix_parse_shard(shard, &sk, &sn) != 0) {
        fprintf(stderr, "poolbench matrix: bad --shard '%s' (K/N with 1 <= K <= N)\n", shard);
        return EXIT_USAGE;
    }
    uint64_t seed = 0;
    if (seed_s) {
        char *end;
        errno = 0;
        seed = strtoull(seed_s, &end, 10);
        if (errno || *end || !seed_s[0] || seed_s[0] == '-') {
            fprintf(stderr, "poolbench matrix: bad --seed '%s' (a non-negative integer)\n", seed_s);
            return EXIT_USAGE;
        }
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t st = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^ (uint64_t)getpid();
        seed = matrix_splitmix64(&st) >> 16; /* fits exactly in a JSON double too */
    }
    if (backends) {
        char *copy = strdup(backends), *save = NULL;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
            if (!scenario_backend_known(t)) {
                fprintf(stderr, "poolbench matrix: unknown backend '%s' in --backends (glibc, "
                                "mimalloc, jemalloc, tcmalloc, glibc-mmap128k)\n", t);
                free(copy);
                return EXIT_USAGE;
            }
        free(copy);
    }
    loaded_t ld;
    int rc = load_scenarios(matrix_file, scen, sdir, &ld);
    if (rc != EXIT_OK) {
        free(ld.scs);
        return rc;
    }
    matrix_t mx;
    int er = matrix_expand(ld.scs, ld.n, backends, &mx);
    if (er == -2) {
        fprintf(stderr, "poolbench matrix: no cells: no scenario lists any of --backends %s\n",
                backends ? backends : "");
        free(ld.scs);
        return EXIT_USAGE;
    }
    if (er != 0) {
        fprintf(stderr, "poolbench matrix: out of memory\n");
        free(ld.scs);
        return EXIT_HARNESS;
    }
    matrix_run_t r;
    memset(&r, 0, sizeof r);
    r.mx = &mx;
    r.fd = -1;
    r.ro.cache_dir = cache_dir;
    if (bin_dir)
        snprintf(r.ro.bin_dir, sizeof r.ro.bin_dir, "%s", bin_dir);
    else
        util_exe_dir(r.ro.bin_dir, sizeof r.ro.bin_dir);
    /* every runner and hyperfine must exist before anything is created */
    int need_hf = 0;
    for (size_t i = 0; i < mx.n_cells; i++) {
        char exe[PATH_MAX];
        runner_exe(&r.ro, mx.cells[i].backend, exe, sizeof exe);
        if (access(exe, X_OK) != 0) {
            fprintf(stderr, "poolbench matrix: runner %s not found (scenario %s, backend %s): "
                            "build it (cmake --build build) or leave the backend out with "
                            "--backends\n", exe, mx.cells[i].sc->name, mx.cells[i].backend);
            matrix_free(&mx);
            free(ld.scs);
            return EXIT_USAGE;
        }
        if (mx.cells[i].sc->mode == SCENARIO_MODE_HYPERFINE)
            need_hf = 1;
    }
    char hf_version[64] = "";
    if (need_hf && hyperfine_find(r.hf_exe, sizeof r.hf_exe, hf_version, sizeof hf_version) != 0) {
        fprintf(stderr, "poolbench matrix: hyperfine not found on PATH (needed by the "
                        "process-level scenarios): apt-get install hyperfine, or leave those "
                        "scenarios out with --scenarios\n");
        matrix_free(&mx);
        free(ld.scs);
        return EXIT_USAGE;
    }
    char def_out[PATH_MAX];
    if (!out) {
        char host[64] = "host", when[32];
        gethostname(host, sizeof host);
        host[sizeof host - 1] = '\0';
        time_t t = time(NULL);
        strftime(when, sizeof when, "%Y%m%d-%H%M%S", localtime(&t));
        snprintf(def_out, sizeof def_out, "results/%s-%s", when, host);
        out = def_out;
    }
    snprintf(r.out_dir, sizeof r.out_dir, "%s", out);
    snprintf(r.jpath, sizeof r.jpath, "%s/%s", out, JOURNAL_FILE);
    if (dry) {
        matrix_plan(&mx, seed, sk, sn, NULL, NULL);
        printf("matrix %s: %zu cells (hash %s), shard %u/%u, seed %llu, %zu units planned\n",
               ld.matrix_name, mx.n_cells, mx.hash, sk, sn, (unsigned long long)seed, mx.n_plan);
        for (size_t i = 0; i < mx.n_plan; i++) {
            const matrix_unit_t *u = &mx.plan[i];
            const matrix_cell_t *cc = u->warmup ? &mx.warmups[u->first] : &mx.cells[u->first];
            char label[400];
            cell_label(cc, label, sizeof label);
            printf("%s%s x%zu %s\n", label, u->warmup ? " (warm-up)" : "", u->n_cells, cc->key);
        }
        matrix_free(&mx);
        free(ld.scs);
        return EXIT_OK;
    }
    if (!resume && file_exists(r.jpath)) {
        fprintf(stderr, "poolbench matrix: %s already holds a journal: add --resume to continue "
                        "it, or choose another --out\n", out);
        matrix_free(&mx);
        free(ld.scs);
        return EXIT_USAGE;
    }
    if (util_mkdir_p(out) != 0) {
        fprintf(stderr, "poolbench matrix: cannot create %s: %s\n", out, strerror(errno));
        matrix_free(&mx);
        free(ld.scs);
        return EXIT_HARNESS;
    }
    char err[JOURNAL_ERR_BYTES];
    int lock_fd = journal_lock(out, err);
    if (lock_fd < 0) {
        fprintf(stderr, "poolbench matrix: %s\n", err);
        matrix_free(&mx);
        free(ld.scs);
        return lock_fd == -1 ? EXIT_USAGE : EXIT_HARNESS;
    }
    journal_t old;
    memset(&old, 0, sizeof old);
    int have_old = 0;
    if (resume && file_exists(r.jpath)) {
        if (journal_load(r.jpath, &old, err) != 0) {
            fprintf(stderr, "poolbench matrix: %s\n", err);
            rc = EXIT_USAGE;
            goto done;
        }
        have_old = 1;
        if (old.truncated_line) {
            fprintf(stderr, "poolbench matrix: %s:%d: incomplete last line (an interrupted "
                            "write) ignored; the journal is cut back to its %zu complete bytes\n",
                    r.jpath, old.truncated_line, old.valid_bytes);
            if (journal_truncate(r.jpath, old.valid_bytes) != 0) {
                fprintf(stderr, "poolbench matrix: cannot truncate %s: %s\n", r.jpath, strerror(errno));
                rc = EXIT_HARNESS;
                goto done;
            }
        }
        if (old.context) {
            const char *h = journal_str(old.context, "matrix_hash");
            if (!h || strcmp(h, mx.hash) != 0) {
                fprintf(stderr, "poolbench matrix: %s was written for a different matrix "
                                "(matrix_hash %.16s..., this one %.16s...): use the same "
                                "scenarios, overrides and --backends, or another --out\n",
                        r.jpath, h ? h : "none", mx.hash);
                rc = EXIT_USAGE;
                goto done;
            }
            if (journal_int(old.context, "schema_version", -1) != PB_SCHEMA_VERSION) {
                fprintf(stderr, "poolbench matrix: %s has another schema version\n", r.jpath);
                rc = EXIT_USAGE;
                goto done;
            }
            if (!seed_s) {
                json_object *sv;
                if (json_object_object_get_ex(old.context, "seed", &sv))
                    seed = (uint64_t)json_object_get_uint64(sv);
            }
        } else {
            have_old = 0;
        }
        r.old = have_old ? &old : NULL;
    }
    r.fd = open(r.jpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (r.fd < 0) {
        fprintf(stderr, "poolbench matrix: cannot open %s: %s\n", r.jpath, strerror(errno));
        rc = EXIT_HARNESS;
        goto done;
    }
    if (!have_old) {
        if (ftruncate(r.fd, 0) != 0) {
            rc = EXIT_HARNESS;
            goto done;
        }
        json_object *ctx = context_build();
        if (!ctx) {
            rc = EXIT_HARNESS;
            goto done;
        }
        json_object_object_add(ctx, "seed", json_object_new_uint64(seed));
        json_object_object_add(ctx, "matrix", json_object_new_string(ld.matrix_name));
        json_object_object_add(ctx, "matrix_file", matrix_file ? json_object_new_string(matrix_file) : NULL);
        json_object_object_add(ctx, "matrix_hash", json_object_new_string(mx.hash));
        json_object_object_add(ctx, "matrix_cells", json_object_new_uint64(mx.n_cells));
        char sh[32];
        snprintf(sh, sizeof sh, "%u/%u", sk, sn);
        json_object_object_add(ctx, "shard", json_object_new_string(sh));
        json_object *cmd = json_object_new_array();
        for (int i = 0; i < argc && cmd; i++)
            json_object_array_add(cmd, json_object_new_string(argv[i]));
        json_object_object_add(ctx, "command_line", cmd);
        json_object_object_add(ctx, "hyperfine_version", hf_version[0] ? json_object_new_string(hf_version) : NULL);
        json_object *bvs = json_object_new_object();
        const char *seen[16];
        size_t n_seen = 0;
        for (size_t i = 0; i < mx.n_cells && bvs; i++) {
            const char *b = mx.cells[i].backend;
            int dup = 0;
            for (size_t k = 0; k < n_seen; k++)
                dup |= strcmp(seen[k], b) == 0;
            if (dup || n_seen == 16)
                continue;
            seen[n_seen++] = b;
            char exe[PATH_MAX];
            runner_exe(&r.ro, b, exe, sizeof exe);
            json_object *v = context_runner_version(exe, scenario_backend_env(b));
            if (v) {
                json_object *gc;
                if (json_object_object_get_ex(v, "compiler", &gc))
                    json_object_object_add(ctx, "compiler", json_object_get(gc));
                if (json_object_object_get_ex(v, "git_commit", &gc))
                    json_object_object_add(ctx, "git_commit", json_object_get(gc));
            }
            json_object_object_add(bvs, b, v);
        }
        json_object_object_add(ctx, "backends", bvs);
        json_object *scs = json_object_new_array();
        for (size_t i = 0; i < ld.n && scs; i++)
            json_object_array_add(scs, json_object_new_string(ld.scs[i].name));
        json_object_object_add(ctx, "scenarios", scs);
        int w = write_line(r.fd, ctx, r.jpath);
        json_object_put(ctx);
        if (w != 0) {
            rc = EXIT_HARNESS;
            goto done;
        }
    }
    if (matrix_plan(&mx, seed, sk, sn, have_old ? done_in_journal : NULL, have_old ? &old : NULL) != 0) {
        fprintf(stderr, "poolbench matrix: out of memory\n");
        rc = EXIT_HARNESS;
        goto done;
    }
    interrupt_install();
    size_t skipped = have_old ? old.n_cells : 0;
    fprintf(stderr, "poolbench: matrix %s, %zu cells (%zu already in the journal), %zu units to "
                    "run, shard %u/%u, seed %llu, output %s\n", ld.matrix_name, mx.n_cells,
            skipped, mx.n_plan, sk, sn, (unsigned long long)seed, out);
    progress_init(&r.prog, stderr, mx.n_plan);
    rc = EXIT_OK;
    for (size_t i = 0; i < mx.n_plan; i++) {
        if (interrupt_signal) {
            rc = EXIT_INTR;
            break;
        }
        int ur = run_unit(&r, &mx.plan[i], i);
        if (ur != 0) {
            rc = ur;
            break;
        }
    }
    progress_end(&r.prog);
    if (rc == EXIT_INTR) {
        fprintf(stderr, "poolbench: interrupted by signal %d; the running cell was stopped and "
                        "not recorded; %zu cells were written. Rerun the same command with "
                        "--resume to finish: poolbench matrix ... --out %s --resume\n",
                (int)interrupt_signal, r.written, out);
        goto done;
    }
    if (rc != EXIT_OK)
        goto done;
    /* cross-check results across the whole journal (the reference may have come later) */
    {
        journal_t all;
        if (journal_load(r.jpath, &all, err) != 0) {
            fprintf(stderr, "poolbench matrix: rereading the journal: %s\n", err);
            rc = EXIT_HARNESS;
            goto done;
        }
        json_object *corr = json_object_new_array();
        int nfix = corr ? journal_verify_results(&all, corr) : -1;
        for (int i = 0; i < nfix; i++)
            if (write_line(r.fd, json_object_array_get_idx(corr, (size_t)i), r.jpath) != 0)
                rc = EXIT_HARNESS;
        if (nfix > 0)
            fprintf(stderr, "poolbench: %d cell(s) disagree with the reference result: marked "
                            "wrong_result\n", nfix);
        size_t bad = 0, total = 0;
        for (size_t i = 0; i < all.n_cells; i++) {
            const char *st = journal_str(all.cells[i], "status");
            total++;
            if (!st || strcmp(st, "ok") != 0)
                bad++;
        }
        json_object_put(corr);
        journal_free(&all);
        fprintf(stderr, "poolbench: done: %zu cells in %s (%zu ok, %zu failed)\n", total, r.jpath,
                total - bad, bad);
        if (rc == EXIT_OK && bad)
            rc = EXIT_FAILED_CELLS;
    }
done:
    if (r.fd >= 0)
        close(r.fd);
    if (have_old || old.cells)
        journal_free(&old);
    close(lock_fd);
    free(r.refs.input_key);
    free(r.refs.result);
    matrix_free(&mx);
    free(ld.scs);
    return rc;
}

/* ---- report / compare / merge ------------------------------------------------------- */

static int load_for_reading(const char *in, journal_t *j)
{
    char path[PATH_MAX], err[JOURNAL_ERR_BYTES];
    journal_path_of(in, path, sizeof path);
    if (journal_load(path, j, err) != 0) {
        fprintf(stderr, "poolbench: %s\n", err);
        return EXIT_USAGE;
    }
    if (!j->context) {
        fprintf(stderr, "poolbench: %s: empty journal (no context block)\n", path);
        journal_free(j);
        return EXIT_USAGE;
    }
    if (j->truncated_line)
        fprintf(stderr, "poolbench: %s:%d: incomplete last line ignored (an interrupted write); "
                        "`poolbench matrix --resume` cuts it off\n", path, j->truncated_line);
    if (journal_int(j->context, "schema_version", -1) != PB_SCHEMA_VERSION) {
        fprintf(stderr, "poolbench: %s: schema version %lld, this poolbench reads %d\n", path,
                journal_int(j->context, "schema_version", -1), PB_SCHEMA_VERSION);
        journal_free(j);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int write_arm_table(const char *dir, journal_t *j)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/summary.md", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "poolbench report: cannot write %s: %s\n", tmp, strerror(errno));
        return EXIT_HARNESS;
    }
    int rc = summary_write(j, f);
    if (fclose(f) != 0 || rc != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "poolbench report: cannot write %s\n", path);
        unlink(tmp);
        return EXIT_HARNESS;
    }
    return EXIT_OK;
}

static int cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *thresholds = NULL;
    report_options_t opt = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_report(stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--thresholds") == 0 && i + 1 < argc) {
            thresholds = argv[++i];
        } else if (strcmp(argv[i], "--no-charts") == 0) {
            opt.no_charts = 1;
        } else if (strcmp(argv[i], "--calibration") == 0 && i + 1 < argc) {
            opt.calibration = argv[++i];
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            fprintf(stderr, "poolbench report: unexpected argument '%s' (see --help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    struct stat st;
    if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "poolbench report: %s: not a results folder (see --help)\n",
                dir ? dir : "DIR missing");
        return EXIT_USAGE;
    }
    char default_th[PATH_MAX];
    snprintf(default_th, sizeof default_th, "%s/scenarios/thresholds.ini", PB_SOURCE_DIR);
    if (!thresholds && access(default_th, R_OK) == 0)
        thresholds = default_th;

    journal_t j;
    int rc = load_for_reading(dir, &j);
    if (rc)
        return rc;
    rc = write_arm_table(dir, &j);
    journal_free(&j);
    if (rc)
        return rc;

    report_outcome_t out;
    char err[REPORT_ERR_BYTES];
    rc = report_write(dir, thresholds, &opt, &out, err, sizeof err);
    if (rc != REPORT_OK) {
        fprintf(stderr, "poolbench report: %s\n", err);
        return rc == REPORT_BAD_INPUT ? EXIT_USAGE : EXIT_HARNESS;
    }
    for (int c = 0; c < CHARTS_COUNT; c++)
        if (out.charts[c].status == CHARTS_FAILED)
            fprintf(stderr, "poolbench report: warning: %s\n", out.charts[c].message);
    printf("overall: %s (%zu cells, %zu warnings; thresholds: %s)\n", out.overall, out.n_cells,
           out.n_warnings, thresholds ? thresholds : "built-in defaults");
    printf("report:  %s\n", out.report_md);
    return EXIT_OK;
}

static int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {{"a", required_argument, 0, 'a'},
                                         {"b", required_argument, 0, 'b'},
                                         {"metric", required_argument, 0, 'm'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *a = NULL, *b = NULL, *metric = "ns_per_op";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': a = optarg; break;
        case 'b': b = optarg; break;
        case 'm': metric = optarg; break;
        case 'h': usage_compare(stdout); return EXIT_OK;
        default: usage_compare(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !a || !b) {
        usage_compare(stderr);
        return EXIT_USAGE;
    }
    journal_t j;
    int rc = load_for_reading(argv[optind], &j);
    if (rc)
        return rc;
    char err[512];
    int r = summary_compare(&j, a, b, metric, stdout, err, sizeof err);
    journal_free(&j);
    if (r == -1) {
        fprintf(stderr, "poolbench compare: out of memory\n");
        return EXIT_HARNESS;
    }
    if (r != 0) {
        fprintf(stderr, "poolbench compare: %s\n", err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int cmd_merge(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage_merge(stdout);
        return EXIT_OK;
    }
    if (argc < 3 || argv[1][0] == '-') {
        usage_merge(stderr);
        return EXIT_USAGE;
    }
    const char *out = argv[1];
    size_t n_in = (size_t)argc - 2;
    journal_t *js = calloc(n_in, sizeof *js);
    if (!js)
        return EXIT_HARNESS;
    int rc = EXIT_OK;
    for (size_t i = 0; i < n_in; i++) {
        rc = load_for_reading(argv[2 + i], &js[i]);
        if (rc)
            goto end;
        const char *h0 = journal_str(js[0].context, "matrix_hash");
        const char *hi = journal_str(js[i].context, "matrix_hash");
        if (!h0 || !hi || strcmp(h0, hi) != 0) {
            fprintf(stderr, "poolbench merge: %s comes from a different matrix than %s "
                            "(matrix_hash %.16s... vs %.16s...): merge only shards of one matrix\n",
                    argv[2 + i], argv[2], hi ? hi : "none", h0 ? h0 : "none");
            rc = EXIT_USAGE;
            goto end;
        }
    }
    char jpath[PATH_MAX];
    snprintf(jpath, sizeof jpath, "%s/%s", out, JOURNAL_FILE);
    if (file_exists(jpath)) {
        fprintf(stderr, "poolbench merge: %s already exists: choose a new OUT folder\n", jpath);
        rc = EXIT_USAGE;
        goto end;
    }
    if (util_mkdir_p(out) != 0) {
        fprintf(stderr, "poolbench merge: cannot create %s: %s\n", out, strerror(errno));
        rc = EXIT_HARNESS;
        goto end;
    }
    char err[JOURNAL_ERR_BYTES];
    int lock = journal_lock(out, err);
    if (lock < 0) {
        fprintf(stderr, "poolbench merge: %s\n", err);
        rc = lock == -1 ? EXIT_USAGE : EXIT_HARNESS;
        goto end;
    }
    int fd = open(jpath, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "poolbench merge: cannot create %s: %s\n", jpath, strerror(errno));
        close(lock);
        rc = EXIT_HARNESS;
        goto end;
    }
    json_object *ctx = json_object_get(js[0].context);
    json_object *from = json_object_new_array();
    for (size_t i = 0; i < n_in && from; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "journal", json_object_new_string(argv[2 + i]));
        json_object *sh;
        if (json_object_object_get_ex(js[i].context, "shard", &sh))
            json_object_object_add(e, "shard", json_object_get(sh));
        json_object_object_add(e, "seed", json_object_get(json_object_object_get(js[i].context, "seed")));
        json_object_array_add(from, e);
    }
    json_object_object_add(ctx, "merged_from", from);
    json_object_object_add(ctx, "shard", json_object_new_string("merged"));
    if (journal_append(fd, ctx) != 0)
        rc = EXIT_HARNESS;
    json_object_put(ctx);
    size_t written = 0, dups = 0;
    journal_t merged;
    memset(&merged, 0, sizeof merged);
    for (size_t i = 0; i < n_in && rc == EXIT_OK; i++) {
        for (size_t k = 0; k < js[i].n_cells; k++) {
            const char *key = journal_str(js[i].cells[k], "key");
            int dup = 0;
            for (size_t p = 0; p < i && !dup; p++)
                dup = journal_has(&js[p], key);
            if (dup) {
                dups++;
                continue;
            }
            if (journal_append(fd, js[i].cells[k]) != 0) {
                rc = EXIT_HARNESS;
                break;
            }
            written++;
        }
    }
    if (rc == EXIT_OK) {
        if (journal_load(jpath, &merged, err) == 0) {
            json_object *corr = json_object_new_array();
            int nfix = corr ? journal_verify_results(&merged, corr) : -1;
            for (int i = 0; i < nfix; i++)
                if (journal_append(fd, json_object_array_get_idx(corr, (size_t)i)) != 0)
                    rc = EXIT_HARNESS;
            if (nfix > 0)
                fprintf(stderr, "poolbench merge: %d cell(s) disagree with the reference result "
                                "across shards: marked wrong_result\n", nfix);
            json_object_put(corr);
            journal_free(&merged);
        } else {
            fprintf(stderr, "poolbench merge: %s\n", err);
            rc = EXIT_HARNESS;
        }
    }
    close(fd);
    close(lock);
    fprintf(stderr, "poolbench: merged %zu journals into %s: %zu cells (%zu duplicates dropped)\n",
            n_in, jpath, written, dups);
end:
    for (size_t i = 0; i < n_in; i++)
        journal_free(&js[i]);
    free(js);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "matrix") == 0)
        return cmd_matrix(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "gate") == 0)
        return gate_main(argc - 1, argv + 1);
    if (strcmp(cmd, "calibrate") == 0)
        return calibrate_main(argc - 1, argv + 1);
    if (strcmp(cmd, "history") == 0)
        return history_main(argc - 1, argv + 1);
    fprintf(stderr, "poolbench: unknown command '%s' (matrix, report, compare, merge, gate, "
                    "calibrate, history; see "
                    "poolbench --help)\n", cmd);
    return EXIT_USAGE;
}
