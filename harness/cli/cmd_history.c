/* cmd_history.c: `poolbench history`: the nightly trend from the SQLite history.
 *
 * For: parsing the command line into history_trend_options_t and calling history_trend
 * (harness/nightly/history.c), which reads the database read-only, prints the trend and
 * draws the chart.
 * Guarantees: a bad argument gets the usage on stderr and exit 2; --help the usage on
 * stdout and exit 0.
 * Must not: open the database or compute anything (history_trend does).
 */
#include "cli.h"
#include "history.h"

#include <getopt.h>
#include <stdio.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

static void cmd_history_usage(FILE *f)
{
    fprintf(f,
"usage: poolbench history [--db FILE] [--scenario S] [--backend B] [--policy P]\n"
"                         [--metric NAME] [--role ROLE] [--chart OUT] [--thresholds FILE]\n"
"\n"
"Prints the trend of every series (scenario x backend x policy x variant) recorded in the\n"
"history database by `poolbench gate --history DB`: per run (night and commit) the number\n"
"of ok samples, the median with its distribution-free 95 %% CI, and the ratio to the\n"
"first and to the previous run. --chart OUT draws OUT.png and OUT.svg (gnuplot,\n"
"scripts/charts/trend.gp): median with CI per night, and the band from the previous\n"
"night's median up to +max_regression_percent (where the gate stays green).\n"
"\n"
"  --db FILE          the database (default %s)\n"
"  --metric NAME      any metric of harness/common/metrics.h (default ns_per_op)\n"
"  --role ROLE        which side of each gate run: candidate (default) or baseline\n"
"  --thresholds FILE  for the band (default %s/scenarios/thresholds.ini)\n"
"\n"
"exit codes: 0 ok; 2 bad argument, missing, corrupt or foreign database (never\n"
"modified); 3 harness error (cannot write the chart, gnuplot failed)\n",
            HISTORY_DEFAULT_DB, PB_SOURCE_DIR);
}

int history_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'}, {"scenario", required_argument, 0, 's'},
        {"backend", required_argument, 0, 'b'}, {"policy", required_argument, 0, 'p'},
        {"metric", required_argument, 0, 'm'}, {"role", required_argument, 0, 'r'},
        {"chart", required_argument, 0, 'c'}, {"thresholds", required_argument, 0, 't'},
        {"scripts-dir", required_argument, 0, 'S'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    history_trend_options_t o;
    history_trend_default_options(&o);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.db = optarg; break;
        case 's': o.scenario = optarg; break;
        case 'b': o.backend = optarg; break;
        case 'p': o.policy = optarg; break;
        case 'm': o.metric = optarg; break;
        case 'r': o.role = optarg; break;
        case 'c': o.chart = optarg; break;
        case 't': o.thresholds = optarg; break;
        case 'S': o.scripts_dir = optarg; break;
        case 'h': cmd_history_usage(stdout); return 0;
        default: cmd_history_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "poolbench history: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return history_trend(&o, stdout, stderr);
}
