/* matrix_run.c: the body of `poolbench matrix` (matrix_run.h), in the order it happens:
 * prepare (scenarios, cells, runners), dry run, open the journal (new or resumed), the
 * context block, the run through the engine, the final cross-check of results.
 */
#define _GNU_SOURCE
#include "matrix_run.h"
#include "context.h"
#include "engine.h"
#include "hyperfine.h"
#include "interrupt.h"
#include "journal.h"
#include "matrix.h"
#include "matrix_shard.h"
#include "metrics.h"
#include "profile_pass.h"
#include "progress.h"
#include "scenario.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct matrix_session {
    const matrix_run_options_t *opt;
    scenario_t *scs;
    size_t n_scs;
    char matrix_name[SCENARIO_NAME_BYTES];
    matrix_t mx;
    uint64_t seed;
    char bin_dir[PATH_MAX];
    char hyperfine_exe[PATH_MAX], hyperfine_version[64];
    char out[PATH_MAX], journal_path[PATH_MAX + 32];
    int lock_fd, fd;
    journal_t old;
    int have_old;
    progress_t progress;
} matrix_session_t;

void matrix_run_default_out(char *out, size_t cap)
{
    char host[64] = "host", when[32];
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    time_t t = time(NULL);
    strftime(when, sizeof when, "%Y%m%d-%H%M%S", localtime(&t));
    snprintf(out, cap, "results/%s-%s", when, host);
}

uint64_t matrix_run_clock_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t st = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^ (uint64_t)getpid();
    return matrix_splitmix64(&st) >> 16; /* fits exactly in a JSON double too */
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Scenarios, cells, runners and hyperfine: everything checked before anything exists. */
static int session_prepare(matrix_session_t *s)
{
    const matrix_run_options_t *o = s->opt;
    char err[SCENARIO_ERR_BYTES];
    int rc = scenario_load_set(o->matrix_file, o->scenarios, o->scenario_dir,
                               o->default_scenario_dir, &s->scs, &s->n_scs, s->matrix_name, err);
    if (rc != 0) {
        /* errors about the argument name it; errors in a file start with FILE:LINE */
        fprintf(stderr, "%s%s\n", strncmp(err, "--", 2) == 0 ? "poolbench: " : "", err);
        return rc == -2 ? MATRIX_RUN_HARNESS : MATRIX_RUN_USAGE;
    }
    int er = matrix_expand(s->scs, s->n_scs, o->backends, &s->mx);
    if (er == -2) {
        fprintf(stderr, "poolbench matrix: no cells: no scenario lists any of --backends %s\n",
                o->backends ? o->backends : "");
        return MATRIX_RUN_USAGE;
    }
    /* time without the instrument: timed cells on pb-<backend>-bare, one counting
     * repetition per arm on pb-<backend> (matrix.h, issue 12) */
    if (er != 0 || matrix_add_counting(&s->mx) != 0) {
        fprintf(stderr, "poolbench matrix: out of memory\n");
        return MATRIX_RUN_HARNESS;
    }
    if (o->bin_dir)
        snprintf(s->bin_dir, sizeof s->bin_dir, "%s", o->bin_dir);
    else
        util_exe_dir(s->bin_dir, sizeof s->bin_dir);
    int need_hf = 0;
    for (size_t i = 0; i < s->mx.n_cells; i++) {
        char exe[PATH_MAX];
        engine_cell_runner_path(&s->mx, &s->mx.cells[i], s->bin_dir, exe, sizeof exe);
        if (access(exe, X_OK) != 0) {
            fprintf(stderr, "poolbench matrix: runner %s not found (scenario %s, backend %s): "
                            "build it (cmake --build build) or leave the backend out with "
                            "--backends\n", exe, s->mx.cells[i].sc->name, s->mx.cells[i].backend);
            return MATRIX_RUN_USAGE;
        }
        if (s->mx.cells[i].sc->mode == SCENARIO_MODE_HYPERFINE)
            need_hf = 1;
    }
    if (need_hf && hyperfine_find(s->hyperfine_exe, sizeof s->hyperfine_exe,
                                  s->hyperfine_version, sizeof s->hyperfine_version) != 0) {
        fprintf(stderr, "poolbench matrix: hyperfine not found on PATH (needed by the "
                        "process-level scenarios): apt-get install hyperfine, or leave those "
                        "scenarios out with --scenarios\n");
        return MATRIX_RUN_USAGE;
    }
    if (o->out)
        snprintf(s->out, sizeof s->out, "%s", o->out);
    else
        matrix_run_default_out(s->out, sizeof s->out);
    snprintf(s->journal_path, sizeof s->journal_path, "%s/%s", s->out, JOURNAL_FILE);
    return MATRIX_RUN_OK;
}

