/* decide_synth.h: synthetic results journals for the decision tests (header-only).
 *
 * What it is for: tests of analysis.c / summary_json.c write a results.jsonl shaped like
 * the driver's (context line, then one cell line per run) with samples drawn from known
 * distributions (xoshiro256** from stats.h + Box-Muller), so each test controls the truth
 * it checks the verdicts against. Guarantees: deterministic for a seed; keys unique.
 * Must not: be used outside tests.
 */
#ifndef PB_DECIDE_SYNTH_H
#define PB_DECIDE_SYNTH_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"

typedef struct synth_arm {
    const char *scenario, *workload, *backend, *policy, *variant;
    int threads;            /* config threads                                       */
    int n;                  /* cells                                                */
    double time_ns;         /* mean ns_per_op                                       */
    double time_rel_sd;     /* relative standard deviation of ns_per_op             */
    double peak_bytes;      /* peak_live_bytes (constant)                           */
    double rss_bytes;       /* mean max_rss_bytes                                   */
    double rss_rel_sd;
    long long alloc_calls;  /* constant                                             */
    long long alloc_jitter; /* > 0: alloc_calls += uniform [0, jitter) per cell     */
    long long pool_cycles;  /* constant                                             */
    int fail_rep;           /* >= 0: that rep gets status fail_status               */
    const char *fail_status;
    uint64_t seed;
    int rep_base;           /* the cells' repetition indices start here (another
                               arm's base makes the two arms unpaired)              */
    int spell_from, spell_to;   /* reps in [from, to) run spell_factor times slower
                                   (a host slow spell, as in both arms of a block)   */
    double spell_factor;
} synth_arm_t;

static inline double synth_normal(stats_rng_t *r)
{
    double u1 = ((double)(stats_rng_next_u64(r) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((double)(stats_rng_next_u64(r) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Starts a journal at path with a context block (pool_code_lines < 0: absent). */
static inline FILE *synth_open(const char *path, long long pool_code_lines)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    if (pool_code_lines >= 0)
        fprintf(f, "{\"type\":\"context\",\"schema_version\":1,\"seed\":1,"
                   "\"pool_code_lines\":%lld,\"cpu\":\"synthetic\"}\n", pool_code_lines);
    else
        fprintf(f, "{\"type\":\"context\",\"schema_version\":1,\"seed\":1}\n");
    return f;
}

static inline void synth_write(FILE *f, const synth_arm_t *a)
{
    stats_rng_t r;
    stats_rng_seed(&r, a->seed);
    const char *variant = a->variant ? a->variant : "";
    /* the config the engine journals for the swept settings of the variant */
    char config[160];
    snprintf(config, sizeof config, "\"threads\":%d,\"zero_on_put\":%s,\"standard_alloc\":\"%s\"",
             a->threads, strstr(variant, "zero_on_put=off") ? "false" : "true",
             strstr(variant, "standard_alloc=malloc") ? "malloc" : "calloc");
    for (int i = 0; i < a->n; i++) {
        int rep = a->rep_base + i;
        double t = a->time_ns * (1.0 + a->time_rel_sd * synth_normal(&r));
        if (i >= a->spell_from && i < a->spell_to)
            t *= a->spell_factor;
        if (t < 1)
            t = 1;
        double rss = a->rss_bytes * (1.0 + a->rss_rel_sd * synth_normal(&r));
        long long calls = a->alloc_calls;
        if (a->alloc_jitter > 0)
            calls += (long long)stats_rng_below(&r, (uint64_t)a->alloc_jitter);
        int failed = i == a->fail_rep;
        long long ns = (long long)llround(t);
        fprintf(f,
                "{\"type\":\"cell\",\"key\":\"%s-%s-%s-%s-%d\",\"scenario\":\"%s\","
                "\"workload\":\"%s\",\"mode\":\"cell\",\"backend\":\"%s\",\"policy\":\"%s\","
                "\"variant\":\"%s\",\"config\":{%s},\"rep\":%d,\"status\":\"%s\","
                "\"result\":\"abc\",\"source\":\"runner\",\"metrics\":",
                a->scenario, a->backend, a->policy, variant, rep, a->scenario, a->workload,
                a->backend, a->policy, variant, config, rep,
                failed ? a->fail_status : "ok");
        if (failed)
            fprintf(f, "{\"wall_ns\":null,\"ns_per_op\":null}}\n");
        else
            fprintf(f,
                    "{\"wall_ns\":%lld,\"ns_per_op\":%lld,\"ops\":1000,\"peak_live_bytes\":%lld,"
                    "\"max_rss_bytes\":%lld,\"alloc_calls\":%lld,\"pool_cycles\":%lld,"
                    "\"bytes_per_op\":64,\"allocs_per_op\":1}}\n",
                    ns * 1000, ns, (long long)a->peak_bytes, (long long)llround(rss), calls,
                    a->pool_cycles);
    }
}

/* A typical arm: time_ns with 2 % noise, constant memory and counts. */
static inline synth_arm_t synth_arm(const char *scenario, const char *backend,
                                    const char *policy, int n, double time_ns, uint64_t seed)
{
    synth_arm_t a = {
        .scenario = scenario, .workload = "checksum", .backend = backend, .policy = policy,
        .variant = "", .threads = 1, .n = n, .time_ns = time_ns, .time_rel_sd = 0.02,
        .peak_bytes = 1048576, .rss_bytes = 8388608, .rss_rel_sd = 0.002,
        .alloc_calls = 100, .alloc_jitter = 0, .pool_cycles = 0, .fail_rep = -1,
        .fail_status = "signal:11", .seed = seed, .rep_base = 0, .spell_from = 0,
        .spell_to = 0, .spell_factor = 1.0,
    };
    return a;
}

#endif
