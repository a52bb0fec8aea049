/* bufpool.c: the Go pkg/memory package (buffer classes over sync.Pool) in C. See
 * bufpool.h for the contract.
 *
 * One pool.h pool per pooled class; `small` shares the hash pool. A buffer is one
 * allocation: the bufpool_buf_t header followed by cap_bytes of data. A pooled class's
 * new buffers are zeroed (Go's New: make([]byte, n)); an unpooled class allocates with
 * calloc or malloc (standard_alloc) and put frees directly.
 * Put zeroes the whole capacity when zero_on_put is on; the memset is followed by a
 * compiler barrier that claims to read the buffer, so it can never be deleted as a dead
 * store. Counters are per P (pool_current_p(); single writer, no atomic RMW on the fast
 * path) and summed on read; threads without a P use shared atomic counters. A get
 * counts itself before pool_get and new_fn counts the miss, so nothing is left to do
 * after pool_get and pool_put: both end in tail calls, which keeps a 64 KiB get+put near
 * the raw pool's cost. A buffer's len_bytes is reset on put (and at creation), and its
 * class is the one it was created for (`small` and `hash` buffers share one pool).
 * Drops by the pool itself (a full deque, a thread without a P) are the pool's counts
 * (pool_stats_t.drops), reported under the pool's class.
 * Debug builds (PB_POOL_DEBUG): magic word per state (live / pooled), poison fill on put
 * when not zeroing, content check on the next get from the pool, the put's return
 * address kept in the header; misuse goes to the handler with the call sites named by
 * dladdr (default: one line on stderr, then abort -- the only printing this file does,
 * and only in debug builds).
 * Race mode: fast[] (what the get and put fast paths read) is NULL for every class, so
 * pooled classes take the slow path, which skips the pool for 1 get in 4 (a per-thread
 * xorshift) and otherwise gets from pools[] as the fast path would.
 * It must not: print or exit in release builds, or call into the pool from new/free.
 */
#define _GNU_SOURCE
#include "bufpool.h"
#include "pool.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUFPOOL_MAGIC_LIVE   0x4C495645u   /* "LIVE": handed out to a user */
#define BUFPOOL_MAGIC_POOLED 0x504F4F4Cu   /* "POOL": inside the pool      */
#define BUFPOOL_POISON       0xA5
#define BUFPOOL_CACHE_LINE_BYTES 64

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RLX memory_order_relaxed

enum { BP_GETS = 0, BP_MISSES, BP_DROPS, BP_COUNTER_COUNT };

typedef struct bufpool_pcounts {
    _Alignas(BUFPOOL_CACHE_LINE_BYTES)
    _Atomic uint64_t c[BUFPOOL_CLASS_COUNT][BP_COUNTER_COUNT];
} bufpool_pcounts_t;

typedef struct bufpool_pool_ctx {
    bufpool_t *bp;
    bufpool_class_t pool_cls;
} bufpool_pool_ctx_t;

struct bufpool {
    bufpool_config_t cfg;
    pool_t *pools[BUFPOOL_CLASS_COUNT];          /* [SMALL] == [HASH]; NULL: unpooled */
    pool_t *fast[BUFPOOL_CLASS_COUNT];           /* pools[], or all NULL in race mode */
    bool race;
    bufpool_pool_ctx_t ctx[BUFPOOL_CLASS_COUNT];
    size_t keep_max_bytes[BUFPOOL_CLASS_COUNT];   /* put keeps a buffer up to this cap */
    bufpool_pcounts_t *pcounts;                   /* [POOL_MAX_PS] */
    bufpool_pcounts_t bypass;                     /* threads without a P (atomic RMW) */
    pthread_mutex_t mu;                           /* stats baseline */
    uint64_t base[BUFPOOL_CLASS_COUNT][BP_COUNTER_COUNT];
    uint64_t base_pool_drops[BUFPOOL_CLASS_COUNT];  /* pool_stats_t.drops at the reset */
    uint64_t base_pool_hits[BUFPOOL_CLASS_COUNT];   /* pool_stats_t.hits at the reset  */
};

