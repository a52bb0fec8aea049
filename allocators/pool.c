/* pool.c: Go's sync.Pool (runtime sync/pool.go, sync/poolqueue.go) in C. See pool.h.
 *
 * Ps. A thread claims a P id (0..POOL_MAX_PS-1) on its first pool call and keeps it in
 * a thread-local variable; a pthread key destructor returns the id at thread exit. The
 * P's caches persist with their items (Go's Ps outlive goroutines), so the next thread
 * to claim the id inherits them. A thread that finds every id taken bypasses the pool.
 *
 * Per pool and P (pool_local_t, allocated on the P's first use of that pool, 64-byte
 * aligned so no two Ps share a cache line): a private slot, a shared deque, and the
 * victim pair (victim private slot and victim deque) filled by cleanup cycles.
 *
 * The deque is a port of poolDequeue: a ring of POOL_DEQUE_CAP pointer slots, head and
 * tail packed into one 64-bit atomic (head in the high half). The owner pushes and pops
 * at the head; any thread pops the tail with a CAS. A slot is NULL when free; popTail
 * clears its slot (release) after taking it, so pushHead (acquire) knows the consumer
 * is done. Unlike Go's poolChain the ring does not grow: a put that finds the ring full
 * releases the item through free_fn and counts a drop.
 *
 * Pinning and cleanup (the GC analogue). Every access to a pool's structures by a
 * get or put happens inside a pinned section: the thread stores 1 into its P's pin word
 * (relaxed), issues a compiler barrier (atomic_signal_fence), then loads the global
 * state word (its CLEANING bit). The cleaner (always holding g_mu) sets CLEANING, issues
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) -- a full fence on every running thread
 * of the process -- and then waits until every pin word reads 0 (acquire). Either the
 * pinning thread sees the flag (it unpins, waits on g_mu and retries) or the cleaner
 * sees the pin (it waits). Once every pin is clear the cleaner owns every pool's
 * structures exclusively, as Go's stop-the-world poolCleanup does; it releases the
 * victims, moves primary items to the victim caches (items move, structures are never
 * swapped or freed), and clears the flag (release). When membarrier registration fails
 * both sides use a seq_cst fence instead (the FENCE bit of the same word, so the fast
 * path still reads one word; pool_fence_mode() says which); a forked child
 * checks its registration (fork handlers) or falls back to fences. The private
 * slot fast path has no atomic read-modify-write; deque operations use CAS / fetch-add
 * as Go's do. new_fn and free_fn always run unpinned, except the releases inside a
 * cycle, which run while the cleaner holds g_mu: they must not call into the pool.
 *
 * Triggers: the front end's GOGC-like epoch (alloc_gc_epoch()) is compared with the
 * epoch the pools last cleaned at on every get/put (a call and compare; one load and
 * compare when the front end exports its counter, see pool_epoch_now); when it moved, pool_cycle_poll runs the due cycles (at most two do work: after two cycles
 * every pool is empty; all are counted). Plus a timer thread and pool_cycle().
 *
 * Counters live in the P's local (single writer: the P's owner thread; relaxed
 * load+store, no RMW); cycle counters live in the pool (written under g_mu). Reset
 * takes a baseline instead of zeroing, so it never races with writers.
 * Every field shared between threads is a C11 atomic, so TSan sees no plain data race.
 */
#define _GNU_SOURCE
#include "pool.h"
#include "alloc.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define POOL_CACHE_LINE_BYTES 64

_Static_assert((POOL_DEQUE_CAP & (POOL_DEQUE_CAP - 1)) == 0, "POOL_DEQUE_CAP: power of 2");
_Static_assert(POOL_DEQUE_CAP <= (1u << 30), "POOL_DEQUE_CAP too large");

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RLX memory_order_relaxed
#define ACQ memory_order_acquire
#define REL memory_order_release

/* ---------------------------------------------------------------- the deque ------ */

