/* test_bufpool.c: cmocka tests of the pkg/memory wrapper (allocators/bufpool.h).
 *
 * Covers: defaults, policy parsing (and its error messages), zero_on_put on and off,
 * oversize and string-builder drops, geometric growth, the small/hash alias, per-class
 * counters, unpooled classes with calloc and malloc, allocation failure at every N
 * (through the front end's fault injection, with a leak check on live bytes). Built twice: as test_bufpool and,
 * with PB_POOL_DEBUG defined, as test_bufpool_debug, which also checks that a double put
 * and a write after put abort (in a forked child) or reach a custom handler, and that
 * the handler's message names the call sites (both puts of a double put, the put and the
 * changed byte of a write after put).
 * Zero on put: many buffers of every class, each filled with its user's bytes, never come
 * back from the pool showing any of them (race mode on and off). Race mode: about 1 get
 * in 4 ignores the pool (PB_POOL_RACE=1 or bufpool_set_race), none when off.
 * The GOGC trigger is disabled so no cleanup cycle runs behind a test's back.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "bufpool.h"
#include "pool.h"

static int setup_nogc(void **state)
{
    (void)state;
    alloc_gc_configure(0, 0);
    return 0;
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v)
            return false;
    }
    return true;
}

static void test_defaults(void **state)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    assert_int_equal(cfg.size_bytes[BUFPOOL_HASH], 64 * 1024);
    assert_int_equal(cfg.size_bytes[BUFPOOL_SMALL], 64 * 1024);
    assert_int_equal(cfg.size_bytes[BUFPOOL_TAR], 64 * 1024);
    assert_int_equal(cfg.size_bytes[BUFPOOL_STRING], 1024);
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++)
        assert_true(cfg.pooled[i]);
    assert_true(cfg.zero_on_put);
    assert_int_equal(cfg.std_alloc, BUFPOOL_STD_CALLOC);
    assert_int_equal(cfg.max_keep_bytes, 1024 * 1024);
    assert_int_equal(cfg.string_keep_max_bytes, 2048);
    assert_string_equal(bufpool_class_name(BUFPOOL_TAR), "tar");
    assert_string_equal(bufpool_class_name(BUFPOOL_SMALL), "small");
}

static void test_policy_parse(void **state)
{
    bufpool_config_t cfg;
    char err[256];
    bufpool_config_default(&cfg);
    assert_int_equal(bufpool_policy_parse("none", &cfg, err, sizeof err), 0);
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++)
        assert_false(cfg.pooled[i]);
    assert_int_equal(bufpool_policy_parse("all", &cfg, err, sizeof err), 0);
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++)
        assert_true(cfg.pooled[i]);
    assert_int_equal(bufpool_policy_parse("hash,tar", &cfg, err, sizeof err), 0);
    assert_true(cfg.pooled[BUFPOOL_HASH]);
    assert_true(cfg.pooled[BUFPOOL_SMALL]);
    assert_true(cfg.pooled[BUFPOOL_TAR]);
    assert_false(cfg.pooled[BUFPOOL_STRING]);
    assert_int_equal(bufpool_policy_parse(" string , small ", &cfg, err, sizeof err), 0);
    assert_true(cfg.pooled[BUFPOOL_HASH]);
    assert_true(cfg.pooled[BUFPOOL_SMALL]);
    assert_false(cfg.pooled[BUFPOOL_TAR]);
    assert_true(cfg.pooled[BUFPOOL_STRING]);
    assert_false(cfg.plain);
    /* Branch B: "plain" alone (nothing pooled), or with classes (the rest plain) */
    assert_int_equal(bufpool_policy_parse("plain", &cfg, err, sizeof err), 0);
    for (int i = 0; i < BUFPOOL_CLASS_COUNT; i++)
        assert_false(cfg.pooled[i]);
    assert_true(cfg.plain);
    assert_int_equal(bufpool_policy_parse("tar,plain", &cfg, err, sizeof err), 0);
    assert_true(cfg.plain);
    assert_true(cfg.pooled[BUFPOOL_TAR]);
    assert_false(cfg.pooled[BUFPOOL_HASH]);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    assert_true(bufpool_plain(bp, BUFPOOL_HASH));
    assert_true(bufpool_plain(bp, BUFPOOL_SMALL));
    assert_false(bufpool_plain(bp, BUFPOOL_TAR));
    bufpool_destroy(bp);
    assert_int_equal(bufpool_policy_parse("hash", &cfg, err, sizeof err), 0);
    assert_false(cfg.plain);

    /* errors name the bad word and leave cfg untouched */
    bufpool_config_t before = cfg;
    assert_int_equal(bufpool_policy_parse("hash,bogus", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "bogus"));
    assert_memory_equal(&before, &cfg, sizeof cfg);
    assert_int_equal(bufpool_policy_parse("tar,,hash", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(bufpool_policy_parse("", &cfg, err, sizeof err), -1);
    assert_int_equal(bufpool_policy_parse("all,hash", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "all"));
    assert_int_equal(bufpool_policy_parse("Hash", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "Hash"));
    assert_int_equal(bufpool_policy_parse(NULL, &cfg, err, sizeof err), -1);
    assert_memory_equal(&before, &cfg, sizeof cfg);
}

static void test_zero_on_put(void **state)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_HASH);
    assert_non_null(b);
    assert_int_equal(b->cap_bytes, 64 * 1024);
    assert_ptr_equal(b->data, (unsigned char *)(b + 1));   /* one allocation */
    assert_true(all_bytes(b->data, b->cap_bytes, 0));     /* a new buffer is zeroed too */
    memset(b->data, 0xFF, b->cap_bytes);
    b->len_bytes = 100;
    bufpool_put(bp, b);
    bufpool_buf_t *c = bufpool_get(bp, BUFPOOL_HASH);
    assert_ptr_equal(c, b);
    assert_int_equal(c->len_bytes, 0);
    assert_true(all_bytes(c->data, c->cap_bytes, 0));
    bufpool_put(bp, c);
    bufpool_destroy(bp);
}

