/* bufpool.h: the Go pkg/memory package in C: buffer classes on top of pool.h.
 *
 * Classes (KERNELS.md): hash (64 KiB), small (an alias of hash: the same pool and size),
 * tar (64 KiB), string (a 1 KiB builder, kept only if its capacity <= 2 KiB). Every size
 * is configurable. Wrapper rules kept from Go:
 *   - put zeroes the whole buffer before pooling it when zero_on_put is on (default on);
 *   - put releases a buffer whose capacity exceeds max_keep_bytes (1 MiB) (a drop);
 *   - hits, misses and drops are counted per class.
 * With a class not pooled, the same call sites allocate and free directly:
 * standard_alloc = calloc (Go's zeroed make([]byte, n), the default) or malloc.
 * A buffer is one allocation: the header and its bytes.
 * Debug builds (PB_POOL_DEBUG) detect a double put, a put of a foreign pointer and writes
 * after put: put marks the buffer pooled (magic word), records its call site (the return
 * address, in the header) and, when zero_on_put is off, fills it with a poison byte; the
 * next get of that buffer from the pool checks the magic and that every byte is still
 * zero / poison. Misuse is reported to the misuse handler with a message that names the
 * call sites (a double put: the first put's and the second's; a write after put: the
 * put's and the offset of the first changed byte), which by default prints one line to
 * stderr and aborts (debug builds only; release builds never call it and do not check).
 * The debug header is one pointer longer: objects built with and without PB_POOL_DEBUG
 * must not be mixed.
 * Race mode (Go's sync.Pool under the race detector, every build): 1 get in 4 of a
 * pooled class ignores the pool and creates a new zeroed buffer (counted as a miss), so
 * a caller that depends on getting its own buffer back shows up. Off by default; on
 * with bufpool_set_race or PB_POOL_RACE=1 in the environment at bufpool_create. The
 * fast paths do not look at it (race mode routes the pooled classes through the slow
 * path), so a run without it costs the same as before.
 * A new pooled buffer (a miss) is zeroed, as Go's New (make([]byte, n)) is, whatever
 * standard_alloc says; standard_alloc applies to unpooled classes.
 */
#ifndef PB_BUFPOOL_H
#define PB_BUFPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum bufpool_class {
    BUFPOOL_HASH = 0,
    BUFPOOL_SMALL,      /* alias of hash */
    BUFPOOL_TAR,
    BUFPOOL_STRING,
    BUFPOOL_CLASS_COUNT
} bufpool_class_t;

typedef enum bufpool_std_alloc {
    BUFPOOL_STD_CALLOC = 0,
    BUFPOOL_STD_MALLOC
} bufpool_std_alloc_t;

typedef struct bufpool_config {
    size_t size_bytes[BUFPOOL_CLASS_COUNT];   /* small mirrors hash                   */
    bool pooled[BUFPOOL_CLASS_COUNT];         /* small follows hash                   */
    bool plain;                               /* Branch B for the classes not pooled:
                                               * the code without pkg/memory (no buffer
                                               * where the pooled one only carried a
                                               * copy; KERNELS.md), not an allocation
                                               * in place of each get                 */
    bool zero_on_put;
    bufpool_std_alloc_t std_alloc;
    size_t max_keep_bytes;                    /* 1 MiB: larger buffers are dropped      */
    size_t string_keep_max_bytes;             /* 2 KiB: larger builders are dropped     */
} bufpool_config_t;

/* A buffer: `data` points just past the header; `cap_bytes` is its capacity; `len_bytes`
 * is free for the user (builders use it). For the string class data may be moved by
 * bufpool_grow. */
typedef struct bufpool_buf {
    unsigned char *data;
    size_t cap_bytes;
    size_t len_bytes;
    uint32_t cls;
    uint32_t magic;      /* debug: detects double put / put of a foreign pointer */
#ifdef PB_POOL_DEBUG
    const void *put_site;   /* debug: return address of the last bufpool_put        */
#endif
} bufpool_buf_t;

typedef struct bufpool bufpool_t;

typedef struct bufpool_class_stats {
    uint64_t gets, hits, misses, drops;
} bufpool_class_stats_t;

/* Go's defaults: 64 KiB hash and tar, 1 KiB string, all pooled, zero on put, calloc. */
void bufpool_config_default(bufpool_config_t *cfg);
/* Parses a policy: "all", "none" (every class allocates in place of each get), "plain"
 * (every class is the plain code of Branch B), or a comma list of class names
 * ("hash,tar": those pooled, the others allocate), optionally with the word "plain"
 * ("hash,plain": hash pooled, the others are the plain code). Fills cfg->pooled and
 * cfg->plain. Returns 0, or -1 with a message in err. */
int bufpool_policy_parse(const char *policy, bufpool_config_t *cfg, char *err, size_t err_len);
const char *bufpool_class_name(bufpool_class_t cls);

/* Is class cls the plain code here (not pooled, Branch B)? Kernels ask before taking a
 * buffer that only carries a copy: with the plain code they use the data directly. */
bool bufpool_plain(const bufpool_t *bp, bufpool_class_t cls);

bufpool_t *bufpool_create(const bufpool_config_t *cfg);
void bufpool_destroy(bufpool_t *bp);
const bufpool_config_t *bufpool_config(const bufpool_t *bp);

/* Gets a buffer of the class's size (len_bytes = 0); NULL on allocation failure. */
bufpool_buf_t *bufpool_get(bufpool_t *bp, bufpool_class_t cls);
/* Puts it back (or frees it, for an unpooled class or an oversize buffer). */
void bufpool_put(bufpool_t *bp, bufpool_buf_t *buf);
/* Grows a string-class builder to hold at least need_bytes; may move the buffer, so use
 * the returned pointer. Geometric (2x) growth. NULL on failure (buf is then untouched). */
bufpool_buf_t *bufpool_grow(bufpool_t *bp, bufpool_buf_t *buf, size_t need_bytes);

/* Per class: gets counts every get (pooled or not); hits, misses and drops only move for
 * a pooled class (a miss = the pool created the buffer; a drop = a put that freed it:
 * oversize, string builder above string_keep_max_bytes, or the pool's ring full / a
 * thread without a P -- those two are the pool's own counts and appear under the pool's
 * class, `hash` for `small` buffers). hits of tar and string are the pool's own count
 * (pool.c, where the get is served), so hits + misses == gets holds only when both
 * sides counted right; hash and small share a pool: their hits are gets - misses. */
void bufpool_stats_read(bufpool_t *bp, bufpool_class_t cls, bufpool_class_stats_t *out);
void bufpool_stats_reset(bufpool_t *bp);

/* Debug builds: called on misuse with a short description; NULL restores the default
 * (print to stderr, abort). A handler that returns lets the call go on without the bad
 * put (the buffer is not pooled twice). */
typedef void (*bufpool_misuse_fn)(const char *what, const bufpool_buf_t *buf);
void bufpool_set_misuse_handler(bufpool_misuse_fn fn);

/* Race mode on or off (see above). Call while no other thread uses bp. */
void bufpool_set_race(bufpool_t *bp, bool on);
bool bufpool_race(const bufpool_t *bp);

#ifdef PB_POOL_DEBUG
/* Debug builds: the return address of the buffer's last bufpool_put (NULL if none). */
const void *bufpool_debug_put_site(const bufpool_buf_t *buf);
#endif

#endif
