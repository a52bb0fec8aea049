/* cmd_matrix.c: `poolbench matrix`: parses its arguments and calls matrix_run
 * (run/matrix_run.h), which does the rest.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "matrix.h"
#include "matrix_run.h"
#include "adaptive.h"
#include "scenario.h"

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
"                       glibc-mmap128k, go) of each scenario\n"
"  --out DIR            output folder (default results/YYYYmmdd-HHMMSS-HOST)\n"
"  --resume             continue DIR's journal: skip cells already in it\n"
"  --shard K/N          run only the K-th of N parts: whole scenarios (every arm,\n"
"                       repetition and warm-up a comparison uses), spread over the N\n"
"                       shards by expected time; the same on every machine\n"
"  --seed N             shuffle seed (default: from the clock; on --resume the journal's)\n"
"  --bin-dir DIR        where pb-<backend> live (default: poolbench's own folder)\n"
"  --cache-dir DIR      passed to the runners (generated input trees)\n"
"  --dry-run            list the plan and exit without running or creating anything\n"
"  --budget SECONDS     adaptive repetitions afterwards: undecided headline comparisons\n"
"                       whose estimate says more repetitions could settle them get more,\n"
"                       interleaved and shuffled, within SECONDS of wall time (default 0:\n"
"                       off); every test then runs at alpha / LOOKS (sequential, valid\n"
"                       under peeking) and each look is journalled\n"
"  --deadline SECONDS   the matrix and its adaptive repetitions end within SECONDS of\n"
"                       this command's start: the looks get what is left, at most\n"
"                       --budget, and none when nothing is (default 0: no deadline;\n"
"                       ./run-matrix.sh sets 175 for the quick matrix, 1740 for --full)\n"
"  --looks K            looks planned, the final report included (default %u, 2..10)\n"
"  --thresholds FILE    the decision thresholds the looks use (default\n"
"                       %s/scenarios/thresholds.ini)\n"
"\n%s", PB_SOURCE_DIR, ADAPTIVE_DEFAULT_LOOKS, PB_SOURCE_DIR, cli_exit_codes_text);
}

/* Every name of the comma list is a known backend (else a message, and -1). */
static int backends_check(const char *backends)
{
    char *copy = strdup(backends), *save = NULL;
    int rc = 0;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && rc == 0;
         t = strtok_r(NULL, ",", &save))
        if (!scenario_backend_known(t)) {
            fprintf(stderr, "poolbench matrix: unknown backend '%s' in --backends (glibc, "
                            "mimalloc, jemalloc, tcmalloc, glibc-mmap128k, go)\n", t);
            rc = -1;
        }
    free(copy);
    return rc;
}

/* The values of the options (after getopt). Returns CLI_EXIT_OK or CLI_EXIT_USAGE. */
static int matrix_options_check(matrix_run_options_t *o, const char *shard, const char *seed)
{
    if (!o->matrix_file && !o->scenarios) {
        fprintf(stderr, "poolbench matrix: give --matrix FILE or --scenarios LIST (see --help)\n");
        return CLI_EXIT_USAGE;
    }
    o->shard_k = o->shard_n = 1;
    if (shard && matrix_parse_shard(shard, &o->shard_k, &o->shard_n) != 0) {
        fprintf(stderr, "poolbench matrix: bad --shard '%s' (K/N with 1 <= K <= N)\n", shard);
        return CLI_EXIT_USAGE;
    }
    if (seed) {
        char *end;
        errno = 0;
        o->seed = strtoull(seed, &end, 10);
        if (errno || *end || !seed[0] || seed[0] == '-') {
            fprintf(stderr, "poolbench matrix: bad --seed '%s' (a non-negative integer)\n", seed);
            return CLI_EXIT_USAGE;
        }
        o->have_seed = 1;
    }
    if (o->backends && backends_check(o->backends) != 0)
        return CLI_EXIT_USAGE;
    return CLI_EXIT_OK;
}

/* Seconds 0..86400 from option `name`'s text into *out. Returns 0, or -1 with a message. */
static int matrix_seconds(const char *name, const char *text, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    if (errno || *end || !text[0] || !(*out >= 0 && *out <= 86400)) {
        fprintf(stderr, "poolbench matrix: bad --%s '%s' (seconds, 0..86400)\n", name, text);
        return -1;
    }
    return 0;
}

