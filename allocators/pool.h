/* pool.h: a model of Go's sync.Pool (runtime sync/pool.go) in C.
 *
 * Structure, as in Go: one cache per P (here: per worker thread, claimed on first use),
 * each with a private slot and a shared lock-free deque (Go's poolDequeue: the owner
 * pushes and pops at the head, other threads steal from the tail). A victim cache per P
 * holds what the previous cleanup cycle evicted.
 *   Get:  own private slot, own deque head (LIFO), steal from other Ps' deque tails,
 *         own victim private slot, victim deque tails of all Ps, then new_fn (a miss).
 *   Put:  private slot if empty, else own deque head; if the deque is full the item
 *         is released (counted as a drop).
 *   Cycle (the GC analogue): victims are released, primaries become victims, so an
 *         unused item survives exactly one cycle and is released on the second.
 *         Cycles are triggered by the front end's GOGC-like rule (alloc_gc_epoch()),
 *         by an optional timer thread, and by pool_cycle() for tests.
 * The fast path (private slot) uses no atomic read-modify-write: it "pins" its P with a
 * plain store and the cleaner uses membarrier(2) as the asymmetric fence (Go stops the
 * world instead). Where membarrier is unavailable, pinning uses a full fence.
 * Unlike Go's growing poolChain, each P's deque is a fixed ring: a Put that finds it full
 * releases the item and counts a drop. A thread's P is returned at thread exit and the
 * next thread to claim it inherits its cached items (Go's Ps persist).
 * Nothing in the pool assumes a Get returns the item of an earlier Put.
 * Limits: at most POOL_MAX_PS threads own a P at once (a thread beyond that bypasses
 * the pool: every Get is a miss and every Put releases, counted as a drop); each deque
 * holds POOL_DEQUE_CAP items.
 */
#ifndef PB_POOL_H
#define PB_POOL_H

#include <stddef.h>
#include <stdint.h>

#define POOL_MAX_PS    64
#define POOL_DEQUE_CAP 1024

typedef struct pool pool_t;

typedef struct pool_stats {
    uint64_t hits;     /* Gets served from the pool (any level)               */
    uint64_t misses;   /* Gets that had to call new_fn                         */
    uint64_t drops;    /* Puts that released the item instead of keeping it    */
    uint64_t steals;   /* hits served from another P's deque or a victim deque */
    uint64_t victim_hits;
    uint64_t released; /* items released by cleanup cycles                     */
    uint64_t cycles;   /* cleanup cycles this pool has run                      */
    uint64_t retained; /* items held now (primary + victim)                     */
} pool_stats_t;

/* new_fn creates an item (NULL on allocation failure); free_fn releases one. Neither may
 * call into the pool (free_fn may run inside a cleanup cycle, which holds the pool lock). */
typedef void *(*pool_new_fn)(void *arg);
typedef void (*pool_free_fn)(void *item, void *arg);

pool_t *pool_create(pool_new_fn new_fn, pool_free_fn free_fn, void *arg);
/* Releases every item and the pool. No thread may use the pool concurrently. */
void pool_destroy(pool_t *p);

/* NULL only when new_fn failed. */
void *pool_get(pool_t *p);
/* Returns 1 when the pool kept the item, 0 when it released it through free_fn (a drop:
 * no P available or the P's deque full) or item was NULL (ignored, as Go ignores nil). */
int pool_put(pool_t *p, void *item);

/* Runs one cleanup cycle now on every pool (the explicit trigger). */
void pool_cycle(void);
/* Runs pending GOGC-triggered cycles, if any (called by pool_get/put on their slow
 * path; exposed for the harness). */
void pool_cycle_poll(void);
/* Starts / stops a timer thread that runs a cycle every interval_ms (0 = off). */
int pool_timer_start(unsigned interval_ms);
void pool_timer_stop(void);
/* Number of cleanup cycles run so far (all pools share one cycle clock). */
uint64_t pool_cycles(void);

void pool_stats_read(pool_t *p, pool_stats_t *out);
void pool_stats_reset(pool_t *p);

/* The calling thread's P id (0..POOL_MAX_PS-1), claiming one on first use; -1 when none
 * is available. Lets wrappers keep their own per-P counters without atomic RMW.
 * Inline so that a wrapper's fast path pays one thread-local load, not a call;
 * pool_tls_p is the pool's own record (read-only outside pool.c). */
extern _Thread_local int pool_tls_p;
int pool_current_p_slow(void);
static inline int pool_current_p(void)
{
    int pid = pool_tls_p;
    return __builtin_expect(pid >= 0, 1) ? pid : pool_current_p_slow();
}

/* "membarrier" or "fence": how the fast path is fenced against cleanup. The environment
 * variable PB_POOL_FORCE_FENCE=1 (read at the first pool_create) forces "fence". */
const char *pool_fence_mode(void);

#endif
