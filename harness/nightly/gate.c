/* gate.c: the body of `poolbench gate` (gate.h): saved journals, or two git revisions
 * built side by side (gate_build.h), run interleaved (gate_runner.h), compared
 * (gate_compare.h) and, when something is flagged, confirmed by a rerun of those arms.
 *
 * Guarantees: a bad input (journal, thresholds, revision, history file) exits 2 with a
 * message naming it and never damages an earlier result; the history file is checked
 * before anything runs. What it must not do: edit the repository it builds from.
 */
#define _GNU_SOURCE
#include "gate.h"
#include "gate_build.h"
#include "gate_ir.h"
#include "history.h"
#include "interrupt.h"
#include "journal.h"
#include "journal_read.h"
#include "matrix.h"
#include "util.h"

#include <errno.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

enum { J_BASE, J_CAND, J_CONFIRM_BASE, J_CONFIRM_CAND, J_COUNT };

typedef struct gate_session {
    const gate_command_t *cmd;
    thresholds_t th;
    gate_options_t compare;
    history_t *history;
    struct timespec now;
    /* --revs */
    char repo[PATH_MAX], sha[2][64];
    scenario_t *scs;
    size_t n_scs;
    char targets[512];
    char work_dir[PATH_MAX], out_dir[PATH_MAX];
    char dirs[J_COUNT][PATH_MAX + 32], journals[J_COUNT][PATH_MAX + 64];
    char bins[2][PATH_MAX + 16];
    uint64_t seed;
} gate_session_t;

static int load_journal(const char *what, const char *in, journal_t *j)
{
    char err[JOURNAL_READ_MSG_BYTES], warn[JOURNAL_READ_MSG_BYTES];
    int rc = journal_read(in, j, 0, err, warn);
    if (warn[0])
        fprintf(stderr, "poolbench gate: warning: %s\n", warn);
    if (rc != 0) {
        fprintf(stderr, "poolbench gate: %s journal: %s\n", what, err);
        return -1;
    }
    return 0;
}

static void progress_print(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "gate: %s\n", line);
}

static void emit_summary(const gate_report_t *r, const char *bl, const char *cl,
                         const char *extra, const char *summary_path)
{
    gate_write_markdown(stdout, r, bl, cl, extra);
    fflush(stdout);
    const char *paths[2] = {summary_path, getenv("GITHUB_STEP_SUMMARY")};
    for (int i = 0; i < 2; i++) {
        if (!paths[i] || !paths[i][0])
            continue;
        FILE *f = fopen(paths[i], i == 0 ? "w" : "a");
        if (!f) {
            fprintf(stderr, "poolbench gate: warning: cannot write the summary to %s: %s\n",
                    paths[i], strerror(errno));
            continue;
        }
        gate_write_markdown(f, r, bl, cl, extra);
        int bad = ferror(f);
        if (fclose(f) != 0 || bad)
            fprintf(stderr, "poolbench gate: warning: the summary in %s is incomplete: %s\n",
                    paths[i], strerror(errno ? errno : EIO));
    }
}

static const char *journal_commit(const journal_t *j)
{
    const char *c = journal_str(j->context, "commit");
    if (!c)
        c = journal_str(j->context, "git_commit");
    if (!c)
        c = journal_str(j->context, "driver_git_commit");
    return c ? c : "unknown";
}

/* Records both runs in the history, when one was given. Returns 0 or GATE_EXIT_HARNESS. */
static int record_history(gate_session_t *s, const journal_t *b, const journal_t *c)
{
    if (!s->history)
        return 0;
    char err[HISTORY_ERR_BYTES], run_id[64];
    int64_t when = s->now.tv_sec;
    snprintf(run_id, sizeof run_id, "%lld-%d", (long long)when, (int)getpid());
    if (history_record(s->history, b, run_id, "baseline", journal_commit(b), when, err) != 0 ||
        history_record(s->history, c, run_id, "candidate", journal_commit(c), when, err) != 0) {
        fprintf(stderr, "poolbench gate: history: %s\n", err);
        return GATE_EXIT_HARNESS;
    }
    fprintf(stderr, "gate: recorded both runs in %s\n", s->cmd->history_path);
    return 0;
}

/* The end of every gate run: the summary, the exit code, the history; frees rep and
 * both journals. */
static int gate_finish(gate_session_t *s, gate_report_t *rep, journal_t *jb, journal_t *jc,
                       const char *bl, const char *cl, const char *extra)
{
    emit_summary(rep, bl, cl, extra, s->cmd->summary);
    int ec = gate_exit_code(rep);
    int hr = record_history(s, jb, jc);
    if (hr != 0 && ec == 0)
        ec = hr;
    gate_report_free(rep);
    journal_free(jb);
    journal_free(jc);
    return ec;
}

