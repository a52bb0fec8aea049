/* runner.c: main of pb-<backend>: one cell, one process, one JSON object.
 * Must not: link anything of the driver but harness/common, or let the kernels see time.
 *
 * Order of work: parse arguments; check that the linked allocator really serves malloc
 * for the whole process (refuse to run otherwise: exit 3); prepare the input; run the
 * warm-up operations (OpenSSL's and libarchive's one-time initialisation happens there,
 * outside the timed window); reset the allocation and pool counters; time --iterations
 * operations (wall clock, rusage, counters); check the last result against the warm-up
 * result (a kernel must be deterministic); print the metrics of metrics.h as one JSON
 * object. Every output of an operation is consumed (hashed or kept) so the compiler
 * cannot delete the work. Nothing is printed to stdout unless the run succeeded.
 * The same source builds the counting runner pb-<backend> (the front end counts every
 * allocation) and the uninstrumented pb-<backend>-bare (alloc_bare.c: the backend's own
 * malloc, "instrument": "bare", null for every allocation-count metric; fault injection
 * and heap profiles are refused with exit 2 since nothing can intercept an allocation).
 * Under valgrind's callgrind with --collect-atstart=no (the gate's instruction counts,
 * gate_ir.h), the window toggles collection on and off, so the count is the window's
 * instructions only; outside valgrind the toggle is a few no-op instructions.
 */
#include "runner.h"
#include "alloc.h"
#include "bufpool.h"
#include "kernels.h"
#include "metrics.h"
#include "peak_rss.h"
#include "pool.h"
#include "profile.h"

#include <archive.h>
#include <errno.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#ifndef PB_BACKEND_NAME
#define PB_BACKEND_NAME "unknown"
#endif
#ifndef PB_POOL_CODE_LINES
#define PB_POOL_CODE_LINES 0
#endif
#ifndef PB_GIT_COMMIT
#define PB_GIT_COMMIT "unknown"
#endif

typedef struct runner_out {
    char hex[PB_SHA256_HEX_BYTES];   /* checksum kinds, build                  */
    pb_bytes_t bytes;                /* archives, member content               */
    char *str;                       /* image tag                              */
} runner_out_t;

typedef struct runner_ctx {
    const runner_args_t *a;
    runner_input_t in;
    bufpool_t *bp;
    kernel_params_t kp;
} runner_ctx_t;

static void runner_out_free(runner_out_t *o)
{
    pb_bytes_free(&o->bytes);
    free(o->str);
    memset(o, 0, sizeof *o);
}

static pb_err_t runner_touch(size_t n_bytes, runner_out_t *out)
{
    unsigned char *p = malloc(n_bytes ? n_bytes : 1);
    if (!p)
        return PB_ERR_NOMEM;
    unsigned sum = 0;
    for (size_t i = 0; i < n_bytes; i += 4096)
        p[i] = (unsigned char)(i >> 12);
    for (size_t i = 0; i < n_bytes; i += 4096)
        sum += p[i];
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
    snprintf(out->hex, sizeof out->hex, "touched=%zu/%u", n_bytes, sum & 0xff);
    return PB_OK;
}

static pb_err_t runner_op_kernel(runner_ctx_t *c, runner_out_t *out)
{
    const runner_args_t *a = c->a;
    switch (a->workload) {
    case RW_CHECKSUM:
        return checksum_compute(c->bp, &c->kp, c->in.data, c->in.data_bytes, out->hex);
    case RW_SUM_CHECKSUM:
        return sum_checksum_compute(c->bp, &c->kp,
                                    (const unsigned char (*)[PB_SHA256_BYTES])c->in.data,
                                    c->in.data_bytes / PB_SHA256_BYTES, out->hex);
    case RW_CHECKSUM_CONCURRENT:
        return checksum_concurrent_compute(c->bp, &c->kp, c->in.data, c->in.data_bytes,
                                           a->threads, out->hex);
    case RW_TAR_CREATE: case RW_TAR_CREATE_SEQ: case RW_TAR_CREATE_CONCURRENT: {
        tar_create_mode_t m = a->workload == RW_TAR_CREATE_SEQ ? TAR_CREATE_SEQ
                            : a->workload == RW_TAR_CREATE_CONCURRENT ? TAR_CREATE_CONCURRENT
                            : TAR_CREATE_AUTO;
        return tar_create_dir(c->bp, &c->kp, c->in.tree_dir, m, a->cores, &out->bytes);
    }
    case RW_TAR_READ:
        if (a->from_disk)
            return tar_read_member_file(c->bp, &c->kp, c->in.tree_dir, a->member, &out->bytes);
        return tar_read_member(c->bp, &c->kp, c->in.data, c->in.data_bytes, a->member,
                               &out->bytes);
    case RW_TAR_COPY:
        return tar_copy_archive(c->bp, &c->kp, c->in.data, c->in.data_bytes, &out->bytes);
    case RW_IMAGE_TAG:
        return image_tag_build(c->bp, a->image, a->tag, &out->str);
    case RW_BUILD: {
        build_input_t bi = {
            .context_dir = c->in.tree_dir, .dockerfile = a->member, .image = a->image,
            .tag = a->tag, .threads = a->threads, .cores = a->cores,
        };
        return build_run(c->bp, &c->kp, &bi, out->hex);
    }
    case RW_TOUCH:
        return runner_touch((size_t)a->size_bytes, out);
    case RW_POOL_CHURN: case RW_COUNT:
        break;
    }
    return PB_ERR_INPUT;
}

