/* cmd_calibrate.c: `poolbench calibrate`: parses the arguments into calibrate_options_t
 * (with the defaults: thresholds file, runner folder, output folder, seed), installs the
 * SIGINT/SIGTERM handling (run/interrupt.h) and calls calibrate_run (nightly/calibrate.h)
 * once; prints its progress, the Markdown and the paths.
 * Guarantees: exit codes 0 done, 2 bad argument/input, 3 harness error, 130 interrupted.
 * What it must not do: hold calibration logic (nightly/calibrate*.c does).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "calibrate.h"
#include "calibrate_decision.h"
#include "gate_runner.h"
#include "interrupt.h"
#include "matrix.h"
#include "thresholds.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

static void cmd_calibrate_usage(FILE *f)
{
    fprintf(f,
"usage: poolbench calibrate [--scenarios LIST | --matrix FILE] [--runs N] [--repetitions R]\n"
"                           [--slowdowns LIST] [--out DIR] [options]\n"
"       poolbench calibrate --reanalyse DIR [--out DIR2] [--thresholds FILE] [--slowdowns LIST]\n"
"\n"
"Calibrates the regression gate on this machine. Each run executes, interleaved in one\n"
"job like `poolbench gate --revs`, two unmodified copies of the same runners (A1, A2)\n"
"and one copy per slowdown started with the calibration-only --inject-extra-ops PCT\n"
"(PCT %% more operations of the same kernel inside the timed window: a real slowdown).\n"
"Then, with valgrind, every side's single-threaded arms are counted (instructions per\n"
"operation of the window, as the gate does). A1 vs A2 (A/A) must not be flagged: a flag\n"
"is a false alarm. A1 vs A'PCT (A/A') should be flagged: a flag is a detection. Per\n"
"workload it reports the false-alarm rate, the detection rate per slowdown (the gate as\n"
"a whole, by time alone and by instructions alone) and the smallest slowdown these\n"
"repetitions can detect by time (from the observed CI widths), in\n"
"DIR/calibration.json and DIR/calibration.md (also printed).\n"
"\n"
"  --scenarios LIST     scenario names (default: the gate's set, %s)\n"
"  --matrix FILE        a matrix file instead\n"
"  --scenario-dir DIR   where scenario names are looked up\n"
"  --runs N             A/A and A/A' comparisons per workload (default 5; 0: none, with\n"
"                       --decision)\n"
"  --decision N         also calibrate the DECISION: N A/A matrices (both arms of every\n"
"                       comparison run the same code), each analysed with the headline\n"
"                       rules as shipped; writes DIR/decision-calibration.json (false\n"
"                       KEEP and false REMOVE-as-worse rates), which the report quotes\n"
"  --decision-matrix FILE   the A/A matrix (default %s/scenarios/aa.matrix)\n"
"  --repetitions R      repetitions per arm and side (default %u, as the gate)\n"
"  --slowdowns LIST     injected slowdowns in %% (default 2,5,10,25)\n"
"  --out DIR            output folder (default results/calibrate-YYYYmmdd-HHMMSS)\n"
"  --bin-dir DIR        the pb-<backend> runners (default: poolbench's own folder)\n"
"  --thresholds FILE    thresholds (default %s/scenarios/thresholds.ini)\n"
"  --seed N             shuffle seed of run 1 (run k uses a seed derived from it)\n"
"  --reanalyse DIR      run nothing: recompute DIR/calibration.json and calibration.md from\n"
"                       the journals an earlier calibrate left in DIR (run-NNN/SIDE/\n"
"                       results.jsonl), with the thresholds given; runs, repetitions, seed\n"
"                       and runner folder are read from those journals, the slowdowns from\n"
"                       run-001's A-slowPCT folders (ascending) unless --slowdowns names\n"
"                       them; --out DIR2 writes the files there instead of replacing DIR's\n"
"\n"
"exit codes: 0 done; 2 bad argument, scenario or thresholds file, output folder in use;\n"
"3 harness error; 130 interrupted\n", GATE_DEFAULT_SCENARIOS, PB_SOURCE_DIR,
            GATE_DEFAULT_REPETITIONS, PB_SOURCE_DIR);
}

/* What the command line said, before defaults. */
typedef struct cmd_calibrate_args {
    const char *scenarios, *matrix, *scenario_dir, *out_dir, *bin_dir, *thresholds;
    const char *slowdowns, *cache_dir, *reanalyse, *decision_matrix;
    unsigned runs, repetitions, decision_runs;
    uint64_t seed;
    int have_seed, have_slowdowns;
} cmd_calibrate_args_t;