/* ============================================================== saved journals ===== */

static int gate_saved(gate_session_t *s)
{
    const gate_command_t *o = s->cmd;
    journal_t jb, jc;
    if (load_journal("baseline", o->baseline, &jb) != 0)
        return GATE_EXIT_INCONCLUSIVE;
    if (load_journal("candidate", o->candidate, &jc) != 0) {
        journal_free(&jb);
        return GATE_EXIT_INCONCLUSIVE;
    }
    gate_report_t rep;
    char err[GATE_ERR_BYTES];
    if (gate_compare(&jb, &jc, &s->compare, &rep, err) != 0) {
        fprintf(stderr, "poolbench gate: %s\n", err);
        journal_free(&jb);
        journal_free(&jc);
        return GATE_EXIT_HARNESS;
    }
    gate_mark_unconfirmable(&rep);
    /* instruction counts saved beside both journals (a gate --revs output folder) */
    char ir[2][PATH_MAX + 32];
    const char *paths[2] = {o->baseline, o->candidate};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
            snprintf(ir[i], sizeof ir[i], "%s/%s", paths[i], GATE_IR_FILE);
        else {
            const char *slash = strrchr(paths[i], '/');
            snprintf(ir[i], sizeof ir[i], "%.*s%s", slash ? (int)(slash - paths[i] + 1) : 0,
                     paths[i], GATE_IR_FILE);
        }
    }
    if (access(ir[0], F_OK) == 0 && access(ir[1], F_OK) == 0 &&
        gate_ir_compare_files(ir[0], ir[1], s->th.max_instructions_increase_percent, &rep, err,
                              sizeof err) != 0) {
        fprintf(stderr, "poolbench gate: instruction counts: %s\n", err);
        gate_report_free(&rep);
        journal_free(&jb);
        journal_free(&jc);
        return GATE_EXIT_INCONCLUSIVE;
    }
    return gate_finish(s, &rep, &jb, &jc, o->baseline, o->candidate, "saved journals");
}

/* ================================================================ two revisions ===== */

/* Both revisions, the scenarios and the runner targets they need. */
static int revs_resolve(gate_session_t *s)
{
    const gate_command_t *o = s->cmd;
    if (o->repo)
        snprintf(s->repo, sizeof s->repo, "%s", o->repo);
    else
        gate_build_repo(PB_SOURCE_DIR, s->repo, sizeof s->repo);
    const char *revname[2] = {o->rev_base, o->rev_cand};
    for (int i = 0; i < 2; i++)
        if (gate_build_resolve(s->repo, revname[i], s->sha[i], sizeof s->sha[i]) != 0) {
            fprintf(stderr, "poolbench gate: --revs: '%s' is not a commit of the repository %s%s\n",
                    revname[i], s->repo, i == 0 ? " (no baseline)" : "");
            return GATE_EXIT_INCONCLUSIVE;
        }
    char err[GATE_ERR_BYTES];
    if (gate_load_scenarios(o->matrix, o->scenarios, o->scenario_dir, o->repetitions, &s->scs,
                            &s->n_scs, err) != 0) {
        fprintf(stderr, "poolbench gate: %s\n", err);
        return GATE_EXIT_INCONCLUSIVE;
    }
    for (size_t i = 0; i < s->n_scs; i++) {
        const scenario_t *sc = &s->scs[i];
        if (sc->mode != SCENARIO_MODE_CELL) {
            fprintf(stderr, "poolbench gate: %s: scenario %s is not a per-cell scenario "
                            "(hyperfine/concurrent); leave it out of --scenarios\n",
                    sc->path, sc->name);
            return GATE_EXIT_INCONCLUSIVE;
        }
        for (size_t b = 0; b < sc->backends.n; b++) {
            char t[80];
            snprintf(t, sizeof t, "pb-%s", scenario_backend_runner(sc->backends.v[b]));
            if (!strstr(s->targets, t))
                snprintf(s->targets + strlen(s->targets), sizeof s->targets - strlen(s->targets),
                         "%s%s", s->targets[0] ? " " : "", t);
        }
    }
    return 0;
}

