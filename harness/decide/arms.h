/* arms.h: the one model of arms and of the comparison of two arms, shared by the report
 * (analysis.c, summary.c), the regression gate (gate_compare.c) and, through the gate,
 * calibration.
 *
 * What it is for: an arm is every cell of one scenario x backend x policy x variant.
 *  - arms_collect() groups a journal's cells into arms (in order of first appearance):
 *    every cell and the ok cells of each arm, failed and total counts, the failed cells
 *    of the journal in journal order, every PB_METRICS value of the ok cells as samples,
 *    the time samples of the chosen time metric (from the uninstrumented cells when the
 *    arm has any, the counts then from the counting cells: instrument_split), the
 *    result digest of the ok cells (and
 *    whether they disagree), and per metric the median with its distribution-free CI,
 *    the MAD, min, max and whether the arm is constant.
 *  - arms_compare() compares two sample vectors: medians, a seeded percentile bootstrap
 *    CI of the ratio of medians and a two-sided Mann-Whitney p (the statistical method),
 *    or, when the caller allows it and every sample of each vector is identical, the
 *    exact ratio of the two constants (deterministic counts).
 *  - arms_pairs() pairs two arms' samples of a metric by repetition index, and
 *    arms_compare_paired() compares such pairs: the trimmed paired t test of the log
 *    ratios and its CI (stats.h, stats_paired_log_ratio). The matrix runs the arms'
 *    cells of one repetition index in one shuffled block (adaptive repetitions: a block
 *    of a few cells), so a pair shares the host's state of the moment.
 *  - arms_family_*(): Holm's correction over one family of p-values.
 *
 * Choices every caller makes explicitly (arms_options_t), because they change results:
 *  - the time metric (arms_time_t). The report reads the journal's integer ns_per_op
 *    (ARMS_TIME_JOURNAL_NS_PER_OP); the gate reads wall_ns / ops unrounded
 *    (ARMS_TIME_EXACT_WALL_PER_OP): the journal's ns_per_op is truncated, a 3 % step at
 *    ~35 ns/op. Issue 8 will make the report exact too; until then both are kept.
 *  - the order of the samples (arms_order_t): the bootstrap draws indices, so the order
 *    is part of the result. The decision model orders an arm's cells by repetition (so
 *    the bootstrap does not depend on the run's shuffle); the gate and summary.md keep
 *    journal order.
 *  - a scenario filter and whether cells without a scenario, backend or policy are
 *    skipped (the gate) or grouped under "" (the report).
 *
 * Guarantees: deterministic for a journal and options; statistics only from pb_stats;
 * every allocation checked (-1, nothing leaked); the journal is only read and must
 * outlive the model (cells point into it).
 * What it must not do: decide (thresholds, verdicts and gate statuses belong to the
 * callers), print, exit or write files.
 */
#ifndef PB_ARMS_H
#define PB_ARMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "journal.h"
#include "metrics.h"
#include "stats.h"

#define ARMS_NAME_BYTES 64
#define ARMS_VARIANT_BYTES 160
#define ARMS_RESULT_BYTES 160   /* results are kept and compared on their first 159 chars */

/* Index of every PB_METRICS metric (ARMS_M_wall_ns, ARMS_M_ns_per_op, ...). */
typedef enum arms_metric {
#define ARMS_METRIC_ENUM(name, kind, desc) ARMS_M_##name,
    PB_METRICS(ARMS_METRIC_ENUM)
#undef ARMS_METRIC_ENUM
    ARMS_METRIC_COUNT
} arms_metric_t;

/* What an arm's time samples (arms_arm_t.time) are. */
typedef enum arms_time {
    /* the report: the journal's integer ns_per_op; an arm without any (hyperfine cells)
       uses its wall_ns. Issue 8 will make the report exact too. */
    ARMS_TIME_JOURNAL_NS_PER_OP,
    /* the gate: per cell wall_ns / ops unrounded, else the journal's ns_per_op, else
       wall_ns (hyperfine cells) */
    ARMS_TIME_EXACT_WALL_PER_OP,
    /* the report: the ns_per_op samples themselves are wall_ns / ops unrounded where a
       cell has both (the journal's integer is a 1-20 % step at 5-100 ns per op), else
       the journal's; an arm without any uses its wall_ns, as the journal choice */
    ARMS_TIME_EXACT_NS_PER_OP
} arms_time_t;

/* The order of an arm's ok cells, hence of its samples. */
typedef enum arms_order {
    ARMS_ORDER_JOURNAL,      /* the journal's order (gate, summary.md, compare)          */
    ARMS_ORDER_REPETITION    /* by rep, then key (the decision model)                    */
} arms_order_t;

