/* matrix_shard.h: which shard of a CI job matrix runs which cell (poolbench matrix
 * --shard K/N).
 *
 * What it is for: runners differ by 10 % or more, so the cells that one comparison of
 * the report puts side by side must run on one machine. A shard group is every cell of
 * one scenario: all its backends, policies, swept values (the what-if variants),
 * repetitions and the warm-ups of its arms. Every comparison decide/ forms stays within
 * one scenario (pooled vs plain vs none per backend x variant; allocator_vs_pool: glibc's
 * pooled arm vs another backend's none at one variant; zeroing_cost: zero_on_put on vs off
 * of one backend x policy), so a group holds both arms of each of them.
 *
 * Groups go to shards by expected time, not by count: greedy longest-processing-time
 * bin packing (the most expensive group first, onto the shard with the least expected
 * time so far; ties by scenario name, then the lowest shard). The expected time of a
 * cell is matrix_shard_cell_cost_ns(): a fixed per-cell start cost plus (iterations +
 * in-process warm-up iterations) times a per-operation cost from the workload's row of
 * a cost table (ns per byte of input, per file, per call; see matrix_shard.c), times the
 * processes of a concurrent cell. It reads only the scenario's values (integer
 * arithmetic), so every machine computes the same assignment for the same cells.
 * A group's expected time adds warmup_repetitions cells per arm.
 *
 * Guarantees: every cell is in exactly one shard; all cells of one scenario are in the
 * same shard; the assignment depends only on the expanded cells (scenario values and
 * order of expansion), never on the clock, the host or the run seed.
 * Nothing here runs processes, prints or exits.
 */
#ifndef PB_MATRIX_SHARD_H
#define PB_MATRIX_SHARD_H

#include <stddef.h>
#include <stdint.h>
#include "matrix.h"

/* Expected wall time of one run of cell c, in ns (the cost model above). */
uint64_t matrix_shard_cell_cost_ns(const matrix_cell_t *c);

/* Assigns every cell of m to one of n shards (m->shard_of[i] in 0..n-1, m->shard_n = n)
 * and, when cost_ns is not NULL, writes each shard's expected time (cost_ns[0..n-1],
 * warm-ups included). Returns 0, or -1 on out of memory (m unchanged). */
int matrix_shard_assign(matrix_t *m, unsigned n, uint64_t *cost_ns);

#endif