/* set by new_fn so bufpool_get can tell a miss from a hit */
/* The get in progress on this thread, for new_fn (a miss): ((pid + 1) << 8) | class.
 * Set before pool_get so that the get path can end in a tail call (no work after it). */
static _Thread_local int tls_req;

static const char *const g_class_names[BUFPOOL_CLASS_COUNT] = {"hash", "small", "tar",
                                                                "string"};

/* ---------------------------------------------------------------- misuse --------- */

static _Atomic(bufpool_misuse_fn) g_misuse;

void bufpool_set_misuse_handler(bufpool_misuse_fn fn)
{
    atomic_store(&g_misuse, fn);
}

#ifdef PB_POOL_DEBUG
static void bufpool_misuse_default(const char *what, const bufpool_buf_t *buf)
{
    fprintf(stderr, "poolbench: bufpool misuse: %s (buffer %p); aborting (PB_POOL_DEBUG)\n",
            what, (const void *)buf);
    abort();
}

static void bufpool_misuse(const char *what, const bufpool_buf_t *buf)
{
    bufpool_misuse_fn fn = atomic_load(&g_misuse);
    (fn ? fn : bufpool_misuse_default)(what, buf);
}

/* A code address as "symbol+0xOFF (module+0xOFF)", or the raw address. */
static void bufpool_site_name(const void *site, char *out, size_t out_len)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    if (!site || dladdr(site, &info) == 0 || !info.dli_fname) {
        snprintf(out, out_len, "%p", site);
        return;
    }
    const char *mod = strrchr(info.dli_fname, '/');
    mod = mod ? mod + 1 : info.dli_fname;
    uintptr_t a = (uintptr_t)site;
    if (info.dli_sname && info.dli_saddr)
        snprintf(out, out_len, "%s+0x%zx (%s+0x%zx)", info.dli_sname,
                 (size_t)(a - (uintptr_t)info.dli_saddr), mod,
                 (size_t)(a - (uintptr_t)info.dli_fbase));
    else
        snprintf(out, out_len, "%s+0x%zx", mod, (size_t)(a - (uintptr_t)info.dli_fbase));
}

/* Misuse with call sites: "<what>: <label1> <site1>[, <label2> <site2>]". */
static void bufpool_misuse_at(const char *what, const bufpool_buf_t *buf, const char *l1,
                              const void *s1, const char *l2, const void *s2)
{
    char a[256], b[256], msg[768];
    bufpool_site_name(s1, a, sizeof a);
    if (l2) {
        bufpool_site_name(s2, b, sizeof b);
        snprintf(msg, sizeof msg, "%s: %s %s, %s %s", what, l1, a, l2, b);
    } else {
        snprintf(msg, sizeof msg, "%s: %s %s", what, l1, a);
    }
    bufpool_misuse(msg, buf);
}

const void *bufpool_debug_put_site(const bufpool_buf_t *buf)
{
    return buf ? buf->put_site : NULL;
}
#endif

/* ---------------------------------------------------------------- config --------- */

void bufpool_config_default(bufpool_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->size_bytes[BUFPOOL_HASH] = 64 * 1024;
    cfg->size_bytes[BUFPOOL_SMALL] = 64 * 1024;
    cfg->size_bytes[BUFPOOL_TAR] = 64 * 1024;
    cfg->size_bytes[BUFPOOL_STRING] = 1024;
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++)
        cfg->pooled[i] = true;
    cfg->zero_on_put = true;
    cfg->std_alloc = BUFPOOL_STD_CALLOC;
    cfg->max_keep_bytes = 1024 * 1024;
    cfg->string_keep_max_bytes = 2 * 1024;
}

const char *bufpool_class_name(bufpool_class_t cls)
{
    return (unsigned)cls < BUFPOOL_CLASS_COUNT ? g_class_names[cls] : "unknown";
}