/* --dry-run: the plan on stdout, nothing created. */
static int session_dry_run(matrix_session_t *s)
{
    const matrix_run_options_t *o = s->opt;
    if (matrix_plan(&s->mx, s->seed, o->shard_k, o->shard_n, NULL, NULL) != 0) {
        fprintf(stderr, "poolbench matrix: out of memory\n");
        return MATRIX_RUN_HARNESS;
    }
    printf("matrix %s: %zu cells (hash %s), shard %u/%u, seed %llu, %zu units planned\n",
           s->matrix_name, s->mx.n_cells, s->mx.hash, o->shard_k, o->shard_n,
           (unsigned long long)s->seed, s->mx.n_plan);
    uint64_t *cost_ns = calloc(o->shard_n, sizeof *cost_ns);
    if (!cost_ns || matrix_shard_assign(&s->mx, o->shard_n, cost_ns) != 0) {
        free(cost_ns);
        fprintf(stderr, "poolbench matrix: out of memory\n");
        return MATRIX_RUN_HARNESS;
    }
    printf("expected time per shard (cost model of matrix_shard.c, warm-ups included):");
    for (unsigned k = 0; k < o->shard_n; k++)
        printf(" %u/%u %.1f s", k + 1, o->shard_n, (double)cost_ns[k] / 1e9);
    printf("\n");
    free(cost_ns);
    for (size_t i = 0; i < s->mx.n_plan; i++) {
        const matrix_unit_t *u = &s->mx.plan[i];
        const matrix_cell_t *c = u->warmup ? &s->mx.warmups[u->first] : &s->mx.cells[u->first];
        char label[400];
        engine_cell_label(c, label, sizeof label);
        printf("%s%s x%zu %s\n", label, u->warmup ? " (warm-up)" : "", u->n_cells, c->key);
    }
    size_t np = o->shard_k == 1 ? profile_pass_count(&s->mx) : 0;
    if (np)
        printf("profiled pass: %zu heap-profiled runs (one per arm of the heap_profile "
               "scenarios on glibc; not cells)\n", np);
    return MATRIX_RUN_OK;
}