/* One operation; a bare runner then feeds the counting pass's bytes per op to the GOGC
 * rule (alloc_gc_note_bytes; a no-op in the counting runner, which counts real bytes). */
static pb_err_t runner_op(runner_ctx_t *c, runner_out_t *out)
{
    pb_err_t e = runner_op_kernel(c, out);
    if (c->a->gc_bytes_per_op)
        alloc_gc_note_bytes(c->a->gc_bytes_per_op);
    return e;
}

/* The textual result of an operation: the digest, the tag, or the SHA-256 of bytes. */
static int runner_result(const runner_args_t *a, const runner_out_t *o, char **result)
{
    switch (a->workload) {
    case RW_IMAGE_TAG:
        *result = strdup(o->str ? o->str : "");
        break;
    case RW_TAR_CREATE: case RW_TAR_CREATE_SEQ: case RW_TAR_CREATE_CONCURRENT:
    case RW_TAR_READ: case RW_TAR_COPY: {
        unsigned char md[SHA256_DIGEST_LENGTH];
        char hex[PB_SHA256_HEX_BYTES];
        /* OpenSSL 3's one-shot SHA256 allocates (a fetch and a context) and returns
         * NULL when that fails, leaving md unwritten */
        if (!SHA256(o->bytes.data ? o->bytes.data : (const unsigned char *)"",
                    o->bytes.len_bytes, md)) {
            *result = NULL;
            return -1;
        }
        pb_hex_encode(md, sizeof md, hex);
        *result = strdup(hex);
        break;
    }
    default:
        *result = strdup(o->hex);
        break;
    }
    return *result ? 0 : -1;
}

/* ---- libarchive's exit(1) on allocation failure ----------------------------------------
 * libarchive 3.6 calls exit(1) ("Out of memory") when some internal allocations fail.
 * While a kernel runs, an exit through that path after a failed allocation is reported
 * with the documented out-of-memory code instead of the kernel-error code. */
static volatile int runner_in_kernel;
static bool runner_backend_verified = true;

static void runner_atexit(void)
{
    if (!runner_in_kernel)
        return;
    alloc_stats_t s;
    alloc_stats_read(&s);
    if (s.failed_allocs > 0) {
        static const char msg[] = "pb: out of memory (libarchive exited on a failed allocation)\n";
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) { /* nothing left to do */ }
        runner_faults_report_exiting();
        _exit(PB_EXIT_NOMEM);
    }
}

/* ---- pool_churn: threads hammering get/put (the contention scenario) ---------------- */

/* Every arm (pooled, none, plain) does the same work: thread t's operation i gets a
 * buffer of class churn_classes[i % 3] (the class sizes of the run), writes 16 probe
 * bytes spread over its capacity (first to last byte; values from the seed, the thread
 * and i, never zero), reads them back after a compiler barrier, folds what it read into
 * the thread's checksum and puts the buffer back. The result is a function of the
 * arguments only (seed, threads, warm-up, iterations, sizes), so it is the same in every
 * arm; a pool that hands one buffer to two threads at once changes the bytes read back,
 * and a buffer that should arrive zeroed (pooled with zero on put, or a calloc'd
 * allocation) but does not is counted and named in the result.
 * Test hook: with PB_TEST_CHURN_SCRIBBLE=1 in the environment, a thread writes one byte
 * into each pooled buffer after putting it back (a use after put, as broken code would):
 * tests/harness/runner/test_runner.sh checks that the result then changes. */
#define CHURN_PROBES 16
static const bufpool_class_t churn_classes[] = {BUFPOOL_HASH, BUFPOOL_TAR, BUFPOOL_STRING};
#define CHURN_N_CLASSES (sizeof churn_classes / sizeof churn_classes[0])

/* Threads wait here before their warm-up until every one of them was created (go), or
 * return at once when one could not be (abort): the barriers below count all n. */
typedef struct churn_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state;                /* 0 wait, 1 go, -1 abort */
} churn_gate_t;

typedef struct churn_thread {
    runner_ctx_t *c;
    churn_gate_t *gate;
    pthread_barrier_t *ready, *start, *stop;
    uint64_t warmup, iterations;
    uint64_t seed;            /* this thread's: from --seed and the thread index      */
    bool expect_zero[BUFPOOL_CLASS_COUNT];
    bool scribble[BUFPOOL_CLASS_COUNT];   /* the test hook, pooled classes only      */
    uint64_t checksum;        /* FNV-style fold of the bytes read back                 */
    uint64_t unzeroed;        /* gets whose buffer should have been zeroed and was not */
    pb_err_t err;
} churn_thread_t;