static void bufpool_err(char *err, size_t err_len, const char *fmt, const char *word,
                        size_t word_len)
{
    if (err && err_len)
        snprintf(err, err_len, fmt, (int)word_len, word);
}

int bufpool_policy_parse(const char *policy, bufpool_config_t *cfg, char *err, size_t err_len)
{
    if (!policy) {
        bufpool_err(err, err_len, "missing pool policy%.*s", "", 0);
        return -1;
    }
    bool pooled[BUFPOOL_CLASS_COUNT] = {false};
    bool plain = false;
    const char *s = policy;
    int words = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        const char *w = s;
        while (*s && *s != ',')
            s++;
        const char *e = s;
        while (e > w && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        size_t n = (size_t)(e - w);
        words++;
        if (n == 0) {
            bufpool_err(err, err_len,
                        "empty pool class name in policy%.*s (expected all, none, plain, "
                        "or a comma list of hash, small, tar, string and plain)", "", 0);
            return -1;
        }
        bool all = n == 3 && memcmp(w, "all", 3) == 0;
        bool none = n == 4 && memcmp(w, "none", 4) == 0;
        if (n == 5 && memcmp(w, "plain", 5) == 0) {
            plain = true;
        } else if (all || none) {
            if (words > 1 || *s) {
                bufpool_err(err, err_len,
                            "pool policy word '%.*s' must stand alone (not in a list)", w, n);
                return -1;
            }
            for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++)
                pooled[i] = all;
        } else {
            int found = -1;
            for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++) {
                if (strlen(g_class_names[i]) == n && memcmp(w, g_class_names[i], n) == 0)
                    found = i;
            }
            if (found < 0) {
                bufpool_err(err, err_len,
                            "unknown pool class '%.*s' (expected all, none, plain, or a comma "
                            "list of hash, small, tar, string and plain)", w, n);
                return -1;
            }
            if (found == BUFPOOL_SMALL)
                found = BUFPOOL_HASH;
            pooled[found] = true;
        }
        if (!*s)
            break;
        s++;   /* past ',' */
    }
    pooled[BUFPOOL_SMALL] = pooled[BUFPOOL_HASH];
    memcpy(cfg->pooled, pooled, sizeof pooled);
    cfg->plain = plain;
    return 0;
}

/* ---------------------------------------------------------------- buffers -------- */

static bufpool_buf_t *bufpool_alloc(size_t size_bytes, bool zeroed, bufpool_class_t cls)
{
    if (size_bytes > SIZE_MAX - sizeof(bufpool_buf_t))
        return NULL;
    size_t total = sizeof(bufpool_buf_t) + size_bytes;
    bufpool_buf_t *b = zeroed ? calloc(1, total) : malloc(total);
    if (!b)
        return NULL;
    b->data = (unsigned char *)(b + 1);
    b->cap_bytes = size_bytes;
    b->len_bytes = 0;
    b->cls = (uint32_t)cls;
    b->magic = BUFPOOL_MAGIC_LIVE;
#ifdef PB_POOL_DEBUG
    b->put_site = NULL;
#endif
    return b;
}

static inline void bufpool_count(bufpool_t *bp, int pid, bufpool_class_t cls, int which);

/* new_fn of every pool: runs inside a get on this thread (tls_req), counts its miss. */
static void *bufpool_new_item(void *arg)
{
    bufpool_pool_ctx_t *ctx = arg;
    int req = tls_req;
    bufpool_class_t cls = (bufpool_class_t)(req & 0xff);
    if (cls != ctx->pool_cls && !(cls == BUFPOOL_SMALL && ctx->pool_cls == BUFPOOL_HASH))
        cls = ctx->pool_cls;   /* not inside a bufpool get: cannot happen; stay sane */
    bufpool_count(ctx->bp, (req >> 8) - 1, cls, BP_MISSES);
    return bufpool_alloc(ctx->bp->cfg.size_bytes[ctx->pool_cls], true, cls);
}

static void bufpool_free_item(void *item, void *arg)
{
    (void)arg;
    free(item);
}