/* Zero on put, across classes and many buffers: every buffer a get returns is all zero,
 * whoever used it before (each user wrote its own non-zero pattern over the whole
 * capacity, and the string builders were grown first). */
static void zero_on_put_rounds(bool race)
{
    enum { K = 16, ROUNDS = 6 };
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    bufpool_set_race(bp, race);
    assert_int_equal(bufpool_race(bp), race);
    static const bufpool_class_t classes[] = {BUFPOOL_HASH, BUFPOOL_SMALL, BUFPOOL_TAR,
                                              BUFPOOL_STRING};
    uint64_t gets = 0, reused = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
            bufpool_buf_t *b[K];
            for (int i = 0; i < K; i++) {
                b[i] = bufpool_get(bp, classes[c]);
                assert_non_null(b[i]);
                gets++;
                reused += round > 0;
                assert_int_equal(b[i]->len_bytes, 0);
                assert_true(all_bytes(b[i]->data, b[i]->cap_bytes, 0));
                if (classes[c] == BUFPOOL_STRING && i % 2) {
                    bufpool_buf_t *g = bufpool_grow(bp, b[i], 1500);   /* still kept */
                    assert_non_null(g);
                    b[i] = g;
                }
                memset(b[i]->data, 1 + (round * K + i) % 254, b[i]->cap_bytes);
                b[i]->len_bytes = b[i]->cap_bytes;
            }
            for (int i = 0; i < K; i++)
                bufpool_put(bp, b[i]);
        }
    }
    bufpool_class_stats_t st;
    bufpool_stats_read(bp, BUFPOOL_TAR, &st);
    assert_true(st.hits > 0);   /* buffers did come back from the pool */
    bufpool_destroy(bp);
    (void)reused;
    (void)gets;
}

static void test_zero_on_put_many(void **state)
{
    zero_on_put_rounds(false);
    zero_on_put_rounds(true);
}

