/* matrix.h: expanding scenarios into cells, cell keys, shuffling and sharding.
 *
 * A cell is one run of one configuration: scenario x backend x policy x swept values
 * (size, threads, buffer sizes, zero_on_put, standard_alloc) x repetition. Its key is the
 * SHA-256 hex of a canonical text of that configuration including the repetition index;
 * the run seed, timeout and expected result are not part of it, so the same cell has the
 * same key on every machine, shard and run. The matrix hash is the SHA-256 of the sorted
 * keys of all measured cells (before sharding).
 *
 * The plan is the order of work for one run: warm-up units first (one per arm with work
 * left, repeated warmup_repetitions times, never journalled), then one block per
 * repetition index, each block shuffled with xoshiro256** seeded from (seed, block) via
 * splitmix64, so the order is deterministic for a seed. A unit is what one child (or one
 * `hyperfine --runs 1` call, or one group of concurrent processes) runs: one measured
 * cell, in every mode, so the arms of a hyperfine scenario alternate like the others.
 * Sharding (matrix_shard.h) keeps whole scenarios on one shard, so every comparison's
 * arms, repetitions and warm-ups run on one machine; scenarios are spread over the N
 * shards by expected time, deterministically, independent of the shuffle and the seed.
 * A scenario with headline = off adds "|headline=0" to its cells' canonical text; cells
 * of headline = on scenarios have the text (and keys) they had before the key existed.
 * Nothing here runs processes, prints or exits.
 */
#ifndef PB_MATRIX_H
#define PB_MATRIX_H

#include <stddef.h>
#include <stdint.h>
#include "scenario.h"

#define MATRIX_KEY_HEX 65
#define MATRIX_CANON_BYTES 1536

typedef struct matrix_cell {
    const scenario_t *sc;
    char backend[SCENARIO_NAME_BYTES];
    char policy[SCENARIO_NAME_BYTES];     /* as in the scenario: all, none, hash+tar    */
    uint64_t size_bytes, threads, hash_size_bytes, tar_size_bytes, string_size_bytes;
    int zero_on_put;                      /* 0/1                                       */
    char standard_alloc[8];
    uint64_t iterations, warmup_iterations;  /* the scenario's, or its go_ ones on the Go
                                           * runtime when set; SCENARIO_UNSET = the
                                           * runner's default                          */
    int rep;                              /* repetition index; < 0 for warm-up         */
    int counting;                         /* 1: the arm's counting repetition (below)  */
    char key[MATRIX_KEY_HEX];             /* this cell                                 */
    char arm_key[MATRIX_KEY_HEX];         /* the same configuration without rep        */
    char input_key[MATRIX_KEY_HEX];       /* cells that must agree on the result       */
    char variant[160];                    /* swept values, human-readable ("size=1M")  */
    char canon[MATRIX_CANON_BYTES];
} matrix_cell_t;

typedef struct matrix_unit {
    size_t first;      /* index into matrix_t.cells (or .warmups when warmup)      */
    size_t n_cells;    /* always 1 (kept for the engine's loop over a unit's cells)  */
    int warmup;
    int block;         /* repetition index, or -(w+1) for warm-up round w           */
    size_t side;       /* which side runs it (matrix_plan_sides); 0 for a matrix run  */
} matrix_unit_t;

typedef struct matrix {
    matrix_cell_t *cells;      /* measured cells, in expansion order                  */
    size_t n_cells;
    matrix_cell_t *warmups;    /* warm-up cells of the current plan                   */
    size_t n_warmups;
    matrix_unit_t *plan;       /* order of work                                       */
    size_t n_plan;
    char hash[MATRIX_KEY_HEX];
    unsigned *shard_of;        /* per cell: its shard, 0..shard_n-1 (matrix_shard.h);
                                  NULL until matrix_in_shard or a plan needs it        */
    unsigned shard_n;
    int split_instrument;      /* matrix_add_counting was applied (see below)         */
} matrix_t;

/* Expands scenarios into cells. backends_filter (comma list or NULL) keeps only those
 * backends. Returns 0, -1 on out of memory, -2 when nothing is left after filtering. */
int matrix_expand(const scenario_t *scs, size_t n_scs, const char *backends_filter,
                  matrix_t *out);

/* Is cell i in shard k of n (1 <= k <= n)? 1 or 0; -1 on out of memory (the assignment
 * of matrix_shard_assign is computed on first use for n and kept in m). */
int matrix_in_shard(matrix_t *m, size_t i, unsigned k, unsigned n);

/* Time without the instrument (issue 12): after this, every timed cell of a C backend
 * in a "cell"-mode scenario runs on the uninstrumented runner pb-<backend>-bare, and each
 * such arm gets one extra cell (counting = 1, inserted after the arm's cells, rep 0,
 * "|instrument=counting" added to its canonical text before the rep) run on the
 * counting runner pb-<backend>, whose count metrics the decision model uses (arms.c:
 * instrument_split) and whose time it does not. Plans put counting cells in the first
 * block (-1, with the warm-ups), so each arm's counting cell runs before its bare cells,
 * which take its bytes per operation for the GOGC rule (--gc-bytes-per-op, engine.c). Timed cells keep their keys. pb-go,
 * concurrent groups and hyperfine scenarios are unchanged (one runner). Recomputes the
 * matrix hash. Returns 0 or -1 on out of memory (m is then unchanged). */
int matrix_add_counting(matrix_t *m);

/* Does this cell run on the uninstrumented runner? (split_instrument, a C backend, mode
 * "cell", not the counting cell.) */
int matrix_cell_bare(const matrix_t *m, const matrix_cell_t *c);

/* Builds the plan: cells in shard k/n whose key is not done (done(key, user) != 0 means
 * already journalled), warm-ups, shuffled per block with seed. Returns 0 or -1 (OOM). */
int matrix_plan(matrix_t *m, uint64_t seed, unsigned shard_k, unsigned shard_n,
                int (*done)(const char *key, void *user), void *user);

/* The same for several sides (gate and calibrate: revisions, or copies of the runners)
 * that run the same cells interleaved: every unit, warm-ups included, is planned once
 * per side, and each block is shuffled as a whole, so no side runs in a block of its
 * own. matrix_plan is matrix_plan_sides with one side. */
int matrix_plan_sides(matrix_t *m, uint64_t seed, unsigned shard_k, unsigned shard_n,
                      size_t n_sides, int (*done)(const char *key, void *user), void *user);

void matrix_free(matrix_t *m);

/* Hex SHA-256 of a string (OpenSSL). */
void matrix_sha256_hex(const void *data, size_t n, char out[MATRIX_KEY_HEX]);

/* splitmix64, which derives each block's shuffle seed (exposed for tests); the shuffle
 * itself draws from stats_rng (xoshiro256**, stats.h). */
uint64_t matrix_splitmix64(uint64_t *state);

/* Parses "K/N" (1 <= K <= N <= 1000000). Returns 0 or -1. */
int matrix_parse_shard(const char *s, unsigned *k, unsigned *n);

#endif
