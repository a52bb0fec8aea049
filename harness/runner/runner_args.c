/* runner_args.c: command line of pb-<backend>.
 * Must not: touch the input or the allocator (runner_input.c and runner.c do).
 *
 * Every value is validated here; a bad one gets one line on stderr naming the argument
 * and the expected form, and PB_EXIT_USAGE. Sizes accept K, M, G suffixes (KiB, MiB,
 * GiB). Defaults are Go's (KERNELS.md): 64 KiB hash and tar buffers, 1 KiB builders,
 * all classes pooled, zero on put, calloc for the unpooled path.
 */
#include "runner.h"
#include "metrics.h"
#include "profile.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const runner_workload_names[RW_COUNT] = {
    "checksum", "sum_checksum", "checksum_concurrent",
    "tar_create", "tar_create_seq", "tar_create_concurrent",
    "tar_read", "tar_copy", "image_tag", "build",
    "pool_churn", "touch",
};

const char *runner_workload_name(runner_workload_t w)
{
    return (unsigned)w < RW_COUNT ? runner_workload_names[w] : "?";
}

static const char *prog_name(const char *argv0)
{
    const char *s = strrchr(argv0, '/');
    return s ? s + 1 : argv0;
}

static void runner_args_usage(FILE *f, const char *prog)
{
    fprintf(f,
"usage: %s --workload NAME [options]\n"
"Runs one cell: warm-up, then --iterations operations of one kernel, and prints one\n"
"JSON object with the metrics (names and units in harness/common/metrics.h) on stdout.\n"
"\n"
"workloads: checksum sum_checksum checksum_concurrent tar_create tar_create_seq\n"
"           tar_create_concurrent tar_read tar_copy image_tag build pool_churn touch\n"
"input:\n"
"  --input PATH            a file (checksum kinds; concatenated 32-byte digests for\n"
"                          sum_checksum), a directory (tar_create*, build) or a tar\n"
"                          archive (tar_read, tar_copy)\n"
"  --size BYTES --seed N   generate the input instead (deterministic); trees also use\n"
"  --files N               the number of files (default 64)\n"
"  --cache-dir DIR         where generated trees are kept (default\n"
"                          $XDG_CACHE_HOME/poolbench, ~/.cache/poolbench, $TMPDIR)\n"
"  --member NAME           tar_read: the member (default Dockerfile)\n"
"  --from-disk             tar_read: read the archive file instead of memory\n"
"  --image S --tag S       image_tag, build (default registry.local/ci/app and v1)\n"
"run:\n"
"  --iterations N          timed operations (default 1)\n"
"  --warmup N              untimed operations first (default 1)\n"
"  --threads N             hashing workers / pool_churn threads (default 2)\n"
"  --cores N               bound on tar workers (default: online CPUs)\n"
"  --output PATH           write the produced archive / member / tag / digest\n"
"pool:\n"
"  --pools all|none|LIST   pooled classes, LIST like hash,tar,string (default all)\n"
"  --zero-on-put on|off    zero a buffer on put, as Go does (default on)\n"
"  --standard-alloc calloc|malloc   the unpooled path (default calloc)\n"
"  --hash-size BYTES --tar-size BYTES --string-size BYTES   class sizes (64K 64K 1K)\n"
"  --gogc PCT              cleanup-cycle trigger, 0 = off (default 100)\n"
"  --gc-interval-ms N      also run a cleanup cycle on a timer (default off)\n"
"  --gc-bytes-per-op N     bare runners (pb-<backend>-bare) only: feed N bytes per\n"
"                          operation to the --gogc rule, whose goal is then GOGC %% of\n"
"                          4 MiB (they count nothing; poolbench passes what gives the\n"
"                          arm's counting cell's cycles per operation); default 0: no\n"
"                          such cycles\n"
"testing:\n"
"  --fail-after N          fault injection: the next N allocation calls succeed, then\n"
"                          they fail (malloc & co. return NULL); stderr then names how\n"
"                          many failed and each distinct call site (module+offset);\n"
"                          refused (exit 2) by bare runners and in sanitizer builds\n"
"  --fail-count R          fail only R calls after the N (1 = a transient failure;\n"
"                          default: every later call)\n"
"  --fail-alloc-after N    the old name of --fail-after\n"
"  --check-leaks           at exit, print the live heap bytes against those at the\n"
"                          start (after OpenSSL's one-time set-up) on stderr\n"
"  --skip-backend-check    run although another allocator serves malloc (valgrind,\n"
"                          sanitizers); the JSON then says \"backend_verified\": false\n"
"                          and poolbench refuses such results\n"
"profiling (go tool pprof reads the profiles; see README.md, Profiling):\n"
"  --cpuprofile FILE       CPU profile of the timed window (gperftools)\n"
"  --memprofile FILE       heap profile at the end (gzipped pprof protobuf, symbolized)\n"
"  --memprofile-rate N     bytes between heap samples (Go's MemProfileRate, 524288;\n"
"                          1 = every allocation)\n"
"  --pprof-http            serve /debug/pprof/ on 127.0.0.1 while running\n"
"  --pprof-port N          its port (default 6060)\n"
"calibration only (poolbench calibrate / gate):\n"
"  --inject-slowdown PCT   busy-wait inside the timed window for PCT %% of its length,\n"
"                          a known slowdown for checking the regression gate\n"
"  --inject-extra-ops PCT  do PCT %% more operations of the kernel inside the timed\n"
"                          window (ceil(iterations x PCT / 100), not counted in ops):\n"
"                          a real slowdown (more work), for the gate's instruction\n"
"                          counts; not for pool_churn\n"
"  --inject-live PCT       hold PCT %% of the peak live bytes before the window in one\n"
"                          more (touched) allocation through the window: a known\n"
"                          memory regression for checking the gate's memory rows\n"
"  --version               print backend, versions, compiler and commit as JSON\n"
"exit codes: 0 ok, 1 kernel error, 2 bad argument or input (incl. a missing tar\n"
"member), 3 allocator is not the claimed backend or internal error, 4 out of memory\n"
"(also every run that a --fail-after fault stopped)\n",
        prog);
}