typedef struct pool_deque {
    _Alignas(POOL_CACHE_LINE_BYTES) _Atomic uint64_t head_tail;
    _Alignas(POOL_CACHE_LINE_BYTES) _Atomic(void *) vals[POOL_DEQUE_CAP];
} pool_deque_t;

static inline uint32_t dq_head(uint64_t ht) { return (uint32_t)(ht >> 32); }
static inline uint32_t dq_tail(uint64_t ht) { return (uint32_t)ht; }
static inline uint64_t dq_pack(uint32_t head, uint32_t tail)
{
    return ((uint64_t)head << 32) | tail;
}

/* Owner only. 0 when full (or a consumer still clears the head slot). */
static bool dq_push_head(pool_deque_t *d, void *val)
{
    uint64_t ht = atomic_load_explicit(&d->head_tail, ACQ);
    uint32_t head = dq_head(ht), tail = dq_tail(ht);
    if ((uint32_t)(tail + POOL_DEQUE_CAP) == head)
        return false;
    _Atomic(void *) *slot = &d->vals[head & (POOL_DEQUE_CAP - 1)];
    if (atomic_load_explicit(slot, ACQ) != NULL)
        return false;   /* popTail has not released this slot yet: still full */
    atomic_store_explicit(slot, val, RLX);
    /* passes the slot to consumers; release publishes the slot write */
    atomic_fetch_add_explicit(&d->head_tail, (uint64_t)1 << 32, REL);
    return true;
}

/* Owner only. NULL when empty. */
static void *dq_pop_head(pool_deque_t *d)
{
    uint64_t ht = atomic_load_explicit(&d->head_tail, ACQ);
    uint32_t head;
    for (;;) {
        uint32_t tail = dq_tail(ht);
        head = dq_head(ht);
        if (tail == head)
            return NULL;
        head--;
        if (atomic_compare_exchange_weak_explicit(&d->head_tail, &ht, dq_pack(head, tail),
                                                  memory_order_acq_rel, ACQ))
            break;
    }
    _Atomic(void *) *slot = &d->vals[head & (POOL_DEQUE_CAP - 1)];
    void *val = atomic_load_explicit(slot, RLX);
    atomic_store_explicit(slot, NULL, RLX);   /* not racing with pushHead (same thread) */
    return val;
}

/* Any thread. NULL when empty. */
static void *dq_pop_tail(pool_deque_t *d)
{
    uint64_t ht = atomic_load_explicit(&d->head_tail, ACQ);
    uint32_t tail;
    for (;;) {
        uint32_t head = dq_head(ht);
        tail = dq_tail(ht);
        if (tail == head)
            return NULL;
        if (atomic_compare_exchange_weak_explicit(&d->head_tail, &ht,
                                                  dq_pack(head, tail + 1),
                                                  memory_order_acq_rel, ACQ))
            break;
    }
    _Atomic(void *) *slot = &d->vals[tail & (POOL_DEQUE_CAP - 1)];
    void *val = atomic_load_explicit(slot, RLX);
    /* tells pushHead this slot is free again */
    atomic_store_explicit(slot, NULL, REL);
    return val;
}

/* ---------------------------------------------------------------- globals -------- */

typedef struct pool_local {
    _Alignas(POOL_CACHE_LINE_BYTES) _Atomic(void *) private_item;
    _Atomic(void *) victim_private;
    /* single writer: the owner thread of this P */
    _Atomic uint64_t hits, misses, drops, steals, victim_hits, kept;
    pool_deque_t shared;
    pool_deque_t victim;
} pool_local_t;

typedef struct pool_counts {
    uint64_t hits, misses, drops, steals, victim_hits, released, cycles;
} pool_counts_t;

struct pool {
    _Atomic(pool_local_t *) locals[POOL_MAX_PS];
    pool_new_fn new_fn;
    pool_free_fn free_fn;
    void *arg;
    /* 1 while the victim caches may hold items (Go's victimSize != 0) */
    _Atomic int victim_live;
    /* written under g_mu */
    _Atomic uint64_t released, cycles;
    /* threads without a P: shared counters (atomic RMW, off the fast path) */
    _Atomic uint64_t bypass_misses, bypass_drops;
    pool_counts_t base;         /* baseline of pool_stats_reset, under g_mu */
    struct pool *next, *prev;   /* registry, under g_mu */
};

