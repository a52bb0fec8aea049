/* test_pool.c: cmocka tests of the sync.Pool model (allocators/pool.h).
 *
 * Covers: private-slot hit, LIFO order of the own deque, stealing from another P's
 * tail, victim lifetime (survives one cycle, released on the second), the GOGC-like,
 * timer and explicit triggers, deque full -> drop, more threads than Ps (bypass),
 * counters, and a concurrent stress run that accounts for every item (created == freed)
 * while cycles run alongside.
 * Items are small heap blocks that record their own state, so a double hand-out or a
 * use after release fails the test. The GOGC trigger is disabled in every test except
 * the GOGC one, so allocation by the test itself cannot run a cycle behind its back.
 * A forked child must still fence cycles correctly (membarrier registration is per mm).
 * No timing assertions: waits are for events, with generous timeouts.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "alloc.h"
#include "pool.h"

enum { ITEM_OUT = 0x0u, ITEM_IN = 0x1u, ITEM_DEAD = 0xDEADu };

typedef struct item {
    _Atomic unsigned state;
    uint64_t serial;
} item_t;

typedef struct counts {
    _Atomic uint64_t created, freed, bad_free;
} counts_t;

static void *item_new(void *arg)
{
    counts_t *c = arg;
    item_t *it = malloc(sizeof *it);
    if (!it)
        return NULL;
    atomic_init(&it->state, ITEM_IN);   /* as if it came out of the pool */
    it->serial = atomic_fetch_add(&c->created, 1);
    return it;
}

static void item_free(void *v, void *arg)
{
    counts_t *c = arg;
    item_t *it = v;
    /* only an item held by the pool may be released */
    if (atomic_exchange(&it->state, ITEM_DEAD) != ITEM_IN)
        atomic_fetch_add(&c->bad_free, 1);
    atomic_fetch_add(&c->freed, 1);
    free(it);
}

static item_t *get_item(pool_t *p)
{
    item_t *it = pool_get(p);
    assert_non_null(it);
    /* fresh and pooled items are IN; OUT would mean a double hand-out */
    assert_int_equal(atomic_exchange(&it->state, ITEM_OUT), ITEM_IN);
    return it;
}

static int put_item(pool_t *p, item_t *it)
{
    atomic_store(&it->state, ITEM_IN);
    return pool_put(p, it);
}

static int setup_nogc(void **state)
{
    (void)state;
    alloc_gc_configure(0, 0);
    return 0;
}

/* ---------------------------------------------------------------- basics --------- */

static void test_private_hit(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    item_t *a = get_item(p);
    assert_int_equal(put_item(p, a), 1);
    item_t *b = get_item(p);
    assert_ptr_equal(a, b);
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_int_equal(s.hits, 1);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.drops, 0);
    assert_int_equal(s.steals, 0);
    assert_int_equal(s.retained, 0);
    put_item(p, b);
    pool_destroy(p);
    assert_int_equal(c.created, 1);
    assert_int_equal(c.freed, 1);
    assert_int_equal(c.bad_free, 0);
}

static void test_lifo_order(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    item_t *it[5];
    for (int i = 0; i < 5; i++)
        it[i] = get_item(p);
    for (int i = 0; i < 5; i++)
        assert_int_equal(put_item(p, it[i]), 1);
    /* it[0] went to the private slot, it[1..4] to the deque head */
    assert_ptr_equal(get_item(p), it[0]);
    for (int i = 4; i >= 1; i--)
        assert_ptr_equal(get_item(p), it[i]);
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_int_equal(s.hits, 5);
    assert_int_equal(s.misses, 5);
    for (int i = 0; i < 5; i++)
        put_item(p, it[i]);
    pool_destroy(p);
    assert_int_equal(c.created, c.freed);
    assert_int_equal(c.bad_free, 0);
}

typedef struct steal_arg {
    pool_t *p;
    item_t *items[8];
} steal_arg_t;

static void *steal_producer(void *v)
{
    steal_arg_t *a = v;
    for (int i = 0; i < 8; i++) {
        a->items[i] = pool_get(a->p);
        if (!a->items[i])
            return NULL;
        atomic_store(&a->items[i]->state, ITEM_OUT);
    }
    for (int i = 0; i < 8; i++)
        put_item(a->p, a->items[i]);
    return NULL;
}