/* Race mode: 1 get in 4 ignores the pool (a miss although a buffer is pooled). */
static void test_race_mode(void **state)
{
    enum { PAIRS = 400 };
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    for (int mode = 0; mode < 3; mode++) {   /* off, bufpool_set_race, PB_POOL_RACE=1 */
        if (mode == 2)
            assert_int_equal(setenv("PB_POOL_RACE", "1", 1), 0);
        bufpool_t *bp = bufpool_create(&cfg);
        assert_non_null(bp);
        if (mode == 1)
            bufpool_set_race(bp, true);
        assert_int_equal(bufpool_race(bp), mode != 0);
        for (int i = 0; i < PAIRS; i++) {
            bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_HASH);
            assert_non_null(b);
            b->data[0] = 7;
            bufpool_put(bp, b);
        }
        bufpool_class_stats_t st;
        bufpool_stats_read(bp, BUFPOOL_HASH, &st);
        assert_int_equal(st.gets, PAIRS);
        assert_int_equal(st.hits + st.misses, st.gets);
        if (mode == 0) {
            assert_int_equal(st.misses, 1);   /* the first get only */
        } else {
            /* binomial(400, 1/4): mean 100, sd 8.7; the bounds are 4.6 sd away */
            assert_in_range(st.misses, 60, 140);
        }
        bufpool_destroy(bp);
        if (mode == 2)
            unsetenv("PB_POOL_RACE");
    }
}

static void test_no_zero_when_off(void **state)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    cfg.zero_on_put = false;
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_TAR);
    assert_non_null(b);
    memset(b->data, 0x5C, b->cap_bytes);
    bufpool_put(bp, b);
    bufpool_buf_t *c = bufpool_get(bp, BUFPOOL_TAR);
    assert_ptr_equal(c, b);
#ifdef PB_POOL_DEBUG
    assert_true(all_bytes(c->data, c->cap_bytes, 0xA5));   /* debug: poisoned on put */
#else
    assert_true(all_bytes(c->data, c->cap_bytes, 0x5C));   /* left as the user wrote it */
#endif
    bufpool_put(bp, c);
    bufpool_destroy(bp);
}

static void test_counters_and_alias(void **state)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    bufpool_buf_t *s = bufpool_get(bp, BUFPOOL_SMALL);   /* miss */
    assert_non_null(s);
    assert_int_equal(s->cap_bytes, 64 * 1024);
    bufpool_put(bp, s);
    bufpool_buf_t *h = bufpool_get(bp, BUFPOOL_HASH);    /* hit: the same pool */
    assert_ptr_equal(h, s);
    bufpool_buf_t *h2 = bufpool_get(bp, BUFPOOL_HASH);   /* miss */
    bufpool_put(bp, h);
    bufpool_put(bp, h2);
    bufpool_class_stats_t st;
    bufpool_stats_read(bp, BUFPOOL_SMALL, &st);
    assert_int_equal(st.gets, 1);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.misses, 1);
    bufpool_stats_read(bp, BUFPOOL_HASH, &st);
    assert_int_equal(st.gets, 2);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.drops, 0);
    bufpool_stats_read(bp, BUFPOOL_TAR, &st);
    assert_int_equal(st.gets, 0);
    bufpool_stats_reset(bp);
    bufpool_stats_read(bp, BUFPOOL_HASH, &st);
    assert_int_equal(st.gets, 0);
    assert_int_equal(st.hits, 0);
    bufpool_destroy(bp);
}

static void test_oversize_drop(void **state)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    cfg.size_bytes[BUFPOOL_TAR] = 1024 * 1024 + 1;   /* just above max_keep_bytes */
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_TAR);
    assert_non_null(b);
    bufpool_put(bp, b);
    bufpool_buf_t *c = bufpool_get(bp, BUFPOOL_TAR);   /* miss: the first was freed */
    assert_non_null(c);
    bufpool_class_stats_t st;
    bufpool_stats_read(bp, BUFPOOL_TAR, &st);
    assert_int_equal(st.gets, 2);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.drops, 1);
    bufpool_put(bp, c);
    bufpool_destroy(bp);
}

static void test_string_builder(void **state)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_STRING);
    assert_non_null(b);
    assert_int_equal(b->cap_bytes, 1024);
    memcpy(b->data, "image", 5);
    b->len_bytes = 5;
    assert_ptr_equal(bufpool_grow(bp, b, 1000), b);    /* fits: unchanged */
    b = bufpool_grow(bp, b, 1500);
    assert_non_null(b);
    assert_int_equal(b->cap_bytes, 2048);               /* 2x geometric */
    assert_ptr_equal(b->data, (unsigned char *)(b + 1));
    assert_memory_equal(b->data, "image", 5);
    assert_int_equal(b->len_bytes, 5);
    bufpool_put(bp, b);                                 /* 2 KiB: kept */
    bufpool_buf_t *c = bufpool_get(bp, BUFPOOL_STRING);
    assert_ptr_equal(c, b);
    assert_int_equal(c->cap_bytes, 2048);
    c = bufpool_grow(bp, c, 5000);
    assert_non_null(c);
    assert_int_equal(c->cap_bytes, 8192);
    bufpool_put(bp, c);                                 /* above 2 KiB: dropped */
    bufpool_class_stats_t st;
    bufpool_stats_read(bp, BUFPOOL_STRING, &st);
    assert_int_equal(st.gets, 2);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.drops, 1);
    bufpool_destroy(bp);
}

