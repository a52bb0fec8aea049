/* bench_getput.c: pb-bench-getput, the C side of the pool speed comparison with Go
 * (issue 12, "a pool model as fast as the real one"); the same shape as pb-go's
 * pool_getput / pool_getput_memory workloads (workloads/go/getput.go).
 *
 * --threads N threads each run --warmup get+put pairs, wait at a barrier, then (timed
 * window: from the barrier to the last thread's end, CLOCK_MONOTONIC) --iterations pairs
 * of one --size buffer (64 KiB), writing one byte of each buffer they get (position
 * and value from the pair's index, as in Go). Threads are not pinned (Go's are not).
 *   --mode bufpool  bufpool_get/put of the hash class (the model of pkg/memory), with
 *                   --zero-on-put off (default) or on;
 *   --mode pool     pool_get/pool_put of pool.h directly (the model of the bare
 *                   sync.Pool).
 * Prints one JSON object: mode, threads, iterations, warmup, size_bytes, zero_on_put,
 * wall_ns, cpu_ns (user + system CPU time of the process in the window, as pb-go's
 * user_ns + sys_ns), ns_per_pair (= wall_ns / iterations: per-thread ns per pair, pb-go's
 * wall_ns / iterations), result ("pairs=N/touched=S", the sum of the bytes written: the
 * same as pb-go's for the same arguments), hits, misses, drops (the pool's counts in the
 * window).
 * Exit codes: 0 ok; 1 allocation or thread failure; 2 bad argument (one line naming it).
 */
#define _GNU_SOURCE
#include "bufpool.h"
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef enum getput_mode { GETPUT_BUFPOOL = 0, GETPUT_POOL } getput_mode_t;

typedef struct getput_args {
    getput_mode_t mode;
    int threads;
    uint64_t iterations, warmup;
    size_t size_bytes;
    bool zero_on_put;
} getput_args_t;

typedef struct getput_ctx {
    const getput_args_t *a;
    bufpool_t *bp;
    pool_t *raw;
    pthread_barrier_t ready, start, stop;
} getput_ctx_t;

typedef struct getput_thread {
    getput_ctx_t *c;
    uint64_t touched;
    int failed;
} getput_thread_t;

/* user + system CPU time of the process so far (pb-go's user_ns + sys_ns) */
static uint64_t getput_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static uint64_t getput_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* writes one byte, as getputTouch does in Go, and reads it back */
static inline uint64_t getput_touch(unsigned char *p, size_t size_bytes, uint64_t i)
{
    size_t at = (size_t)(i & (uint64_t)(size_bytes - 1));
    p[at] = (unsigned char)i;
    __asm__ volatile("" : : "r"(p) : "memory");
    return p[at];
}

/* pairs first .. first+n-1; -1 on allocation failure */
static int getput_loop(getput_ctx_t *c, uint64_t first, uint64_t n, uint64_t *touched)
{
    size_t size = c->a->size_bytes;
    uint64_t sum = 0;
    if (c->a->mode == GETPUT_BUFPOOL) {
        for (uint64_t i = first; i < first + n; i++) {
            bufpool_buf_t *b = bufpool_get(c->bp, BUFPOOL_HASH);
            if (!b)
                return -1;
            sum += getput_touch(b->data, size, i);
            bufpool_put(c->bp, b);
        }
    } else {
        for (uint64_t i = first; i < first + n; i++) {
            unsigned char *b = pool_get(c->raw);
            if (!b)
                return -1;
            sum += getput_touch(b, size, i);
            pool_put(c->raw, b);
        }
    }
    *touched = sum;
    return 0;
}

static void *getput_thread_main(void *v)
{
    getput_thread_t *t = v;
    getput_ctx_t *c = t->c;
    uint64_t warm;
    if (getput_loop(c, 0, c->a->warmup, &warm) != 0)
        t->failed = 1;
    pthread_barrier_wait(&c->ready);
    pthread_barrier_wait(&c->start);
    if (!t->failed && getput_loop(c, c->a->warmup, c->a->iterations, &t->touched) != 0)
        t->failed = 1;
    pthread_barrier_wait(&c->stop);
    return NULL;
}

static size_t g_raw_size_bytes;

static void *getput_raw_new(void *arg)
{
    (void)arg;
    return calloc(1, g_raw_size_bytes);   /* zeroed, as Go's New (make) */
}

static void getput_raw_free(void *item, void *arg)
{
    (void)arg;
    free(item);
}

static int getput_usage(const char *msg, const char *val)
{
    fprintf(stderr, "pb-bench-getput: %s '%s' (usage: pb-bench-getput --mode bufpool|pool "
                    "[--threads N] [--iterations N] [--warmup N] [--size BYTES] "
                    "[--zero-on-put on|off])\n", msg, val ? val : "");
    return 2;
}

/* a positive integer no larger than max; false on anything else */
static bool getput_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0 || v > max)
        return false;
    *out = v;
    return true;
}