typedef struct pool_pin {
    _Alignas(POOL_CACHE_LINE_BYTES) _Atomic int pinned;
} pool_pin_t;

static pool_pin_t g_pins[POOL_MAX_PS];

/* read-mostly line: written only by cycles (state, cleaned_epoch) and at start-up */
static struct {
    /* POOL_CLEANING while a cycle runs; POOL_FENCE when membarrier is not available.
     * One word, so the fast path tests both with a single load. */
    _Alignas(POOL_CACHE_LINE_BYTES) _Atomic int state;
    _Atomic uint64_t cleaned_epoch;  /* alloc_gc_epoch() value the pools cleaned at */
    _Atomic int ps_hwm;              /* 1 + highest P id ever claimed */
} g_rm;

enum { POOL_CLEANING = 1, POOL_FENCE = 2 };

static inline bool pool_use_fence(void)
{
    return (atomic_load_explicit(&g_rm.state, RLX) & POOL_FENCE) != 0;
}

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;  /* registry, claims, cycles */
static pool_t *g_pools;                                    /* under g_mu */
static bool g_p_taken[POOL_MAX_PS];                        /* under g_mu */
static _Atomic uint64_t g_cycles;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static bool g_key_ok;

/* -1: not claimed yet; -2: no P available (bypass) */
_Thread_local int pool_tls_p = -1;
#define tls_pid pool_tls_p