static inline bufpool_class_t bufpool_pool_class(bufpool_class_t cls)
{
    return cls == BUFPOOL_SMALL ? BUFPOOL_HASH : cls;
}

/* ---------------------------------------------------------------- create --------- */

bufpool_t *bufpool_create(const bufpool_config_t *cfg_in)
{
    if (!cfg_in)
        return NULL;
    bufpool_config_t cfg = *cfg_in;
    cfg.size_bytes[BUFPOOL_SMALL] = cfg.size_bytes[BUFPOOL_HASH];
    cfg.pooled[BUFPOOL_SMALL] = cfg.pooled[BUFPOOL_HASH];
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++) {
        if (cfg.size_bytes[i] == 0 || cfg.size_bytes[i] > SIZE_MAX / 4)
            return NULL;
    }
    if (cfg.std_alloc != BUFPOOL_STD_CALLOC && cfg.std_alloc != BUFPOOL_STD_MALLOC)
        return NULL;

    bufpool_t *bp = NULL;
    void *mem = NULL;
    if (posix_memalign(&mem, BUFPOOL_CACHE_LINE_BYTES, sizeof *bp) != 0)
        return NULL;
    bp = mem;
    memset(bp, 0, sizeof *bp);
    bp->cfg = cfg;
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++) {
        bp->keep_max_bytes[i] = cfg.max_keep_bytes;
        if (i == BUFPOOL_STRING && cfg.string_keep_max_bytes < cfg.max_keep_bytes)
            bp->keep_max_bytes[i] = cfg.string_keep_max_bytes;
    }
    if (pthread_mutex_init(&bp->mu, NULL) != 0) {
        free(bp);
        return NULL;
    }
    if (posix_memalign(&mem, BUFPOOL_CACHE_LINE_BYTES,
                       sizeof(bufpool_pcounts_t) * POOL_MAX_PS) != 0) {
        pthread_mutex_destroy(&bp->mu);
        free(bp);
        return NULL;
    }
    bp->pcounts = mem;
    memset(bp->pcounts, 0, sizeof(bufpool_pcounts_t) * POOL_MAX_PS);
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++) {
        if (i == BUFPOOL_SMALL || !cfg.pooled[i])
            continue;
        bp->ctx[i].bp = bp;
        bp->ctx[i].pool_cls = (bufpool_class_t)i;
        bp->pools[i] = pool_create(bufpool_new_item, bufpool_free_item, &bp->ctx[i]);
        if (!bp->pools[i]) {
            bufpool_destroy(bp);
            return NULL;
        }
    }
    bp->pools[BUFPOOL_SMALL] = bp->pools[BUFPOOL_HASH];
    const char *race = getenv("PB_POOL_RACE");
    bufpool_set_race(bp, race && strcmp(race, "1") == 0);
    return bp;
}

void bufpool_set_race(bufpool_t *bp, bool on)
{
    bp->race = on;
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++)
        bp->fast[i] = on ? NULL : bp->pools[i];
}

bool bufpool_race(const bufpool_t *bp)
{
    return bp->race;
}

void bufpool_destroy(bufpool_t *bp)
{
    if (!bp)
        return;
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++) {
        if (i != BUFPOOL_SMALL && bp->pools[i])
            pool_destroy(bp->pools[i]);
    }
    free(bp->pcounts);
    pthread_mutex_destroy(&bp->mu);
    free(bp);
}

const bufpool_config_t *bufpool_config(const bufpool_t *bp)
{
    return &bp->cfg;
}

bool bufpool_plain(const bufpool_t *bp, bufpool_class_t cls)
{
    return (unsigned)cls < BUFPOOL_CLASS_COUNT && bp->cfg.plain && !bp->cfg.pooled[cls];
}

/* ---------------------------------------------------------------- counters ------- */

static inline void bufpool_count(bufpool_t *bp, int pid, bufpool_class_t cls, int which)
{
    if (LIKELY(pid >= 0)) {
        _Atomic uint64_t *c = &bp->pcounts[pid].c[cls][which];
        atomic_store_explicit(c, atomic_load_explicit(c, RLX) + 1, RLX);
    } else {
        atomic_fetch_add_explicit(&bp->bypass.c[cls][which], 1, RLX);
    }
}