typedef struct arms_options {
    arms_time_t time;
    arms_order_t order;
    double confidence_level;  /* of the per-arm median CIs (arms_stat_t), in (0, 1)      */
    const char *scenarios;    /* comma list: only these scenarios; NULL = every one      */
    bool skip_unnamed;        /* cells without scenario, backend or policy are skipped
                                 (true) or grouped under "" (false)                      */
} arms_options_t;

/* Per-arm statistics of one metric (ok cells where the metric is present). */
typedef struct arms_stat {
    size_t n;                 /* samples present                                         */
    double median;            /* NAN when n == 0                                         */
    double ci_lo, ci_hi;      /* distribution-free CI of the median; NAN when
                                 ci_status != STATS_OK (e.g. n < 6 at 95 %)              */
    int ci_status;            /* stats_status_t of stats_median_ci                       */
    double mad;               /* unscaled MAD; NAN when n == 0                           */
    double min, max;          /* NAN when n == 0                                         */
    bool constant;            /* n > 0 and every sample equal                            */
} arms_stat_t;

typedef struct arms_arm {
    char scenario[ARMS_NAME_BYTES];
    char workload[ARMS_NAME_BYTES];
    char mode[ARMS_NAME_BYTES];          /* "cell", "concurrent", "hyperfine" or ""        */
    char backend[ARMS_NAME_BYTES];
    char policy[ARMS_NAME_BYTES];
    char variant[ARMS_VARIANT_BYTES];    /* "" when nothing is swept                       */
    char source[ARMS_NAME_BYTES];        /* "runner", "group", "hyperfine" (first cell)    */
    long long threads;                   /* config threads; 0 = unset/default              */
    bool counts_deterministic;           /* arms_counts_deterministic of the first cell    */
    json_object **all_cells;             /* every cell, journal order (borrowed)           */
    size_t n_total;
    json_object **cells;                 /* ok cells, in the model's order (borrowed)      */
    size_t n_cells;
    size_t n_failed;                     /* cells whose status is not "ok"                 */
    /* samples[m][i], i < stat[m].n: metric m of the ok cells where it is present */
    double *samples[ARMS_METRIC_COUNT];
    /* reps[m][i]: the repetition index of the cell of samples[m][i] (-1: none recorded) */
    long long *reps[ARMS_METRIC_COUNT];
    arms_stat_t stat[ARMS_METRIC_COUNT];
    double *time;                        /* time samples of the model's arms_time_t        */
    size_t n_time;
    arms_metric_t time_metric;           /* what `time` is named: ns_per_op, or wall_ns
                                            for an arm without ns_per_op (report choice) */
    /* true when the arm has cells of the uninstrumented runner ("instrument": "bare"):
       its time, memory-of-the-process, fault and switch samples come from those only,
       its count samples (alloc_*, *_per_op, peak_live_bytes, pool_*) from the cells of
       the counting runner only (issue 12: the counting front end costs 11-14 ns per
       malloc+free, which would tilt nanosecond kernels towards the pool) */
    bool instrument_split;
    char result[ARMS_RESULT_BYTES];      /* first ok cell's result digest; "" if none      */
    bool result_mixed;                   /* ok cells disagree on the result                */
    /* where the cells ran (arms_cell_origin): the host and shard of the first cell, and
       whether any other cell of the arm names another (a merge of shards, issue 11) */
    const char *host, *shard;            /* borrowed; "" when the journal does not say     */
    bool host_mixed, shard_mixed;
} arms_arm_t;

/* A cell whose status is not "ok", in journal order. */
typedef struct arms_failed {
    json_object *cell;        /* borrowed                                                */
    size_t arm;               /* index into arms                                         */
} arms_failed_t;

typedef struct arms_model {
    const journal_t *journal;            /* borrowed                                      */
    arms_options_t opt;
    arms_arm_t *arms;       size_t n_arms;
    arms_failed_t *failed;  size_t n_failed;
} arms_model_t;

/* Collects the arms of a journal. Returns 0, or -1 on out of memory (out is freed). */
int arms_collect(const journal_t *j, const arms_options_t *opt, arms_model_t *out);

void arms_free(arms_model_t *m);

/* Where a cell of journal j ran: its "origin" object (written by `poolbench merge`:
 * host, shard and which input journal) when it has one, else the journal's context block
 * (host, shard). Strings are borrowed; "" when neither says. */
void arms_cell_origin(const journal_t *j, json_object *cell, const char **host,
                      const char **shard);

/* Do arms a and b run on one host (each arm on one host, the same one)? */
bool arms_same_host(const arms_arm_t *a, const arms_arm_t *b);

/* Index of the arm, or -1. variant NULL means "". */
long arms_find(const arms_model_t *m, const char *scenario, const char *backend,
               const char *policy, const char *variant);

/* The report's time metric of a pair of arms: ns_per_op when both have it, else wall_ns
 * (ARMS_TIME_JOURNAL_NS_PER_OP; the gate compares arms_arm_t.time instead). */
