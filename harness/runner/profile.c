/* profile.c: the profiling flags as runner.c sees them (see profile.h).
 * Order: profile_begin after the backend check and before the input (files created and
 * the port bound before any work: a bad path or a port in use fails first, exit 2);
 * profile_window_start / _stop around the timed window; profile_end after the JSON line.
 * The heap profile is written with the heap guard on, so its own allocations are not in
 * it; the runner's counters were read before, so they are not in the JSON either.
 */
#define _GNU_SOURCE
#include "profile.h"
#include "metrics.h"
#include "runner.h"
#include "alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PB_BACKEND_NAME
#define PB_BACKEND_NAME "unknown"
#endif

static const runner_args_t *g_args;
static bool g_heap_on, g_cpu_window;
static char g_desc[200];

/* Creates (truncates) a profile file now, so a bad path fails before any work. */
static int create_file(const char *flag, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "pb: %s %s: %s\n", flag, path, strerror(errno));
        return PB_EXIT_USAGE;
    }
    fclose(f);
    return PB_EXIT_OK;
}

int profile_begin(const runner_args_t *a)
{
    char err[512];
    g_args = a;
    snprintf(g_desc, sizeof g_desc, "pb-%s --workload %s", PB_BACKEND_NAME,
             a->workload_name ? a->workload_name : "?");
    if (a->cpuprofile_path && create_file("--cpuprofile", a->cpuprofile_path) != PB_EXIT_OK)
        return PB_EXIT_USAGE;
    if (a->memprofile_path && create_file("--memprofile", a->memprofile_path) != PB_EXIT_OK)
        return PB_EXIT_USAGE;
    if (a->cpuprofile_path || a->pprof_http) {
        if (cpu_prof_load(err, sizeof err) != 0) {
            fprintf(stderr, "pb: %s: %s\n", a->cpuprofile_path ? "--cpuprofile" : "--pprof-http",
                    err);
            return PB_EXIT_BACKEND;
        }
    }
    if (a->memprofile_path || a->pprof_http) {
        if (heap_prof_init(a->memprofile_rate) != 0) {
            fprintf(stderr, "pb: --memprofile: cannot map the profile's tables\n");
            return PB_EXIT_NOMEM;
        }
        g_heap_on = true;
    }
    if (a->pprof_http) {
        int rc = http_prof_start(a->pprof_port, g_desc);
        if (rc != PB_EXIT_OK)
            return rc;
    }
    /* the libraries loaded now must not have brought another allocator */
    if ((a->cpuprofile_path || a->pprof_http) && !a->skip_backend_check &&
        alloc_backend_verify(err, sizeof err) != 0) {
        fprintf(stderr, "pb-%s: refusing to run: after loading the profilers, the active "
                "allocator is not %s: %s\n", PB_BACKEND_NAME, PB_BACKEND_NAME, err);
        return PB_EXIT_BACKEND;
    }
    return PB_EXIT_OK;
}

void profile_window_start(void)
{
    if (!g_args)
        return;
    if (g_args->cpuprofile_path) {
        if (cpu_prof_start() == 0)
            g_cpu_window = true;
        else
            fprintf(stderr, "pb: --cpuprofile %s: cpu profiling already in use "
                    "(a /debug/pprof/profile request?): no CPU profile of the window\n",
                    g_args->cpuprofile_path);
    }
    if (g_heap_on)
        heap_prof_record(true);
}

void profile_window_stop(void)
{
    if (!g_args)
        return;
    if (g_heap_on)
        heap_prof_record(false);
    if (g_cpu_window) {
        g_cpu_window = false;
        unsigned char *gz = NULL;
        size_t len = 0;
        const char *path = g_args->cpuprofile_path;
        if (cpu_prof_stop(g_desc, &gz, &len) != 0) {
            fprintf(stderr, "pb: --cpuprofile %s: cannot encode the profile\n", path);
        } else {
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(gz, 1, len, f) != len || fclose(f) != 0) {
                fprintf(stderr, "pb: --cpuprofile %s: %s\n", path, strerror(errno));
                if (f)
                    fclose(f);
            }
        }
        free(gz);
    }
}

static int write_heap(const char *path)
{
    heap_snapshot_t s;
    unsigned char *gz = NULL;
    size_t len = 0;
    bool was = heap_prof_guard(true);
    int rc = PB_EXIT_OK;
    if (heap_prof_snapshot(&s) != 0 || pprof_heap_encode(&s, false, g_desc, &gz, &len) != 0) {
        fprintf(stderr, "pb: --memprofile %s: out of memory encoding the profile\n", path);
        rc = PB_EXIT_NOMEM;
    } else {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(gz, 1, len, f) != len || fclose(f) != 0) {
            fprintf(stderr, "pb: --memprofile %s: %s\n", path, strerror(errno));
            if (f)
                fclose(f);
            rc = PB_EXIT_KERNEL;
        }
        if (s.dropped)
            fprintf(stderr, "pb: --memprofile %s: %llu samples not recorded (profile tables "
                    "full): totals are low\n", path, (unsigned long long)s.dropped);
    }
    free(gz);
    heap_snapshot_free(&s);
    heap_prof_guard(was);
    return rc;
}

int profile_end(void)
{
    if (!g_args)
        return PB_EXIT_OK;
    profile_window_stop();   /* a failed run never reached the report */
    int rc = PB_EXIT_OK;
    if (g_args->memprofile_path)
        rc = write_heap(g_args->memprofile_path);
    /* the server's threads end with the process (as Go's): stopping it would wait for a
     * CPU profile request in progress */
    if (!g_args->pprof_http && g_heap_on) {
        heap_prof_shutdown();
        g_heap_on = false;
    }
    return rc;
}
