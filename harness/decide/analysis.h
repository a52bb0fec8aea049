/* analysis.h: the decision model of a poolbench report, built from a loaded journal.
 *
 * What it is for: every output (summary.json, report.md/.html, samples.csv, bench.txt,
 * charts) reads this one in-memory model, so they cannot disagree. analysis_build()
 * collects the arms (arms.h; time as wall_ns/ops unrounded, cells in repetition order),
 * lists failed cells (a backend with any failed cell in a scenario is DISQUALIFIED
 * there), compares each pooled arm with the plain code (Branch B) and with
 * allocate-instead, decides per verdict, per class (headline only) and overall, answers
 * the side questions (allocator_vs_pool, zeroing_cost) and collects warnings. The rules,
 * the headline/what-if split, the cost/evidence split and the Holm families are
 * documented in analysis.c's header.
 * Guarantees: deterministic for a journal + thresholds (seeded bootstrap); every
 * allocation checked (-1 "out of memory"); the journal is only read and must outlive the
 * model (names and cells point into it). What it must not do: print, exit, write files.
 */
#ifndef PB_ANALYSIS_H
#define PB_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "arms.h"
#include "journal.h"
#include "metrics.h"
#include "stats.h"
#include "thresholds.h"

#define ANALYSIS_ERR_BYTES 1024
#define ANALYSIS_NAME_BYTES ARMS_NAME_BYTES
#define ANALYSIS_VARIANT_BYTES ARMS_VARIANT_BYTES
#define ANALYSIS_TEXT_BYTES 512

/* Index of every PB_METRICS metric (ANALYSIS_M_wall_ns, ANALYSIS_M_ns_per_op, ...): the
 * report's names for arms.h's ARMS_M_* (generated from the same list: same values). */
typedef enum analysis_metric {
#define ANALYSIS_METRIC_ENUM(name, kind, desc) ANALYSIS_M_##name = ARMS_M_##name,
    PB_METRICS(ANALYSIS_METRIC_ENUM)
#undef ANALYSIS_METRIC_ENUM
    ANALYSIS_METRIC_COUNT = ARMS_METRIC_COUNT
} analysis_metric_t;

/* An arm and its per-metric statistics are arms.h's (collected with the report's choices:
 * time = the journal's integer ns_per_op, cells in repetition order). */
typedef arms_stat_t analysis_arm_stat_t;
typedef arms_arm_t analysis_arm_t;

/* A cell whose status is not "ok". */
typedef struct analysis_failed {
    json_object *cell;        /* borrowed                                              */
    const char *scenario, *backend, *policy, *variant, *status, *key;
    long long rep;
    size_t arm;               /* index into model arms                                 */
} analysis_failed_t;

typedef enum analysis_method {
    ANALYSIS_METHOD_MWU,      /* Mann-Whitney p + bootstrap ratio CI                   */
    ANALYSIS_METHOD_EXACT,    /* both arms constant: ratio of the constants, no p      */
    ANALYSIS_METHOD_PAIRED    /* time whose arms pair up by repetition (arms_pairs):
                                 trimmed paired t of the log ratios + its t interval   */
} analysis_method_t;

/* The statistical families: p-values are Holm-adjusted within one family only, so a
 * question never pays for another's tests (ANALYSIS_FAMILY_COUNT of them). */
typedef enum analysis_family {
    ANALYSIS_FAMILY_HEADLINE,     /* cost comparisons of the headline configuration    */
    ANALYSIS_FAMILY_SENSITIVITY,  /* cost comparisons of the what-if variants          */
    ANALYSIS_FAMILY_EVIDENCE,     /* allocation calls, simulated cleanup cycles        */
    ANALYSIS_FAMILY_EXPLAIN,      /* the pool against "allocate instead" (policy none)  */
    ANALYSIS_FAMILY_QUESTIONS,    /* allocator_vs_pool and zeroing_cost                */
    ANALYSIS_FAMILY_COUNT
} analysis_family_t;