/* Parses an unsigned number with an optional K/M/G (binary) suffix. */
static int parse_u64(const char *s, bool allow_suffix, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    uint64_t mul = 1;
    if (allow_suffix && *end) {
        switch (*end) {
        case 'k': case 'K': mul = 1ull << 10; break;
        case 'm': case 'M': mul = 1ull << 20; break;
        case 'g': case 'G': mul = 1ull << 30; break;
        default: return -1;
        }
        end++;
        if (*end == 'i' && end[1] == 'B')
            end += 2;
        else if (*end == 'B')
            end++;
    }
    if (*end)
        return -1;
    if (v > UINT64_MAX / mul)
        return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

static int bad(const char *prog, const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "%s: %s: '%s' is not valid (expected %s)\n", prog, opt, val, want);
    return PB_EXIT_USAGE;
}

/* Go's defaults (KERNELS.md) and the runner's own. */
static void runner_args_defaults(runner_args_t *a)
{
    memset(a, 0, sizeof *a);
    a->workload = RW_COUNT;
    a->files = 64;
    a->seed = 1;
    a->size_bytes = 1 << 20;
    a->image = "registry.local/ci/app";
    a->tag = "v1";
    a->member = "Dockerfile";
    a->pools = "all";
    a->threads = 2;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    a->cores = ncpu > 0 ? (int)ncpu : 1;
    a->iterations = 1;
    a->warmup = 1;
    a->zero_on_put = true;
    a->std_alloc = BUFPOOL_STD_CALLOC;
    a->hash_size_bytes = 64 << 10;
    a->tar_size_bytes = 64 << 10;
    a->string_size_bytes = 1 << 10;
    a->gogc_percent = 100;
    a->fail_after = -1;
    a->fail_count = -1;
    a->memprofile_rate = PROFILE_DEFAULT_RATE_BYTES;
    a->pprof_port = PROFILE_DEFAULT_PORT;
}

enum { O_WORKLOAD = 256, O_INPUT, O_SIZE, O_SEED, O_FILES, O_OUTPUT, O_MEMBER, O_IMAGE,
       O_TAG, O_POOLS, O_THREADS, O_CORES, O_ITER, O_WARMUP, O_ZERO, O_STD, O_HASH,
       O_TAR, O_STRING, O_GOGC, O_GCINT, O_CACHE, O_DISK, O_FAIL, O_FAILCNT, O_LEAKS, O_SLOW, O_EXTRA, O_LIVE,
       O_SKIPCHK, O_VERSION, O_HELP,
       O_CPUPROF, O_MEMPROF, O_MEMRATE, O_PPROF_HTTP, O_PPROF_PORT, O_GCBYTES };