static void bufpool_sum(bufpool_t *bp, bufpool_class_t cls, uint64_t out[BP_COUNTER_COUNT])
{
    for (int k = 0; k < BP_COUNTER_COUNT; k++) {
        uint64_t s = atomic_load_explicit(&bp->bypass.c[cls][k], RLX);
        for (int p = 0; p < POOL_MAX_PS; p++)
            s += atomic_load_explicit(&bp->pcounts[p].c[cls][k], RLX);
        out[k] = s;
    }
}

void bufpool_stats_read(bufpool_t *bp, bufpool_class_t cls, bufpool_class_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if ((unsigned)cls >= BUFPOOL_CLASS_COUNT)
        return;
    uint64_t s[BP_COUNTER_COUNT];
    pthread_mutex_lock(&bp->mu);
    bufpool_sum(bp, cls, s);
    out->gets = s[BP_GETS] - bp->base[cls][BP_GETS];
    out->misses = s[BP_MISSES] - bp->base[cls][BP_MISSES];
    out->drops = s[BP_DROPS] - bp->base[cls][BP_DROPS];
    /* hits: a class with a pool of its own (tar, string) reports the pool's count, taken
     * in pool.c where a get is served from the pool, so gets (counted here) = hits +
     * misses (counted by new_fn) is a check, not an identity. hash and small share one
     * pool, whose count is of both: for them every get that was not a miss is a hit. */
    out->hits = bp->pools[cls] ? out->gets - out->misses : 0;
    if (cls != BUFPOOL_SMALL && bp->pools[cls]) {
        pool_stats_t ps;
        pool_stats_read(bp->pools[cls], &ps);
        out->drops += ps.drops - bp->base_pool_drops[cls];
        if (cls != BUFPOOL_HASH || bp->pools[BUFPOOL_SMALL] != bp->pools[BUFPOOL_HASH])
            out->hits = ps.hits - bp->base_pool_hits[cls];
    }
    pthread_mutex_unlock(&bp->mu);
}

void bufpool_stats_reset(bufpool_t *bp)
{
    pthread_mutex_lock(&bp->mu);
    for (int c = 0; c < BUFPOOL_CLASS_COUNT; c++) {
        bufpool_sum(bp, (bufpool_class_t)c, bp->base[c]);
        if (c != BUFPOOL_SMALL && bp->pools[c]) {
            pool_stats_t ps;
            pool_stats_read(bp->pools[c], &ps);
            bp->base_pool_drops[c] = ps.drops;
            bp->base_pool_hits[c] = ps.hits;
        }
    }
    pthread_mutex_unlock(&bp->mu);
}

/* ---------------------------------------------------------------- get / put ------ */

#ifdef PB_POOL_DEBUG
static void bufpool_debug_check_pooled(const bufpool_t *bp, bufpool_buf_t *b)
{
    if (b->magic != BUFPOOL_MAGIC_POOLED) {
        bufpool_misuse_at("buffer got from the pool is not marked pooled (corrupt header "
                          "or written after put)", b, "last put from", b->put_site, NULL,
                          NULL);
        return;
    }
    unsigned char want = bp->cfg.zero_on_put ? 0 : BUFPOOL_POISON;
    for (size_t i = 0; i < b->cap_bytes; i++) {
        if (b->data[i] != want) {
            char what[160];
            snprintf(what, sizeof what, "buffer was written after put (content changed "
                     "while pooled: byte %zu of %zu is 0x%02x, not 0x%02x)", i, b->cap_bytes,
                     b->data[i], want);
            bufpool_misuse_at(what, b, "put from", b->put_site, NULL, NULL);
            return;
        }
    }
}
#endif