/* 1 when this process is registered for MEMBARRIER_CMD_PRIVATE_EXPEDITED */
static bool pool_membarrier_register(void)
{
    long r = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return r >= 0 && (r & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
           syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

/* fork: no cycle may be half done in the child (g_mu is held across fork), and the
 * child is a new mm: make sure it is registered for membarrier (registering again is
 * harmless when the kernel carried the registration over), or fall back to fences */
static void pool_atfork_prepare(void) { pthread_mutex_lock(&g_mu); }
static void pool_atfork_parent(void) { pthread_mutex_unlock(&g_mu); }
static void pool_atfork_child(void)
{
    if (!pool_use_fence() && !pool_membarrier_register())
        atomic_fetch_or_explicit(&g_rm.state, POOL_FENCE, RLX);
    pthread_mutex_unlock(&g_mu);
}

static void pool_once_init(void)
{
    /* PB_POOL_FORCE_FENCE=1 selects the fallback (so tests can cover it) */
    const char *force = getenv("PB_POOL_FORCE_FENCE");
    if ((force && strcmp(force, "1") == 0) || !pool_membarrier_register())
        atomic_fetch_or_explicit(&g_rm.state, POOL_FENCE, RLX);
    atomic_store_explicit(&g_rm.cleaned_epoch, alloc_gc_epoch(), RLX);
    /* without the handlers a forked child could not use membarrier safely */
    if (pthread_atfork(pool_atfork_prepare, pool_atfork_parent, pool_atfork_child) != 0)
        atomic_fetch_or_explicit(&g_rm.state, POOL_FENCE, RLX);
}

static void pool_thread_exit(void *v)
{
    int pid = (int)(intptr_t)v - 1;
    tls_pid = -2;   /* later pool calls from this exiting thread bypass the pool */
    if (pid < 0 || pid >= POOL_MAX_PS)
        return;
    pthread_mutex_lock(&g_mu);
    g_p_taken[pid] = false;
    pthread_mutex_unlock(&g_mu);
}

static void pool_key_init(void)
{
    g_key_ok = pthread_key_create(&g_key, pool_thread_exit) == 0;
}

static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

/* Slow path of P lookup: claims the lowest free id, or returns -2 (bypass). */
static int pool_claim_p(void)
{
    pthread_once(&g_key_once, pool_key_init);
    int pid = -2;
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < POOL_MAX_PS; i++) {
        if (!g_p_taken[i]) {
            pid = i;
            break;
        }
    }
    /* without a key the id could never be returned: bypass rather than leak ids */
    if (pid >= 0 && g_key_ok && pthread_setspecific(g_key, (void *)(intptr_t)(pid + 1)) == 0) {
        g_p_taken[pid] = true;
        if (pid + 1 > atomic_load_explicit(&g_rm.ps_hwm, RLX))
            atomic_store_explicit(&g_rm.ps_hwm, pid + 1, REL);
    } else {
        pid = -2;
    }
    pthread_mutex_unlock(&g_mu);
    tls_pid = pid;
    return pid;
}

static inline int pool_self(void)
{
    int pid = tls_pid;
    if (UNLIKELY(pid == -1))
        pid = pool_claim_p();
    return pid;
}

int pool_current_p_slow(void)
{
    int pid = pool_self();
    return pid >= 0 ? pid : -1;
}

/* ---------------------------------------------------------------- pinning -------- */

/* true when pinned; false when a cycle is running (caller waits and retries) */
static inline bool pool_pin(int pid)
{
#ifdef __SANITIZE_THREAD__
    /* TSan does not model fences or membarrier: the same Dekker ordering expressed as
     * seq_cst store + seq_cst load (the cleaner does the same), which TSan understands */
    atomic_store_explicit(&g_pins[pid].pinned, 1, memory_order_seq_cst);
    if (LIKELY(!(atomic_load_explicit(&g_rm.state, memory_order_seq_cst) & POOL_CLEANING)))
        return true;
#else
    atomic_store_explicit(&g_pins[pid].pinned, 1, RLX);
    atomic_signal_fence(memory_order_seq_cst);   /* membarrier supplies the CPU fence */
    int st = atomic_load_explicit(&g_rm.state, RLX);
    if (LIKELY(st == 0))
        return true;
    if (st & POOL_FENCE) {
        atomic_thread_fence(memory_order_seq_cst);
        st = atomic_load_explicit(&g_rm.state, RLX);
    }
    if (!(st & POOL_CLEANING))
        return true;
#endif
    atomic_store_explicit(&g_pins[pid].pinned, 0, REL);
    return false;
}

static inline void pool_unpin(int pid)
{
    atomic_store_explicit(&g_pins[pid].pinned, 0, REL);
}

/* Waits for the running cycle to finish (it holds g_mu throughout). */
static void pool_wait_cycle(void)
{
    pthread_mutex_lock(&g_mu);
    pthread_mutex_unlock(&g_mu);
}

static inline void cnt_inc(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, RLX) + 1, RLX);
}

/* ---------------------------------------------------------------- cycles --------- */

static void pool_release_victims(pool_t *p, pool_local_t *l)
{
    void *x = atomic_load_explicit(&l->victim_private, RLX);
    if (x) {
        atomic_store_explicit(&l->victim_private, NULL, RLX);
        p->free_fn(x, p->arg);
        atomic_store_explicit(&p->released, atomic_load_explicit(&p->released, RLX) + 1, RLX);
    }
    while ((x = dq_pop_tail(&l->victim)) != NULL) {
        p->free_fn(x, p->arg);
        atomic_store_explicit(&p->released, atomic_load_explicit(&p->released, RLX) + 1, RLX);
    }
}