static const struct option runner_args_options[] = {
    {"workload", required_argument, 0, O_WORKLOAD}, {"input", required_argument, 0, O_INPUT},
    {"size", required_argument, 0, O_SIZE}, {"seed", required_argument, 0, O_SEED},
    {"files", required_argument, 0, O_FILES}, {"output", required_argument, 0, O_OUTPUT},
    {"member", required_argument, 0, O_MEMBER}, {"image", required_argument, 0, O_IMAGE},
    {"tag", required_argument, 0, O_TAG}, {"pools", required_argument, 0, O_POOLS},
    {"threads", required_argument, 0, O_THREADS}, {"cores", required_argument, 0, O_CORES},
    {"iterations", required_argument, 0, O_ITER}, {"warmup", required_argument, 0, O_WARMUP},
    {"zero-on-put", required_argument, 0, O_ZERO},
    {"standard-alloc", required_argument, 0, O_STD},
    {"hash-size", required_argument, 0, O_HASH}, {"tar-size", required_argument, 0, O_TAR},
    {"string-size", required_argument, 0, O_STRING}, {"gogc", required_argument, 0, O_GOGC},
    {"gc-interval-ms", required_argument, 0, O_GCINT},
    {"gc-bytes-per-op", required_argument, 0, O_GCBYTES},
    {"cache-dir", required_argument, 0, O_CACHE}, {"from-disk", no_argument, 0, O_DISK},
    {"fail-after", required_argument, 0, O_FAIL},
    {"fail-alloc-after", required_argument, 0, O_FAIL},
    {"fail-count", required_argument, 0, O_FAILCNT},
    {"check-leaks", no_argument, 0, O_LEAKS},
    {"inject-slowdown", required_argument, 0, O_SLOW},
    {"inject-extra-ops", required_argument, 0, O_EXTRA},
    {"inject-live", required_argument, 0, O_LIVE},
    {"skip-backend-check", no_argument, 0, O_SKIPCHK},
    {"cpuprofile", required_argument, 0, O_CPUPROF},
    {"memprofile", required_argument, 0, O_MEMPROF},
    {"memprofile-rate", required_argument, 0, O_MEMRATE},
    {"pprof-http", no_argument, 0, O_PPROF_HTTP},
    {"pprof-port", required_argument, 0, O_PPROF_PORT},
    {"version", no_argument, 0, O_VERSION}, {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0}};

/* Input options that exclude each other: seen so far. */
typedef struct runner_args_seen {
    bool size, seed;
} runner_args_seen_t;

/* The input and run options: validated and stored. Returns PB_EXIT_OK, PB_EXIT_USAGE
 * after one line on stderr, or -1 when c is not one of them. */
static int runner_args_input_run(int c, const char *prog, runner_args_t *a,
                                 runner_args_seen_t *seen)
{
    uint64_t v = 0;
    switch (c) {
    case O_WORKLOAD:
        for (int w = 0; w < RW_COUNT; w++)
            if (strcmp(optarg, runner_workload_names[w]) == 0)
                a->workload = (runner_workload_t)w;
        if (a->workload == RW_COUNT)
            return bad(prog, "--workload", optarg,
                       "one of the workloads listed by --help");
        a->workload_name = runner_workload_names[a->workload];
        return PB_EXIT_OK;
    case O_INPUT: a->input_path = optarg; return PB_EXIT_OK;
    case O_SIZE:
        if (parse_u64(optarg, true, &a->size_bytes))
            return bad(prog, "--size", optarg, "bytes, e.g. 65536 or 64K");
        seen->size = true;
        return PB_EXIT_OK;
    case O_SEED:
        if (parse_u64(optarg, false, &a->seed))
            return bad(prog, "--seed", optarg, "an unsigned integer");
        seen->seed = true;
        return PB_EXIT_OK;
    case O_FILES:
        if (parse_u64(optarg, false, &a->files) || a->files == 0 || a->files > 10000000)
            return bad(prog, "--files", optarg, "a count from 1 to 10000000");
        return PB_EXIT_OK;
    case O_OUTPUT: a->output_path = optarg; return PB_EXIT_OK;
    case O_MEMBER: a->member = optarg; return PB_EXIT_OK;
    case O_IMAGE: a->image = optarg; return PB_EXIT_OK;
    case O_TAG: a->tag = optarg; return PB_EXIT_OK;
    case O_THREADS:
        if (parse_u64(optarg, false, &v) || v > 1024)
            return bad(prog, "--threads", optarg, "a count from 0 to 1024");
        a->threads = (int)v;
        return PB_EXIT_OK;
    case O_CORES:
        if (parse_u64(optarg, false, &v) || v == 0 || v > 1024)
            return bad(prog, "--cores", optarg, "a count from 1 to 1024");
        a->cores = (int)v;
        return PB_EXIT_OK;
    case O_ITER:
        if (parse_u64(optarg, false, &a->iterations) || a->iterations == 0 ||
            a->iterations > (1ull << 40))
            return bad(prog, "--iterations", optarg, "a count from 1 to 2^40");
        return PB_EXIT_OK;
    case O_WARMUP:
        if (parse_u64(optarg, false, &a->warmup) || a->warmup > (1ull << 40))
            return bad(prog, "--warmup", optarg, "a count from 0 to 2^40");
        return PB_EXIT_OK;
    case O_CACHE: a->cache_dir = optarg; return PB_EXIT_OK;
    case O_DISK: a->from_disk = true; return PB_EXIT_OK;
    default:
        return -1;
    }
}