static uint64_t churn_mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Operations first .. first+n-1 of thread t. */
static pb_err_t churn_loop(churn_thread_t *t, uint64_t first, uint64_t n)
{
    for (uint64_t i = first; i < first + n; i++) {
        bufpool_class_t cls = churn_classes[i % CHURN_N_CLASSES];
        bufpool_buf_t *b = bufpool_get(t->c->bp, cls);
        if (!b)
            return PB_ERR_NOMEM;
        size_t last = b->cap_bytes ? b->cap_bytes - 1 : 0;
        unsigned char want[CHURN_PROBES], got[CHURN_PROBES];
        uint64_t x[2] = {churn_mix(t->seed ^ (2 * i)), churn_mix(t->seed ^ (2 * i + 1))};
        memcpy(want, x, sizeof want);
        if (t->expect_zero[cls] && b->cap_bytes) {
            unsigned char any = 0;
            for (int j = 0; j < CHURN_PROBES; j++)
                any |= b->data[last * (size_t)j / (CHURN_PROBES - 1)];
            t->unzeroed += any != 0;
        }
        for (int j = 0; j < CHURN_PROBES && b->cap_bytes; j++)
            b->data[last * (size_t)j / (CHURN_PROBES - 1)] = (unsigned char)(want[j] | 1u);
        __asm__ volatile("" : : "r"(b->data) : "memory");   /* read what memory holds */
        for (int j = 0; j < CHURN_PROBES; j++)
            got[j] = b->cap_bytes ? b->data[last * (size_t)j / (CHURN_PROBES - 1)] : 0;
        uint64_t g[2];
        memcpy(g, got, sizeof g);
        t->checksum = (t->checksum ^ g[0]) * 0x100000001B3ULL;
        t->checksum = (t->checksum ^ g[1]) * 0x100000001B3ULL;
        bufpool_put(t->c->bp, b);
        if (t->scribble[cls] && b->cap_bytes)
            b->data[0] = 0x5A;   /* the test hook: a use after put (see above) */
        if (t->c->a->gc_bytes_per_op)   /* bare runners: the counting pass's bytes */
            alloc_gc_note_bytes(t->c->a->gc_bytes_per_op);
    }
    return PB_OK;
}

static void *churn_main(void *arg)
{
    churn_thread_t *t = arg;
    pthread_mutex_lock(&t->gate->mu);
    while (t->gate->state == 0)
        pthread_cond_wait(&t->gate->cv, &t->gate->mu);
    int state = t->gate->state;
    pthread_mutex_unlock(&t->gate->mu);
    if (state < 0)
        return NULL;
    t->err = churn_loop(t, 0, t->warmup);
    pthread_barrier_wait(t->ready);     /* the runner resets the counters now */
    pthread_barrier_wait(t->start);
    if (t->err == PB_OK)
        t->err = churn_loop(t, t->warmup, t->iterations);
    pthread_barrier_wait(t->stop);
    return NULL;
}

/* ---- timing ------------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_ns(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

typedef struct runner_window {
    uint64_t t0_ns, t1_ns;
    struct rusage r0, r1;
    uint64_t gc0, gc1;
} runner_window_t;

static void window_start(runner_ctx_t *c, runner_window_t *w)
{
    profile_window_start();   /* before the reset: the profilers' own start-up is not counted */
    bufpool_stats_reset(c->bp);
    alloc_stats_reset();
    alloc_stats_t s;
    alloc_stats_read(&s);
    w->gc0 = s.gc_cycles;
    getrusage(RUSAGE_SELF, &w->r0);
    CALLGRIND_TOGGLE_COLLECT;   /* under --collect-atstart=no: count the window only */
    w->t0_ns = now_ns();
}

/* Calibration only (--inject-slowdown): spin until the window is pct % longer. */
static void window_stretch(const runner_window_t *w, unsigned pct)
{
    if (!pct)
        return;
    uint64_t now = now_ns();
    uint64_t until = now + (now - w->t0_ns) * pct / 100;
    while (now_ns() < until)
        __asm__ volatile("pause" ::: "memory");
}

static void window_stop(runner_window_t *w)
{
    w->t1_ns = now_ns();
    CALLGRIND_TOGGLE_COLLECT;
    getrusage(RUSAGE_SELF, &w->r1);
}

