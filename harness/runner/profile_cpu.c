/* profile_cpu.c: CPU profiles with gperftools' profiler (libprofiler).
 *
 * libprofiler is loaded with dlopen only when a CPU profile may be asked for
 * (--cpuprofile, --pprof-http): linked always, it would bring libstdc++ and libunwind
 * (and their start-up allocations) into every runner. It is a profiler, not an
 * allocator: the front end stays the process's malloc (alloc_backend_verify still holds,
 * tcmalloc backend included). ProfilerStart arms ITIMER_PROF for the whole process (all
 * threads) at 100 Hz (CPUPROFILE_FREQUENCY changes it) into a temporary file in
 * gperftools' legacy format; at stop it is re-encoded in the process as a symbolized
 * pprof profile (pprof_encode.c), since Go's `go tool pprof` does not symbolize a C
 * binary's legacy profile (it reads only Go's symbol tables for that).
 * Guarantees: one profile at a time (a second start fails); thread-safe start / stop.
 */
#define _GNU_SOURCE
#include "profile.h"

#include <dlfcn.h>
#include <gperftools/profiler.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_PROFILER_SONAME
#define PB_PROFILER_SONAME "libprofiler.so.0"
#endif

static __typeof__(ProfilerStart) *p_start;
static __typeof__(ProfilerStop) *p_stop;
static pthread_mutex_t g_cpu_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_cpu_running;

int cpu_prof_load(char *err, size_t err_len)
{
    if (p_start)
        return 0;
    void *h = dlopen(PB_PROFILER_SONAME, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        snprintf(err, err_len, "cannot load gperftools' %s: %s (install "
                 "libgoogle-perftools-dev: scripts/install-deps.sh)", PB_PROFILER_SONAME,
                 dlerror());
        return -1;
    }
    p_start = (__typeof__(ProfilerStart) *)dlsym(h, "ProfilerStart");
    p_stop = (__typeof__(ProfilerStop) *)dlsym(h, "ProfilerStop");
    if (!p_start || !p_stop) {
        snprintf(err, err_len, "%s has no ProfilerStart/ProfilerStop", PB_PROFILER_SONAME);
        p_start = NULL;
        return -1;
    }
    return 0;
}

static char g_cpu_path[512];
static uint64_t g_cpu_t0;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cpu_prof_start(void)
{
    int rc = -1;
    pthread_mutex_lock(&g_cpu_lock);
    if (p_start && !g_cpu_running) {
        const char *dir = getenv("TMPDIR");
        snprintf(g_cpu_path, sizeof g_cpu_path, "%s/pb-cpu-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(g_cpu_path);
        if (fd >= 0) {
            close(fd);
            if (p_start(g_cpu_path)) {
                g_cpu_running = true;
                g_cpu_t0 = mono_ns();
                rc = 0;
            } else {
                unlink(g_cpu_path);
            }
        }
    }
    pthread_mutex_unlock(&g_cpu_lock);
    return rc;
}

int cpu_prof_stop(const char *comment, unsigned char **gz, size_t *gz_len)
{
    int rc = -1;
    pthread_mutex_lock(&g_cpu_lock);
    if (g_cpu_running) {
        p_stop();
        g_cpu_running = false;
        bool was = heap_prof_guard(true);
        rc = pprof_cpu_encode(g_cpu_path, (int64_t)(mono_ns() - g_cpu_t0), comment, gz, gz_len);
        heap_prof_guard(was);
        unlink(g_cpu_path);
    }
    pthread_mutex_unlock(&g_cpu_lock);
    return rc;
}