/* The pool and testing options (name is the argument as given, for the class sizes).
 * Returns PB_EXIT_OK, PB_EXIT_USAGE after one line on stderr, or -1 when c is not one
 * of them. */
static int runner_args_pool_testing(int c, const char *prog, const char *name, runner_args_t *a)
{
    uint64_t v = 0;
    switch (c) {
    case O_POOLS: a->pools = optarg; return PB_EXIT_OK;
    case O_ZERO:
        if (strcmp(optarg, "on") == 0) a->zero_on_put = true;
        else if (strcmp(optarg, "off") == 0) a->zero_on_put = false;
        else return bad(prog, "--zero-on-put", optarg, "on or off");
        return PB_EXIT_OK;
    case O_STD:
        if (strcmp(optarg, "calloc") == 0) a->std_alloc = BUFPOOL_STD_CALLOC;
        else if (strcmp(optarg, "malloc") == 0) a->std_alloc = BUFPOOL_STD_MALLOC;
        else return bad(prog, "--standard-alloc", optarg, "calloc or malloc");
        return PB_EXIT_OK;
    case O_HASH: case O_TAR: case O_STRING:
        if (parse_u64(optarg, true, &v) || v == 0 || v > (1ull << 30))
            return bad(prog, name, optarg, "bytes from 1 to 1G, e.g. 32K");
        if (c == O_HASH) a->hash_size_bytes = v;
        else if (c == O_TAR) a->tar_size_bytes = v;
        else a->string_size_bytes = v;
        return PB_EXIT_OK;
    case O_GOGC:
        if (parse_u64(optarg, false, &v) || v > 100000)
            return bad(prog, "--gogc", optarg, "a percentage from 0 (off) to 100000");
        a->gogc_percent = (unsigned)v;
        return PB_EXIT_OK;
    case O_GCINT:
        if (parse_u64(optarg, false, &v) || v > 3600000)
            return bad(prog, "--gc-interval-ms", optarg, "milliseconds from 0 to 3600000");
        a->gc_interval_ms = (unsigned)v;
        return PB_EXIT_OK;
    case O_GCBYTES:
        if (parse_u64(optarg, true, &v) || v > (1ull << 40))
            return bad(prog, "--gc-bytes-per-op", optarg, "bytes from 0 to 1T, e.g. 96K");
        a->gc_bytes_per_op = v;
        return PB_EXIT_OK;
    case O_FAIL:
        if (parse_u64(optarg, false, &v) || v > LONG_MAX)
            return bad(prog, "--fail-after", optarg, "a count of allocation calls from 0");
        a->fail_after = (long)v;
        return PB_EXIT_OK;
    case O_FAILCNT:
        if (parse_u64(optarg, false, &v) || v == 0 || v > LONG_MAX)
            return bad(prog, "--fail-count", optarg, "a count of failed calls from 1");
        a->fail_count = (long)v;
        return PB_EXIT_OK;
    case O_LEAKS: a->check_leaks = true; return PB_EXIT_OK;
    case O_SLOW:
        if (parse_u64(optarg, false, &v) || v > 1000)
            return bad(prog, "--inject-slowdown", optarg, "a percentage from 0 to 1000");
        a->inject_slowdown_pct = (unsigned)v;
        return PB_EXIT_OK;
    case O_EXTRA:
        if (parse_u64(optarg, false, &v) || v > 1000)
            return bad(prog, "--inject-extra-ops", optarg, "a percentage from 0 to 1000");
        a->inject_extra_ops_pct = (unsigned)v;
        return PB_EXIT_OK;
    case O_LIVE:
        if (parse_u64(optarg, false, &v) || v > 1000)
            return bad(prog, "--inject-live", optarg, "a percentage from 0 to 1000");
        a->inject_live_pct = (unsigned)v;
        return PB_EXIT_OK;
    case O_SKIPCHK: a->skip_backend_check = true; return PB_EXIT_OK;
    case O_CPUPROF: a->cpuprofile_path = optarg; return PB_EXIT_OK;
    case O_MEMPROF: a->memprofile_path = optarg; return PB_EXIT_OK;
    case O_MEMRATE:
        if (parse_u64(optarg, false, &v) || v == 0 || v > (1ull << 30))
            return bad(prog, "--memprofile-rate", optarg, "bytes from 1 to 1G between samples");
        a->memprofile_rate = v;
        return PB_EXIT_OK;
    case O_PPROF_HTTP: a->pprof_http = true; return PB_EXIT_OK;
    case O_PPROF_PORT:
        if (parse_u64(optarg, false, &v) || v == 0 || v > 65535)
            return bad(prog, "--pprof-port", optarg, "a TCP port from 1 to 65535");
        a->pprof_port = (unsigned)v;
        return PB_EXIT_OK;
    case O_VERSION: a->version = true; return PB_EXIT_OK;
    default:
        return -1;
    }
}