static void test_steal_across_threads(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    /* the main thread owns its P before the producer starts */
    assert_true(pool_current_p() >= 0);
    steal_arg_t a = {.p = p};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, steal_producer, &a), 0);
    pthread_join(t, NULL);
    for (int i = 0; i < 8; i++)
        assert_non_null(a.items[i]);
    pool_stats_reset(p);
    /* items[0] sits in the producer's private slot (its P keeps it after exit);
     * items[1..7] are stolen from its deque tail, oldest first */
    item_t *got[7];
    for (int i = 0; i < 7; i++) {
        got[i] = get_item(p);
        assert_ptr_equal(got[i], a.items[i + 1]);
    }
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_int_equal(s.hits, 7);
    assert_int_equal(s.steals, 7);
    assert_int_equal(s.misses, 0);
    /* the producer's private slot is not reachable: the next get is a miss */
    item_t *m = get_item(p);
    pool_stats_read(p, &s);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.retained, 1);
    put_item(p, m);
    for (int i = 0; i < 7; i++)
        put_item(p, got[i]);
    pool_destroy(p);
    assert_int_equal(c.created, 9);
    assert_int_equal(c.freed, 9);
    assert_int_equal(c.bad_free, 0);
}

/* ---------------------------------------------------------------- cycles --------- */

static void test_victim_lifetime(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    item_t *it[4];
    for (int i = 0; i < 4; i++)
        it[i] = get_item(p);
    for (int i = 0; i < 4; i++)
        put_item(p, it[i]);
    uint64_t cyc0 = pool_cycles();
    pool_cycle();
    assert_int_equal(pool_cycles(), cyc0 + 1);
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_int_equal(s.cycles, 1);
    assert_int_equal(s.released, 0);
    assert_int_equal(s.retained, 4);
    assert_int_equal(c.freed, 0);
    pool_cycle();
    pool_stats_read(p, &s);
    assert_int_equal(s.cycles, 2);
    assert_int_equal(s.released, 4);
    assert_int_equal(s.retained, 0);
    assert_int_equal(c.freed, 4);
    assert_int_equal(c.bad_free, 0);
    /* after two cycles the pool is empty: a get creates */
    item_t *n = get_item(p);
    pool_stats_read(p, &s);
    assert_int_equal(s.misses, 5);
    put_item(p, n);
    pool_destroy(p);
    assert_int_equal(c.created, c.freed);
}

static void test_victim_hit(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    item_t *a = get_item(p), *b = get_item(p), *d = get_item(p);
    put_item(p, a);   /* private */
    put_item(p, b);   /* deque */
    put_item(p, d);   /* deque */
    pool_cycle();
    pool_stats_reset(p);
    /* victim private first, then victim deque tails (oldest first) */
    assert_ptr_equal(get_item(p), a);
    assert_ptr_equal(get_item(p), b);
    assert_ptr_equal(get_item(p), d);
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_int_equal(s.hits, 3);
    assert_int_equal(s.victim_hits, 3);
    assert_int_equal(s.steals, 2);
    assert_int_equal(s.misses, 0);
    put_item(p, a);
    put_item(p, b);
    put_item(p, d);
    pool_destroy(p);
    assert_int_equal(c.created, 3);
    assert_int_equal(c.freed, 3);
    assert_int_equal(c.bad_free, 0);
}

static void test_gogc_trigger(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    item_t *a = get_item(p);
    put_item(p, a);
    alloc_gc_configure(100, 64 * 1024);
    uint64_t e0 = alloc_gc_epoch(), cyc0 = pool_cycles();
    /* allocate (and consume) until the front end's epoch moves by exactly one */
    volatile unsigned char sink = 0;
    for (int i = 0; i < 100000 && alloc_gc_epoch() == e0; i++) {
        unsigned char *m = malloc(4096);
        assert_non_null(m);
        memset(m, i, 4096);
        sink ^= m[i % 4096];
        free(m);
    }
    (void)sink;
    uint64_t e1 = alloc_gc_epoch();
    alloc_gc_configure(0, 0);
    if (e1 != e0 + 1) {
        pool_destroy(p);   /* leave nothing behind that points into this frame */
        fail_msg("the front end's GC epoch moved by %llu, not 1: is malloc served by the "
                 "counting front end (not valgrind's or a sanitizer's)?",
                 (unsigned long long)(e1 - e0));
    }
    /* nothing ran yet: the pool polls on its next get/put */
    assert_int_equal(pool_cycles(), cyc0);
    item_t *b = get_item(p);
    assert_int_equal(pool_cycles(), cyc0 + 1);
    assert_ptr_equal(b, a);   /* survived one cycle as a victim */
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_int_equal(s.cycles, 1);
    assert_int_equal(s.victim_hits, 1);
    put_item(p, b);
    pool_destroy(p);
    assert_int_equal(c.created, c.freed);
    assert_int_equal(c.bad_free, 0);
}

