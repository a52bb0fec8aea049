/* gate.c: the `poolbench gate` command (gate.h): saved journals, or two git revisions
 * built side by side and run interleaved.
 *
 * Guarantees: a bad input (journal, thresholds, revision, argument) exits 2 with a
 * message naming it and never damages an earlier result. What it must not do: edit the
 * repository it builds from (revisions are extracted with `git archive`, never checked
 * out in place).
 */
#define _GNU_SOURCE
#include "util.h"
#include "interrupt.h"
#include "gate.h"
#include "cell.h"
#include "context.h"
#include "history.h"
#include "journal.h"
#include "matrix.h"
#include "metrics.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
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

/* ================================================================ command ===== */

static const char *history_path_note = "";

static int gate_run_mode(int revs, const char *bj, const char *cj, const char *rev_base,
                         const char *rev_cand, const thresholds_t *thp, double count_pct,
                         const char *scen, const char *matrix, const char *sdir, unsigned reps,
                         const char *repo, const char *work, const char *outd, int have_seed,
                         uint64_t seed, int no_confirm, unsigned inject, const char *cache_dir,
                         const char *summary, history_t *hdb);

static void usage(FILE *f)
{
    fprintf(f,
"usage: poolbench gate --baseline JOURNAL --candidate JOURNAL [options]\n"
"       poolbench gate --revs BASE CANDIDATE [options]\n"
"\n"
"The regression gate. Compares every arm (scenario, backend, policy, variant) present in\n"
"both runs: the ratio candidate/baseline of median ns/op with a bootstrap CI and a\n"
"Mann-Whitney p (Holm-adjusted). A time regression needs the WHOLE CI above\n"
"1 + max_regression_percent ([gate] of the thresholds file, default 10 %%) and\n"
"p_holm < alpha. Deterministic allocation counts (alloc_calls, allocs_per_op) gate on\n"
"their own, exactly: any increase is a regression (--max-count-increase PCT to allow\n"
"some). A candidate arm whose cells fail, or whose result digest changed, regresses too.\n"
"\n"
"Saved journals (--baseline/--candidate: folders or results.jsonl files): no\n"
"confirmation rerun is possible; a regression exits 1 and the summary marks it\n"
"\"unconfirmed\".\n"
"\n"
"Two revisions (--revs, the nightly mode): extracts both commits with `git archive`\n"
"into WORK/src-SHA, builds each into WORK/build-SHA (reused when it exists), runs the\n"
"same cells for both revisions interleaved in one job (shuffled within each repetition\n"
"block), journals OUT/base and OUT/candidate, compares, and reruns only the regressed\n"
"arms (interleaved again, OUT/confirm-*). It fails only when the rerun agrees.\n"
"A suspect (CI straddles the threshold, estimate past it) is rerun too: flagged by\n"
"the rerun it is a regression, passed it is cleared, unclear again it is inconclusive.\n"
"\n"
"  --thresholds FILE      thresholds file (default %s/scenarios/thresholds.ini)\n"
"  --scenarios LIST       scenario names (default with --revs: %s,\n"
"                         glibc only, %u repetitions); with saved journals: only\n"
"                         compare these scenarios\n"
"  --matrix FILE          (--revs) a matrix file instead of the default set\n"
"  --scenario-dir DIR     where scenario names are looked up\n"
"  --repetitions N        (--revs) repetitions per arm and revision (default %u)\n"
"  --repo DIR             (--revs) the git repository (default: the current one)\n"
"  --work-dir DIR         (--revs) sources and builds (default $TMPDIR/poolbench-gate)\n"
"  --out DIR              (--revs) journals (default results/gate-YYYYmmdd-HHMMSS)\n"
"  --seed N               (--revs) shuffle seed (default: from the clock)\n"
"  --no-confirm           (--revs) skip the confirmation rerun (regressions are then\n"
"                         reported unconfirmed, exit 1)\n"
"  --max-count-increase PCT  allowed increase of deterministic counts (default 0)\n"
"  --summary FILE.md      also write the Markdown summary there (it is always printed,\n"
"                         and appended to $GITHUB_STEP_SUMMARY when that is set)\n"
"  --history DB           record every cell of both runs in this SQLite history\n"
"  --inject-slowdown PCT  CALIBRATION ONLY (--revs): the candidate's runners busy-wait\n"
"                         PCT %% longer inside the timed window (a known regression)\n"
"\n"
"exit codes:\n"
"  0  pass: no regression past the threshold\n"
"  1  regression (confirmed by the rerun; with saved journals: unconfirmed)\n"
"  2  inconclusive (a slowdown past the threshold can be neither shown nor ruled out,\n"
"     or the rerun could not settle it) or no baseline (nothing comparable), or bad\n"
"     input: arguments, journals, thresholds file, revisions, a baseline that does not\n"
"     build\n"
"  3  harness error (cannot write results, a candidate that does not build, out of memory)\n",
            PB_SOURCE_DIR, GATE_DEFAULT_SCENARIOS, GATE_DEFAULT_REPETITIONS,
            GATE_DEFAULT_REPETITIONS);
}