/* A number 1..max for --runs / --repetitions. Returns 0 or 2. */
static int cmd_calibrate_count(const char *name, const char *arg, unsigned long max,
                               unsigned *out)
{
    char *end = NULL;
    unsigned long v = strtoul(arg, &end, 10);
    if (!arg[0] || *end || arg[0] == '-' || v < 1 || v > max) {
        fprintf(stderr, "poolbench calibrate: bad --%s '%s' (1..%lu)\n", name, arg, max);
        return 2;
    }
    *out = (unsigned)v;
    return 0;
}

/* Returns -1 to go on, or the exit code (0 for --help, 2 for a bad argument). */
static int cmd_calibrate_parse(int argc, char **argv, cmd_calibrate_args_t *a)
{
    static const struct option opts[] = {
        {"scenarios", required_argument, 0, 's'}, {"matrix", required_argument, 0, 'm'},
        {"scenario-dir", required_argument, 0, 'S'}, {"runs", required_argument, 0, 'r'},
        {"repetitions", required_argument, 0, 'n'}, {"slowdowns", required_argument, 0, 'd'},
        {"out", required_argument, 0, 'o'}, {"bin-dir", required_argument, 0, 'B'},
        {"thresholds", required_argument, 0, 't'}, {"seed", required_argument, 0, 'e'},
        {"cache-dir", required_argument, 0, 'C'}, {"reanalyse", required_argument, 0, 'R'},
        {"decision", required_argument, 0, 'D'}, {"decision-matrix", required_argument, 0, 'M'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    *a = (cmd_calibrate_args_t){.slowdowns = "2,5,10,25", .runs = 5,
                                .repetitions = GATE_DEFAULT_REPETITIONS};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 's': a->scenarios = optarg; break;
        case 'm': a->matrix = optarg; break;
        case 'S': a->scenario_dir = optarg; break;
        case 'd': a->slowdowns = optarg; a->have_slowdowns = 1; break;
        case 'o': a->out_dir = optarg; break;
        case 'B': a->bin_dir = optarg; break;
        case 't': a->thresholds = optarg; break;
        case 'C': a->cache_dir = optarg; break;
        case 'R': a->reanalyse = optarg; break;
        case 'M': a->decision_matrix = optarg; break;
        case 'D': {
            char *end = NULL;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!optarg[0] || *end || optarg[0] == '-' || v > 100) {
                fprintf(stderr, "poolbench calibrate: bad --decision '%s' (0..100)\n", optarg);
                return 2;
            }
            a->decision_runs = (unsigned)v;
            break;
        }
        case 'r':
            if (strcmp(optarg, "0") == 0)
                a->runs = 0;   /* no gate calibration: only --decision */
            else if (cmd_calibrate_count("runs", optarg, CALIBRATE_MAX_RUNS, &a->runs) != 0)
                return 2;
            break;
        case 'n':
            if (cmd_calibrate_count("repetitions", optarg, 10000, &a->repetitions) != 0)
                return 2;
            break;
        case 'e':
            errno = 0;
            a->seed = strtoull(optarg, &end, 10);
            if (errno || !optarg[0] || *end || optarg[0] == '-') {
                fprintf(stderr, "poolbench calibrate: bad --seed '%s'\n", optarg);
                return 2;
            }
            a->have_seed = 1;
            break;
        case 'h': cmd_calibrate_usage(stdout); return 0;
        default: cmd_calibrate_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "poolbench calibrate: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return -1;
}

/* "5,10,25" into opt->slowdowns_pct. Returns 0 or 2. */
static int cmd_calibrate_slowdowns(const char *list, calibrate_options_t *opt)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        unsigned long v = strtoul(t, &end, 10);
        if (*end || t[0] == '-' || v < 1 || v > 1000 || opt->n_slowdowns == CALIBRATE_MAX_SLOWDOWNS) {
            fprintf(stderr, "poolbench calibrate: bad --slowdowns '%s' (at most %d "
                            "percentages 1..1000, comma-separated)\n", list,
                    CALIBRATE_MAX_SLOWDOWNS);
            return 2;
        }
        opt->slowdowns_pct[opt->n_slowdowns++] = (unsigned)v;
    }
    return 0;
}

/* The thresholds: --thresholds, else the source tree's file when readable, else defaults. */
static int cmd_calibrate_thresholds(const char *path, thresholds_t *th)
{
    char def_thr[PATH_MAX], terr[THRESHOLDS_ERR_BYTES];
    thresholds_default(th);
    snprintf(def_thr, sizeof def_thr, "%s/scenarios/%s", PB_SOURCE_DIR, THRESHOLDS_FILE);
    if (!path && access(def_thr, R_OK) == 0)
        path = def_thr;
    if (path && thresholds_load(path, th, terr) != 0) {
        fprintf(stderr, "poolbench calibrate: thresholds: %s\n", terr);
        return 2;
    }
    return 0;
}