/* A comparison's role in the rules: a cost that exists in that process (time, peak
 * memory, and real GC cycles and pauses where a collector runs) decides; evidence
 * (allocation calls, simulated cleanup cycles on the C backends) and the explanation
 * (the pool against allocate-instead) are reported and never vote. */
typedef enum analysis_role {
    ANALYSIS_ROLE_COST,
    ANALYSIS_ROLE_EVIDENCE,
    ANALYSIS_ROLE_EXPLAIN
} analysis_role_t;

typedef struct analysis_comparison {
    const char *scenario, *backend, *variant;   /* point into arms[arm_a]             */
    char cls[ANALYSIS_NAME_BYTES];              /* pool class, or "all"               */
    analysis_metric_t metric;
    const char *metric_name;                    /* PB_METRICS name                    */
    const char *group;                          /* "time", "memory", "gc", "pressure" */
    analysis_role_t role;
    analysis_family_t family;
    size_t arm_a, arm_b;                        /* indices into model arms: a is the
                                                   baseline (plain, or none), b pooled */
    analysis_method_t method;
    const char *method_name;                    /* "exact", "mannwhitneyu", "paired_t" */
    const char *mwu_method;                     /* "exact"/"asymptotic"; NULL otherwise */
    size_t n_a, n_b;                            /* each arm's samples                  */
    size_t n_pairs;                             /* paired: the pairs tested; else 0    */
    double *pair_a, *pair_b;                    /* paired: their values (n_pairs each,
                                                   owned by the model); else NULL      */
    long long *pair_reps;                       /* paired: their repetition indices    */
    double median_a, median_b;
    double ratio;                               /* median_b/median_a; paired: the
                                                   geometric mean of the pair ratios;
                                                   NAN if undefined                    */
    double t_statistic;                         /* paired: t (stats_paired_t); else NAN */
    double paired_df, paired_se_log;            /* paired: its df and the standard error
                                                   of the trimmed mean log ratio; NAN  */
    double ci_lo, ci_hi;                        /* NAN when undefined                  */
    int ci_status;                              /* stats status of the bootstrap      */
    double u1;                                  /* Mann-Whitney U of sample a; NAN exact */
    double p_value, p_adjusted;                 /* NAN for method exact                */
    bool deterministic_expected;                /* counts on a single-threaded kernel */
    bool count_varies;                          /* expected constant but varies        */
    bool cross_host;                            /* the arms ran on different hosts, or an
                                                   arm on several (arms_same_host)       */
    const char *note;                           /* e.g. "baseline median is 0"; or NULL */
} analysis_comparison_t;

typedef enum analysis_verdict_kind {
    ANALYSIS_KEEP,
    ANALYSIS_REMOVE,
    ANALYSIS_INCONCLUSIVE,
    ANALYSIS_DISQUALIFIED
} analysis_verdict_kind_t;

/* Rule names (static strings, also the JSON values): "speedup", "peak_memory",
 * "pressure" (KEEP); "worse", "equivalence", "no_benefit" (REMOVE); "undecided",
 * "too_few_samples", "no_data", "cross_host" (INCONCLUSIVE); "failed_cells"
 * (DISQUALIFIED). */
typedef struct analysis_verdict {
    const char *scenario, *backend, *variant;
    char cls[ANALYSIS_NAME_BYTES];
    bool headline;                       /* the Go code's configuration: votes          */
    char setting[ANALYSIS_VARIANT_BYTES];/* sensitivity: what differs from the headline
                                            ("zero_on_put=off", "backend=glibc-mmap128k",
                                            "scenario=monitored_build"); "" headline     */
    const char *baseline_policy;         /* "plain" (Branch B) or "none" (older journals) */
    size_t *explain;                     /* the pool against "none": explanation        */
    size_t n_explain;
    analysis_verdict_kind_t verdict;
    const char *rule;
    /* the numbers that fired the rule (metric < 0 when no single metric did, e.g.
       equivalence lists all comparisons; too_few_samples gives n_a/n_b) */
    int metric;                          /* analysis_metric_t or -1                   */
    double ratio, ci_lo, ci_hi, p_adjusted, threshold;
    size_t n_a, n_b;
    char detail[ANALYSIS_TEXT_BYTES];    /* one English sentence with the numbers      */
    size_t reps_needed;                  /* INCONCLUSIVE: per arm; 0 = not estimable   */
    size_t *comparisons;                 /* indices into model comparisons             */
    size_t n_comparisons;
    size_t *failed;                      /* DISQUALIFIED: indices into model failed    */
    size_t n_failed;
} analysis_verdict_t;