static void fill_metrics(runner_ctx_t *c, const runner_window_t *w, uint64_t ops,
                         pb_metrics_t *m, bufpool_class_stats_t cls[BUFPOOL_CLASS_COUNT])
{
    alloc_stats_t s;
    alloc_stats_read(&s);
    memset(m, 0, sizeof *m);
    m->ops = ops;
    m->wall_ns = w->t1_ns - w->t0_ns;
    m->user_ns = tv_ns(w->r1.ru_utime) - tv_ns(w->r0.ru_utime);
    m->sys_ns = tv_ns(w->r1.ru_stime) - tv_ns(w->r0.ru_stime);
    m->ns_per_op = ops ? m->wall_ns / ops : 0;
    /* the process's own peak (VmHWM): ru_maxrss also holds the spawning parent's
       high-water mark, copied at exec (peak_rss.h); ru_maxrss only without /proc */
    if (peak_rss_read_bytes(&m->max_rss_bytes) != 0)
        m->max_rss_bytes = (uint64_t)w->r1.ru_maxrss * 1024u;
    m->peak_live_bytes = s.peak_live_bytes;
    m->alloc_calls = s.alloc_calls;
    m->free_calls = s.free_calls;
    m->alloc_bytes = s.alloc_bytes;
    m->bytes_per_op = ops ? s.alloc_bytes / ops : 0;
    m->allocs_per_op = ops ? s.alloc_calls / ops : 0;
    m->minor_faults = (uint64_t)(w->r1.ru_minflt - w->r0.ru_minflt);
    m->major_faults = (uint64_t)(w->r1.ru_majflt - w->r0.ru_majflt);
    m->vol_ctx_switches = (uint64_t)(w->r1.ru_nvcsw - w->r0.ru_nvcsw);
    m->invol_ctx_switches = (uint64_t)(w->r1.ru_nivcsw - w->r0.ru_nivcsw);
    m->pool_cycles = s.gc_cycles - w->gc0;
    for (int k = 0; k < BUFPOOL_CLASS_COUNT; k++) {
        bufpool_stats_read(c->bp, (bufpool_class_t)k, &cls[k]);
        m->pool_gets += cls[k].gets;
        m->pool_hits += cls[k].hits;
        m->pool_misses += cls[k].misses;
        m->pool_drops += cls[k].drops;
    }
}

/* ---- output ------------------------------------------------------------------------- */

static int print_version(void)
{
    json_object *o = json_object_new_object();
    if (!o)
        return PB_EXIT_NOMEM;
    json_object_object_add(o, "schema_version", json_object_new_int(PB_SCHEMA_VERSION));
    json_object_object_add(o, "backend", json_object_new_string(alloc_backend_name()));
    json_object_object_add(o, "backend_version", json_object_new_string(alloc_backend_version()));
    json_object_object_add(o, "instrument", json_object_new_string(alloc_counting() ? "counting" : "bare"));
    json_object_object_add(o, "compiler", json_object_new_string("gcc " __VERSION__));
    json_object_object_add(o, "git_commit", json_object_new_string(PB_GIT_COMMIT));
    json_object_object_add(o, "openssl", json_object_new_string(OpenSSL_version(OPENSSL_VERSION)));
    json_object_object_add(o, "libarchive", json_object_new_string(archive_version_string()));
    json_object_object_add(o, "pool_fence", json_object_new_string(pool_fence_mode()));
    json_object_object_add(o, "pool_code_lines", json_object_new_int(PB_POOL_CODE_LINES));
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    int rc = s && printf("%s\n", s) > 0 && fflush(stdout) == 0 ? PB_EXIT_OK : PB_EXIT_BACKEND;
    json_object_put(o);
    return rc;
}

static json_object *config_json(const runner_args_t *a, const bufpool_config_t *cfg)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "workload", json_object_new_string(a->workload_name));
    json_object_object_add(o, "input", a->input_path ? json_object_new_string(a->input_path) : NULL);
    json_object_object_add(o, "size_bytes", json_object_new_uint64(a->size_bytes));
    json_object_object_add(o, "seed", json_object_new_uint64(a->seed));
    json_object_object_add(o, "files", json_object_new_uint64(a->files));
    json_object_object_add(o, "pools", json_object_new_string(a->pools));
    json_object_object_add(o, "threads", json_object_new_int(a->threads));
    json_object_object_add(o, "cores", json_object_new_int(a->cores));
    json_object_object_add(o, "iterations", json_object_new_uint64(a->iterations));
    json_object_object_add(o, "warmup", json_object_new_uint64(a->warmup));
    json_object_object_add(o, "zero_on_put", json_object_new_boolean(cfg->zero_on_put));
    json_object_object_add(o, "standard_alloc",
                           json_object_new_string(cfg->std_alloc == BUFPOOL_STD_MALLOC ? "malloc" : "calloc"));
    json_object_object_add(o, "hash_size_bytes", json_object_new_uint64(cfg->size_bytes[BUFPOOL_HASH]));
    json_object_object_add(o, "tar_size_bytes", json_object_new_uint64(cfg->size_bytes[BUFPOOL_TAR]));
    json_object_object_add(o, "string_size_bytes", json_object_new_uint64(cfg->size_bytes[BUFPOOL_STRING]));
    json_object_object_add(o, "gogc_percent", json_object_new_int((int)a->gogc_percent));
    json_object_object_add(o, "gc_interval_ms", json_object_new_int((int)a->gc_interval_ms));
    if (a->gc_bytes_per_op)
        json_object_object_add(o, "gc_bytes_per_op", json_object_new_uint64(a->gc_bytes_per_op));
    if (a->inject_slowdown_pct)
        json_object_object_add(o, "inject_slowdown_pct", json_object_new_int((int)a->inject_slowdown_pct));
    if (a->inject_live_pct)
        json_object_object_add(o, "inject_live_pct", json_object_new_int((int)a->inject_live_pct));
    if (a->workload == RW_TAR_READ || a->workload == RW_BUILD)
        json_object_object_add(o, "member", json_object_new_string(a->member));
    if (a->workload == RW_IMAGE_TAG || a->workload == RW_BUILD) {
        json_object_object_add(o, "image", json_object_new_string(a->image));
        json_object_object_add(o, "tag", json_object_new_string(a->tag));
    }
    const char *tun = getenv("GLIBC_TUNABLES");
    json_object_object_add(o, "glibc_tunables", tun ? json_object_new_string(tun) : NULL);
    return o;
}