/* --budget and --looks; the default thresholds file. Returns CLI_EXIT_OK or _USAGE. */
static int adaptive_options_check(adaptive_options_t *ad, const char *budget, const char *looks)
{
    char *end;
    if (budget && matrix_seconds("budget", budget, &ad->budget_s) != 0)
        return CLI_EXIT_USAGE;
    if (looks) {
        errno = 0;
        unsigned long k = strtoul(looks, &end, 10);
        if (errno || *end || !looks[0] || looks[0] == '-' || k < 2 || k > 10) {
            fprintf(stderr, "poolbench matrix: bad --looks '%s' (2..10)\n", looks);
            return CLI_EXIT_USAGE;
        }
        ad->looks_planned = (unsigned)k;
    }
    static char default_th[PATH_MAX];
    snprintf(default_th, sizeof default_th, "%s/scenarios/thresholds.ini", PB_SOURCE_DIR);
    if (!ad->thresholds && access(default_th, R_OK) == 0)
        ad->thresholds = default_th;
    return CLI_EXIT_OK;
}

int matrix_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"matrix", required_argument, 0, 'm'}, {"scenarios", required_argument, 0, 's'},
        {"scenario-dir", required_argument, 0, 'S'}, {"backends", required_argument, 0, 'b'},
        {"out", required_argument, 0, 'o'}, {"resume", no_argument, 0, 'r'},
        {"shard", required_argument, 0, 'k'}, {"seed", required_argument, 0, 'e'},
        {"bin-dir", required_argument, 0, 'B'}, {"cache-dir", required_argument, 0, 'C'},
        {"dry-run", no_argument, 0, 'n'}, {"budget", required_argument, 0, 'u'},
        {"looks", required_argument, 0, 'l'}, {"thresholds", required_argument, 0, 't'},
        {"deadline", required_argument, 0, 'd'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    matrix_run_options_t o = {.default_scenario_dir = PB_SOURCE_DIR "/scenarios",
                              .argc = argc, .argv = argv};
    adaptive_options_t ad = {.run = &o, .looks_planned = ADAPTIVE_DEFAULT_LOOKS};
    const char *shard = NULL, *seed = NULL, *budget = NULL, *looks = NULL, *deadline = NULL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o.matrix_file = optarg; break;
        case 's': o.scenarios = optarg; break;
        case 'S': o.scenario_dir = optarg; break;
        case 'b': o.backends = optarg; break;
        case 'o': o.out = optarg; break;
        case 'r': o.resume = 1; break;
        case 'k': shard = optarg; break;
        case 'e': seed = optarg; break;
        case 'B': o.bin_dir = optarg; break;
        case 'C': o.cache_dir = optarg; break;
        case 'n': o.dry_run = 1; break;
        case 'u': budget = optarg; break;
        case 'l': looks = optarg; break;
        case 't': ad.thresholds = optarg; break;
        case 'd': deadline = optarg; break;
        case 'h': usage_matrix(stdout); return CLI_EXIT_OK;
        default: usage_matrix(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "poolbench matrix: unexpected argument '%s'\n", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    int rc = matrix_options_check(&o, shard, seed);
    if (rc == CLI_EXIT_OK)
        rc = adaptive_options_check(&ad, budget, looks);
    double deadline_s = 0;
    if (rc == CLI_EXIT_OK && deadline && matrix_seconds("deadline", deadline, &deadline_s) != 0)
        rc = CLI_EXIT_USAGE;
    if (rc != CLI_EXIT_OK)
        return rc;
    char out[PATH_MAX];
    if (!o.out) {   /* the adaptive looks continue the same folder */
        matrix_run_default_out(out, sizeof out);
        o.out = out;
    }
    rc = matrix_run(&o);
    if (deadline_s > 0 && ad.budget_s > 0 && !o.dry_run) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = deadline_s - ((double)(now.tv_sec - start.tv_sec) +
                                    (double)(now.tv_nsec - start.tv_nsec) / 1e9);
        if (left < ad.budget_s) {
            fprintf(stderr, "poolbench: --deadline %g s: %.0f s left for adaptive repetitions "
                            "(budget %.0f s)\n", deadline_s, left > 0 ? left : 0, ad.budget_s);
            ad.budget_s = left > 0 ? left : 0;
        }
    }
    if (ad.budget_s > 0 && !o.dry_run && (rc == CLI_EXIT_OK || rc == CLI_EXIT_FAILED_CELLS)) {
        int ar = adaptive_run(&ad);
        rc = ar == CLI_EXIT_OK ? rc : ar;
    }
    return rc;
}