/* Defaults of a fresh run: runner folder, output folder, seed. */
static void cmd_calibrate_defaults(const cmd_calibrate_args_t *a, char *bin_dir, size_t bin_cap,
                                   char *out_dir, size_t out_cap, calibrate_options_t *opt)
{
    if (a->bin_dir)
        snprintf(bin_dir, bin_cap, "%s", a->bin_dir);
    else
        util_exe_dir(bin_dir, bin_cap);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (a->out_dir) {
        snprintf(out_dir, out_cap, "%s", a->out_dir);
    } else {
        char when[32];
        strftime(when, sizeof when, "%Y%m%d-%H%M%S", localtime(&now.tv_sec));
        snprintf(out_dir, out_cap, "results/calibrate-%s", when);
    }
    opt->seed = a->seed;
    if (!a->have_seed) {
        uint64_t st = ((uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec) ^
                      (uint64_t)getpid();
        opt->seed = matrix_splitmix64(&st) >> 16;
    }
    opt->bin_dir = bin_dir;
    opt->out_dir = out_dir;
}

static void cmd_calibrate_progress(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "%s\n", line);
}

/* --decision N: the A/A matrices of the decision rules (calibrate_decision.h). */
static int cmd_calibrate_decision(const cmd_calibrate_args_t *a, const calibrate_options_t *opt)
{
    char matrix[PATH_MAX], *markdown = NULL, err[CALIBRATE_ERR_BYTES];
    snprintf(matrix, sizeof matrix, "%s", a->decision_matrix ? a->decision_matrix
                                                             : PB_SOURCE_DIR "/scenarios/aa.matrix");
    if (util_mkdir_p(opt->out_dir) != 0) {
        fprintf(stderr, "poolbench calibrate: cannot create %s: %s\n", opt->out_dir,
                strerror(errno));
        return 3;
    }
    calibrate_decision_options_t d = {.matrix_file = matrix, .scenario_dir = a->scenario_dir,
                                      .default_scenario_dir = PB_SOURCE_DIR "/scenarios",
                                      .runs = a->decision_runs, .bin_dir = opt->bin_dir,
                                      .cache_dir = a->cache_dir, .out_dir = opt->out_dir,
                                      .th = opt->th, .seed = opt->seed};
    int rc = calibrate_decision_run(&d, &markdown, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "poolbench calibrate: decision: %s\n", err);
        return rc;
    }
    printf("\n%s", markdown ? markdown : "");
    free(markdown);
    return 0;
}

int calibrate_main(int argc, char **argv)
{
    cmd_calibrate_args_t a;
    int rc = cmd_calibrate_parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    thresholds_t th;
    calibrate_options_t opt = {.matrix = a.matrix, .scenarios = a.scenarios,
                               .scenario_dir = a.scenario_dir, .runs = a.runs,
                               .repetitions = a.repetitions, .cache_dir = a.cache_dir,
                               .interrupt = &interrupt_signal, .th = &th,
                               .out_dir = a.out_dir, .reanalyse_dir = a.reanalyse,
                               .progress = cmd_calibrate_progress};
    if ((!a.reanalyse || a.have_slowdowns) && cmd_calibrate_slowdowns(a.slowdowns, &opt) != 0)
        return 2;
    if (cmd_calibrate_thresholds(a.thresholds, &th) != 0)
        return 2;
    char bin_dir[PATH_MAX], out_dir[PATH_MAX];
    if (!a.reanalyse) {
        cmd_calibrate_defaults(&a, bin_dir, sizeof bin_dir, out_dir, sizeof out_dir, &opt);
        interrupt_install();
    }
    if (a.runs > 0 || a.reanalyse) {
        calibrate_outcome_t out;
        char err[CALIBRATE_ERR_BYTES];
        rc = calibrate_run(&opt, &out, err);
        if (rc != 0) {
            if (rc != 130 && err[0])
                fprintf(stderr, "poolbench calibrate: %s\n", err);
            return rc;
        }
        fwrite(out.markdown, 1, out.markdown_len, stdout);
        printf("\ncalibration: %s %s\n", out.json_path, out.md_path);
        free(out.markdown);
    }
    return a.decision_runs && !a.reanalyse ? cmd_calibrate_decision(&a, &opt) : 0;
}