/* A bare runner sees no allocation: the metrics only the front end can count are null. */
static bool runner_metric_measured(const char *name)
{
    static const char *const counted[] = { "alloc_calls", "free_calls", "alloc_bytes",
                                           "peak_live_bytes", "bytes_per_op",
                                           "allocs_per_op" };
    if (alloc_counting())
        return true;
    for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++)
        if (strcmp(name, counted[i]) == 0)
            return false;
    return true;
}

static int print_result(runner_ctx_t *c, const pb_metrics_t *m,
                        const bufpool_class_stats_t cls[BUFPOOL_CLASS_COUNT], const char *result)
{
    json_object *o = json_object_new_object();
    json_object *pc = json_object_new_object();
    json_object *cfg = config_json(c->a, bufpool_config(c->bp));
    if (!o || !pc || !cfg) {
        json_object_put(o);
        json_object_put(pc);
        json_object_put(cfg);
        return PB_EXIT_NOMEM;
    }
    json_object_object_add(o, "schema_version", json_object_new_int(PB_SCHEMA_VERSION));
    json_object_object_add(o, "backend", json_object_new_string(alloc_backend_name()));
    json_object_object_add(o, "backend_version", json_object_new_string(alloc_backend_version()));
    json_object_object_add(o, "workload", json_object_new_string(c->a->workload_name));
    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "backend_verified", json_object_new_boolean(runner_backend_verified));
    json_object_object_add(o, "result", json_object_new_string(result));
    json_object_object_add(o, "instrument", json_object_new_string(alloc_counting() ? "counting" : "bare"));
#define PB_METRIC_JSON(name, kind, desc) \
    json_object_object_add(o, #name, kind == PB_MK_RUNTIME || !runner_metric_measured(#name) \
                                         ? NULL : json_object_new_uint64(m->name));
    PB_METRICS(PB_METRIC_JSON)
#undef PB_METRIC_JSON
    for (int k = 0; k < BUFPOOL_CLASS_COUNT; k++) {
        json_object *x = json_object_new_object();
        if (!x)
            continue;
        json_object_object_add(x, "gets", json_object_new_uint64(cls[k].gets));
        json_object_object_add(x, "hits", json_object_new_uint64(cls[k].hits));
        json_object_object_add(x, "misses", json_object_new_uint64(cls[k].misses));
        json_object_object_add(x, "drops", json_object_new_uint64(cls[k].drops));
        json_object_object_add(pc, bufpool_class_name((bufpool_class_t)k), x);
    }
    json_object_object_add(o, "pool_classes", pc);
    json_object_object_add(o, "pool_fence", json_object_new_string(pool_fence_mode()));
    uint64_t fired = 0;
    size_t sites = 0;
    if (runner_faults_fired(&fired, &sites)) {   /* only with --fail-after */
        json_object *fi = json_object_new_object();
        if (fi) {
            json_object_object_add(fi, "after", json_object_new_int64(c->a->fail_after));
            json_object_object_add(fi, "count", json_object_new_int64(c->a->fail_count));
            json_object_object_add(fi, "fired", json_object_new_uint64(fired));
            json_object_object_add(fi, "sites", json_object_new_uint64(sites));
        }
        json_object_object_add(o, "fault_injection", fi);
    }
    json_object_object_add(o, "config", cfg);
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    int rc = PB_EXIT_OK;
    if (!s)
        rc = PB_EXIT_NOMEM;
    else if (printf("%s\n", s) < 0 || fflush(stdout) != 0)
        rc = PB_EXIT_BACKEND;
    json_object_put(o);
    return rc;
}

static int write_output(const char *path, const runner_args_t *a, const runner_out_t *o)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "pb: --output %s: %s\n", path, strerror(errno));
        return PB_EXIT_USAGE;
    }
    size_t ok;
    if (a->workload == RW_IMAGE_TAG)
        ok = fprintf(f, "%s\n", o->str) > 0;
    else if (o->bytes.data || a->workload == RW_TAR_READ)
        ok = o->bytes.len_bytes == 0 || fwrite(o->bytes.data, o->bytes.len_bytes, 1, f) == 1;
    else
        ok = fprintf(f, "%s\n", o->hex) > 0;
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "pb: --output %s: write failed: %s\n", path, strerror(errno));
        return PB_EXIT_USAGE;
    }
    return PB_EXIT_OK;
}

static int exit_for(pb_err_t e)
{
    switch (e) {
    case PB_OK: return PB_EXIT_OK;
    case PB_ERR_NOMEM: return PB_EXIT_NOMEM;
    case PB_ERR_INPUT: case PB_ERR_NOT_FOUND: return PB_EXIT_USAGE;
    default: return PB_EXIT_KERNEL;
    }
}