/* Caller holds g_mu and has stopped every pinned section. */
static void pool_cycle_one(pool_t *p, bool work)
{
    if (work) {
        int hwm = atomic_load_explicit(&g_rm.ps_hwm, ACQ);
        bool any = false;
        for (int i = 0; i < hwm; i++) {
            pool_local_t *l = atomic_load_explicit(&p->locals[i], ACQ);
            if (l)
                pool_release_victims(p, l);
        }
        for (int i = 0; i < hwm; i++) {
            pool_local_t *l = atomic_load_explicit(&p->locals[i], ACQ);
            if (!l)
                continue;
            void *x = atomic_load_explicit(&l->private_item, RLX);
            atomic_store_explicit(&l->private_item, NULL, RLX);
            atomic_store_explicit(&l->victim_private, x, RLX);
            any |= x != NULL;
            /* oldest first, so the victim keeps the order (its tail = oldest) */
            while ((x = dq_pop_tail(&l->shared)) != NULL) {
                bool ok = dq_push_head(&l->victim, x);   /* same capacity, emptied above */
                if (!ok) {
                    p->free_fn(x, p->arg);
                    atomic_store_explicit(&p->released,
                                          atomic_load_explicit(&p->released, RLX) + 1, RLX);
                }
                any = true;
            }
        }
        atomic_store_explicit(&p->victim_live, any ? 1 : 0, RLX);
    }
    atomic_store_explicit(&p->cycles, atomic_load_explicit(&p->cycles, RLX) + 1, RLX);
}

/* Caller holds g_mu. Runs `count` cycles over every pool (at most two do work). */
static void pool_cycles_locked(uint64_t count)
{
    if (count == 0)
        return;
#ifdef __SANITIZE_THREAD__
    atomic_fetch_or_explicit(&g_rm.state, POOL_CLEANING, memory_order_seq_cst);
#define POOL_PIN_LOAD memory_order_seq_cst
#else
    atomic_fetch_or_explicit(&g_rm.state, POOL_CLEANING, RLX);
    /* FENCE is clear only after a successful registration, so a failing membarrier
     * cannot happen; the fence keeps the protocol correct if it ever did */
    if (pool_use_fence() ||
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
        atomic_thread_fence(memory_order_seq_cst);
#define POOL_PIN_LOAD ACQ
#endif
    int hwm = atomic_load_explicit(&g_rm.ps_hwm, ACQ);
    for (int i = 0; i < hwm; i++) {
        while (atomic_load_explicit(&g_pins[i].pinned, POOL_PIN_LOAD))
            sched_yield();
    }
    for (uint64_t c = 0; c < count; c++) {
        for (pool_t *p = g_pools; p; p = p->next)
            pool_cycle_one(p, c < 2);
    }
    atomic_fetch_add_explicit(&g_cycles, count, RLX);
    atomic_fetch_and_explicit(&g_rm.state, ~POOL_CLEANING, REL);
}

void pool_cycle(void)
{
    pthread_mutex_lock(&g_mu);
    pool_cycles_locked(1);
    pthread_mutex_unlock(&g_mu);
}

void pool_cycle_poll(void)
{
    uint64_t e = alloc_gc_epoch();
    if (e == atomic_load_explicit(&g_rm.cleaned_epoch, RLX))
        return;
    pthread_mutex_lock(&g_mu);
    uint64_t done = atomic_load_explicit(&g_rm.cleaned_epoch, RLX);
    e = alloc_gc_epoch();
    if (e > done) {
        pool_cycles_locked(e - done);
        atomic_store_explicit(&g_rm.cleaned_epoch, e, RLX);
    }
    pthread_mutex_unlock(&g_mu);
}

uint64_t pool_cycles(void)
{
    return atomic_load_explicit(&g_cycles, RLX);
}

static inline bool pool_epoch_moved(void)
{
    return UNLIKELY(alloc_gc_epoch() != atomic_load_explicit(&g_rm.cleaned_epoch, RLX));
}

/* ---------------------------------------------------------------- timer ---------- */

static pthread_mutex_t g_timer_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_timer_cv;
static bool g_timer_cv_ok;
static bool g_timer_running;   /* under g_timer_mu */
static bool g_timer_stop;      /* under g_timer_mu */
static unsigned g_timer_ms;    /* under g_timer_mu */
static pthread_t g_timer_thread;

static void *pool_timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_timer_mu);
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)g_timer_ms * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        while (!g_timer_stop) {
            int rc = pthread_cond_timedwait(&g_timer_cv, &g_timer_mu, &ts);
            if (rc == ETIMEDOUT)
                break;
        }
        if (g_timer_stop)
            break;
        pthread_mutex_unlock(&g_timer_mu);
        pool_cycle();
        pthread_mutex_lock(&g_timer_mu);
    }
    pthread_mutex_unlock(&g_timer_mu);
    return NULL;
}

