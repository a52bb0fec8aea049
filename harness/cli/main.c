/* main.c: build/bin/poolbench, the driver: dispatches to one subcommand (cmd_*.c).
 * Exit codes are in cli.h and --help; each subcommand documents its own.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

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
"\n%s", cli_exit_codes_text);
}

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} commands[] = {
    {"matrix", matrix_main},   {"report", report_main},       {"compare", compare_main},
    {"merge", merge_main},     {"gate", gate_main},           {"calibrate", calibrate_main},
    {"history", history_main},
};

int main(int argc, char **argv)
{
    /* Past a file-size limit (ulimit -f) a write fails with EFBIG instead of killing the
     * process, so the journal and the outputs get their clean "cannot write" path (the
     * runners it spawns get the default back: cell.c). */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage_main(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "poolbench: unknown command '%s' (matrix, report, compare, merge, gate, "
                    "calibrate, history; see "
                    "poolbench --help)\n", cmd);
    return CLI_EXIT_USAGE;
}