static int fail_kernel(const runner_args_t *a, pb_err_t e, const char *when)
{
    if (e == PB_ERR_NOT_FOUND)
        fprintf(stderr, "pb: --member %s: no such member in the archive\n", a->member);
    else if (e == PB_ERR_INPUT)
        fprintf(stderr, "pb: %s %s: %s (%s)\n", a->workload_name,
                a->input_path ? a->input_path : "(generated input)", pb_err_name(e), when);
    else
        fprintf(stderr, "pb: %s: %s (%s)\n", a->workload_name, pb_err_name(e), when);
    return exit_for(e);
}

static int run_churn(runner_ctx_t *c, runner_window_t *w, uint64_t *ops, char **result)
{
    const runner_args_t *a = c->a;
    int n = a->threads > 0 ? a->threads : 1;
    churn_thread_t *t = calloc((size_t)n, sizeof *t);
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    pthread_barrier_t ready, start, stop;
    churn_gate_t gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
    if (!t || !tid) {
        free(t);
        free(tid);
        fprintf(stderr, "pb: pool_churn: out of memory\n");
        return PB_EXIT_NOMEM;
    }
    pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
    pthread_barrier_init(&start, NULL, (unsigned)n + 1);
    pthread_barrier_init(&stop, NULL, (unsigned)n + 1);
    const bufpool_config_t *cfg = bufpool_config(c->bp);
    bool expect_zero[BUFPOOL_CLASS_COUNT];
    for (int k = 0; k < BUFPOOL_CLASS_COUNT; k++)   /* a miss is zeroed whatever the policy */
        expect_zero[k] = cfg->pooled[k] ? cfg->zero_on_put : cfg->std_alloc == BUFPOOL_STD_CALLOC;
    const char *hook = getenv("PB_TEST_CHURN_SCRIBBLE");
    bool scribble[BUFPOOL_CLASS_COUNT];
    for (int k = 0; k < BUFPOOL_CLASS_COUNT; k++)   /* never into a freed buffer */
        scribble[k] = hook && strcmp(hook, "1") == 0 && cfg->pooled[k] &&
                      cfg->size_bytes[k] <= cfg->max_keep_bytes &&
                      (k != BUFPOOL_STRING || cfg->size_bytes[k] <= cfg->string_keep_max_bytes);
    int started = 0, rc = PB_EXIT_OK;
    for (int i = 0; i < n; i++) {
        t[i] = (churn_thread_t){ .c = c, .gate = &gate, .ready = &ready, .start = &start, .stop = &stop,
                                 .warmup = a->warmup, .iterations = a->iterations,
                                 .seed = churn_mix(a->seed ^ (0xD1B54A32D192ED03ULL *
                                                              (uint64_t)(i + 1))),
                                 .checksum = 0xCBF29CE484222325ULL };
        memcpy(t[i].expect_zero, expect_zero, sizeof expect_zero);
        memcpy(t[i].scribble, scribble, sizeof scribble);
        int perr = pthread_create(&tid[i], NULL, churn_main, &t[i]);
        if (perr != 0) {
            fprintf(stderr, "pb: pool_churn: cannot start thread %d: %s\n", i, strerror(perr));
            rc = perr == EAGAIN || perr == ENOMEM ? PB_EXIT_NOMEM : PB_EXIT_KERNEL;
            break;
        }
        started++;
    }
    pthread_mutex_lock(&gate.mu);
    gate.state = rc == PB_EXIT_OK ? 1 : -1;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    if (rc != PB_EXIT_OK) {   /* the started threads return without a barrier */
        for (int i = 0; i < started; i++)
            pthread_join(tid[i], NULL);
        pthread_barrier_destroy(&ready);
        pthread_barrier_destroy(&start);
        pthread_barrier_destroy(&stop);
        free(t);
        free(tid);
        return rc;
    }
    pthread_barrier_wait(&ready);
    window_start(c, w);
    pthread_barrier_wait(&start);
    pthread_barrier_wait(&stop);
    window_stretch(w, a->inject_slowdown_pct);
    window_stop(w);
    uint64_t sum = 0xCBF29CE484222325ULL, unzeroed = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        if (t[i].err != PB_OK && rc == PB_EXIT_OK)
            rc = fail_kernel(a, t[i].err, "pool_churn");
        sum = (sum ^ t[i].checksum) * 0x100000001B3ULL;   /* in thread order */
        unzeroed += t[i].unzeroed;
    }
    pthread_barrier_destroy(&ready);
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&stop);
    *ops = a->iterations * (uint64_t)n;
    char buf[128];
    int len = snprintf(buf, sizeof buf, "pairs=%llu/check=%016llx", (unsigned long long)*ops,
                       (unsigned long long)sum);
    if (unzeroed)   /* a broken pool: the result differs from every healthy arm's */
        snprintf(buf + len, sizeof buf - (size_t)len, "/unzeroed=%llu",
                 (unsigned long long)unzeroed);
    free(t);
    free(tid);
    if (rc == PB_EXIT_OK && !(*result = strdup(buf)))
        rc = PB_EXIT_NOMEM;
    return rc;
}