arms_metric_t arms_pair_time_metric(const arms_arm_t *a, const arms_arm_t *b);

const char *arms_metric_name(arms_metric_t m);   /* PB_METRICS name, "?" out of range */
int arms_metric_index(const char *name);         /* arms_metric_t, or -1              */

/* Does the workload/config make the allocation counts deterministic? False for threads
 * > 1, a mode other than "cell" (or ""), no workload, and the multi-threaded workloads
 * checksum_concurrent, tar_create_concurrent, tar_create, build and pool_churn. */
bool arms_counts_deterministic(const char *workload, const char *mode, long long threads);

/* ---- comparing two sample vectors (a = baseline, b = candidate; ratio b/a) ---------- */

typedef enum arms_method {
    ARMS_METHOD_STATISTICAL,  /* Mann-Whitney p + bootstrap CI of the ratio of medians   */
    ARMS_METHOD_EXACT,        /* both vectors constant: the ratio of the constants       */
    ARMS_METHOD_PAIRED        /* trimmed paired t of the log ratios + CI (arms_pairs)    */
} arms_method_t;

typedef struct arms_compare_options {
    double confidence_level;  /* of the bootstrap CI                                     */
    size_t resamples;         /* bootstrap resamples; 0 = STATS_BOOTSTRAP_MIN_RESAMPLES  */
    uint64_t seed;            /* bootstrap seed                                          */
    bool exact_when_constant; /* allow ARMS_METHOD_EXACT                                 */
} arms_compare_options_t;

typedef struct arms_comparison {
    arms_method_t method;
    size_t n_a, n_b;
    double median_a, median_b;  /* NAN when that vector is empty                         */
    /* statistical: median_b / median_a, NAN when median_a is 0 or a vector is empty;
       exact: the ratio of the constants, 1 when both are 0, +inf when only a is 0 */
    double ratio;
    int ci_status;              /* stats status of the bootstrap; STATS_OK when exact     */
    stats_ratio_ci_t ci;        /* estimate/lo/hi NAN unless the bootstrap set them;
                                   exact: lo = hi = estimate = ratio                     */
    int mwu_status;             /* stats status of Mann-Whitney; STATS_EINVAL when exact  */
    stats_mwu_t mwu;            /* u1 and p NAN unless mwu_status == STATS_OK            */
    stats_paired_t paired;      /* ARMS_METHOD_PAIRED: the test (p, t, n pairs)           */
} arms_comparison_t;

/* Compares a with b. An empty vector gives no statistics (both statuses STATS_EINVAL).
 * Returns 0, or -1 on out of memory. */
int arms_compare(const double *a, size_t na, const double *b, size_t nb,
                 const arms_compare_options_t *opt, arms_comparison_t *out);

/* The pairs of metric m of arms a and b by repetition index: a merge of the two arms'
 * samples on their repetition indices, in increasing order. Writes the pairs' values to
 * xa and xb and their indices to reps (each may be NULL; each must hold min(na, nb)
 * values) and returns how many. 0 when either arm's samples of m are not in strictly
 * increasing repetition order or lack an index (ARMS_ORDER_REPETITION gives that order
 * to every journal the matrix writes). */
size_t arms_pairs(const arms_arm_t *a, const arms_arm_t *b, arms_metric_t m, double *xa,
                  double *xb, long long *reps);

/* Compares paired samples (pair i: a[i], b[i]): medians of each side, and
 * stats_paired_log_ratio at opt->confidence_level: ratio = its geometric mean ratio, ci
 * its t interval (ci_status STATS_OK), paired its test (ARMS_METHOD_PAIRED). Both sides
 * constant and opt->exact_when_constant: the exact method, as arms_compare. Pairs the
 * paired test cannot take (a value <= 0, every log ratio equal) are compared unpaired
 * (arms_compare). Returns 0, or -1 on out of memory. */
int arms_compare_paired(const double *a, const double *b, size_t n,
                        const arms_compare_options_t *opt, arms_comparison_t *out);

/* ---- Holm over a family of p-values ------------------------------------------------- */

/* A family: p-values added one by one with where each adjusted value goes. */
typedef struct arms_family {
    double *p;
    double **adjusted;
    size_t n, cap;
} arms_family_t;

/* Adds p (NaN is skipped: no test, no member); *adjusted receives Holm's value.
 * Returns 0 or -1 on out of memory. */
int arms_family_add(arms_family_t *f, double p, double *adjusted);

/* Adjusts the family (Holm, stats_holm) and writes every member's adjusted p. Returns a
 * stats status: STATS_OK (also for an empty family), else nothing is written. */
int arms_family_adjust(arms_family_t *f);

void arms_family_free(arms_family_t *f);

#endif
