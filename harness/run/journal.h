/* journal.h: the results journal DIR/results.jsonl (JSON Lines, append-only).
 *
 * Line 1 is the context block {"type":"context",...}. Every further line is either a cell
 * {"type":"cell","key":HEX,...} written once when that cell finished, or a correction
 * {"type":"correction","key":HEX,"status":"wrong_result","expected":R,"got":R} appended
 * after the run when the cross-check of results (all ok cells of one scenario+input must
 * agree) finds a cell that disagrees with the reference: the reader applies corrections
 * to the cell they name, so the cell's status is the corrected one. A "look" line
 * {"type":"look","look":K,"looks_planned":N,...} records one look of the adaptive
 * repetitions (harness/adaptive/): what was analysed and which arms got more cells; the
 * reader keeps them in order (looks). Each line is written
 * with one write(2) and fsync'd, so a crash leaves at most one partial last line.
 *
 * Cell line fields (schema_version 1): type, key, arm_key, input_key, scenario, workload,
 * mode, backend, policy, variant, config {canonical values}, rep, status (ok, exit:N,
 * signal:N, timeout, wrong_result, bad_output, spawn:ERRNO), result (the kernel digest
 * or null), expected (when pinned or corrected), metrics {every PB_METRICS name: integer
 * or null when the source cannot measure it, e.g. hyperfine runs give only wall_ns},
 * pool_classes (runner's per-class counts or null), backend_version, source ("runner",
 * "group" or "hyperfine"), stderr (first 4 KiB), order (position in this run's plan),
 * finished_unix_ns, config.canonical (the text the key hashes), exit_code, signal,
 * bad_output_reason, and for concurrent groups "processes" (each process's metrics).
 * minor_faults, major_faults and the context switch counts are the child's wait4
 * values, replacing the runner's own (whole process, not a window); max_rss_bytes is
 * the runner's own VmHWM (runner/peak_rss.h: wait4's ru_maxrss holds the driver's
 * high-water mark), wait4's only when the runner reported none.
 * "instrument" is the runner's own: "bare" (pb-<backend>-bare: time, null counts) or
 * "counting" (pb-<backend>); absent for pb-go and hyperfine. "counting_repetition": true
 * marks an arm's extra counting cell of a split matrix (matrix_add_counting): its counts
 * are the arm's, its time is not a sample (decide/arms.c, report/export_gobench.c).
 *
 * The reader never prints or exits; it returns messages naming the file and line.
 */
#ifndef PB_JOURNAL_H
#define PB_JOURNAL_H

#include <json-c/json.h>
#include <stddef.h>
#include "metrics.h"

#define JOURNAL_FILE "results.jsonl"
#define JOURNAL_ERR_BYTES 1024

typedef struct journal {
    json_object *context;      /* owned; NULL when the file was empty               */
    json_object **cells;       /* owned; deduplicated by key (first wins)            */
    size_t n_cells;
    size_t n_corrections;
    size_t valid_bytes;        /* length of the complete lines                         */
    int truncated_line;        /* line number of a partial last line, or 0             */
    size_t n_duplicates;       /* cell lines whose key was already present             */
    const char **sorted_keys;  /* for journal_has                                      */
    json_object **looks;       /* owned: "look" lines of adaptive repetitions, in order */
    size_t n_looks;
} journal_t;

/* Loads a journal. A partial last line (no newline at its end: a write interrupted by a
 * crash or kill -9) is reported in truncated_line and skipped: it is never a record, the
 * complete lines before it are all used, and the next journal_append (or journal_truncate
 * on --resume) cuts it off. Returns 0; -1 when the file cannot be read or
 * a complete line is corrupt (err = "FILE:LINE: ..."). A missing file is an error. */
int journal_load(const char *path, journal_t *j, char err[JOURNAL_ERR_BYTES]);

/* Is a cell with this key present? */
int journal_has(const journal_t *j, const char *key);

void journal_free(journal_t *j);

/* Cuts the file back to valid_bytes (after a truncated last line). Returns 0 or -1. */
int journal_truncate(const char *path, size_t valid_bytes);

/* Appends one object as one line to fd (opened O_APPEND, one writer): first cuts off a
 * partial last line if the file has one, then writes the line (EINTR retried, a short
 * write continued), then fsyncs. When the line cannot be written whole (EFBIG under a
 * file-size limit, ENOSPC) the file is cut back to its size before the call, so it still
 * ends in a complete line. Returns 0 or -1 (errno). */
int journal_append(int fd, json_object *obj);

/* fsync, retried on EINTR. 0 or -1 (errno). */
int journal_fsync(int fd);

/* Takes DIR/.lock with a non-blocking flock. Returns the fd, -1 when another process
 * holds it (err says so, with its pid when known), -2 on another failure. */
int journal_lock(const char *dir, char err[JOURNAL_ERR_BYTES]);

/* Cross-checks results: per input_key, the reference is the pinned `expected` if any,
 * else the most common result of ok glibc/none cells, else the most common result of ok
 * cells. Every ok cell with a different result gets a correction object appended to
 * `corrections` (a json array, owned by the caller) and is changed in memory too.
 * Returns the number of corrections, or -1 on out of memory. */
int journal_verify_results(journal_t *j, json_object *corrections);

/* Which metrics a cell has (null or absent = 0), generated from PB_METRICS. */
typedef struct journal_present {
#define JOURNAL_PRESENT_FIELD(name, kind, desc) unsigned char name;
    PB_METRICS(JOURNAL_PRESENT_FIELD)
#undef JOURNAL_PRESENT_FIELD
} journal_present_t;

/* Reads obj's metrics (an object of PB_METRICS names; a cell line's "metrics"). Returns
 * the number present. */
int journal_metrics_get(json_object *metrics, pb_metrics_t *m, journal_present_t *present);

/* A new object with every PB_METRICS name: the value, or null when not present. */
json_object *journal_metrics_json(const pb_metrics_t *m, const journal_present_t *present);

/* Field helpers for cell objects: a string field or NULL; an int field or dflt. */
const char *journal_str(json_object *o, const char *field);
long long journal_int(json_object *o, const char *field, long long dflt);

#endif
