/* gen.h: deterministic input generation, so every machine measures the same bytes.
 *
 * Bytes come from xoshiro256** seeded through splitmix64(seed), emitted little-endian;
 * the same (seed, size) gives the same bytes on every machine and compiler. A generated
 * tree has a fixed layout (names, nesting, sizes, modes 0644/0755, mtimes) derived from
 * the seed only, with a "Dockerfile" at its root. Not part of any timed window.
 */
#ifndef PB_GEN_H
#define PB_GEN_H

#include <stddef.h>
#include <stdint.h>
#include "workload.h"

typedef struct gen_rng { uint64_t s[4]; } gen_rng_t;

void gen_rng_seed(gen_rng_t *r, uint64_t seed);
uint64_t gen_rng_next(gen_rng_t *r);

/* Fills out with len_bytes deterministic bytes for seed. */
void gen_bytes(uint64_t seed, unsigned char *out, size_t len_bytes);

/* Creates dir (which must not exist) holding `files` regular files (>= 1, the first is
 * "Dockerfile") of total_bytes bytes in all, in nested sub-directories. Written to a
 * temporary sibling and renamed, so a partially written tree is never seen. */
pb_err_t gen_tree(uint64_t seed, size_t files, uint64_t total_bytes, const char *dir);

#endif
