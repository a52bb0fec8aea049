/* cmd_merge.c: `poolbench merge OUT IN1 IN2 ...`: parses its arguments and calls
 * journal_merge (run/journal_merge.h).
 */
#include "cli.h"
#include "journal_merge.h"

#include <stdio.h>
#include <string.h>

static void usage_merge(FILE *f)
{
    fprintf(f,
"usage: poolbench merge OUT IN1 IN2 ...\n"
"\n"
"Combines shard journals (folders or results.jsonl files) into OUT/results.jsonl,\n"
"deduplicating cells by key, then cross-checks results across shards (wrong_result\n"
"corrections). Refuses journals of different matrices (matrix_hash) or schema versions.\n"
"Every cell keeps where it ran (\"origin\": input, shard, host) and the context block\n"
"keeps each input's block; `poolbench report` refuses a comparison whose arms ran on\n"
"different hosts (INCONCLUSIVE cross_host) and names it under Warnings.\n"
"\n%s", cli_exit_codes_text);
}

int merge_main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage_merge(stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 3 || argv[1][0] == '-') {
        usage_merge(stderr);
        return CLI_EXIT_USAGE;
    }
    return journal_merge(argv[1], (const char *const *)argv + 2, (size_t)argc - 2);
}