/* Refuses to run when the linked allocator does not serve malloc, unless told to. */
static int runner_verify_backend(const runner_args_t *a)
{
    char err[512];
    if (alloc_backend_verify(err, sizeof err) != 0) {
        if (!a->skip_backend_check) {
            fprintf(stderr, "pb-%s%s: refusing to run: the active allocator is not %s: %s "
                    "(--skip-backend-check runs anyway, with results marked unverified)\n",
                    PB_BACKEND_NAME, alloc_counting() ? "" : "-bare", PB_BACKEND_NAME, err);
            return PB_EXIT_BACKEND;
        }
        runner_backend_verified = false;
    }
    return PB_EXIT_OK;
}

/* A bare runner cannot intercept allocations: the flags that need it are refused, and
 * --gc-bytes-per-op (which stands in for the front end's byte count) is bare-only. */
static int runner_check_instrument(const runner_args_t *a)
{
    const char *flag = NULL;
    if (!alloc_counting() && a->fail_after >= 0)
        flag = "--fail-after";
    else if (!alloc_counting() && a->check_leaks)
        flag = "--check-leaks";
    else if (!alloc_counting() && a->memprofile_path)
        flag = "--memprofile";
    if (flag) {
        fprintf(stderr, "pb-%s-bare: %s needs the counting front end: run pb-%s instead "
                "(the bare runner does not intercept allocations)\n", PB_BACKEND_NAME,
                flag, PB_BACKEND_NAME);
        return PB_EXIT_USAGE;
    }
    /* the counting front end's sanitizer mode counts through the sanitizer's hooks,
     * which run after its malloc has decided: a --fail-after run would never fail a
     * call and pass as if the program survived every failure */
    if (alloc_counting() && !alloc_fault_supported() && a->fail_after >= 0) {
        fprintf(stderr, "pb-%s: --fail-after needs a front end that can fail a call; this "
                "is a sanitizer build (%s serves malloc, counted through its hooks after "
                "each allocation): run fault injection from a normal build\n",
                PB_BACKEND_NAME, alloc_backend_version());
        return PB_EXIT_USAGE;
    }
    if (alloc_counting() && a->gc_bytes_per_op) {
        fprintf(stderr, "pb-%s: --gc-bytes-per-op is for the bare runner pb-%s-bare (this "
                "runner counts the real bytes)\n", PB_BACKEND_NAME, PB_BACKEND_NAME);
        return PB_EXIT_USAGE;
    }
    return PB_EXIT_OK;
}

/* Start-up before the input: the cleanup cycle, OpenSSL's one-time initialisation, the
 * exit hook and the fault injection. Returns PB_EXIT_OK or PB_EXIT_BACKEND. */
static int runner_start(const runner_args_t *a)
{
    alloc_gc_configure(a->gogc_percent, 4u << 20);
    /* OpenSSL 3.0 does not survive a failed allocation inside its own one-time
     * initialisation (a later fetch takes a NULL lock): initialise it, and its default
     * provider with one digest, before any fault injection, as part of start-up. */
    unsigned char first_md[SHA256_DIGEST_LENGTH];
    if (!OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL) ||
        !SHA256((const unsigned char *)"", 0, first_md)) {
        fprintf(stderr, "pb: OpenSSL failed to initialise\n");
        return PB_EXIT_BACKEND;
    }
    atexit(runner_atexit);
    runner_in_kernel = 1;   /* input preparation runs kernels too (archives of trees) */

    runner_faults_arm(a);
    return PB_EXIT_OK;
}

/* The buffer pool of the arguments (already validated), or NULL on out of memory. */
static bufpool_t *runner_pool_create(const runner_args_t *a)
{
    char err[512];
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_policy_parse(a->pools, &cfg, err, sizeof err);   /* validated by args */
    cfg.zero_on_put = a->zero_on_put;
    cfg.std_alloc = a->std_alloc;
    cfg.size_bytes[BUFPOOL_HASH] = cfg.size_bytes[BUFPOOL_SMALL] = (size_t)a->hash_size_bytes;
    cfg.size_bytes[BUFPOOL_TAR] = (size_t)a->tar_size_bytes;
    cfg.size_bytes[BUFPOOL_STRING] = (size_t)a->string_size_bytes;
    return bufpool_create(&cfg);
}

/* The outputs of a run: the warm-up's and the timed window's, and their results. */
typedef struct runner_run {
    runner_window_t w;
    runner_out_t warm, out;
    uint64_t ops;
    char *result, *warm_result;
    void *held;               /* --inject-live: the extra live block, freed by main */
} runner_run_t;

/* Calibration only (--inject-live): one allocation of pct % of the process's peak live
 * bytes so far (input and warm-up included), touched so it is resident too, held through
 * the window: the peak live bytes and peak RSS of the window grow by about that much. */
static void *hold_live(unsigned pct)
{
    alloc_stats_t s;
    alloc_stats_read(&s);
    size_t n = (size_t)(s.peak_live_bytes / 100 * pct);
    void *p = malloc(n ? n : 1);
    if (p)
        memset(p, 0x5a, n);
    return p;
}

