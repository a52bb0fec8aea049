/* cmd_gate.c: `poolbench gate`: parses its arguments into a gate_command_t and calls
 * gate_run (nightly/gate.h). Bad arguments exit 2 (the gate's "inconclusive or bad
 * input"), as the usage text says.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "gate.h"
#include "gate_ir.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

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
"Instruction counts (--revs): every single-threaded kernel's arm also runs once per\n"
"revision under valgrind's callgrind, counting the instructions of its timed window\n"
"only (at most %u operations); a count per operation above the baseline's by more\n"
"than max_instructions_increase_percent ([gate], default 3 %%) is a regression (a\n"
"deterministic count: no rerun). The counts go to OUT/base/instructions.json and\n"
"OUT/candidate/instructions.json (a saved-journal gate compares them when both\n"
"folders hold one). Without valgrind the gate says so and gates on time alone.\n"
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
"  --no-instructions      (--revs) skip the instruction counts (below)\n"
"  --inject-extra-ops PCT CALIBRATION ONLY (--revs): the candidate's runners do PCT %%\n"
"                         more operations of their kernel in the timed window (a real\n"
"                         slowdown: more work, timed and counted)\n"
"  --inject-live PCT      CALIBRATION ONLY (--revs): the candidate's runners hold PCT %%\n"
"                         more live (and resident) memory through the window\n"
"\n"
"exit codes:\n"
"  0  pass: no regression past the threshold\n"
"  1  regression (confirmed by the rerun; with saved journals: unconfirmed)\n"
"  2  inconclusive (a slowdown past the threshold can be neither shown nor ruled out,\n"
"     or the rerun could not settle it) or no baseline (nothing comparable), or bad\n"
"     input: arguments, journals, thresholds file, revisions, a baseline that does not\n"
"     build\n"
"  3  harness error (cannot write results, a candidate that does not build, out of memory)\n",
            GATE_IR_MAX_ITERATIONS, PB_SOURCE_DIR, GATE_DEFAULT_SCENARIOS, GATE_DEFAULT_REPETITIONS,
            GATE_DEFAULT_REPETITIONS);
}


/* A whole number lo..hi for option opt (--name), into *out; else the message, -1. */
static int gate_arg_uint(const char *opt, const char *arg, unsigned long lo, unsigned long hi,
                         unsigned *out)
{
    char *end = NULL;
    unsigned long v = strtoul(arg, &end, 10);
    if (!arg[0] || *end || arg[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "poolbench gate: bad %s '%s' (%lu..%lu)\n", opt, arg, lo, hi);
        return -1;
    }
    *out = (unsigned)v;
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
        {"inject-slowdown", required_argument, 0, 'i'},
        {"inject-live", required_argument, 0, 'L'}, {"cache-dir", required_argument, 0, 'C'},
        {"inject-extra-ops", required_argument, 0, 'X'}, {"no-instructions", no_argument, 0, 'I'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *bj = NULL, *cj = NULL, *thr = NULL, *scen = NULL, *matrix = NULL, *sdir = NULL;
    const char *repo = NULL, *work = NULL, *outd = NULL, *summary = NULL, *hist = NULL;
    const char *cache_dir = NULL;
    int revs = 0, no_confirm = 0, c;
    unsigned reps = 0, inject = 0, inject_live = 0, inject_extra = 0;
    int no_instructions = 0;
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
        case 'n':
            if (gate_arg_uint("--repetitions", optarg, 1, 10000, &reps) != 0)
                return GATE_EXIT_INCONCLUSIVE;
            break;
        case 'i':
            if (gate_arg_uint("--inject-slowdown", optarg, 0, 1000, &inject) != 0)
                return GATE_EXIT_INCONCLUSIVE;
            break;
        case 'I': no_instructions = 1; break;
        case 'X':
            if (gate_arg_uint("--inject-extra-ops", optarg, 0, 1000, &inject_extra) != 0)
                return GATE_EXIT_INCONCLUSIVE;
            break;
        case 'L':
            if (gate_arg_uint("--inject-live", optarg, 0, 1000, &inject_live) != 0)
                return GATE_EXIT_INCONCLUSIVE;
            break;
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
        if (inject || inject_live || inject_extra) {
            fprintf(stderr, "poolbench gate: --inject-slowdown, --inject-extra-ops and "
                            "--inject-live need --revs "
                            "(they change the candidate's runners while they run)\n");
            return GATE_EXIT_INCONCLUSIVE;
        }
    }
    gate_command_t g = {.baseline = bj, .candidate = cj, .revs = revs, .rev_base = rev_base,
                        .rev_cand = rev_cand, .thresholds = thr,
                        .max_count_increase_percent = count_pct, .scenarios = scen,
                        .matrix = matrix, .scenario_dir = sdir, .repetitions = reps,
                        .repo = repo, .work_dir = work, .out_dir = outd, .cache_dir = cache_dir,
                        .have_seed = have_seed, .seed = seed, .no_confirm = no_confirm,
                        .inject_slowdown_pct = inject, .inject_live_pct = inject_live,
                        .inject_extra_ops_pct = inject_extra, .no_instructions = no_instructions,
                        .summary = summary, .history_path = hist};
    return gate_run(&g);
}