/* Unpooled classes allocate directly. calloc must hand out zeroes even where malloc
 * would reuse a dirty block of the same size; with malloc the test checks the buffer is
 * usable and, when the allocator did hand back one of the dirty blocks, that it was not
 * zeroed. */
enum { DIRTY_BLOCKS = 16 };

static bufpool_buf_t *get_after_dirty_free(bufpool_t *bp, bool *reused)
{
    size_t total = sizeof(bufpool_buf_t) + 1024;
    uintptr_t addr[DIRTY_BLOCKS];
    unsigned char *dirty[DIRTY_BLOCKS];
    for (int i = 0; i < DIRTY_BLOCKS; i++) {
        dirty[i] = malloc(total);
        assert_non_null(dirty[i]);
        memset(dirty[i], 0xAB, total);
        __asm__ volatile("" : : "r"(dirty[i]) : "memory");
        /* compare addresses as integers: a freed pointer may not be compared */
        addr[i] = (uintptr_t)dirty[i];
        __asm__ volatile("" : "+r"(addr[i]));
    }
    for (int i = 0; i < DIRTY_BLOCKS; i++)
        free(dirty[i]);
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_STRING);
    assert_non_null(b);
    *reused = false;
    for (int i = 0; i < DIRTY_BLOCKS; i++)
        *reused |= (uintptr_t)b == addr[i];
    return b;
}

static void test_unpooled_std_alloc(void **state)
{
    bufpool_config_t cfg;
    char err[128];
    bufpool_config_default(&cfg);
    assert_int_equal(bufpool_policy_parse("hash,tar", &cfg, err, sizeof err), 0);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    bool reused;
    bufpool_buf_t *b = get_after_dirty_free(bp, &reused);
    assert_int_equal(b->cap_bytes, 1024);
    assert_true(all_bytes(b->data, b->cap_bytes, 0));
    bufpool_put(bp, b);
    bufpool_buf_t *b2 = bufpool_get(bp, BUFPOOL_STRING);
    assert_non_null(b2);
    bufpool_put(bp, b2);
    bufpool_class_stats_t st;
    bufpool_stats_read(bp, BUFPOOL_STRING, &st);
    assert_int_equal(st.gets, 2);   /* unpooled: gets only */
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.misses, 0);
    assert_int_equal(st.drops, 0);
    bufpool_destroy(bp);

    cfg.std_alloc = BUFPOOL_STD_MALLOC;
    bp = bufpool_create(&cfg);
    assert_non_null(bp);
    b = get_after_dirty_free(bp, &reused);
    if (reused)   /* the dirty bytes past the allocator's free-list words survive */
        assert_false(all_bytes(b->data, b->cap_bytes, 0));
    else
        print_message("allocator did not reuse a dirty block: malloc path checked for use "
                      "only\n");
    memset(b->data, 1, b->cap_bytes);
    bufpool_put(bp, b);
    bufpool_destroy(bp);
}

static void test_create_rejects_bad_config(void **state)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    cfg.size_bytes[BUFPOOL_TAR] = 0;
    assert_null(bufpool_create(&cfg));
    assert_null(bufpool_create(NULL));
    bufpool_config_default(&cfg);
    cfg.size_bytes[BUFPOOL_SMALL] = 10;   /* ignored: small mirrors hash */
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    assert_int_equal(bufpool_config(bp)->size_bytes[BUFPOOL_SMALL], 64 * 1024);
    bufpool_destroy(bp);
}

static uint64_t live_bytes(void)
{
    alloc_stats_t st;
    alloc_stats_read(&st);
    return st.live_bytes;
}

/* SQLite style: fail every allocation from the Nth on, for every N, through create,
 * gets of every class (new pools' per-P caches included), grow, puts, a cycle and
 * destroy. Every failure must surface as NULL, and nothing may leak. */