#ifdef PB_POOL_DEBUG
/* A buffer leaving the pool: a pooled one must be intact; new ones are already live. */
static bufpool_buf_t *bufpool_debug_got(const bufpool_t *bp, bufpool_buf_t *b)
{
    if (b && b->magic != BUFPOOL_MAGIC_LIVE)
        bufpool_debug_check_pooled(bp, b);
    if (b)
        b->magic = BUFPOOL_MAGIC_LIVE;
    return b;
}
#endif

static __attribute__((noinline)) bufpool_buf_t *bufpool_get_unpooled(bufpool_t *bp,
                                                                     bufpool_class_t cls)
{
    bufpool_count(bp, pool_current_p(), cls, BP_GETS);
    return bufpool_alloc(bp->cfg.size_bytes[cls], bp->cfg.std_alloc == BUFPOOL_STD_CALLOC, cls);
}

/* A thread without a P: the pool creates and releases directly; shared counters. */
static __attribute__((noinline)) bufpool_buf_t *bufpool_get_bypass(bufpool_t *bp,
                                                                   pool_t *pool,
                                                                   bufpool_class_t cls)
{
    bufpool_count(bp, -1, cls, BP_GETS);
    tls_req = (int)cls;                       /* pid -1 */
#ifdef PB_POOL_DEBUG
    return bufpool_debug_got(bp, pool_get(pool));
#else
    return pool_get(pool);
#endif
}

static bufpool_buf_t *bufpool_get_slow(bufpool_t *bp, bufpool_class_t cls);

/* The fast path calls nothing but pool_get, as a tail call, so it saves no registers;
 * every other case goes through bufpool_get_slow. */
bufpool_buf_t *bufpool_get(bufpool_t *bp, bufpool_class_t cls)
{
    if (UNLIKELY((unsigned)cls >= BUFPOOL_CLASS_COUNT))
        return NULL;
    pool_t *pool = bp->fast[cls];
    int pid = pool_tls_p;            /* < 0: no P claimed yet (or none to be had) */
    if (UNLIKELY(!pool || pid < 0))
        return bufpool_get_slow(bp, cls);
    /* this P's counter (single writer); a miss is counted by new_fn inside pool_get, a
     * hit by pool_get itself (pool.c) */
    _Atomic uint64_t *g = &bp->pcounts[pid].c[cls][BP_GETS];
    atomic_store_explicit(g, atomic_load_explicit(g, RLX) + 1, RLX);
    tls_req = ((pid + 1) << 8) | (int)cls;
#ifdef PB_POOL_DEBUG
    return bufpool_debug_got(bp, pool_get(pool));
#else
    return pool_get(pool);           /* a tail call: nothing to do after it */
#endif
}

/* Race mode: 1 in 4 by a per-thread xorshift (Go's fastrandn(4) == 0). */
static bool bufpool_race_skip(void)
{
    static _Thread_local uint64_t x;
    if (x == 0)
        x = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)&x;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (x >> 32) % 4 == 0;
}

/* Race mode with a P: a get that skips the pool 1 time in 4 (a new zeroed buffer,
 * counted as a miss), otherwise the fast path's work on pools[]. */
static __attribute__((noinline)) bufpool_buf_t *bufpool_get_race(bufpool_t *bp, pool_t *pool,
                                                                 int pid, bufpool_class_t cls)
{
    bufpool_count(bp, pid, cls, BP_GETS);
    if (bufpool_race_skip()) {
        bufpool_count(bp, pid, cls, BP_MISSES);
        bufpool_class_t pc = bufpool_pool_class(cls);
        return bufpool_alloc(bp->cfg.size_bytes[pc], true, cls);
    }
    tls_req = ((pid + 1) << 8) | (int)cls;
#ifdef PB_POOL_DEBUG
    return bufpool_debug_got(bp, pool_get(pool));
#else
    return pool_get(pool);
#endif
}