/* Class verdict (rule in analysis.c): basis = reference backend's headline verdicts when
 * it has any for the class, else every C backend's; the Go runtime's own class verdicts
 * (basis "go") are kept apart (runtime_classes). */
typedef struct analysis_class_verdict {
    char cls[ANALYSIS_NAME_BYTES];
    char settle[ANALYSIS_TEXT_BYTES];    /* INCONCLUSIVE: what would settle it            */
    analysis_verdict_kind_t verdict;     /* KEEP, REMOVE or INCONCLUSIVE               */
    const char *rule;                    /* "keep_somewhere_worse_nowhere",
                                            "remove_everywhere", "mixed", "no_evidence" */
    char basis[ANALYSIS_NAME_BYTES];     /* backend name, or "all backends"            */
    size_t n_keep, n_remove, n_worse, n_inconclusive, n_disqualified;
} analysis_class_verdict_t;

/* The overall answer names what it found: KEEP_SOME only with at least one KEEP class,
 * REMOVE_ALL only when every class is REMOVE, KEEP_ALL only when every class is KEEP,
 * otherwise UNDECIDED (with the classes and what would settle each). */
typedef enum analysis_overall_kind {
    ANALYSIS_REMOVE_ALL,
    ANALYSIS_KEEP_SOME,
    ANALYSIS_KEEP_ALL,
    ANALYSIS_UNDECIDED,
    ANALYSIS_NO_DATA                     /* no class verdict at all                    */
} analysis_overall_kind_t;

/* A what-if that would change a class's verdict: the class verdict computed from the
 * verdicts of one sensitivity setting (on the basis backend) differs from the headline's. */
typedef struct analysis_flip {
    char cls[ANALYSIS_NAME_BYTES];
    char setting[ANALYSIS_VARIANT_BYTES];
    analysis_verdict_kind_t headline, what_if;
    char why[ANALYSIS_TEXT_BYTES];       /* the deciding verdict's detail               */
} analysis_flip_t;

/* "Does no pool on a better allocator match pool on glibc?": for each scenario x
 * variant and backend X != glibc with a "none" arm: a = glibc's pooled arm ("all", else
 * its only non-none policy), b = X's "none" arm; time metric; ratio b/a. */
typedef struct analysis_avp {
    const char *scenario, *variant, *backend;
    size_t arm_a, arm_b;
    analysis_metric_t metric;
    size_t n_a, n_b;
    double median_a, median_b, ratio, ci_lo, ci_hi, u1, p_value, p_adjusted;
    const char *mwu_method;
    const char *answer;   /* "matches" (CI within +-equivalence), "faster", "slower",
                             "unclear", "too_few_samples", "disqualified", "cross_host"
                             (the two arms ran on different hosts: refused) */
} analysis_avp_t;

/* Cost of zeroing on put: pooled arms whose variants differ only in zero_on_put;
 * a = off, b = on; time metric; ratio on/off. */
typedef struct analysis_zeroing {
    const char *scenario, *backend, *policy;
    char variant[ANALYSIS_VARIANT_BYTES];  /* the variant without zero_on_put           */
    size_t arm_a, arm_b;
    analysis_metric_t metric;
    size_t n_a, n_b;
    double median_a, median_b, ratio, ci_lo, ci_hi, u1, p_value, p_adjusted;
    const char *mwu_method;
} analysis_zeroing_t;

