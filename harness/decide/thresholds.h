/* thresholds.h: the decision thresholds (scenarios/thresholds.ini), parsed with libinih.
 *
 * What it is for: the seed's decision matrix as editable numbers (keep / remove / gate
 * margins, alpha, minimum samples, bootstrap resamples and seed), read once per report.
 * Guarantees: thresholds_default() gives the seed's values; thresholds_load() starts from
 * the defaults, accepts only known sections and keys (each at most once), checks every
 * line for valid UTF-8 first and every value for syntax and range, and on any problem
 * fills err with exactly one message "FILE:LINE: what is wrong" (line 0 when the file
 * cannot be opened) and returns -1: the caller maps that to exit code 2.
 * What it must not do: print, exit, or decide anything (analysis.c applies the numbers).
 */
#ifndef PB_THRESHOLDS_H
#define PB_THRESHOLDS_H

#include <stdint.h>
#include <json-c/json.h>

#define THRESHOLDS_ERR_BYTES 1024
#define THRESHOLDS_NAME_BYTES 64
#define THRESHOLDS_FILE "thresholds.ini"

typedef struct thresholds {
    /* [keep]: KEEP when the whole ratio CI is past one of these */
    double speedup_percent;               /* 15: ns_per_op ratio CI high < 1/(1+0.15)   */
    double peak_memory_reduction_percent; /* 20: memory ratio CI high < 1-0.20          */
    double pressure_reduction_percent;    /* 30: alloc_calls/pool_cycles high < 1-0.30  */
    double worse_tolerance_percent;       /* 10: ...unless another metric is
                                             significantly worse with CI low > 1+0.10  */
    /* [remove] */
    double equivalence_percent;           /* 10: every metric's CI inside [0.90, 1.10]  */
    /* [gate] */
    double max_regression_percent;        /* 10: nightly gate threshold                 */
    double max_instructions_increase_percent; /* 3: the gate's instruction count of a
                                             kernel's window (valgrind, deterministic)  */
    /* [stats] */
    double alpha;                         /* 0.05 (Holm-adjusted p compared to it)      */
    double confidence_level;              /* 0.95 for medians and ratio CIs            */
    uint64_t min_samples_per_arm;         /* 4: fewer -> no claim                      */
    uint64_t bootstrap_resamples;         /* 10000 (>= STATS_BOOTSTRAP_MIN_RESAMPLES)   */
    uint64_t bootstrap_seed;              /* seed of every bootstrap of the report      */
    /* [warnings] */
    double high_spread_percent;           /* 10: MAD/median of an arm above -> warning  */
    double noisy_machine_percent;         /* 5: median MAD/median of all time arms above
                                             -> "noisy machine" warning                 */
    /* [decision] */
    char reference_backend[THRESHOLDS_NAME_BYTES]; /* "glibc": basis of class verdicts  */
    char source[512];                     /* the file read, or "defaults"               */
} thresholds_t;

/* The seed's values (above). */
void thresholds_default(thresholds_t *t);

/* Loads path over the defaults. A file that sets no key at all (empty, or comments only)
 * is refused. Returns 0, or -1 with err = "FILE:LINE: message" and *t
 * left at the defaults. */
int thresholds_load(const char *path, thresholds_t *t, char err[THRESHOLDS_ERR_BYTES]);

/* Derived ratio limits (b/a, b = pooled arm):
 *   keep_time_ratio     = 1 / (1 + speedup)          (CI high must be below)
 *   keep_memory_ratio   = 1 - peak_memory_reduction  (CI high must be below)
 *   keep_pressure_ratio = 1 - pressure_reduction     (CI high must be below)
 *   worse_ratio         = 1 + worse_tolerance        (CI low above blocks KEEP)
 *   equivalence_margin  = equivalence / 100          (stats_equivalence margin) */
double thresholds_keep_time_ratio(const thresholds_t *t);
double thresholds_keep_memory_ratio(const thresholds_t *t);
double thresholds_keep_pressure_ratio(const thresholds_t *t);
double thresholds_worse_ratio(const thresholds_t *t);
double thresholds_equivalence_margin(const thresholds_t *t);

/* A new json object with every field (and the derived ratios); NULL on out of memory. */
json_object *thresholds_json(const thresholds_t *t);

#endif
