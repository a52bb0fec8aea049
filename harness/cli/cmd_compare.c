/* cmd_compare.c: `poolbench compare DIR --a BACKEND/POLICY --b BACKEND/POLICY`: parses its
 * arguments, reads the journal and calls summary_compare (report/summary.h).
 */
#include "cli.h"
#include "summary.h"

#include <getopt.h>
#include <stdio.h>

static void usage_compare(FILE *f)
{
    fprintf(f,
"usage: poolbench compare DIR --a BACKEND/POLICY --b BACKEND/POLICY [--metric NAME]\n"
"\n"
"Per scenario: medians of both arms, the ratio b/a of the medians with a bootstrap 95 %%\n"
"CI, the two-sided Mann-Whitney p and the Holm-adjusted p. Default metric: ns_per_op\n"
"(any name of harness/common/metrics.h).\n\n%s", cli_exit_codes_text);
}

int compare_main(int argc, char **argv)
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
        case 'h': usage_compare(stdout); return CLI_EXIT_OK;
        default: usage_compare(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !a || !b) {
        usage_compare(stderr);
        return CLI_EXIT_USAGE;
    }
    journal_t j;
    int rc = cli_read_journal(argv[optind], &j);
    if (rc)
        return rc;
    char err[512];
    int r = summary_compare(&j, a, b, metric, stdout, err, sizeof err);
    journal_free(&j);
    if (r == -1) {
        fprintf(stderr, "poolbench compare: out of memory\n");
        return CLI_EXIT_HARNESS;
    }
    if (r != 0) {
        fprintf(stderr, "poolbench compare: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}