/* Warning kinds (static strings): "too_few_samples", "high_spread", "outliers",
 * "disqualified", "noisy_machine", "count_varies", "truncated_journal",
 * "duplicate_cells", "wrong_result", "degenerate", "cross_host" (one per verdict,
 * allocator_vs_pool row or zeroing_cost row whose arms ran on different hosts). */
typedef struct analysis_warning {
    const char *kind;
    char scenario[ANALYSIS_NAME_BYTES], backend[ANALYSIS_NAME_BYTES],
        policy[ANALYSIS_NAME_BYTES], variant[ANALYSIS_VARIANT_BYTES]; /* "" = n/a */
    char message[ANALYSIS_TEXT_BYTES];
    char advice[ANALYSIS_TEXT_BYTES];
} analysis_warning_t;

typedef struct analysis_model {
    const journal_t *journal;            /* borrowed                                  */
    arms_model_t arm_model;              /* owns the arms below                       */
    json_object *context;                /* borrowed: journal->context (may be NULL)   */
    thresholds_t th;
    analysis_arm_t *arms;             size_t n_arms;                 /* = arm_model's */
    analysis_failed_t *failed;        size_t n_failed;
    analysis_comparison_t *comparisons; size_t n_comparisons;
    analysis_verdict_t *verdicts;     size_t n_verdicts;
    analysis_class_verdict_t *classes; size_t n_classes;
    analysis_class_verdict_t *runtime_classes; size_t n_runtime_classes; /* basis "go" */
    analysis_flip_t *flips;           size_t n_flips;
    analysis_overall_kind_t overall;
    const char **keep_classes;        size_t n_keep_classes;         /* point into classes */
    const char **inconclusive_classes; size_t n_inconclusive_classes;
    analysis_avp_t *avp;              size_t n_avp;
    analysis_zeroing_t *zeroing;      size_t n_zeroing;
    analysis_warning_t *warnings;     size_t n_warnings;
    long long pool_code_lines;           /* from context; -1 when absent               */
    size_t holm_family_size;             /* p-values of the headline family             */
    /* adaptive repetitions (harness/adaptive/): looks taken and planned; with more than
       one look planned, every test runs at alpha / looks_planned and every interval at
       1 - (1 - confidence) / looks_planned (a Bonferroni split over the looks), so that
       looking and adding repetitions does not inflate false alarms; th holds those */
    size_t n_looks, looks_planned;
    double alpha_nominal, confidence_nominal;
    size_t family_size[ANALYSIS_FAMILY_COUNT]; /* p-values adjusted together, per family */
} analysis_model_t;

/* Builds the model. th NULL = defaults. Returns 0, or -1 with err (out of memory or a
 * statistics error that is a bug). */
int analysis_build(const journal_t *j, const thresholds_t *th, analysis_model_t *out,
                   char err[ANALYSIS_ERR_BYTES]);

/* The same, for a look of the adaptive repetitions: at least looks_planned looks are
 * planned, whatever the journal says yet (its first look line is written after the
 * analysis that decides what it adds). */
int analysis_build_planned(const journal_t *j, const thresholds_t *th, size_t looks_planned,
                           analysis_model_t *out, char err[ANALYSIS_ERR_BYTES]);

void analysis_free(analysis_model_t *m);

/* Arm lookup is arms_find(&m->arm_model, ...); an arm's primary time metric is its
 * time_metric (ns_per_op when it has any, else wall_ns). */

const char *analysis_metric_name(analysis_metric_t m);        /* PB_METRICS name       */
const char *analysis_verdict_name(analysis_verdict_kind_t v);  /* "KEEP", ...           */
const char *analysis_overall_name(analysis_overall_kind_t o);  /* "REMOVE_ALL", ...     */
const char *analysis_family_name(analysis_family_t f);         /* "headline", ...       */
const char *analysis_role_name(analysis_role_t r);             /* "cost", ...           */

#endif