int pool_timer_start(unsigned interval_ms)
{
    pool_timer_stop();
    if (interval_ms == 0)
        return 0;
    pthread_mutex_lock(&g_timer_mu);
    if (!g_timer_cv_ok) {
        pthread_condattr_t ca;
        if (pthread_condattr_init(&ca) != 0) {
            pthread_mutex_unlock(&g_timer_mu);
            return -1;
        }
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        g_timer_cv_ok = pthread_cond_init(&g_timer_cv, &ca) == 0;
        pthread_condattr_destroy(&ca);
        if (!g_timer_cv_ok) {
            pthread_mutex_unlock(&g_timer_mu);
            return -1;
        }
    }
    g_timer_ms = interval_ms;
    g_timer_stop = false;
    int rc = pthread_create(&g_timer_thread, NULL, pool_timer_main, NULL);
    g_timer_running = rc == 0;
    pthread_mutex_unlock(&g_timer_mu);
    return rc == 0 ? 0 : -1;
}

void pool_timer_stop(void)
{
    pthread_mutex_lock(&g_timer_mu);
    if (!g_timer_running) {
        pthread_mutex_unlock(&g_timer_mu);
        return;
    }
    g_timer_stop = true;
    g_timer_running = false;
    pthread_cond_broadcast(&g_timer_cv);
    pthread_t t = g_timer_thread;
    pthread_mutex_unlock(&g_timer_mu);
    pthread_join(t, NULL);
}

/* ---------------------------------------------------------------- create/destroy - */

pool_t *pool_create(pool_new_fn new_fn, pool_free_fn free_fn, void *arg)
{
    if (!new_fn || !free_fn)
        return NULL;
    pthread_once(&g_once, pool_once_init);
    pool_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->new_fn = new_fn;
    p->free_fn = free_fn;
    p->arg = arg;
    pthread_mutex_lock(&g_mu);
    p->next = g_pools;
    if (g_pools)
        g_pools->prev = p;
    g_pools = p;
    pthread_mutex_unlock(&g_mu);
    return p;
}

void pool_destroy(pool_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&g_mu);
    if (p->prev)
        p->prev->next = p->next;
    else
        g_pools = p->next;
    if (p->next)
        p->next->prev = p->prev;
    pthread_mutex_unlock(&g_mu);
    for (int i = 0; i < POOL_MAX_PS; i++) {
        pool_local_t *l = atomic_load_explicit(&p->locals[i], ACQ);
        if (!l)
            continue;
        void *x;
        pool_release_victims(p, l);
        if ((x = atomic_load_explicit(&l->private_item, RLX)) != NULL)
            p->free_fn(x, p->arg);
        while ((x = dq_pop_tail(&l->shared)) != NULL)
            p->free_fn(x, p->arg);
        free(l);
    }
    free(p);
}

/* Creates this P's local for p (first use). NULL on allocation failure. */
static pool_local_t *pool_local_create(pool_t *p, int pid)
{
    void *mem = NULL;
    if (posix_memalign(&mem, POOL_CACHE_LINE_BYTES, sizeof(pool_local_t)) != 0)
        return NULL;
    memset(mem, 0, sizeof(pool_local_t));
    pool_local_t *l = mem;
    /* only this P's owner creates its local, so no other creator can race */
    atomic_store_explicit(&p->locals[pid], l, REL);
    return l;
}

static inline pool_local_t *pool_local(pool_t *p, int pid)
{
    pool_local_t *l = atomic_load_explicit(&p->locals[pid], ACQ);
    if (UNLIKELY(!l))
        l = pool_local_create(p, pid);
    return l;
}

