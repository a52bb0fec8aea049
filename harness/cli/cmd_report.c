/* cmd_report.c: `poolbench report DIR`: parses its arguments and calls report_dir
 * (report/report_dir.h), which reads the journal and writes every output.
 */
#include "cli.h"
#include "report_dir.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

static void usage_report(FILE *f)
{
    fprintf(f,
"usage: poolbench report DIR [--thresholds FILE] [--calibration FILE] [--no-charts]\n"
"\n"
"Reads DIR/results.jsonl (never reruns) and writes, in DIR:\n"
"  report.md     the answer first (KEEP_SOME / REMOVE_ALL / KEEP_ALL / UNDECIDED), the\n"
"                class table and what decided each class; at most 65,536 characters\n"
"  report-full.md  every verdict, what-if, explanation and piece of evidence\n"
"  report.html   report-full.md, self-contained, charts embedded, long tables folded\n"
"  summary.json  machine-readable verdicts with the raw samples behind every comparison\n"
"  samples.csv   one row per sample;  bench.txt  Go benchmark format (for benchstat)\n"
"  charts/       gnuplot charts, PNG and SVG\n"
"  profiles/*.txt  when DIR/profiles/ holds a profiled pass (heap_profile = on): the\n"
"                `go tool pprof -top` texts beside the profiles ($PB_GO or go), read\n"
"                into report-full.md's \"Heap profiles\" section\n"
"  summary.md    one row per scenario x variant x backend x policy: n, median ns/op and\n"
"                its 95 %% CI, peak live bytes, max RSS, allocations per op, pool counts\n"
"--thresholds FILE  the decision thresholds (default: scenarios/thresholds.ini of the\n"
"                   source tree, when present; else the built-in seed defaults)\n"
"--calibration FILE the calibration.json of `poolbench calibrate`, quoted in the report\n"
"                   (default: DIR/calibration.json when present); a\n"
"                   decision-calibration.json beside it, in DIR or in DIR/calibration\n"
"                   (`poolbench calibrate --decision N`) is quoted too\n"
"--no-charts        skip gnuplot\n\n%s", cli_exit_codes_text);
}

int report_main(int argc, char **argv)
{
    const char *dir = NULL, *thresholds = NULL;
    report_options_t opt = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_report(stdout);
            return CLI_EXIT_OK;
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
            return CLI_EXIT_USAGE;
        }
    }
    struct stat st;
    if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "poolbench report: %s: not a results folder (see --help)\n",
                dir ? dir : "DIR missing");
        return CLI_EXIT_USAGE;
    }
    char default_th[PATH_MAX];
    snprintf(default_th, sizeof default_th, "%s/scenarios/thresholds.ini", PB_SOURCE_DIR);
    if (!thresholds && access(default_th, R_OK) == 0)
        thresholds = default_th;
    return report_dir(dir, thresholds, &opt);
}