static void journal_path_of(const char *in, char *out, size_t cap)
{
    struct stat st;
    if (stat(in, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(out, cap, "%s/%s", in, JOURNAL_FILE);
    else
        snprintf(out, cap, "%s", in);
}

static int load_journal(const char *what, const char *in, journal_t *j)
{
    char path[PATH_MAX + 32], err[JOURNAL_ERR_BYTES];
    journal_path_of(in, path, sizeof path);
    if (journal_load(path, j, err) != 0) {
        fprintf(stderr, "poolbench gate: %s journal: %s\n", what, err);
        return -1;
    }
    if (j->truncated_line)
        fprintf(stderr, "poolbench gate: warning: %s:%d: last line is cut off (interrupted "
                        "run); using the %zu complete cells before it\n", path,
                j->truncated_line, j->n_cells);
    if (!j->context) {
        fprintf(stderr, "poolbench gate: %s journal %s is empty (no context block)\n", what, path);
        journal_free(j);
        return -1;
    }
    return 0;
}

static void progress_print(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "gate: %s\n", line);
}

/* Runs a command (argv), output to log (appended). Returns its exit status or -1. */
static int run_logged(char *const argv[], const char *log, const char *extra_env, double timeout_s)
{
    cell_spec_t spec = {.exe = argv[0], .argv = argv, .extra_env = extra_env,
                        .timeout_s = timeout_s, .grace_s = 5};
    cell_outcome_t o;
    int rc = cell_run(&spec, &o, &interrupt_signal);
    FILE *f = log ? fopen(log, "a") : NULL;
    if (f) {
        fprintf(f, "$");
        for (size_t i = 0; argv[i]; i++)
            fprintf(f, " %s", argv[i]);
        fprintf(f, "\n%s%s\n", o.out ? o.out : "", o.err);
        fclose(f);
    }
    int st = (rc == 0 && o.exited) ? o.exit_code : -1;
    cell_outcome_free(&o);
    return st;
}

/* The stdout of a short command, first line. Returns 0 or -1. */
static int capture(char *const argv[], char *out, size_t cap)
{
    cell_spec_t spec = {.exe = argv[0], .argv = argv, .timeout_s = 60, .grace_s = 2};
    cell_outcome_t o;
    int rc = cell_run(&spec, &o, NULL);
    int ok = rc == 0 && o.exited && o.exit_code == 0 && o.out;
    if (ok) {
        snprintf(out, cap, "%s", o.out);
        out[strcspn(out, "\r\n")] = '\0';
    } else {
        snprintf(out, cap, "%.*s", (int)strcspn(o.err, "\n"), o.err);
    }
    cell_outcome_free(&o);
    return ok ? 0 : -1;
}

/* Extracts (once) and builds (incrementally) one commit. Returns 0, or -1 with msg. */
static int prepare_rev(const char *repo, const char *sha, const char *work, const char *targets,
                       char *bin_dir, size_t cap, char *msg, size_t mcap)
{
    char src[PATH_MAX], build[PATH_MAX], stamp[PATH_MAX + 32], log[PATH_MAX + 32];
    snprintf(src, sizeof src, "%s/src-%s", work, sha);
    snprintf(build, sizeof build, "%s/build-%s", work, sha);
    snprintf(stamp, sizeof stamp, "%s/.gate-extracted", src);
    snprintf(log, sizeof log, "%s/gate-build.log", build);
    if (util_mkdir_p(build) != 0) {
        snprintf(msg, mcap, "cannot create %s: %s", build, strerror(errno));
        return -1;
    }
    if (access(stamp, F_OK) != 0) {
        char cmd[] = "git -C \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\" && touch \"$4\"";
        char *av[] = {"/bin/sh", "-c", cmd, "sh", (char *)repo, (char *)sha, src, stamp, NULL};
        if (util_mkdir_p(src) != 0 || run_logged(av, log, NULL, 600) != 0) {
            snprintf(msg, mcap, "cannot extract %s with git archive (log: %s)", sha, log);
            return -1;
        }
    }
    char cache[PATH_MAX + 32], ceiling[PATH_MAX + 32];
    snprintf(cache, sizeof cache, "%s/CMakeCache.txt", build);
    /* the extracted tree is not a repository: stop git from finding an enclosing one */
    snprintf(ceiling, sizeof ceiling, "GIT_CEILING_DIRECTORIES=%s", work);
    if (access(cache, F_OK) != 0) {
        char *av[] = {"cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                      "-DBUILD_TESTING=OFF", NULL};
        char exe[] = "/usr/bin/env";
        char *av2[16] = {exe};
        for (size_t i = 0; av[i]; i++)
            av2[i + 1] = av[i];
        if (run_logged(av2, log, ceiling, 1200) != 0) {
            unlink(cache); /* a failed configure is not reused */
            snprintf(msg, mcap, "cmake configure of %.12s failed (log: %s)", sha, log);
            return -1;
        }
    }
    char *av[40] = {"/usr/bin/env", "cmake", "--build", build, "-j2", "--target"};
    size_t k = 6;
    char tl[512];
    snprintf(tl, sizeof tl, "%s", targets);
    char *save = NULL;
    for (char *t = strtok_r(tl, " ", &save); t && k < 38; t = strtok_r(NULL, " ", &save))
        av[k++] = t;
    av[k] = NULL;
    if (run_logged(av, log, ceiling, 3600) != 0) {
        snprintf(msg, mcap, "build of %.12s failed (targets %s; log: %s)", sha, targets, log);
        return -1;
    }
    snprintf(bin_dir, cap, "%s/bin", build);
    return 0;
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
        fclose(f);
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

static int record_history(history_t *h, const journal_t *b, const journal_t *c, int64_t when)
{
    char err[HISTORY_ERR_BYTES], run_id[64];
    snprintf(run_id, sizeof run_id, "%lld-%d", (long long)when, (int)getpid());
    if (history_record(h, b, run_id, "baseline", journal_commit(b), when, err) != 0 ||
        history_record(h, c, run_id, "candidate", journal_commit(c), when, err) != 0) {
        fprintf(stderr, "poolbench gate: history: %s\n", err);
        return GATE_EXIT_HARNESS;
    }
    fprintf(stderr, "gate: recorded both runs in %s\n", history_path_note);
    return 0;
}

int gate_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"baseline", required_argument, 0, 'b'}, {"candidate", required_argument, 0, 'c'},
        {"revs", no_argument, 0, 'R'}, {"thresholds", required_argument, 0, 't'},
        {"scenarios", required_argument, 0, 's'}, {"matrix", required_argument, 0, 'm'},
        {"scenario-dir", required_argument, 0, 'S'}, {"repetitions", required_argument, 0, 'n'},
        {"repo", required_argument, 0, 'g'}, {"work-dir", required_argument, 0, 'w'},
        {"out", required_argument, 0, 'o'}, {"seed", required_argument, 0, 'e'},
        {"no-confirm", no_argument, 0, 'N'}, {"max-count-increase", required_argument, 0, 'x'},
        {"summary", required_argument, 0, 'M'}, {"history", required_argument, 0, 'H'},
        {"inject-slowdown", required_argument, 0, 'i'}, {"cache-dir", required_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *bj = NULL, *cj = NULL, *thr = NULL, *scen = NULL, *matrix = NULL, *sdir = NULL;
    const char *repo = NULL, *work = NULL, *outd = NULL, *summary = NULL, *hist = NULL;
    const char *cache_dir = NULL;
    int revs = 0, no_confirm = 0, c;
    unsigned reps = 0, inject = 0;
    double count_pct = 0;
    uint64_t seed = 0;
    int have_seed = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'b': bj = optarg; break;
        case 'c': cj = optarg; break;
        case 'R': revs = 1; break;
        case 't': thr = optarg; break;
        case 's': scen = optarg; break;
        case 'm': matrix = optarg; break;
        case 'S': sdir = optarg; break;
        case 'g': repo = optarg; break;
        case 'w': work = optarg; break;
        case 'o': outd = optarg; break;
        case 'N': no_confirm = 1; break;
        case 'M': summary = optarg; break;
        case 'H': hist = optarg; break;
        case 'C': cache_dir = optarg; break;
        case 'n': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (!optarg[0] || *end || optarg[0] == '-' || v < 1 || v > 10000) {
                fprintf(stderr, "poolbench gate: bad --repetitions '%s' (1..10000)\n", optarg);
                return GATE_EXIT_INCONCLUSIVE;
            }
            reps = (unsigned)v;
            break;
        }
        case 'i': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (!optarg[0] || *end || optarg[0] == '-' || v > 1000) {
                fprintf(stderr, "poolbench gate: bad --inject-slowdown '%s' (0..1000)\n", optarg);
                return GATE_EXIT_INCONCLUSIVE;
            }
            inject = (unsigned)v;
            break;
        }
        case 'x':
            count_pct = strtod(optarg, &end);
            if (!optarg[0] || *end || !(count_pct >= 0 && count_pct <= 1000)) {
                fprintf(stderr, "poolbench gate: bad --max-count-increase '%s' (0..1000)\n", optarg);
                return GATE_EXIT_INCONCLUSIVE;
            }
            break;
        case 'e':
            errno = 0;
            seed = strtoull(optarg, &end, 10);
            if (errno || !optarg[0] || *end || optarg[0] == '-') {
                fprintf(stderr, "poolbench gate: bad --seed '%s'\n", optarg);
                return GATE_EXIT_INCONCLUSIVE;
            }
            have_seed = 1;
            break;
        case 'h': usage(stdout); return GATE_EXIT_PASS;
        default: usage(stderr); return GATE_EXIT_INCONCLUSIVE;
        }
    }
    const char *rev_base = NULL, *rev_cand = NULL;
    if (revs) {
        if (argc - optind != 2) {
            fprintf(stderr, "poolbench gate: --revs takes two revisions: --revs BASE CANDIDATE\n");
            return GATE_EXIT_INCONCLUSIVE;
        }
        rev_base = argv[optind];
        rev_cand = argv[optind + 1];
        if (bj || cj) {
            fprintf(stderr, "poolbench gate: give either --revs or --baseline/--candidate\n");
            return GATE_EXIT_INCONCLUSIVE;
        }
    } else {
        if (optind < argc) {
            fprintf(stderr, "poolbench gate: unexpected argument '%s'\n", argv[optind]);
            return GATE_EXIT_INCONCLUSIVE;
        }
        if (!bj || !cj) {
            fprintf(stderr, "poolbench gate: give --baseline JOURNAL --candidate JOURNAL, or "
                            "--revs BASE CANDIDATE (see --help)\n");
            return GATE_EXIT_INCONCLUSIVE;
        }
        if (inject) {
            fprintf(stderr, "poolbench gate: --inject-slowdown needs --revs (it slows the "
                            "candidate's runners while they run)\n");
            return GATE_EXIT_INCONCLUSIVE;
        }
    }
    /* thresholds */
    thresholds_t th;
    char terr[THRESHOLDS_ERR_BYTES];
    thresholds_default(&th);
    char def_thr[PATH_MAX];
    snprintf(def_thr, sizeof def_thr, "%s/scenarios/%s", PB_SOURCE_DIR, THRESHOLDS_FILE);
    if (!thr && access(def_thr, R_OK) == 0)
        thr = def_thr;
    if (thr && thresholds_load(thr, &th, terr) != 0) {
        fprintf(stderr, "poolbench gate: thresholds: %s\n", terr);
        return GATE_EXIT_INCONCLUSIVE;
    }
    /* the history is checked before anything runs: a bad file costs no measurement */
    history_t *hdb = NULL;
    if (hist) {
        char herr[HISTORY_ERR_BYTES];
        int hrc = history_open(hist, 1, &hdb, herr);
        if (hrc != HISTORY_OK) {
            fprintf(stderr, "poolbench gate: --history: %s\n", herr);
            return hrc == HISTORY_EBADFILE ? GATE_EXIT_INCONCLUSIVE : GATE_EXIT_HARNESS;
        }
        history_path_note = hist;
    }
    int ec = gate_run_mode(revs, bj, cj, rev_base, rev_cand, &th, count_pct, scen, matrix, sdir,
                           reps, repo, work, outd, have_seed, seed, no_confirm, inject,
                           cache_dir, summary, hdb);
    history_close(hdb);
    return ec;
}