static __attribute__((noinline)) bufpool_buf_t *bufpool_get_slow(bufpool_t *bp,
                                                                 bufpool_class_t cls)
{
    pool_t *pool = bp->pools[cls];
    if (!pool)
        return bufpool_get_unpooled(bp, cls);
    int pid = pool_current_p();     /* claims a P when one is free */
    if (pid < 0)
        return bufpool_get_bypass(bp, pool, cls);
    if (bp->race)
        return bufpool_get_race(bp, pool, pid, cls);
    return bufpool_get(bp, cls);     /* now with a P: the fast path */
}

static __attribute__((noinline)) void bufpool_drop(bufpool_t *bp, bufpool_buf_t *b,
                                                   bufpool_class_t cls)
{
    bufpool_count(bp, pool_current_p(), cls, BP_DROPS);
    free(b);
}

/* zero_on_put (Go's default): the memset is out of line so that the put without zeroing
 * saves no registers; the barrier claims to read the zeroed bytes, so the memset is never
 * a dead store. */
static __attribute__((noinline)) void bufpool_put_zeroed(pool_t *pool, bufpool_buf_t *b)
{
    memset(b->data, 0, b->cap_bytes);
    __asm__ volatile("" : : "r"(b->data) : "memory");
#ifdef PB_POOL_DEBUG
    b->magic = BUFPOOL_MAGIC_POOLED;
#endif
    b->len_bytes = 0;
    pool_put(pool, b);
}

void bufpool_put(bufpool_t *bp, bufpool_buf_t *b)
{
    if (UNLIKELY(!b))
        return;
#ifdef PB_POOL_DEBUG
    const void *site = __builtin_extract_return_addr(__builtin_return_address(0));
    if (b->magic == BUFPOOL_MAGIC_POOLED) {
        bufpool_misuse_at("double put (buffer is already in the pool)", b, "first put from",
                          b->put_site, "second put from", site);
        return;
    }
    if (b->magic != BUFPOOL_MAGIC_LIVE || b->cls >= BUFPOOL_CLASS_COUNT) {
        bufpool_misuse_at("put of a pointer that is not a live bufpool buffer", b,
                          "put from", site, NULL, NULL);
        return;
    }
    b->put_site = site;
#endif
    bufpool_class_t cls = (bufpool_class_t)b->cls;
    pool_t *pool = bp->fast[cls];
    if (UNLIKELY(!pool)) {
        pool = bp->pools[cls];       /* race mode: pooled, not on the fast path */
        if (!pool) {
            free(b);   /* unpooled class: gets only are counted */
            return;
        }
    }
    if (UNLIKELY(b->cap_bytes > bp->keep_max_bytes[cls])) {
        bufpool_drop(bp, b, cls);   /* oversize, or a string builder above its limit */
        return;
    }
    if (bp->cfg.zero_on_put)
        return bufpool_put_zeroed(pool, b);
#ifdef PB_POOL_DEBUG
    memset(b->data, BUFPOOL_POISON, b->cap_bytes);
    b->magic = BUFPOOL_MAGIC_POOLED;
#endif
    b->len_bytes = 0;
    /* a tail call: when the pool releases the buffer instead (full deque, no P) it counts
     * the drop itself, and bufpool_stats_read adds the pool's drops to the class's */
    pool_put(pool, b);
}

bufpool_buf_t *bufpool_grow(bufpool_t *bp, bufpool_buf_t *b, size_t need_bytes)
{
    (void)bp;
    if (!b)
        return NULL;
#ifdef PB_POOL_DEBUG
    if (b->magic != BUFPOOL_MAGIC_LIVE) {
        bufpool_misuse("grow of a buffer that is not live (pooled or foreign)", b);
        return NULL;
    }
#endif
    if (need_bytes <= b->cap_bytes)
        return b;
    size_t cap = b->cap_bytes ? b->cap_bytes : 1;
    while (cap < need_bytes) {
        if (cap > (SIZE_MAX - sizeof(bufpool_buf_t)) / 2)
            return NULL;
        cap *= 2;
    }
    bufpool_buf_t *n = realloc(b, sizeof(bufpool_buf_t) + cap);
    if (!n)
        return NULL;
    n->data = (unsigned char *)(n + 1);
    n->cap_bytes = cap;
    return n;
}