static void test_allocation_failure_every_n(void **state)
{
    if (!alloc_fault_supported()) {   /* sanitizer build: no call can fail (README) */
        print_message("fault injection: not available in sanitizer mode\n");
        skip();
    }
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *warm = bufpool_create(&cfg);   /* one-time pool set-up outside the loop */
    assert_non_null(warm);
    bufpool_put(warm, bufpool_get(warm, BUFPOOL_HASH));
    bufpool_destroy(warm);
    int completed = 0;
    long failed_runs = 0;   /* runs in which the injector failed a call */
    for (long n = 0; n < 200 && !completed; n++) {
        uint64_t before = live_bytes();
        alloc_fault_set(n, -1);
        bufpool_t *bp = bufpool_create(&cfg);
        if (bp) {
            bufpool_buf_t *b[BUFPOOL_CLASS_COUNT];
            int ok = 1;
            for (int c = 0; c < BUFPOOL_CLASS_COUNT; c++) {
                b[c] = bufpool_get(bp, (bufpool_class_t)c);
                ok &= b[c] != NULL;
            }
            if (b[BUFPOOL_STRING]) {
                bufpool_buf_t *g = bufpool_grow(bp, b[BUFPOOL_STRING], 1500);
                if (g)
                    b[BUFPOOL_STRING] = g;
                ok &= g != NULL;
            }
            for (int c = 0; c < BUFPOOL_CLASS_COUNT; c++)
                bufpool_put(bp, b[c]);
            pool_cycle();
            bufpool_destroy(bp);
            completed = ok;
        }
        alloc_fault_clear();
        failed_runs += alloc_fault_hits() > 0;
        assert_int_equal(live_bytes(), before);
    }
    assert_true(completed);   /* some N let everything succeed */
    assert_true(failed_runs > 0);   /* and the injector fired before that */
}

#ifdef PB_POOL_DEBUG
/* Runs fn in a forked child; returns the signal that ended it (0 if it exited). */
static int run_child(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the abort message is expected: keep the test output quiet */
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        fn();
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void child_double_put(void)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *bp = bufpool_create(&cfg);
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_HASH);
    bufpool_put(bp, b);
    bufpool_put(bp, b);
}

static void child_write_after_put(void)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *bp = bufpool_create(&cfg);
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_HASH);
    bufpool_put(bp, b);
    b->data[100] = 1;   /* the misuse: the buffer is still allocated (pooled) */
    bufpool_get(bp, BUFPOOL_HASH);
}

static void child_write_after_put_nozero(void)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    cfg.zero_on_put = false;
    bufpool_t *bp = bufpool_create(&cfg);
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_TAR);
    bufpool_put(bp, b);
    b->data[7] = 0;
    bufpool_get(bp, BUFPOOL_TAR);
}

static void child_clean_use(void)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *bp = bufpool_create(&cfg);
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_HASH);
    memset(b->data, 9, b->cap_bytes);
    bufpool_put(bp, b);
    b = bufpool_get(bp, BUFPOOL_HASH);
    bufpool_put(bp, b);
    bufpool_destroy(bp);
}

/* Non-static and not inlined, so dladdr names them in the misuse message (the test is
 * linked with ENABLE_EXPORTS). */
__attribute__((noinline)) void bufpool_test_put_first(bufpool_t *bp, bufpool_buf_t *b)
{
    bufpool_put(bp, b);
    __asm__ volatile("" ::: "memory");   /* not a tail call: the site is in here */
}

__attribute__((noinline)) void bufpool_test_put_second(bufpool_t *bp, bufpool_buf_t *b)
{
    bufpool_put(bp, b);
    __asm__ volatile("" ::: "memory");
}

static char g_misuse_msg[1024];
static void keep_misuse(const char *what, const bufpool_buf_t *buf)
{
    (void)buf;
    snprintf(g_misuse_msg, sizeof g_misuse_msg, "%s", what);
}