/* Warm-up operations, then --iterations timed ones; the results must agree. */
static int runner_run_timed(runner_ctx_t *c, runner_run_t *r)
{
    const runner_args_t *a = c->a;
    pb_err_t e = PB_OK;
    for (uint64_t i = 0; i < a->warmup && e == PB_OK; i++) {
        runner_out_free(&r->warm);
        e = runner_op(c, &r->warm);
    }
    if (e != PB_OK)
        return fail_kernel(a, e, "warm-up");
    if (a->warmup && runner_result(a, &r->warm, &r->warm_result) != 0) {
        fprintf(stderr, "pb: %s: out of memory computing the result (warm-up)\n",
                a->workload_name);
        return PB_EXIT_NOMEM;
    }
    runner_out_free(&r->warm);
    if (a->inject_live_pct && !(r->held = hold_live(a->inject_live_pct)))
        return PB_EXIT_NOMEM;
    /* --inject-extra-ops: ceil(iterations x pct / 100) more operations, not counted */
    uint64_t extra = a->inject_extra_ops_pct
                         ? (a->iterations * a->inject_extra_ops_pct + 99) / 100 : 0;
    window_start(c, &r->w);
    for (uint64_t i = 0; i < a->iterations + extra && e == PB_OK; i++) {
        runner_out_free(&r->out);
        e = runner_op(c, &r->out);
    }
    window_stretch(&r->w, a->inject_slowdown_pct);
    window_stop(&r->w);
    r->ops = a->iterations;
    if (e != PB_OK)
        return fail_kernel(a, e, "timed operation");
    if (runner_result(a, &r->out, &r->result) != 0) {
        fprintf(stderr, "pb: %s: out of memory computing the result\n", a->workload_name);
        return PB_EXIT_NOMEM;
    }
    if (r->warm_result && strcmp(r->warm_result, r->result) != 0) {
        fprintf(stderr, "pb: %s: result changed between warm-up (%s) and the timed "
                "run (%s): the kernel is not deterministic\n", a->workload_name,
                r->warm_result, r->result);
        return PB_EXIT_KERNEL;
    }
    return PB_EXIT_OK;
}

/* After a successful run: the metrics, the --output file, the JSON line. */
static int runner_report(runner_ctx_t *c, runner_run_t *r)
{
    pb_metrics_t m;
    bufpool_class_stats_t cls[BUFPOOL_CLASS_COUNT];
    fill_metrics(c, &r->w, r->ops, &m, cls);
    profile_window_stop();   /* after the counters are read: its work is not counted */
    alloc_fault_clear();   /* reporting must not fail after a successful run */
    int rc = PB_EXIT_OK;
    if (c->a->output_path)
        rc = write_output(c->a->output_path, c->a, &r->out);
    if (rc == PB_EXIT_OK)
        rc = print_result(c, &m, cls, r->result);
    if (rc == PB_EXIT_NOMEM)
        fprintf(stderr, "pb: out of memory writing the result\n");
    return rc;
}

static int runner_main(int argc, char **argv)
{
    runner_args_t a;
    int rc = runner_args_parse(argc, argv, &a);
    if (rc != PB_EXIT_OK)
        return rc;
    rc = runner_check_instrument(&a);
    if (rc == PB_EXIT_OK)
        rc = runner_verify_backend(&a);
    if (rc != PB_EXIT_OK)
        return rc;
    if (a.version)
        return print_version();
    rc = runner_start(&a);
    if (rc == PB_EXIT_OK)
        rc = profile_begin(&a);
    if (rc != PB_EXIT_OK)
        return rc;

    runner_ctx_t c = { .a = &a };
    kernel_params_default(&c.kp);
    c.bp = runner_pool_create(&a);
    if (!c.bp) {
        fprintf(stderr, "pb: out of memory creating the buffer pool\n");
        return PB_EXIT_NOMEM;
    }
    rc = runner_input_prepare(&a, &c.in);
    if (rc != PB_EXIT_OK) {
        runner_input_free(&c.in);   /* what was prepared before the failure */
        bufpool_destroy(c.bp);
        return rc;
    }
    if (a.gc_interval_ms && pool_timer_start(a.gc_interval_ms) != 0) {
        fprintf(stderr, "pb: --gc-interval-ms: cannot start the cleanup timer\n");
        runner_input_free(&c.in);
        bufpool_destroy(c.bp);
        return PB_EXIT_KERNEL;
    }

    runner_run_t r = {0};
    if (a.workload == RW_POOL_CHURN)
        rc = run_churn(&c, &r.w, &r.ops, &r.result);
    else
        rc = runner_run_timed(&c, &r);
    pool_timer_stop();
    runner_in_kernel = 0;

    if (rc == PB_EXIT_OK)
        rc = runner_report(&c, &r);
    int prc = profile_end();
    if (rc == PB_EXIT_OK)
        rc = prc;
    free(r.result);
    free(r.warm_result);
    free(r.held);
    runner_out_free(&r.warm);
    runner_out_free(&r.out);
    runner_input_free(&c.in);
    bufpool_destroy(c.bp);
    return rc;
}

int main(int argc, char **argv)
{
    /* stdout's buffer is static, so a result line never leaves a heap block behind
     * (the --check-leaks baseline) and printing it needs no allocation */
    static char stdout_buf[BUFSIZ];
    setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
    int rc = runner_main(argc, argv);
    runner_in_kernel = 0;     /* an early return is not libarchive's exit (runner_atexit) */
    runner_faults_report();   /* only with --fail-after / --check-leaks */
    return rc;
}
