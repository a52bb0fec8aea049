/* cli.c: what the subcommands share (cli.h). */
#include "cli.h"
#include "journal_read.h"

#include <stdio.h>

const char *const cli_exit_codes_text =
"exit codes:\n"
"  0    ok (matrix: every cell ok)\n"
"  1    some cells failed (crash, non-zero exit, timeout, wrong result); the rest ran\n"
"  2    usage or bad input: arguments, scenario or matrix file (FILE:LINE message),\n"
"       corrupt journal, output folder in use or already holding a journal\n"
"  3    harness error: cannot write results (full disk, file-size limit, unwritable\n"
"       folder: one message naming the file; what was written before stays intact),\n"
"       out of memory\n"
"  130  interrupted by SIGINT/SIGTERM: nothing partial was written; rerun with --resume\n";

int cli_read_journal(const char *in, journal_t *j)
{
    char err[JOURNAL_READ_MSG_BYTES], warn[JOURNAL_READ_MSG_BYTES];
    int rc = journal_read(in, j, 1, err, warn);
    if (warn[0])
        fprintf(stderr, "poolbench: %s; `poolbench matrix --resume` cuts it off\n", warn);
    if (rc != 0) {
        fprintf(stderr, "poolbench: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}
