/* cli.h: what the poolbench subcommands share: exit codes, the exit-code text of --help,
 * and reading a finished journal with the command's own message prefix.
 * Each subcommand lives in its own cmd_<name>.c, parses its arguments and calls one
 * function of the rooms below (run/, report/, nightly/).
 */
#ifndef PB_CLI_H
#define PB_CLI_H

#include "journal.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED_CELLS = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_HARNESS = 3,
       CLI_EXIT_INTERRUPTED = 130 };

extern const char *const cli_exit_codes_text;

/* journal_read (run/journal_read.h) with messages on stderr ("poolbench: ..."). Returns
 * CLI_EXIT_OK or CLI_EXIT_USAGE. */
int cli_read_journal(const char *in, journal_t *j);

int matrix_main(int argc, char **argv);
int report_main(int argc, char **argv);
int compare_main(int argc, char **argv);
int merge_main(int argc, char **argv);
int gate_main(int argc, char **argv);
int calibrate_main(int argc, char **argv);
int history_main(int argc, char **argv);

#endif