/* ---------------------------------------------------------------- get / put ------ */

/* Pinned. Go's getSlow: steal, then victim private, then victim deques. */
static void *pool_get_slow(pool_t *p, int pid, pool_local_t *l)
{
    int n = atomic_load_explicit(&g_rm.ps_hwm, ACQ);
    for (int i = 1; i <= n; i++) {
        int j = (pid + i) % n;
        if (j == pid)
            continue;
        pool_local_t *o = atomic_load_explicit(&p->locals[j], ACQ);
        void *x;
        if (o && (x = dq_pop_tail(&o->shared)) != NULL) {
            cnt_inc(&l->steals);
            return x;
        }
    }
    if (!atomic_load_explicit(&p->victim_live, RLX))
        return NULL;
    void *x = atomic_load_explicit(&l->victim_private, RLX);
    if (x) {
        atomic_store_explicit(&l->victim_private, NULL, RLX);
        cnt_inc(&l->victim_hits);
        return x;
    }
    for (int i = 0; i < n; i++) {
        pool_local_t *o = atomic_load_explicit(&p->locals[(pid + i) % n], ACQ);
        if (o && (x = dq_pop_tail(&o->victim)) != NULL) {
            cnt_inc(&l->victim_hits);
            cnt_inc(&l->steals);
            return x;
        }
    }
    /* other Ps' victim private slots are theirs alone, as in Go: only clear the flag
     * when they are empty too (they are read here, relaxed; a stale read only costs a
     * later rescan) */
    for (int i = 0; i < n; i++) {
        pool_local_t *o = atomic_load_explicit(&p->locals[i], ACQ);
        if (o && atomic_load_explicit(&o->victim_private, RLX))
            return NULL;
    }
    atomic_store_explicit(&p->victim_live, 0, RLX);
    return NULL;
}

/* Everything but the private-slot fast path: claims, polls, local creation, the own
 * deque, stealing, victims, misses. Kept out of line so the fast path stays small. */
static __attribute__((noinline)) void *pool_get_slow_path(pool_t *p)
{
    int pid = pool_self();
    if (UNLIKELY(pid < 0)) {
        atomic_fetch_add_explicit(&p->bypass_misses, 1, RLX);
        return p->new_fn(p->arg);
    }
    if (pool_epoch_moved())
        pool_cycle_poll();
    pool_local_t *l = pool_local(p, pid);
    if (UNLIKELY(!l)) {
        atomic_fetch_add_explicit(&p->bypass_misses, 1, RLX);
        return p->new_fn(p->arg);
    }
    while (!pool_pin(pid))
        pool_wait_cycle();
    void *x = atomic_load_explicit(&l->private_item, RLX);
    if (x)
        atomic_store_explicit(&l->private_item, NULL, RLX);
    else
        x = dq_pop_head(&l->shared);
    if (!x)
        x = pool_get_slow(p, pid, l);
    if (x)
        cnt_inc(&l->hits);
    else
        cnt_inc(&l->misses);
    pool_unpin(pid);
    return x ? x : p->new_fn(p->arg);
}

void *pool_get(pool_t *p)
{
    int pid = tls_pid;
    pool_local_t *l;
    if (LIKELY(pid >= 0) && LIKELY(!pool_epoch_moved()) &&
        LIKELY((l = atomic_load_explicit(&p->locals[pid], ACQ)) != NULL) &&
        LIKELY(pool_pin(pid))) {
        void *x = atomic_load_explicit(&l->private_item, RLX);
        if (LIKELY(x != NULL)) {
            atomic_store_explicit(&l->private_item, NULL, RLX);
            cnt_inc(&l->hits);
            pool_unpin(pid);
            return x;
        }
        pool_unpin(pid);
    }
    return pool_get_slow_path(p);
}