/* A journal to continue: cut back to its complete lines, same matrix and schema. */
static int session_resume(matrix_session_t *s)
{
    char err[JOURNAL_ERR_BYTES];
    if (journal_load(s->journal_path, &s->old, err) != 0) {
        fprintf(stderr, "poolbench matrix: %s\n", err);
        return MATRIX_RUN_USAGE;
    }
    s->have_old = 1;
    if (s->old.truncated_line) {
        fprintf(stderr, "poolbench matrix: %s:%d: incomplete last line (an interrupted "
                        "write) ignored; the journal is cut back to its %zu complete bytes\n",
                s->journal_path, s->old.truncated_line, s->old.valid_bytes);
        if (journal_truncate(s->journal_path, s->old.valid_bytes) != 0) {
            fprintf(stderr, "poolbench matrix: cannot truncate %s: %s\n", s->journal_path,
                    strerror(errno));
            return MATRIX_RUN_HARNESS;
        }
    }
    if (!s->old.context) {   /* an empty journal: a new run; nothing of it is kept */
        journal_free(&s->old);
        s->have_old = 0;
        return MATRIX_RUN_OK;
    }
    const char *h = journal_str(s->old.context, "matrix_hash");
    if (!h || strcmp(h, s->mx.hash) != 0) {
        fprintf(stderr, "poolbench matrix: %s was written for a different matrix "
                        "(matrix_hash %.16s..., this one %.16s...): use the same "
                        "scenarios, overrides and --backends, or another --out\n",
                s->journal_path, h ? h : "none", s->mx.hash);
        return MATRIX_RUN_USAGE;
    }
    if (journal_int(s->old.context, "schema_version", -1) != PB_SCHEMA_VERSION) {
        fprintf(stderr, "poolbench matrix: %s has another schema version\n", s->journal_path);
        return MATRIX_RUN_USAGE;
    }
    json_object *sv;
    if (!s->opt->have_seed && json_object_object_get_ex(s->old.context, "seed", &sv))
        s->seed = (uint64_t)json_object_get_uint64(sv);
    return MATRIX_RUN_OK;
}

/* The output folder, its lock, and the journal (resumed or new). */
static int session_open(matrix_session_t *s)
{
    if (!s->opt->resume && file_exists(s->journal_path)) {
        fprintf(stderr, "poolbench matrix: %s already holds a journal: add --resume to continue "
                        "it, or choose another --out\n", s->out);
        return MATRIX_RUN_USAGE;
    }
    if (util_mkdir_p(s->out) != 0) {
        fprintf(stderr, "poolbench matrix: cannot create %s: %s\n", s->out, strerror(errno));
        return MATRIX_RUN_HARNESS;
    }
    char err[JOURNAL_ERR_BYTES];
    s->lock_fd = journal_lock(s->out, err);
    if (s->lock_fd < 0) {
        fprintf(stderr, "poolbench matrix: %s\n", err);
        return s->lock_fd == -1 ? MATRIX_RUN_USAGE : MATRIX_RUN_HARNESS;
    }
    if (s->opt->resume && file_exists(s->journal_path)) {
        int rc = session_resume(s);
        if (rc != MATRIX_RUN_OK)
            return rc;
    }
    s->fd = open(s->journal_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        fprintf(stderr, "poolbench matrix: cannot open %s: %s\n", s->journal_path, strerror(errno));
        return MATRIX_RUN_HARNESS;
    }
    if (!s->have_old && ftruncate(s->fd, 0) != 0)
        return MATRIX_RUN_HARNESS;
    return MATRIX_RUN_OK;
}