static int getput_parse(int argc, char **argv, getput_args_t *a)
{
    *a = (getput_args_t){.mode = GETPUT_BUFPOOL, .threads = 1, .iterations = 1000000,
                         .warmup = 10000, .size_bytes = 64 * 1024, .zero_on_put = false};
    bool have_mode = false;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!v)
            return getput_usage("missing value after", k);
        i++;
        if (strcmp(k, "--mode") == 0) {
            if (strcmp(v, "bufpool") == 0)
                a->mode = GETPUT_BUFPOOL;
            else if (strcmp(v, "pool") == 0)
                a->mode = GETPUT_POOL;
            else
                return getput_usage("--mode: expected bufpool or pool, got", v);
            have_mode = true;
        } else if (strcmp(k, "--threads") == 0) {
            if (!getput_uint(v, 64, &n))
                return getput_usage("--threads: expected 1..64, got", v);
            a->threads = (int)n;
        } else if (strcmp(k, "--iterations") == 0) {
            if (!getput_uint(v, UINT64_MAX / 2, &a->iterations))
                return getput_usage("--iterations: expected a positive integer, got", v);
        } else if (strcmp(k, "--warmup") == 0) {
            if (strcmp(v, "0") == 0)
                a->warmup = 0;
            else if (!getput_uint(v, UINT64_MAX / 4, &a->warmup))
                return getput_usage("--warmup: expected an integer >= 0, got", v);
        } else if (strcmp(k, "--size") == 0) {
            if (!getput_uint(v, (uint64_t)1 << 30, &n) || (n & (n - 1)))
                return getput_usage("--size: expected a power of two up to 1 GiB, got", v);
            a->size_bytes = (size_t)n;
        } else if (strcmp(k, "--zero-on-put") == 0) {
            if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
                return getput_usage("--zero-on-put: expected on or off, got", v);
            a->zero_on_put = strcmp(v, "on") == 0;
        } else {
            return getput_usage("unknown argument", k);
        }
    }
    if (!have_mode)
        return getput_usage("--mode is required", "");
    return 0;
}

int main(int argc, char **argv)
{
    getput_args_t a;
    int rc = getput_parse(argc, argv, &a);
    if (rc != 0)
        return rc;
    getput_ctx_t c = {.a = &a};
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    cfg.zero_on_put = a.zero_on_put;
    cfg.size_bytes[BUFPOOL_HASH] = cfg.size_bytes[BUFPOOL_SMALL] = a.size_bytes;
    if (a.size_bytes > cfg.max_keep_bytes)
        cfg.max_keep_bytes = a.size_bytes;   /* the benchmark measures keeping, not drops */
    g_raw_size_bytes = a.size_bytes;
    if (a.mode == GETPUT_BUFPOOL)
        c.bp = bufpool_create(&cfg);
    else
        c.raw = pool_create(getput_raw_new, getput_raw_free, NULL);
    getput_thread_t *t = calloc((size_t)a.threads, sizeof *t);
    pthread_t *tid = calloc((size_t)a.threads, sizeof *tid);
    if ((!c.bp && !c.raw) || !t || !tid) {
        fprintf(stderr, "pb-bench-getput: cannot create the pool (out of memory)\n");
        return 1;
    }
    unsigned parties = (unsigned)a.threads + 1;
    pthread_barrier_init(&c.ready, NULL, parties);
    pthread_barrier_init(&c.start, NULL, parties);
    pthread_barrier_init(&c.stop, NULL, parties);
    for (int i = 0; i < a.threads; i++) {
        t[i].c = &c;
        if (pthread_create(&tid[i], NULL, getput_thread_main, &t[i]) != 0) {
            /* threads already started wait at a barrier that cannot complete */
            fprintf(stderr, "pb-bench-getput: cannot start thread %d\n", i);
            fflush(stderr);
            _exit(1);
        }
    }
    pthread_barrier_wait(&c.ready);
    bufpool_class_stats_t s0 = {0};
    pool_stats_t p0 = {0};
    if (c.bp)
        bufpool_stats_reset(c.bp);
    else
        pool_stats_read(c.raw, &p0);
    uint64_t c0 = getput_cpu_ns();
    uint64_t t0 = getput_now_ns();
    pthread_barrier_wait(&c.start);
    pthread_barrier_wait(&c.stop);
    uint64_t wall_ns = getput_now_ns() - t0;
    uint64_t cpu_ns = getput_cpu_ns() - c0;
    uint64_t touched = 0;
    int failed = 0;
    for (int i = 0; i < a.threads; i++) {
        pthread_join(tid[i], NULL);
        touched += t[i].touched;
        failed |= t[i].failed;
    }
    if (failed) {
        fprintf(stderr, "pb-bench-getput: allocation failed\n");
        return 1;
    }
    uint64_t hits, misses, drops;
    if (c.bp) {
        bufpool_stats_read(c.bp, BUFPOOL_HASH, &s0);
        hits = s0.hits, misses = s0.misses, drops = s0.drops;
    } else {
        pool_stats_t p1;
        pool_stats_read(c.raw, &p1);
        hits = p1.hits - p0.hits, misses = p1.misses - p0.misses, drops = p1.drops - p0.drops;
    }
    uint64_t pairs = a.iterations * (uint64_t)a.threads;
    printf("{\"mode\":\"%s\",\"threads\":%d,\"iterations\":%llu,\"warmup\":%llu,"
           "\"size_bytes\":%zu,\"zero_on_put\":%s,\"fence\":\"%s\",\"wall_ns\":%llu,\"cpu_ns\":%llu,"
           "\"ns_per_pair\":%.3f,\"result\":\"pairs=%llu/touched=%llu\",\"hits\":%llu,"
           "\"misses\":%llu,\"drops\":%llu}\n",
           a.mode == GETPUT_BUFPOOL ? "bufpool" : "pool", a.threads,
           (unsigned long long)a.iterations, (unsigned long long)a.warmup, a.size_bytes,
           a.zero_on_put ? "true" : "false", pool_fence_mode(), (unsigned long long)wall_ns,
           (unsigned long long)cpu_ns,
           (double)wall_ns / (double)a.iterations, (unsigned long long)pairs,
           (unsigned long long)touched, (unsigned long long)hits, (unsigned long long)misses,
           (unsigned long long)drops);
    pthread_barrier_destroy(&c.ready);
    pthread_barrier_destroy(&c.start);
    pthread_barrier_destroy(&c.stop);
    free(t);
    free(tid);
    if (c.bp)
        bufpool_destroy(c.bp);
    else
        pool_destroy(c.raw);
    return 0;
}