/* The work folder (sources and builds) and the output folder with its four journals. */
static int revs_folders(gate_session_t *s)
{
    const gate_command_t *o = s->cmd;
    if (o->work_dir) {
        snprintf(s->work_dir, sizeof s->work_dir, "%s", o->work_dir);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(s->work_dir, sizeof s->work_dir, "%s/poolbench-gate-%d",
                 tmp && tmp[0] ? tmp : "/tmp", (int)getuid());
    }
    char cwd[PATH_MAX], abs_dir[PATH_MAX * 2];
    if (s->work_dir[0] != '/' && getcwd(cwd, sizeof cwd)) {
        snprintf(abs_dir, sizeof abs_dir, "%s/%s", cwd, s->work_dir);
        snprintf(s->work_dir, sizeof s->work_dir, "%s", abs_dir);
    }
    if (o->out_dir) {
        snprintf(s->out_dir, sizeof s->out_dir, "%s", o->out_dir);
    } else {
        char when[32];
        strftime(when, sizeof when, "%Y%m%d-%H%M%S", localtime(&s->now.tv_sec));
        snprintf(s->out_dir, sizeof s->out_dir, "results/gate-%s", when);
    }
    const char *sub[J_COUNT] = {"base", "candidate", "confirm-base", "confirm-candidate"};
    for (int i = 0; i < J_COUNT; i++) {
        snprintf(s->dirs[i], sizeof s->dirs[i], "%s/%s", s->out_dir, sub[i]);
        snprintf(s->journals[i], sizeof s->journals[i], "%s/%s", s->dirs[i], JOURNAL_FILE);
        if (access(s->journals[i], F_OK) == 0) {
            fprintf(stderr, "poolbench gate: %s already holds a gate run (%s exists): choose "
                            "another --out\n", s->out_dir, s->journals[i]);
            return GATE_EXIT_INCONCLUSIVE;
        }
    }
    if (util_mkdir_p(s->work_dir) != 0 || util_mkdir_p(s->dirs[J_BASE]) != 0 ||
        util_mkdir_p(s->dirs[J_CAND]) != 0) {
        fprintf(stderr, "poolbench gate: cannot create %s or %s: %s\n", s->work_dir, s->out_dir,
                strerror(errno));
        return GATE_EXIT_HARNESS;
    }
    return 0;
}

/* Builds both revisions (once when they are the same commit). */
static int revs_build(gate_session_t *s)
{
    const char *revname[2] = {s->cmd->rev_base, s->cmd->rev_cand};
    for (int i = 0; i < 2; i++) {
        if (i == 1 && !strcmp(s->sha[0], s->sha[1])) {
            snprintf(s->bins[1], sizeof s->bins[1], "%s", s->bins[0]);
            break;
        }
        fprintf(stderr, "gate: building %s (%.12s): %s\n", revname[i], s->sha[i], s->targets);
        char msg[PATH_MAX + 200];
        if (gate_build_rev(s->repo, s->sha[i], s->work_dir, s->targets, s->bins[i],
                           sizeof s->bins[i], msg, sizeof msg) != 0) {
            fprintf(stderr, "poolbench gate: %s: %s\n",
                    i == 0 ? "baseline (no baseline)" : "candidate", msg);
            return interrupt_signal ? 130 : i == 0 ? GATE_EXIT_INCONCLUSIVE : GATE_EXIT_HARNESS;
        }
    }
    return 0;
}

/* Runs both sides interleaved into journals jb/jc (indexes into s->journals), only the
 * arms of `arms` (NULL: all), and compares them into rep. */
static int revs_run_compare(gate_session_t *s, int jb, int jc, uint64_t seed, const char *arms,
                            gate_report_t *rep, journal_t *base, journal_t *cand)
{
    gate_side_t sides[2] = {
        {.label = jb == J_BASE ? "base" : "confirm-base", .bin_dir = s->bins[0],
         .commit = s->sha[0], .journal_path = s->journals[jb]},
        {.label = jc == J_CAND ? "candidate" : "confirm-candidate", .bin_dir = s->bins[1],
         .commit = s->sha[1], .inject_slowdown_pct = s->cmd->inject_slowdown_pct,
         .inject_live_pct = s->cmd->inject_live_pct,
         .inject_extra_ops_pct = s->cmd->inject_extra_ops_pct,
         .journal_path = s->journals[jc]}};
    gate_run_options_t ro = {.seed = seed, .arms_filter = arms, .cache_dir = s->cmd->cache_dir,
                             .interrupt = &interrupt_signal, .progress = progress_print};
    char err[GATE_ERR_BYTES];
    int rr = gate_run_sides(s->scs, s->n_scs, sides, 2, &ro, err);
    if (rr != 0) {
        if (rr != 130)
            fprintf(stderr, "poolbench gate: %s%s\n", jb == J_BASE ? "" : "confirmation rerun: ",
                    err);
        return rr == 130 ? 130 : rr == -1 && jb == J_BASE ? GATE_EXIT_INCONCLUSIVE
                                                           : GATE_EXIT_HARNESS;
    }
    const char *what[2] = {jb == J_BASE ? "baseline" : "confirmation baseline",
                           jb == J_BASE ? "candidate" : "confirmation candidate"};
    if (load_journal(what[0], s->journals[jb], base) != 0)
        return GATE_EXIT_HARNESS;
    if (load_journal(what[1], s->journals[jc], cand) != 0) {
        journal_free(base);
        return GATE_EXIT_HARNESS;
    }
    if (gate_compare(base, cand, &s->compare, rep, err) != 0) {
        fprintf(stderr, "poolbench gate: %s\n", err);
        journal_free(base);
        journal_free(cand);
        return GATE_EXIT_HARNESS;
    }
    return 0;
}

