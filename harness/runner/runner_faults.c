/* runner_faults.c: the runner's fault injection and leak check (--fail-after N
 * [--fail-count R], --check-leaks).
 *
 * Arms the front end's injector (alloc.h: the next N allocation calls succeed, then R
 * fail; R < 0 = every later one) after the runner's start-up, and at the end of the
 * process reports on stderr how many calls were failed and where: one line per distinct
 * call site, the return address into the caller of malloc & co. as module+offset (stable
 * across runs, whatever ASLR does) and the symbol dladdr finds for it. --check-leaks
 * records the front end's live bytes at the same point and, at the end, after the runner
 * freed everything it owns, prints the live bytes and how far they are from the start.
 * OpenSSL keeps per-thread state (the error queue, and the text of a raised error, a
 * heap block that stays for reuse after the error is cleared) until the thread stops;
 * worker threads free theirs at exit, and --check-leaks stops the main thread's state at
 * both points (OPENSSL_thread_stop; OpenSSL makes it again when next needed), so a
 * failure that raised an OpenSSL error does not read as a leak.
 * Guarantees: the report is printed with injection turned off, so it cannot fail itself;
 * it uses only dladdr and fprintf on the unbuffered stderr (no allocation of its own);
 * nothing is written to stdout.
 */
#define _GNU_SOURCE
#include "runner.h"
#include "alloc.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define RUNNER_FAULTS_SITES_MAX 512

static bool runner_faults_armed;
static long runner_faults_after, runner_faults_count;
static bool runner_faults_leaks;
static uint64_t runner_faults_live_start_bytes;

static uint64_t runner_faults_live_bytes(void)
{
    alloc_stats_t s;
    alloc_stats_read(&s);
    return s.live_bytes;
}

void runner_faults_arm(const runner_args_t *a)
{
    runner_faults_leaks = a->check_leaks;
    if (runner_faults_leaks) {
        OPENSSL_thread_stop();
        runner_faults_live_start_bytes = runner_faults_live_bytes();
    }
    if (a->fail_after < 0)
        return;
    runner_faults_armed = true;
    runner_faults_after = a->fail_after;
    runner_faults_count = a->fail_count;
    alloc_fault_set(a->fail_after, a->fail_count);
}

bool runner_faults_fired(uint64_t *fired, size_t *sites)
{
    if (!runner_faults_armed)
        return false;
    *fired = alloc_fault_hits();
    *sites = alloc_fault_sites(NULL, NULL, 0, NULL);
    return true;
}

/* One site: module+0xOFFSET (symbol+0xOFF), or the raw address if dladdr knows nothing. */
static void runner_faults_print_site(uintptr_t addr, uint64_t hits)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    if (dladdr((void *)addr, &info) == 0 || info.dli_fname == NULL) {
        fprintf(stderr, "pb: fault site 0x%" PRIxPTR " (unknown module) failed=%" PRIu64 "\n",
                addr, hits);
        return;
    }
    const char *mod = strrchr(info.dli_fname, '/');
    mod = mod ? mod + 1 : info.dli_fname;
    uintptr_t off = addr - (uintptr_t)info.dli_fbase;
    if (info.dli_sname && info.dli_saddr)
        fprintf(stderr, "pb: fault site %s+0x%" PRIxPTR " (%s+0x%" PRIxPTR ") failed=%" PRIu64 "\n",
                mod, off, info.dli_sname, addr - (uintptr_t)info.dli_saddr, hits);
    else
        fprintf(stderr, "pb: fault site %s+0x%" PRIxPTR " (?) failed=%" PRIu64 "\n", mod, off,
                hits);
}

void runner_faults_report_exiting(void)
{
    if (runner_faults_leaks)
        fprintf(stderr, "pb: leak check: skipped (the process is exiting from inside a "
                "library, with its state still allocated)\n");
    runner_faults_leaks = false;
    runner_faults_report();
}

void runner_faults_report(void)
{
    if (runner_faults_armed) {
        alloc_fault_clear();
        uintptr_t sites[RUNNER_FAULTS_SITES_MAX];
        uint64_t hits[RUNNER_FAULTS_SITES_MAX];
        uint64_t lost = 0;
        size_t n = alloc_fault_sites(sites, hits, RUNNER_FAULTS_SITES_MAX, &lost);
        fprintf(stderr, "pb: fault injection: after=%ld count=%ld fired=%" PRIu64
                " sites=%zu lost=%" PRIu64 "\n", runner_faults_after, runner_faults_count,
                alloc_fault_hits(), n, lost);
        for (size_t i = 0; i < n && i < RUNNER_FAULTS_SITES_MAX; i++)
            runner_faults_print_site(sites[i], hits[i]);
        runner_faults_armed = false;   /* once */
    }
    if (runner_faults_leaks) {
        OPENSSL_thread_stop();
        uint64_t now = runner_faults_live_bytes();
        fprintf(stderr, "pb: leak check: live_start_bytes=%" PRIu64 " live_end_bytes=%" PRIu64
                " leaked_bytes=%" PRId64 "\n", runner_faults_live_start_bytes, now,
                (int64_t)(now - runner_faults_live_start_bytes));
        runner_faults_leaks = false;
    }
}