static int gate_run_mode(int revs, const char *bj, const char *cj, const char *rev_base,
                         const char *rev_cand, const thresholds_t *thp, double count_pct,
                         const char *scen, const char *matrix, const char *sdir, unsigned reps,
                         const char *repo, const char *work, const char *outd, int have_seed,
                         uint64_t seed, int no_confirm, unsigned inject, const char *cache_dir,
                         const char *summary, history_t *hdb)
{
    thresholds_t th = *thp;
    gate_options_t go = {.th = &th, .max_count_increase_percent = count_pct,
                         .scenarios = revs ? NULL : scen};
    char err[GATE_ERR_BYTES];
    gate_report_t rep;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);

    if (!revs) {
        journal_t jb, jc;
        if (load_journal("baseline", bj, &jb) != 0)
            return GATE_EXIT_INCONCLUSIVE;
        if (load_journal("candidate", cj, &jc) != 0) {
            journal_free(&jb);
            return GATE_EXIT_INCONCLUSIVE;
        }
        int rc = gate_compare(&jb, &jc, &go, &rep, err);
        if (rc != 0) {
            fprintf(stderr, "poolbench gate: %s\n", err);
            journal_free(&jb);
            journal_free(&jc);
            return GATE_EXIT_HARNESS;
        }
        gate_mark_unconfirmable(&rep);
        emit_summary(&rep, bj, cj, "saved journals", summary);
        int ec = gate_exit_code(&rep);
        if (hdb) {
            int hr = record_history(hdb, &jb, &jc, now.tv_sec);
            if (hr != 0 && ec == 0)
                ec = hr;
        }
        gate_report_free(&rep);
        journal_free(&jb);
        journal_free(&jc);
        return ec;
    }

    /* ---- two revisions ---- */
    char repo_dir[PATH_MAX];
    if (repo)
        snprintf(repo_dir, sizeof repo_dir, "%s", repo);
    else {
        char *av[] = {"/usr/bin/env", "git", "rev-parse", "--show-toplevel", NULL};
        if (capture(av, repo_dir, sizeof repo_dir) != 0)
            snprintf(repo_dir, sizeof repo_dir, "%s", PB_SOURCE_DIR);
    }
    char sha[2][64];
    const char *revname[2] = {rev_base, rev_cand};
    for (int i = 0; i < 2; i++) {
        char spec[300];
        snprintf(spec, sizeof spec, "%s^{commit}", revname[i]);
        char *av[] = {"/usr/bin/env", "git", "-C", repo_dir, "rev-parse", "--verify", "--quiet",
                      spec, NULL};
        if (revname[i][0] == '-' || capture(av, sha[i], sizeof sha[i]) != 0 || strlen(sha[i]) < 40) {
            fprintf(stderr, "poolbench gate: --revs: '%s' is not a commit of the repository %s%s\n",
                    revname[i], repo_dir, i == 0 ? " (no baseline)" : "");
            return GATE_EXIT_INCONCLUSIVE;
        }
    }
    scenario_t *scs = NULL;
    size_t n_scs = 0;
    if (gate_load_scenarios(matrix, scen, sdir, reps, &scs, &n_scs, err) != 0) {
        fprintf(stderr, "poolbench gate: %s\n", err);
        return GATE_EXIT_INCONCLUSIVE;
    }
    for (size_t i = 0; i < n_scs; i++)
        if (scs[i].mode != SCENARIO_MODE_CELL) {
            fprintf(stderr, "poolbench gate: %s: scenario %s is not a per-cell scenario "
                            "(hyperfine/concurrent); leave it out of --scenarios\n",
                    scs[i].path, scs[i].name);
            free(scs);
            return GATE_EXIT_INCONCLUSIVE;
        }
    /* runner targets needed */
    char targets[512] = "";
    for (size_t i = 0; i < n_scs; i++)
        for (size_t b = 0; b < scs[i].backends.n; b++) {
            char t[80];
            snprintf(t, sizeof t, "pb-%s", scenario_backend_runner(scs[i].backends.v[b]));
            if (!strstr(targets, t))
                snprintf(targets + strlen(targets), sizeof targets - strlen(targets), "%s%s",
                         targets[0] ? " " : "", t);
        }
    char work_dir[PATH_MAX], out_dir[PATH_MAX];
    if (work)
        snprintf(work_dir, sizeof work_dir, "%s", work);
    else {
        const char *tmp = getenv("TMPDIR");
        snprintf(work_dir, sizeof work_dir, "%s/poolbench-gate-%d", tmp && tmp[0] ? tmp : "/tmp",
                 (int)getuid());
    }
    if (work_dir[0] != '/') {
        char cwd[PATH_MAX], w2[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) {
            snprintf(w2, sizeof w2, "%s/%s", cwd, work_dir);
            snprintf(work_dir, sizeof work_dir, "%s", w2);
        }
    }
    if (outd)
        snprintf(out_dir, sizeof out_dir, "%s", outd);
    else {
        char when[32];
        strftime(when, sizeof when, "%Y%m%d-%H%M%S", localtime(&now.tv_sec));
        snprintf(out_dir, sizeof out_dir, "results/gate-%s", when);
    }
    char jp[4][PATH_MAX + 64], dirs[4][PATH_MAX + 32];
    const char *sub[4] = {"base", "candidate", "confirm-base", "confirm-candidate"};
    for (int i = 0; i < 4; i++) {
        snprintf(dirs[i], sizeof dirs[i], "%s/%s", out_dir, sub[i]);
        snprintf(jp[i], sizeof jp[i], "%s/%s", dirs[i], JOURNAL_FILE);
        if (access(jp[i], F_OK) == 0) {
            fprintf(stderr, "poolbench gate: %s already holds a gate run (%s exists): choose "
                            "another --out\n", out_dir, jp[i]);
            free(scs);
            return GATE_EXIT_INCONCLUSIVE;
        }
    }
    if (util_mkdir_p(work_dir) != 0 || util_mkdir_p(dirs[0]) != 0 || util_mkdir_p(dirs[1]) != 0) {
        fprintf(stderr, "poolbench gate: cannot create %s or %s: %s\n", work_dir, out_dir,
                strerror(errno));
        free(scs);
        return GATE_EXIT_HARNESS;
    }
    interrupt_install();
    char bins[2][PATH_MAX + 16];
    for (int i = 0; i < 2; i++) {
        if (i == 1 && !strcmp(sha[0], sha[1])) {
            snprintf(bins[1], sizeof bins[1], "%s", bins[0]);
            break;
        }
        fprintf(stderr, "gate: building %s (%.12s): %s\n", revname[i], sha[i], targets);
        char msg[PATH_MAX + 200];
        if (prepare_rev(repo_dir, sha[i], work_dir, targets, bins[i], sizeof bins[i], msg,
                        sizeof msg) != 0) {
            fprintf(stderr, "poolbench gate: %s: %s\n", i == 0 ? "baseline (no baseline)" : "candidate",
                    msg);
            free(scs);
            return interrupt_signal ? 130 : i == 0 ? GATE_EXIT_INCONCLUSIVE : GATE_EXIT_HARNESS;
        }
    }
    if (!have_seed) {
        uint64_t st = ((uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec) ^ (uint64_t)getpid();
        seed = matrix_splitmix64(&st) >> 16;
    }
    gate_side_t sides[2] = {
        {.label = "base", .bin_dir = bins[0], .commit = sha[0], .journal_path = jp[0]},
        {.label = "candidate", .bin_dir = bins[1], .commit = sha[1],
         .inject_slowdown_pct = inject, .journal_path = jp[1]}};
    gate_run_options_t ro = {.seed = seed, .cache_dir = cache_dir, .interrupt = &interrupt_signal,
                             .progress = progress_print};
    fprintf(stderr, "gate: running %zu scenarios interleaved (seed %llu), journals in %s\n",
            n_scs, (unsigned long long)seed, out_dir);
    int rr = gate_run_sides(scs, n_scs, sides, 2, &ro, err);
    if (rr != 0) {
        if (rr != 130)
            fprintf(stderr, "poolbench gate: %s\n", err);
        free(scs);
        return rr == 130 ? 130 : rr == -1 ? GATE_EXIT_INCONCLUSIVE : GATE_EXIT_HARNESS;
    }
    journal_t jb, jc;
    if (load_journal("baseline", jp[0], &jb) != 0) {
        free(scs);
        return GATE_EXIT_HARNESS;
    }
    if (load_journal("candidate", jp[1], &jc) != 0) {
        journal_free(&jb);
        free(scs);
        return GATE_EXIT_HARNESS;
    }
    int ec = GATE_EXIT_HARNESS;
    if (gate_compare(&jb, &jc, &go, &rep, err) != 0) {
        fprintf(stderr, "poolbench gate: %s\n", err);
        goto done;
    }
    char *arms = NULL;
    int nreg = gate_regressed_arms(&rep, &arms);
    if (nreg < 0) {
        fprintf(stderr, "poolbench gate: out of memory\n");
        gate_report_free(&rep);
        goto done;
    }
    if (nreg > 0 && no_confirm) {
        gate_mark_unconfirmable(&rep);
        rep.saved_journals = 0;
    } else if (nreg > 0) {
        fprintf(stderr, "gate: regression or suspect flagged: confirmation rerun of those arms\n");
        if (util_mkdir_p(dirs[2]) != 0 || util_mkdir_p(dirs[3]) != 0) {
            fprintf(stderr, "poolbench gate: cannot create %s: %s\n", dirs[2], strerror(errno));
            free(arms);
            gate_report_free(&rep);
            goto done;
        }
        gate_side_t cs[2] = {sides[0], sides[1]};
        cs[0].label = "confirm-base";
        cs[0].journal_path = jp[2];
        cs[1].label = "confirm-candidate";
        cs[1].journal_path = jp[3];
        gate_run_options_t cro = ro;
        uint64_t st = seed + 1;
        cro.seed = matrix_splitmix64(&st) >> 16;
        cro.arms_filter = arms;
        rr = gate_run_sides(scs, n_scs, cs, 2, &cro, err);
        free(arms);
        if (rr != 0) {
            if (rr != 130)
                fprintf(stderr, "poolbench gate: confirmation rerun: %s\n", err);
            gate_report_free(&rep);
            ec = rr == 130 ? 130 : GATE_EXIT_HARNESS;
            goto done;
        }
        journal_t kb, kc;
        gate_report_t rep2;
        if (load_journal("confirmation baseline", jp[2], &kb) != 0) {
            gate_report_free(&rep);
            goto done;
        }
        if (load_journal("confirmation candidate", jp[3], &kc) != 0) {
            journal_free(&kb);
            gate_report_free(&rep);
            goto done;
        }
        if (gate_compare(&kb, &kc, &go, &rep2, err) != 0) {
            fprintf(stderr, "poolbench gate: %s\n", err);
            journal_free(&kb);
            journal_free(&kc);
            gate_report_free(&rep);
            goto done;
        }
        gate_apply_confirmation(&rep, &rep2);
        gate_report_free(&rep2);
        journal_free(&kb);
        journal_free(&kc);
    } else {
        free(arms);
    }
    char bl[128], cl[128], extra[160];
    snprintf(bl, sizeof bl, "%s (%.12s)", rev_base, sha[0]);
    snprintf(cl, sizeof cl, "%s (%.12s)", rev_cand, sha[1]);
    snprintf(extra, sizeof extra, "interleaved in one job, seed %llu%s", (unsigned long long)seed,
             inject ? "; CALIBRATION: candidate slowed by --inject-slowdown" : "");
    if (inject)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), " %u %%", inject);
    emit_summary(&rep, bl, cl, extra, summary);
    ec = gate_exit_code(&rep);
    gate_report_free(&rep);
    if (hdb) {
        int hr = record_history(hdb, &jb, &jc, now.tv_sec);
        if (hr != 0 && ec == 0)
            ec = hr;
    }
done:
    journal_free(&jb);
    journal_free(&jc);
    free(scs);
    return ec;
}
