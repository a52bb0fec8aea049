/* export_gobench.h: DIR/bench.txt, the journal in Go benchmark text format, so that Go
 * engineers can cross-check poolbench's verdicts with benchstat.
 *
 * Output (golang.org/x/perf/benchfmt grammar):
 *   configuration lines "key: value" (goos, goarch, pkg, cpu, then commit, seed, kernel,
 *   glibc, and backend versions), keys lowercase without spaces;
 *   then one line per sample whose status is "ok", in journal order:
 *   BenchmarkW/scenario=S/backend=B/policy=P[/k=v...]-N  ITERS  T ns/op  Y B/op  Z allocs/op
 *   W is the workload in CamelCase (checksum_concurrent -> ChecksumConcurrent); the
 *   variant's "k=v" pairs become further name parts; N is the context's cores. Name parts
 *   are sanitized: whitespace, '/', and control characters become '_'. ITERS is the
 *   sample's ops (1 when unknown). B/op and allocs/op are alloc_bytes/ops and
 *   alloc_calls/ops (or bytes_per_op / allocs_per_op) and appear only when measured:
 *   hyperfine-sourced samples have only ns/op (wall_ns / ops when ns_per_op is null).
 * Samples with no time at all are skipped (counted in *skipped).
 * Nothing here prints to the terminal or exits.
 */
#ifndef PB_EXPORT_GOBENCH_H
#define PB_EXPORT_GOBENCH_H

#include <stddef.h>
#include <stdio.h>
#include "journal.h"

/* Writes bench.txt. Returns the number of benchmark lines, or -1 on a write error or out
 * of memory. skipped (may be NULL) gets the number of ok samples without a time. */
long export_gobench_write(const journal_t *j, FILE *out, size_t *skipped);

/* The benchmark name of a cell without the "-N" suffix, e.g.
 * "BenchmarkChecksum/scenario=single/backend=glibc/policy=all/size=1M". Returns 0, or -1
 * when it does not fit in cap. */
int export_gobench_name(json_object *cell, char *buf, size_t cap);

#endif