/* Checks across options, after all are in. Returns PB_EXIT_OK or PB_EXIT_USAGE. */
static int runner_args_check(const char *prog, const runner_args_t *a,
                             const runner_args_seen_t *seen)
{
    if (a->version)
        return PB_EXIT_OK;
    if (a->workload == RW_COUNT) {
        fprintf(stderr, "%s: --workload is required (see --help)\n", prog);
        return PB_EXIT_USAGE;
    }
    if (a->input_path && (seen->size || seen->seed)) {
        fprintf(stderr, "%s: --input and --size/--seed exclude each other\n", prog);
        return PB_EXIT_USAGE;
    }
    if (!*a->member) {
        fprintf(stderr, "%s: --member: the name must not be empty\n", prog);
        return PB_EXIT_USAGE;
    }
    if (a->inject_extra_ops_pct && a->workload == RW_POOL_CHURN) {
        fprintf(stderr, "%s: --inject-extra-ops: pool_churn has no operation loop to "
                "extend (its threads run --iterations pairs each)\n", prog);
        return PB_EXIT_USAGE;
    }
    if (a->fail_count >= 0 && a->fail_after < 0) {
        fprintf(stderr, "%s: --fail-count needs --fail-after N\n", prog);
        return PB_EXIT_USAGE;
    }
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    char err[128];
    if (bufpool_policy_parse(a->pools, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s: --pools: '%s' is not valid: %s (expected all, none, or a list "
                "of hash, small, tar, string)\n", prog, a->pools, err);
        return PB_EXIT_USAGE;
    }
    return PB_EXIT_OK;
}

int runner_args_parse(int argc, char **argv, runner_args_t *a)
{
    const char *prog = prog_name(argv[0]);
    runner_args_defaults(a);
    opterr = 0;
    int c;
    runner_args_seen_t seen = { false, false };
    while ((c = getopt_long(argc, argv, "", runner_args_options, NULL)) != -1) {
        const char *name = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        int rc = runner_args_input_run(c, prog, a, &seen);
        if (rc == -1)
            rc = runner_args_pool_testing(c, prog, name, a);
        if (rc == PB_EXIT_OK)
            continue;
        if (rc != -1)
            return rc;
        if (c == O_HELP) {
            runner_args_usage(stdout, prog);
            exit(PB_EXIT_OK);
        }
        if (c == ':') {
            fprintf(stderr, "%s: %s needs a value (see --help)\n", prog, name);
            return PB_EXIT_USAGE;
        }
        fprintf(stderr, "%s: unknown argument '%s' (see --help)\n", prog, name);
        return PB_EXIT_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
        return PB_EXIT_USAGE;
    }
    return runner_args_check(prog, a, &seen);
}
