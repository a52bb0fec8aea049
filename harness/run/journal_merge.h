/* journal_merge.h: `poolbench merge`: shard journals of one matrix into one journal.
 *
 * Combines the inputs (folders or results.jsonl files) into OUT/results.jsonl: the first
 * input's context block with "merged_from" (each input's journal, shard, seed, host and
 * whole context block) and shard "merged", then every cell once (by key: a later
 * duplicate is dropped) with "origin": {"journal": its input's index in merged_from,
 * "shard", "host"} (kept as it is when the input was itself a merge), then the
 * cross-check of results across shards (wrong_result corrections appended), then every
 * input's "look" records (adaptive repetitions), each with the same "origin". The report
 * reads origin to refuse comparisons whose arms ran on different hosts (analysis.c).
 * Guarantees: refuses inputs of different matrices (matrix_hash) or schema versions and
 * an OUT that already holds a journal, before writing anything; holds OUT/.lock.
 * Messages go to stderr ("poolbench merge: ...").
 */
#ifndef PB_JOURNAL_MERGE_H
#define PB_JOURNAL_MERGE_H

#include <stddef.h>

/* Returns 0, 2 (bad input) or 3 (cannot write). */
int journal_merge(const char *out, const char *const *inputs, size_t n_inputs);

#endif