static void test_timer_cycle(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    item_t *a = get_item(p);
    put_item(p, a);
    uint64_t cyc0 = pool_cycles();
    assert_int_equal(pool_timer_start(5), 0);
    /* wait (up to 30 s) for two cycles: the item must then be released */
    for (int i = 0; i < 30000 && pool_cycles() < cyc0 + 2; i++)
        usleep(1000);
    pool_timer_stop();
    uint64_t n = pool_cycles();
    assert_true(n >= cyc0 + 2);
    /* stopped: no more cycles */
    usleep(20000);
    assert_int_equal(pool_cycles(), n);
    assert_int_equal(c.freed, 1);
    assert_int_equal(c.bad_free, 0);
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_true(s.cycles >= 2);
    assert_int_equal(s.released, 1);
    assert_int_equal(pool_timer_start(0), 0);   /* 0 = off */
    pool_destroy(p);
    assert_int_equal(c.created, c.freed);
}

/* ---------------------------------------------------------------- drops ---------- */

static void test_deque_full_drop(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    enum { N = POOL_DEQUE_CAP + 2 };
    item_t **it = calloc(N, sizeof *it);
    assert_non_null(it);
    for (int i = 0; i < N; i++)
        it[i] = get_item(p);
    int kept = 0;
    for (int i = 0; i < N - 1; i++)
        kept += put_item(p, it[i]);
    assert_int_equal(kept, N - 1);   /* private + POOL_DEQUE_CAP in the deque */
    assert_int_equal(c.freed, 0);
    assert_int_equal(put_item(p, it[N - 1]), 0);   /* full: released */
    assert_int_equal(c.freed, 1);
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_int_equal(s.drops, 1);
    assert_int_equal(s.retained, N - 1);
    free(it);
    pool_destroy(p);
    assert_int_equal(c.created, N);
    assert_int_equal(c.freed, N);
    assert_int_equal(c.bad_free, 0);
}

static void test_put_null_ignored(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    assert_int_equal(pool_put(p, NULL), 0);
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_int_equal(s.drops, 0);
    assert_int_equal(s.retained, 0);
    pool_destroy(p);
    assert_null(pool_create(NULL, item_free, &c));
}

static void test_fence_mode(void **state)
{
    const char *m = pool_fence_mode();
    const char *force = getenv("PB_POOL_FORCE_FENCE");
    if (force && strcmp(force, "1") == 0)
        assert_string_equal(m, "fence");
    else
        assert_true(strcmp(m, "membarrier") == 0 || strcmp(m, "fence") == 0);
}

/* A forked child is a new mm: its cycles must still be fenced (membarrier registered, or
 * fence mode) and must work. */
static void test_fork_child_fencing(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    put_item(p, get_item(p));
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int ok = 1;
        if (strcmp(pool_fence_mode(), "membarrier") == 0)
            ok &= syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
        pool_cycle();
        pool_cycle();
        ok &= c.freed == 1;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    pool_destroy(p);
    assert_int_equal(c.created, c.freed);
}

/* More live threads than Ps: the thread left without a P bypasses the pool (its get is
 * a miss, its put a drop), and every other thread keeps its item. */
enum { BYPASS_THREADS = POOL_MAX_PS };   /* + the main thread, which holds a P */

typedef struct bypass_arg {
    pool_t *p;
    pthread_barrier_t *hold;
    int kept;
} bypass_arg_t;

static void *bypass_worker(void *v)
{
    bypass_arg_t *a = v;
    item_t *it = pool_get(a->p);
    if (it) {
        atomic_store(&it->state, ITEM_OUT);
        a->kept = put_item(a->p, it);
    }
    pthread_barrier_wait(a->hold);   /* all alive at once: Ps stay claimed */
    return NULL;
}

static void test_more_threads_than_ps(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    assert_true(pool_current_p() >= 0);
    pthread_barrier_t hold;
    assert_int_equal(pthread_barrier_init(&hold, NULL, BYPASS_THREADS), 0);
    bypass_arg_t a[BYPASS_THREADS];
    pthread_t t[BYPASS_THREADS];
    for (int i = 0; i < BYPASS_THREADS; i++) {
        a[i] = (bypass_arg_t){.p = p, .hold = &hold};
        assert_int_equal(pthread_create(&t[i], NULL, bypass_worker, &a[i]), 0);
    }
    int kept = 0;
    for (int i = 0; i < BYPASS_THREADS; i++) {
        pthread_join(t[i], NULL);
        kept += a[i].kept;
    }
    pthread_barrier_destroy(&hold);
    assert_int_equal(kept, BYPASS_THREADS - 1);
    pool_stats_t s;
    pool_stats_read(p, &s);
    assert_int_equal(s.misses, BYPASS_THREADS);
    assert_int_equal(s.drops, 1);
    assert_int_equal(s.retained, BYPASS_THREADS - 1);
    pool_destroy(p);
    assert_int_equal(c.created, BYPASS_THREADS);
    assert_int_equal(c.freed, BYPASS_THREADS);
    assert_int_equal(c.bad_free, 0);
}