static int write_line(int fd, json_object *line, const char *path)
{
    if (journal_append(fd, line) != 0) {
        fprintf(stderr, "poolbench: cannot append to %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The context block of a new journal. */
static int session_context(matrix_session_t *s)
{
    const matrix_run_options_t *o = s->opt;
    json_object *ctx = context_build();
    if (!ctx)
        return MATRIX_RUN_HARNESS;
    json_object_object_add(ctx, "seed", json_object_new_uint64(s->seed));
    json_object_object_add(ctx, "matrix", json_object_new_string(s->matrix_name));
    json_object_object_add(ctx, "matrix_file", o->matrix_file ? json_object_new_string(o->matrix_file) : NULL);
    json_object_object_add(ctx, "matrix_hash", json_object_new_string(s->mx.hash));
    json_object_object_add(ctx, "matrix_cells", json_object_new_uint64(s->mx.n_cells));
    char sh[32];
    snprintf(sh, sizeof sh, "%u/%u", o->shard_k, o->shard_n);
    json_object_object_add(ctx, "shard", json_object_new_string(sh));
    json_object *cmd = json_object_new_array();
    for (int i = 0; i < o->argc && cmd; i++)
        json_object_array_add(cmd, json_object_new_string(o->argv[i]));
    json_object_object_add(ctx, "command_line", cmd);
    json_object_object_add(ctx, "hyperfine_version", s->hyperfine_version[0]
                           ? json_object_new_string(s->hyperfine_version) : NULL);
    context_add_runners(ctx, s->bin_dir, &s->mx, 0);
    json_object *names = json_object_new_array();
    for (size_t i = 0; i < s->n_scs && names; i++)
        json_object_array_add(names, json_object_new_string(s->scs[i].name));
    json_object_object_add(ctx, "scenarios", names);
    int w = write_line(s->fd, ctx, s->journal_path);
    json_object_put(ctx);
    return w == 0 ? MATRIX_RUN_OK : MATRIX_RUN_HARNESS;
}

static int done_in_journal(const char *key, void *user) { return journal_has(user, key); }

static void on_start(void *user, const char *label)
{
    progress_start(&((matrix_session_t *)user)->progress, label);
}

static void on_done(void *user, const char *label, const char *status, uint64_t wall_ns,
                    int warmup, const char *detail)
{
    progress_done(&((matrix_session_t *)user)->progress, label, status, wall_ns);
    if (warmup && strcmp(status, "ok") != 0)
        fprintf(stderr, "poolbench: warm-up of %s failed (%s): %.200s\n", label, status, detail);
}

/* The plan through the engine. */
static int session_run(matrix_session_t *s, size_t *written)
{
    const matrix_run_options_t *o = s->opt;
    if (matrix_plan(&s->mx, s->seed, o->shard_k, o->shard_n,
                    s->have_old ? done_in_journal : NULL, s->have_old ? &s->old : NULL) != 0) {
        fprintf(stderr, "poolbench matrix: out of memory\n");
        return MATRIX_RUN_HARNESS;
    }
    interrupt_install();
    size_t skipped = s->have_old ? s->old.n_cells : 0;
    fprintf(stderr, "poolbench: matrix %s, %zu cells (%zu already in the journal), %zu units to "
                    "run, shard %u/%u, seed %llu, output %s\n", s->matrix_name, s->mx.n_cells,
            skipped, s->mx.n_plan, o->shard_k, o->shard_n, (unsigned long long)s->seed, s->out);
    engine_side_t side = {.bin_dir = s->bin_dir, .fd = s->fd, .journal_path = s->journal_path};
    engine_t e = {.mx = &s->mx, .sides = &side, .n_sides = 1, .cache_dir = o->cache_dir,
                  .out_dir = s->out, .hyperfine_exe = s->hyperfine_exe,
                  .resumed = s->have_old ? &s->old : NULL, .check_results = 1,
                  .interrupt = &interrupt_signal, .on_start = on_start, .on_done = on_done,
                  .user = s};
    progress_init(&s->progress, stderr, s->mx.n_plan);
    int rc = MATRIX_RUN_OK;
    for (size_t i = 0; i < s->mx.n_plan && rc == MATRIX_RUN_OK; i++) {
        if (interrupt_signal) {
            rc = MATRIX_RUN_INTERRUPTED;
            break;
        }
        int ur = engine_run_unit(&e, &s->mx.plan[i], i);
        if (ur == ENGINE_INTERRUPTED)
            rc = MATRIX_RUN_INTERRUPTED;
        else if (ur != ENGINE_OK) {
            fprintf(stderr, "poolbench: %s\n", e.err);
            rc = MATRIX_RUN_HARNESS;
        }
    }
    progress_end(&s->progress);
    *written = e.written;
    engine_free(&e);
    if (rc == MATRIX_RUN_INTERRUPTED)
        fprintf(stderr, "poolbench: interrupted by signal %d; the running cell was stopped and "
                        "not recorded; %zu cells were written. Rerun the same command with "
                        "--resume to finish: poolbench matrix ... --out %s --resume\n",
                (int)interrupt_signal, *written, s->out);
    return rc;
}

/* The profiled pass (profile_pass.h), shard 1 only: heap profiles, never cells. */
static int session_profile_pass(matrix_session_t *s)
{
    if (s->opt->shard_k != 1 || profile_pass_count(&s->mx) == 0)
        return MATRIX_RUN_OK;
    fprintf(stderr, "poolbench: profiled pass: %zu heap-profiled runs into %s/%s/ (not "
                    "cells: never used for verdicts)\n", profile_pass_count(&s->mx), s->out,
            PROFILE_PASS_DIR);
    profile_pass_stats_t st;
    char err[512];
    int rc = profile_pass_run(&s->mx, s->bin_dir, s->opt->cache_dir, s->out, &interrupt_signal,
                              &st, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "poolbench: profiled pass: %s\n", err);
        return MATRIX_RUN_HARNESS;
    }
    if (rc == 1) {
        fprintf(stderr, "poolbench: profiled pass interrupted by signal %d (the cells are all "
                        "in the journal)\n", (int)interrupt_signal);
        return MATRIX_RUN_INTERRUPTED;
    }
    fprintf(stderr, "poolbench: profiled pass: %zu runs (%zu failed) in %.1f s\n", st.runs,
            st.failed, (double)st.wall_ns / 1e9);
    return MATRIX_RUN_OK;
}

int matrix_run_crosscheck(const char *journal_path, int fd)
{
    journal_t all;
    char err[JOURNAL_ERR_BYTES];
    if (journal_load(journal_path, &all, err) != 0) {
        fprintf(stderr, "poolbench matrix: rereading the journal: %s\n", err);
        return MATRIX_RUN_HARNESS;
    }
    int rc = MATRIX_RUN_OK;
    json_object *corr = json_object_new_array();
    int nfix = corr ? journal_verify_results(&all, corr) : -1;
    for (int i = 0; i < nfix; i++)
        if (write_line(fd, json_object_array_get_idx(corr, (size_t)i), journal_path) != 0)
            rc = MATRIX_RUN_HARNESS;
    if (nfix > 0)
        fprintf(stderr, "poolbench: %d cell(s) disagree with the reference result: marked "
                        "wrong_result\n", nfix);
    size_t bad = 0;
    for (size_t i = 0; i < all.n_cells; i++) {
        const char *st = journal_str(all.cells[i], "status");
        if (!st || strcmp(st, "ok") != 0)
            bad++;
    }
    json_object_put(corr);
    fprintf(stderr, "poolbench: done: %zu cells in %s (%zu ok, %zu failed)\n", all.n_cells,
            journal_path, all.n_cells - bad, bad);
    journal_free(&all);
    if (rc == MATRIX_RUN_OK && bad)
        rc = MATRIX_RUN_FAILED_CELLS;
    return rc;
}

int matrix_run(const matrix_run_options_t *opt)
{
    matrix_session_t s;
    memset(&s, 0, sizeof s);
    s.opt = opt;
    s.lock_fd = s.fd = -1;
    s.seed = opt->have_seed ? opt->seed : matrix_run_clock_seed();
    int rc = session_prepare(&s);
    if (rc == MATRIX_RUN_OK && opt->dry_run)
        rc = session_dry_run(&s);
    else if (rc == MATRIX_RUN_OK) {
        rc = session_open(&s);
        if (rc == MATRIX_RUN_OK && !s.have_old)
            rc = session_context(&s);
        size_t written = 0;
        if (rc == MATRIX_RUN_OK)
            rc = session_run(&s, &written);
        if (rc == MATRIX_RUN_OK)
            rc = session_profile_pass(&s);
        if (rc == MATRIX_RUN_OK)
            rc = matrix_run_crosscheck(s.journal_path, s.fd);
    }
    if (s.fd >= 0)
        close(s.fd);
    if (s.lock_fd >= 0)
        close(s.lock_fd);
    if (s.have_old || s.old.cells)
        journal_free(&s.old);
    matrix_free(&s.mx);
    free(s.scs);
    return rc;
}
