/* fuzz_runner_args.c: libFuzzer target for the runner's command line (runner_args_parse,
 * harness/runner/runner_args.c, compiled into this target): the input is split at
 * newlines into argv[1..] (at most 64 arguments; argv[0] is "pb-fuzz").
 *
 * Oracles: no memory error, leak or UB (ASan, LSan, UBSan); the result is PB_EXIT_OK
 * with nothing on stderr, or PB_EXIT_USAGE with exactly one line on stderr that starts
 * with the program name (runner.h); accepted arguments hold values inside the ranges the
 * usage text documents and a pool policy bufpool_policy_parse accepts.
 * Not fuzzed: --help (prints usage and exits the process by design), so inputs with an
 * argument starting with "--he" before a "--" are skipped.
 * Seeds: tests/fuzz/corpus/runner_args (command lines the engine builds).
 */
#define _GNU_SOURCE
#include <sanitizer/common_interface_defs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <getopt.h>

#include "bufpool.h"
#include "fuzz_check.h"
#include "metrics.h"
#include "runner.h"

#define FUZZ_ARGS_MAX 64
#define FUZZ_ARGS_ERR_BYTES 4096

static int fuzz_args_stderr_fd = -1;   /* the real stderr, for sanitizer reports */
static int fuzz_args_capture_fd = -1;  /* a memfd stderr goes to during a parse   */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_args_stderr_fd = dup(2);
    fuzz_args_capture_fd = memfd_create("pb-fuzz-stderr", MFD_CLOEXEC);
    if (fuzz_args_stderr_fd < 0 || fuzz_args_capture_fd < 0)
        abort();
    __sanitizer_set_report_fd((void *)(intptr_t)fuzz_args_stderr_fd);
    return 0;
}

/* Runs the parser with stderr captured; returns its result, the text in out. */
static int fuzz_args_parse(int argc, char **argv, runner_args_t *a, char *out, size_t cap)
{
    if (ftruncate(fuzz_args_capture_fd, 0) != 0 || lseek(fuzz_args_capture_fd, 0, SEEK_SET) != 0 ||
        dup2(fuzz_args_capture_fd, 2) < 0)
        abort();
    optind = 0;                       /* GNU getopt: start over for a new argv */
    int rc = runner_args_parse(argc, argv, a);
    if (dup2(fuzz_args_stderr_fd, 2) < 0)
        abort();
    ssize_t n = pread(fuzz_args_capture_fd, out, cap - 1, 0);
    out[n > 0 ? (size_t)n : 0] = '\0';
    return rc;
}

static void fuzz_args_check_values(const runner_args_t *a)
{
    if (a->version)
        return;
    fuzz_check(a->workload < RW_COUNT, "accepted without a workload", "");
    fuzz_check(a->workload_name && strcmp(a->workload_name, runner_workload_name(a->workload)) == 0,
               "workload name does not match the workload", a->workload_name);
    fuzz_check(a->member && a->member[0], "accepted an empty member", "");
    fuzz_check(a->threads >= 0 && a->threads <= 1024, "threads out of 0..1024", "");
    fuzz_check(a->cores >= 1 && a->cores <= 1024, "cores out of 1..1024", "");
    fuzz_check(a->iterations >= 1 && a->iterations <= (1ull << 40), "iterations out of range", "");
    fuzz_check(a->warmup <= (1ull << 40), "warmup out of range", "");
    fuzz_check(a->files >= 1 && a->files <= 10000000, "files out of range", "");
    fuzz_check(a->hash_size_bytes >= 1 && a->hash_size_bytes <= (1ull << 30) &&
               a->tar_size_bytes >= 1 && a->tar_size_bytes <= (1ull << 30) &&
               a->string_size_bytes >= 1 && a->string_size_bytes <= (1ull << 30),
               "a class size out of 1..1G", "");
    fuzz_check(a->gogc_percent <= 100000, "gogc out of range", "");
    fuzz_check(a->gc_interval_ms <= 3600000, "gc interval out of range", "");
    fuzz_check(a->inject_slowdown_pct <= 1000, "slowdown out of range", "");
    fuzz_check(a->memprofile_rate >= 1 && a->memprofile_rate <= (1ull << 30),
               "memprofile rate out of range", "");
    fuzz_check(a->pprof_port >= 1 && a->pprof_port <= 65535, "pprof port out of range", "");
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    char err[128];
    fuzz_check(bufpool_policy_parse(a->pools, &cfg, err, sizeof err) == 0,
               "accepted a pool policy bufpool_policy_parse rejects", a->pools);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[FUZZ_ARGS_MAX + 2];
    int argc = 0;
    argv[argc++] = "pb-fuzz";
    int options_end = 0, skip = 0;
    for (char *p = text; argc <= FUZZ_ARGS_MAX;) {
        char *nl = memchr(p, '\n', size - (size_t)(p - text));
        if (nl)
            *nl = '\0';
        if (strcmp(p, "--") == 0)
            options_end = 1;
        if (!options_end && strncmp(p, "--he", 4) == 0)
            skip = 1;
        argv[argc++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
    argv[argc] = NULL;
    if (!skip) {
        runner_args_t a;
        static char out[FUZZ_ARGS_ERR_BYTES];
        int rc = fuzz_args_parse(argc, argv, &a, out, sizeof out);
        fuzz_check(rc == PB_EXIT_OK || rc == PB_EXIT_USAGE, "result is neither OK nor USAGE", out);
        if (rc == PB_EXIT_OK) {
            fuzz_check(out[0] == '\0', "accepted arguments printed on stderr", out);
            fuzz_args_check_values(&a);
        } else {
            size_t n = strlen(out);
            fuzz_check(strncmp(out, "pb-fuzz: ", 9) == 0, "message without the program name", out);
            fuzz_check(n > 9 && out[n - 1] == '\n' && memchr(out, '\n', n - 1) == NULL,
                       "a rejection is not exactly one line", out);
        }
    }
    free(text);
    return 0;
}