/* ---------------------------------------------------------------- stress --------- */

enum { STRESS_THREADS = 4, STRESS_OPS = 200000, STRESS_HOLD = 16 };

typedef struct stress_arg {
    pool_t *p;
    unsigned seed;
    _Atomic int *stop;
    pthread_barrier_t *start;
    uint64_t errors;
} stress_arg_t;

static void *stress_worker(void *v)
{
    stress_arg_t *a = v;
    item_t *held[STRESS_HOLD];
    int n = 0;
    unsigned s = a->seed;
    pthread_barrier_wait(a->start);
    for (int op = 0; op < STRESS_OPS; op++) {
        s = s * 1103515245u + 12345u;
        unsigned r = (s >> 16) & 0x7fff;
        if (n == 0 || (n < STRESS_HOLD && (r & 1))) {
            item_t *it = pool_get(a->p);
            if (!it) {
                a->errors++;
                continue;
            }
            if (atomic_exchange(&it->state, ITEM_OUT) != ITEM_IN)
                a->errors++;
            held[n++] = it;
        } else {
            int k = (int)(r % (unsigned)n);
            item_t *it = held[k];
            held[k] = held[--n];
            if (atomic_load(&it->state) != ITEM_OUT)
                a->errors++;
            atomic_store(&it->state, ITEM_IN);
            pool_put(a->p, it);
        }
    }
    while (n > 0) {
        item_t *it = held[--n];
        atomic_store(&it->state, ITEM_IN);
        pool_put(a->p, it);
    }
    return NULL;
}

static void *stress_cycler(void *v)
{
    stress_arg_t *a = v;
    while (!atomic_load(a->stop)) {
        pool_cycle();
        sched_yield();
    }
    return NULL;
}

static void test_concurrent_stress(void **state)
{
    counts_t c = {0};
    pool_t *p = pool_create(item_new, item_free, &c);
    assert_non_null(p);
    _Atomic int stop = 0;
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, STRESS_THREADS), 0);
    stress_arg_t a[STRESS_THREADS + 1];
    pthread_t t[STRESS_THREADS + 1];
    for (int i = 0; i <= STRESS_THREADS; i++)
        a[i] = (stress_arg_t){.p = p, .seed = 12345u + (unsigned)i * 7919u, .stop = &stop,
                              .start = &start};
    assert_int_equal(pthread_create(&t[STRESS_THREADS], NULL, stress_cycler,
                                    &a[STRESS_THREADS]), 0);
    for (int i = 0; i < STRESS_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, stress_worker, &a[i]), 0);
    for (int i = 0; i < STRESS_THREADS; i++)
        pthread_join(t[i], NULL);
    atomic_store(&stop, 1);
    pthread_join(t[STRESS_THREADS], NULL);
    pthread_barrier_destroy(&start);
    uint64_t errors = 0;
    for (int i = 0; i < STRESS_THREADS; i++)
        errors += a[i].errors;
    assert_int_equal(errors, 0);
    pool_stats_t s;
    pool_stats_read(p, &s);
    /* every item is either still held by the pool or was released / dropped */
    assert_int_equal(c.created, s.misses);
    assert_int_equal(c.freed, s.released + s.drops);
    assert_int_equal(c.created - c.freed, s.retained);
    assert_true(s.cycles > 0);
    pool_destroy(p);
    assert_int_equal(c.created, c.freed);
    assert_int_equal(c.bad_free, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_private_hit, setup_nogc),
        cmocka_unit_test_setup(test_lifo_order, setup_nogc),
        cmocka_unit_test_setup(test_steal_across_threads, setup_nogc),
        cmocka_unit_test_setup(test_victim_lifetime, setup_nogc),
        cmocka_unit_test_setup(test_victim_hit, setup_nogc),
        cmocka_unit_test_setup(test_gogc_trigger, setup_nogc),
        cmocka_unit_test_setup(test_timer_cycle, setup_nogc),
        cmocka_unit_test_setup(test_deque_full_drop, setup_nogc),
        cmocka_unit_test_setup(test_put_null_ignored, setup_nogc),
        cmocka_unit_test_setup(test_fence_mode, setup_nogc),
        cmocka_unit_test_setup(test_fork_child_fencing, setup_nogc),
        cmocka_unit_test_setup(test_more_threads_than_ps, setup_nogc),
        cmocka_unit_test_setup(test_concurrent_stress, setup_nogc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