static void test_debug_sites(void **state)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    bufpool_set_misuse_handler(keep_misuse);

    /* a double put: both call sites named, first put first */
    g_misuse_msg[0] = '\0';
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_HASH);
    bufpool_test_put_first(bp, b);
    const void *site = bufpool_debug_put_site(b);
    assert_true((const char *)site > (const char *)bufpool_test_put_first &&
                (const char *)site < (const char *)bufpool_test_put_first + 64);
    bufpool_test_put_second(bp, b);
    const char *m = g_misuse_msg;
    assert_non_null(strstr(m, "double put"));
    const char *first = strstr(m, "first put from bufpool_test_put_first+0x");
    const char *second = strstr(m, "second put from bufpool_test_put_second+0x");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);

    /* a write after put: caught at the next get, naming the put and the byte */
    g_misuse_msg[0] = '\0';
    bufpool_buf_t *c = bufpool_get(bp, BUFPOOL_HASH);
    assert_ptr_equal(c, b);
    bufpool_test_put_first(bp, c);
    c->data[4242] = 0x77;   /* the misuse: the buffer is pooled */
    bufpool_buf_t *d = bufpool_get(bp, BUFPOOL_HASH);
    assert_ptr_equal(d, c);
    assert_non_null(strstr(g_misuse_msg, "written after put"));
    assert_non_null(strstr(g_misuse_msg, "byte 4242 of 65536 is 0x77"));
    assert_non_null(strstr(g_misuse_msg, "put from bufpool_test_put_first+0x"));
    d->data[4242] = 0;
    bufpool_put(bp, d);

    /* the control: clean use reports nothing */
    g_misuse_msg[0] = '\0';
    bufpool_buf_t *e = bufpool_get(bp, BUFPOOL_TAR);
    memset(e->data, 3, e->cap_bytes);
    bufpool_put(bp, e);
    bufpool_put(bp, bufpool_get(bp, BUFPOOL_TAR));
    assert_string_equal(g_misuse_msg, "");

    bufpool_set_misuse_handler(NULL);
    bufpool_destroy(bp);
}

static void test_debug_aborts(void **state)
{
    assert_int_equal(run_child(child_clean_use), 0);   /* the control: no false alarm */
    assert_int_equal(run_child(child_double_put), SIGABRT);
    assert_int_equal(run_child(child_write_after_put), SIGABRT);
    assert_int_equal(run_child(child_write_after_put_nozero), SIGABRT);
}

static int g_misuse_count;
static void count_misuse(const char *what, const bufpool_buf_t *buf)
{
    (void)what;
    (void)buf;
    g_misuse_count++;
}

static void test_debug_handler(void **state)
{
    bufpool_config_t cfg;
    bufpool_config_default(&cfg);
    bufpool_t *bp = bufpool_create(&cfg);
    assert_non_null(bp);
    bufpool_set_misuse_handler(count_misuse);
    g_misuse_count = 0;
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_HASH);
    bufpool_put(bp, b);
    bufpool_put(bp, b);   /* reported; not pooled twice */
    assert_int_equal(g_misuse_count, 1);
    bufpool_buf_t *c = bufpool_get(bp, BUFPOOL_HASH);
    bufpool_buf_t *d = bufpool_get(bp, BUFPOOL_HASH);
    assert_ptr_equal(c, b);
    assert_ptr_not_equal(d, b);
    assert_int_equal(g_misuse_count, 1);
    bufpool_put(bp, c);
    bufpool_put(bp, d);
    bufpool_set_misuse_handler(NULL);
    bufpool_destroy(bp);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, setup_nogc),
        cmocka_unit_test_setup(test_policy_parse, setup_nogc),
        cmocka_unit_test_setup(test_zero_on_put, setup_nogc),
        cmocka_unit_test_setup(test_no_zero_when_off, setup_nogc),
        cmocka_unit_test_setup(test_counters_and_alias, setup_nogc),
        cmocka_unit_test_setup(test_oversize_drop, setup_nogc),
        cmocka_unit_test_setup(test_string_builder, setup_nogc),
        cmocka_unit_test_setup(test_unpooled_std_alloc, setup_nogc),
        cmocka_unit_test_setup(test_create_rejects_bad_config, setup_nogc),
        cmocka_unit_test_setup(test_allocation_failure_every_n, setup_nogc),
        cmocka_unit_test_setup(test_zero_on_put_many, setup_nogc),
        cmocka_unit_test_setup(test_race_mode, setup_nogc),
#ifdef PB_POOL_DEBUG
        cmocka_unit_test_setup(test_debug_sites, setup_nogc),
        cmocka_unit_test_setup(test_debug_aborts, setup_nogc),
        cmocka_unit_test_setup(test_debug_handler, setup_nogc),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