/* Reruns the flagged arms (if any) and marks each flagged row confirmed or not. */
static int revs_confirm(gate_session_t *s, gate_report_t *rep)
{
    char *arms = NULL;
    int nreg = gate_regressed_arms(rep, &arms);
    if (nreg < 0) {
        fprintf(stderr, "poolbench gate: out of memory\n");
        return GATE_EXIT_HARNESS;
    }
    if (nreg == 0)
        return 0;
    if (s->cmd->no_confirm) {
        gate_mark_unconfirmable(rep);
        rep->saved_journals = 0;
        free(arms);
        return 0;
    }
    fprintf(stderr, "gate: regression or suspect flagged: confirmation rerun of those arms\n");
    if (util_mkdir_p(s->dirs[J_CONFIRM_BASE]) != 0 || util_mkdir_p(s->dirs[J_CONFIRM_CAND]) != 0) {
        fprintf(stderr, "poolbench gate: cannot create %s: %s\n", s->dirs[J_CONFIRM_BASE],
                strerror(errno));
        free(arms);
        return GATE_EXIT_HARNESS;
    }
    uint64_t st = s->seed + 1;
    gate_report_t rerun;
    journal_t kb, kc;
    int rc = revs_run_compare(s, J_CONFIRM_BASE, J_CONFIRM_CAND, matrix_splitmix64(&st) >> 16,
                              arms, &rerun, &kb, &kc);
    free(arms);
    if (rc != 0)
        return rc;
    gate_apply_confirmation(rep, &rerun);
    gate_report_free(&rerun);
    journal_free(&kb);
    journal_free(&kc);
    return 0;
}

/* The instruction counts of every single-threaded arm on both revisions (gate_ir.h) into
 * OUT/base and OUT/candidate, compared and appended to rep after the confirmation (a
 * deterministic count needs none). Without valgrind: a message, and the gate goes on on
 * time alone. */
static int revs_instructions(gate_session_t *s, gate_report_t *rep)
{
    if (s->cmd->no_instructions)
        return 0;
    char err[GATE_ERR_BYTES], json[2][PATH_MAX + 32], dir[PATH_MAX + 32], vg[PATH_MAX];
    if (!gate_ir_find_valgrind(vg, sizeof vg, err, sizeof err)) {
        fprintf(stderr, "poolbench gate: no instruction counts: %s; gating on time alone\n", err);
        return 0;
    }
    snprintf(dir, sizeof dir, "%s/instructions", s->out_dir);
    if (util_mkdir_p(dir) != 0) {
        fprintf(stderr, "poolbench gate: cannot create %s: %s\n", dir, strerror(errno));
        return GATE_EXIT_HARNESS;
    }
    fprintf(stderr, "gate: counting instructions (valgrind callgrind) of the single-threaded "
                    "arms on both revisions\n");
    gate_ir_options_t io = {.valgrind = vg, .work_dir = dir,
                            .cache_dir = s->cmd->cache_dir, .timeout_s = 600,
                            .interrupt = &interrupt_signal, .progress = progress_print};
    const char *label[2] = {"base", "candidate"};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        snprintf(json[i], sizeof json[i], "%s/%s", s->dirs[i == 0 ? J_BASE : J_CAND], GATE_IR_FILE);
        rc = gate_ir_count_side(s->scs, s->n_scs, s->bins[i],
                                i == 1 ? s->cmd->inject_extra_ops_pct : 0, &io, label[i],
                                json[i], err, sizeof err);
    }
    if (rc == 0)
        rc = gate_ir_compare_files(json[0], json[1], s->th.max_instructions_increase_percent,
                                   rep, err, sizeof err);
    if (rc == 130)
        return 130;
    if (rc != 0) {
        fprintf(stderr, "poolbench gate: instruction counts: %s\n", err);
        return GATE_EXIT_HARNESS;
    }
    return 0;
}