static __attribute__((noinline)) int pool_put_slow_path(pool_t *p, void *item)
{
    if (!item)
        return 0;
    int pid = pool_self();
    if (UNLIKELY(pid < 0)) {
        atomic_fetch_add_explicit(&p->bypass_drops, 1, RLX);
        p->free_fn(item, p->arg);
        return 0;
    }
    if (pool_epoch_moved())
        pool_cycle_poll();
    pool_local_t *l = pool_local(p, pid);
    if (UNLIKELY(!l)) {
        atomic_fetch_add_explicit(&p->bypass_drops, 1, RLX);
        p->free_fn(item, p->arg);
        return 0;
    }
    while (!pool_pin(pid))
        pool_wait_cycle();
    bool kept = true;
    if (atomic_load_explicit(&l->private_item, RLX) == NULL)
        atomic_store_explicit(&l->private_item, item, RLX);
    else
        kept = dq_push_head(&l->shared, item);
    if (kept)
        cnt_inc(&l->kept);
    else
        cnt_inc(&l->drops);
    pool_unpin(pid);
    if (!kept) {
        p->free_fn(item, p->arg);
        return 0;
    }
    return 1;
}

int pool_put(pool_t *p, void *item)
{
    int pid = tls_pid;
    pool_local_t *l;
    if (LIKELY(pid >= 0) && LIKELY(item != NULL) && LIKELY(!pool_epoch_moved()) &&
        LIKELY((l = atomic_load_explicit(&p->locals[pid], ACQ)) != NULL) &&
        LIKELY(pool_pin(pid))) {
        if (LIKELY(atomic_load_explicit(&l->private_item, RLX) == NULL)) {
            atomic_store_explicit(&l->private_item, item, RLX);
            cnt_inc(&l->kept);
            pool_unpin(pid);
            return 1;
        }
        pool_unpin(pid);
    }
    return pool_put_slow_path(p, item);
}

/* ---------------------------------------------------------------- stats ---------- */

static void pool_counts_raw(pool_t *p, pool_counts_t *c, uint64_t *kept)
{
    memset(c, 0, sizeof *c);
    *kept = 0;
    for (int i = 0; i < POOL_MAX_PS; i++) {
        pool_local_t *l = atomic_load_explicit(&p->locals[i], ACQ);
        if (!l)
            continue;
        c->hits += atomic_load_explicit(&l->hits, RLX);
        c->misses += atomic_load_explicit(&l->misses, RLX);
        c->drops += atomic_load_explicit(&l->drops, RLX);
        c->steals += atomic_load_explicit(&l->steals, RLX);
        c->victim_hits += atomic_load_explicit(&l->victim_hits, RLX);
        *kept += atomic_load_explicit(&l->kept, RLX);
    }
    c->misses += atomic_load_explicit(&p->bypass_misses, RLX);
    c->drops += atomic_load_explicit(&p->bypass_drops, RLX);
    c->released = atomic_load_explicit(&p->released, RLX);
    c->cycles = atomic_load_explicit(&p->cycles, RLX);
}

void pool_stats_read(pool_t *p, pool_stats_t *out)
{
    pool_counts_t c;
    uint64_t kept;
    pthread_mutex_lock(&g_mu);
    pool_counts_raw(p, &c, &kept);
    uint64_t out_items = c.hits + c.released;
    out->retained = kept > out_items ? kept - out_items : 0;
    out->hits = c.hits - p->base.hits;
    out->misses = c.misses - p->base.misses;
    out->drops = c.drops - p->base.drops;
    out->steals = c.steals - p->base.steals;
    out->victim_hits = c.victim_hits - p->base.victim_hits;
    out->released = c.released - p->base.released;
    out->cycles = c.cycles - p->base.cycles;
    pthread_mutex_unlock(&g_mu);
}

void pool_stats_reset(pool_t *p)
{
    uint64_t kept;
    pthread_mutex_lock(&g_mu);
    pool_counts_raw(p, &p->base, &kept);
    pthread_mutex_unlock(&g_mu);
}

const char *pool_fence_mode(void)
{
    pthread_once(&g_once, pool_once_init);
    return pool_use_fence() ? "fence" : "membarrier";
}