static int gate_revs(gate_session_t *s)
{
    const gate_command_t *o = s->cmd;
    int rc = revs_resolve(s);
    if (rc == 0)
        rc = revs_folders(s);
    if (rc != 0)
        return rc;
    interrupt_install();
    if ((rc = revs_build(s)) != 0)
        return rc;
    if (o->have_seed) {
        s->seed = o->seed;
    } else {
        uint64_t st = ((uint64_t)s->now.tv_sec * 1000000000ull + (uint64_t)s->now.tv_nsec) ^
                      (uint64_t)getpid();
        s->seed = matrix_splitmix64(&st) >> 16;
    }
    fprintf(stderr, "gate: running %zu scenarios interleaved (seed %llu), journals in %s\n",
            s->n_scs, (unsigned long long)s->seed, s->out_dir);
    gate_report_t rep;
    journal_t jb, jc;
    if ((rc = revs_run_compare(s, J_BASE, J_CAND, s->seed, NULL, &rep, &jb, &jc)) != 0)
        return rc;
    int ec = revs_confirm(s, &rep);
    if (ec == 0)
        ec = revs_instructions(s, &rep);
    if (ec != 0) {
        gate_report_free(&rep);
        journal_free(&jb);
        journal_free(&jc);
        return ec;
    }
    char bl[128], cl[128], extra[320];
    snprintf(bl, sizeof bl, "%s (%.12s)", o->rev_base, s->sha[0]);
    snprintf(cl, sizeof cl, "%s (%.12s)", o->rev_cand, s->sha[1]);
    snprintf(extra, sizeof extra, "interleaved in one job, seed %llu%s",
             (unsigned long long)s->seed,
             o->inject_slowdown_pct ? "; CALIBRATION: candidate slowed by --inject-slowdown" : "");
    if (o->inject_slowdown_pct)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), " %u %%",
                 o->inject_slowdown_pct);
    if (o->inject_extra_ops_pct)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                 "; CALIBRATION: candidate does %u %% more operations (--inject-extra-ops)",
                 o->inject_extra_ops_pct);
    if (o->inject_live_pct)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                 "; CALIBRATION: candidate holds %u %% more live memory (--inject-live)",
                 o->inject_live_pct);
    return gate_finish(s, &rep, &jb, &jc, bl, cl, extra);
}

/* ==================================================================== the body ===== */

/* The thresholds file and the history, before anything runs. */
static int gate_open(gate_session_t *s)
{
    const gate_command_t *o = s->cmd;
    char terr[THRESHOLDS_ERR_BYTES], def_thr[PATH_MAX];
    thresholds_default(&s->th);
    snprintf(def_thr, sizeof def_thr, "%s/scenarios/%s", PB_SOURCE_DIR, THRESHOLDS_FILE);
    const char *thr = o->thresholds;
    if (!thr && access(def_thr, R_OK) == 0)
        thr = def_thr;
    if (thr && thresholds_load(thr, &s->th, terr) != 0) {
        fprintf(stderr, "poolbench gate: thresholds: %s\n", terr);
        return GATE_EXIT_INCONCLUSIVE;
    }
    s->compare = (gate_options_t){.th = &s->th,
                                  .max_count_increase_percent = o->max_count_increase_percent,
                                  .scenarios = o->revs ? NULL : o->scenarios};
    if (o->history_path) {
        char herr[HISTORY_ERR_BYTES];
        int hrc = history_open(o->history_path, 1, &s->history, herr);
        if (hrc != HISTORY_OK) {
            fprintf(stderr, "poolbench gate: --history: %s\n", herr);
            return hrc == HISTORY_EBADFILE ? GATE_EXIT_INCONCLUSIVE : GATE_EXIT_HARNESS;
        }
    }
    return 0;
}

int gate_run(const gate_command_t *cmd)
{
    gate_session_t *s = calloc(1, sizeof *s);
    if (!s)
        return GATE_EXIT_HARNESS;
    s->cmd = cmd;
    clock_gettime(CLOCK_REALTIME, &s->now);
    int ec = gate_open(s);
    if (ec == 0)
        ec = cmd->revs ? gate_revs(s) : gate_saved(s);
    history_close(s->history);
    free(s->scs);
    free(s);
    return ec;
}
