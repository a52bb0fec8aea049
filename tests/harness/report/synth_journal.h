/* synth_journal.h: a synthetic but realistic results.jsonl for the output tests
 * (test_export.c, test_report.c). Header-only (static functions): include it once per test.
 *
 * synth_journal_write(path, reps) writes a context block and cells for:
 *  - single_build (tar_create): 5 backends x 6 policies (none, all, hash, tar, string,
 *    hash+tar); pooling "tar" is ~20 % faster on glibc, the rest is noise;
 *  - large_binaries (checksum): 5 backends x none/hash, no real difference;
 *  - pool_contention (checksum_concurrent): threads 1, 2, 4 x glibc/mimalloc x none/all;
 *  - buffer_sweep (checksum): hash_size 32K/64K/1M x glibc/jemalloc x none/hash;
 *  - zeroing (checksum): zero_on_put on/off x glibc x none/hash;
 *  - rapid_builds (hyperfine): glibc/mimalloc x none/all, only wall_ns;
 *  - one failed cell (signal:11) in single_build/tcmalloc/string.
 * Values are deterministic (xorshift noise). Returns the number of cell lines, -1 on error.
 * synth_arms_open / synth_arm_write build a journal arm by arm instead (any scenario,
 * backend including `go` with gc_cycles, policy including `plain`, config), for tests
 * that need a given decision.
 * The test expectations are computed from what is written, not hard-coded.
 */
#ifndef PB_SYNTH_JOURNAL_H
#define PB_SYNTH_JOURNAL_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

static uint64_t synth_rng_state = 88172645463325252ull;

static double synth_noise(void)   /* uniform in [-1, 1) */
{
    synth_rng_state ^= synth_rng_state << 13;
    synth_rng_state ^= synth_rng_state >> 7;
    synth_rng_state ^= synth_rng_state << 17;
    return (double)(synth_rng_state >> 11) / (double)(1ull << 52) - 1.0;
}

static long synth_counter;

static int synth_cell(FILE *f, const char *scenario, const char *workload, const char *mode,
                      const char *backend, const char *policy, const char *variant, int rep,
                      const char *status, const char *source, double ns_per_op, uint64_t ops,
                      uint64_t peak_live, uint64_t allocs_per_op_x, uint64_t cycles, long long threads)
{
    json_object *c = json_object_new_object();
    char key[72];
    snprintf(key, sizeof key, "%064lx", ++synth_counter);
    json_object_object_add(c, "type", json_object_new_string("cell"));
    json_object_object_add(c, "key", json_object_new_string(key));
    json_object_object_add(c, "scenario", json_object_new_string(scenario));
    json_object_object_add(c, "workload", json_object_new_string(workload));
    json_object_object_add(c, "mode", json_object_new_string(mode));
    json_object_object_add(c, "backend", json_object_new_string(backend));
    json_object_object_add(c, "policy", json_object_new_string(policy));
    json_object_object_add(c, "variant", json_object_new_string(variant));
    json_object *cfg = json_object_new_object();
    if (threads > 0)
        json_object_object_add(cfg, "threads", json_object_new_int64(threads));
    json_object_object_add(c, "config", cfg);
    json_object_object_add(c, "rep", json_object_new_int(rep));
    json_object_object_add(c, "status", json_object_new_string(status));
    int ok = strcmp(status, "ok") == 0;
    json_object_object_add(c, "result", ok ? json_object_new_string("ab12cd, \"quoted\"") : NULL);
    json_object_object_add(c, "source", json_object_new_string(source));
    json_object_object_add(c, "backend_version", json_object_new_string("synthetic 1.0"));
    json_object *m = json_object_new_object();
    int hf = strcmp(source, "hyperfine") == 0;
    double ns = ns_per_op * (1.0 + 0.03 * synth_noise());
    uint64_t wall = (uint64_t)(ns * (double)ops);
#define SYNTH_SET(name, val) json_object_object_add(m, #name, (val))
#define SYNTH_U(v) (ok ? json_object_new_int64((int64_t)(v)) : NULL)
    SYNTH_SET(wall_ns, hf ? json_object_new_int64((int64_t)ns) : SYNTH_U(wall));
    SYNTH_SET(user_ns, hf ? NULL : SYNTH_U(wall * 0.9));
    SYNTH_SET(sys_ns, hf ? NULL : SYNTH_U(wall * 0.05));
    SYNTH_SET(ns_per_op, hf ? NULL : SYNTH_U(ns));
    SYNTH_SET(ops, hf ? NULL : SYNTH_U(ops));
    SYNTH_SET(max_rss_bytes, hf ? NULL : SYNTH_U(peak_live + 6000000 + 100000 * synth_noise()));
    SYNTH_SET(peak_live_bytes, hf ? NULL : SYNTH_U(peak_live));
    SYNTH_SET(bytes_per_op, hf ? NULL : SYNTH_U(65536 * allocs_per_op_x / 10));
    SYNTH_SET(alloc_calls, hf ? NULL : SYNTH_U(allocs_per_op_x * ops / 10));
    SYNTH_SET(free_calls, hf ? NULL : SYNTH_U(allocs_per_op_x * ops / 10));
    SYNTH_SET(alloc_bytes, hf ? NULL : SYNTH_U(65536 * allocs_per_op_x * ops / 10));
    SYNTH_SET(allocs_per_op, hf ? NULL : SYNTH_U(allocs_per_op_x / 10));
    SYNTH_SET(minor_faults, hf ? NULL : SYNTH_U(1200));
    SYNTH_SET(major_faults, hf ? NULL : SYNTH_U(0));
    SYNTH_SET(pool_gets, hf ? NULL : SYNTH_U(ops));
    SYNTH_SET(pool_hits, hf ? NULL : SYNTH_U(strcmp(policy, "none") ? ops - 3 : 0));
    SYNTH_SET(pool_misses, hf ? NULL : SYNTH_U(strcmp(policy, "none") ? 3 : 0));
    SYNTH_SET(pool_drops, hf ? NULL : SYNTH_U(0));
    SYNTH_SET(pool_cycles, hf ? NULL : SYNTH_U(cycles));
    SYNTH_SET(vol_ctx_switches, hf ? NULL : SYNTH_U(2));
    SYNTH_SET(invol_ctx_switches, hf ? NULL : SYNTH_U(5));
#undef SYNTH_SET
#undef SYNTH_U
    json_object_object_add(c, "metrics", m);
    int rc = fprintf(f, "%s\n", json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
    json_object_put(c);
    return rc < 0 ? -1 : 0;
}

static const char *const synth_backends[5] = {"glibc", "glibc-mmap128k", "mimalloc", "jemalloc",
                                              "tcmalloc"};
static const double synth_backend_speed[5] = {1.0, 1.35, 0.8, 0.85, 0.82};

static long synth_journal_write(const char *path, int reps)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    synth_counter = 0;
    synth_rng_state = 88172645463325252ull;
    fprintf(f, "{\"type\":\"context\",\"schema_version\":%d,\"cpu_model\":\"Synthetic CPU @ 3.0GHz\","
               "\"cores\":2,\"kernel\":\"Linux 6.1.0 x86_64\",\"glibc\":\"2.36\","
               "\"driver_git_commit\":\"0123456789abcdef\",\"driver_compiler\":\"12.2.0\","
               "\"seed\":42,\"pool_code_lines\":812,\"backends\":{\"glibc\":{\"backend_version\":\"2.36\"},"
               "\"mimalloc\":{\"backend_version\":\"2.0.9\"}}}\n", PB_SCHEMA_VERSION);
    static const char *const pols[6] = {"none", "all", "hash", "tar", "string", "hash+tar"};
    for (int r = 0; r < reps; r++) {
        for (int b = 0; b < 5; b++)
            for (int p = 0; p < 6; p++) {
                int pooled_tar = strstr(pols[p], "tar") || !strcmp(pols[p], "all");
                double ns = 250000 * synth_backend_speed[b] * (b == 0 && pooled_tar ? 0.8 : 1.0);
                const char *st = (b == 4 && p == 4 && r == 1) ? "signal:11" : "ok";
                uint64_t live = pooled_tar ? 9000000 : 8000000;
                if (synth_cell(f, "single_build", "tar_create", "cell", synth_backends[b], pols[p], "",
                               r, st, "runner", ns, 200, live, pooled_tar ? 40 : 120,
                               strcmp(pols[p], "none") ? 3 : 0, 1) < 0)
                    goto fail;
            }
        for (int b = 0; b < 5; b++)
            for (int p = 0; p < 2; p++)
                if (synth_cell(f, "large_binaries", "checksum", "cell", synth_backends[b],
                               p ? "hash" : "none", "", r, "ok", "runner",
                               4000000 * (1 + 0.02 * b), 50, 70000000, p ? 10 : 20, p ? 2 : 0, 1) < 0)
                    goto fail;
        for (int t = 1; t <= 4; t *= 2)
            for (int b = 0; b < 5; b += 2)
                for (int p = 0; p < 2; p++) {
                    char v[32];
                    snprintf(v, sizeof v, "threads=%d", t);
                    double ns = 30000.0 / t * (1 + (p ? 0.15 : 0.05) * (t - 1)) * synth_backend_speed[b];
                    if (synth_cell(f, "pool_contention", "checksum_concurrent", "cell",
                                   synth_backends[b], p ? "all" : "none", v, r, "ok", "runner", ns,
                                   1000, 300000, p ? 1 : 10, p ? 5 : 0, t) < 0)
                        goto fail;
                }
        /* labelled as the driver labels a swept `buffer_size`: "32K", "64K", "1M" */
        static const int sizes[3] = {32768, 65536, 1048576};
        static const char *const size_labels[3] = {"32K", "64K", "1M"};
        for (int s = 0; s < 3; s++)
            for (int b = 0; b < 4; b += 3)
                for (int p = 0; p < 2; p++) {
                    char v[48];
                    snprintf(v, sizeof v, "buffer_size=%s", size_labels[s]);
                    double ns = 900000 * (1 + 0.1 * s * (p ? 1 : -0.5)) * synth_backend_speed[b];
                    if (synth_cell(f, "buffer_sweep", "checksum", "cell", synth_backends[b],
                                   p ? "hash" : "none", v, r, "ok", "runner", ns, 100,
                                   (uint64_t)sizes[s] * 4, 10, p ? 1 : 0, 1) < 0)
                        goto fail;
                }
        for (int z = 0; z < 2; z++)
            for (int p = 0; p < 2; p++)
                if (synth_cell(f, "zeroing", "checksum", "cell", "glibc", p ? "hash" : "none",
                               z ? "zero_on_put=on" : "zero_on_put=off", r, "ok", "runner",
                               500000 * (p && z ? 1.08 : 1.0), 100, 300000, 10, p ? 1 : 0, 1) < 0)
                    goto fail;
        for (int b = 0; b < 3; b += 2)
            for (int p = 0; p < 2; p++)
                if (synth_cell(f, "rapid_builds", "tar_create", "hyperfine", synth_backends[b],
                               p ? "all" : "none", "", r, "ok", "hyperfine",
                               40000000 * synth_backend_speed[b], 1, 0, 0, 0, 0) < 0)
                    goto fail;
    }
    if (fclose(f) != 0)
        return -1;
    return synth_counter;
fail:
    fclose(f);
    return -1;
}

/* ---- journals built arm by arm (test_report.c's decision scenarios) ----------------- */

/* One arm of a journal built arm by arm: its cells, each with the metrics the decision
 * reads. cfg: the cell's config as a JSON object text (NULL: {}); gc_cycles < 0: none
 * (a C backend, null like the C runners); noise: relative half-width of the time noise. */
typedef struct synth_arm {
    const char *scenario, *workload, *backend, *policy, *variant, *cfg;
    double ns_per_op, noise;
    uint64_t peak_live, hits, gets, cycles;
    long long gc_cycles;
} synth_arm_t;

static inline int synth_arm_write(FILE *f, const synth_arm_t *a, int reps)
{
    for (int r = 0; r < reps; r++) {
        json_object *c = json_object_new_object();
        char key[72];
        snprintf(key, sizeof key, "%064lx", ++synth_counter);
        json_object_object_add(c, "type", json_object_new_string("cell"));
        json_object_object_add(c, "key", json_object_new_string(key));
        json_object_object_add(c, "scenario", json_object_new_string(a->scenario));
        json_object_object_add(c, "workload", json_object_new_string(a->workload));
        json_object_object_add(c, "mode", json_object_new_string("cell"));
        json_object_object_add(c, "backend", json_object_new_string(a->backend));
        json_object_object_add(c, "policy", json_object_new_string(a->policy));
        json_object_object_add(c, "variant", json_object_new_string(a->variant ? a->variant : ""));
        json_object *cfg = a->cfg ? json_tokener_parse(a->cfg) : json_object_new_object();
        json_object_object_add(c, "config", cfg ? cfg : json_object_new_object());
        json_object_object_add(c, "rep", json_object_new_int(r));
        json_object_object_add(c, "status", json_object_new_string("ok"));
        json_object_object_add(c, "result", json_object_new_string("ab12cd"));
        json_object_object_add(c, "source", json_object_new_string("runner"));
        json_object_object_add(c, "backend_version", json_object_new_string("synthetic 1.0"));
        json_object *m = json_object_new_object();
        const uint64_t ops = 1000;
        double ns = a->ns_per_op * (1.0 + a->noise * synth_noise());
        uint64_t wall = (uint64_t)(ns * (double)ops);
#define SYNTH_I(name, v) json_object_object_add(m, #name, json_object_new_int64((int64_t)(v)))
        SYNTH_I(wall_ns, wall);
        SYNTH_I(user_ns, wall * 0.9);
        SYNTH_I(sys_ns, wall * 0.05);
        SYNTH_I(ns_per_op, ns);
        SYNTH_I(ops, ops);
        SYNTH_I(max_rss_bytes, a->peak_live + 6000000 + (int64_t)(2000 * synth_noise()));
        SYNTH_I(peak_live_bytes, a->peak_live);
        SYNTH_I(alloc_calls, 3 * ops);
        SYNTH_I(pool_gets, a->gets);
        SYNTH_I(pool_hits, a->hits);
        SYNTH_I(pool_misses, a->gets - a->hits);
        SYNTH_I(pool_drops, 0);
        SYNTH_I(pool_cycles, a->cycles);
#undef SYNTH_I
        json_object_object_add(m, "gc_cycles",
                               a->gc_cycles >= 0 ? json_object_new_int64(a->gc_cycles) : NULL);
        json_object_object_add(c, "metrics", m);
        int rc = fprintf(f, "%s\n", json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
        json_object_put(c);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Starts a journal built arm by arm: the context block. NULL on error. */
static inline FILE *synth_arms_open(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    synth_counter = 0;
    synth_rng_state = 88172645463325252ull;
    fprintf(f, "{\"type\":\"context\",\"schema_version\":%d,\"cpu_model\":\"Synthetic CPU\","
               "\"cores\":2,\"driver_git_commit\":\"0123456789abcdef\",\"seed\":42,"
               "\"pool_code_lines\":812}\n", PB_SCHEMA_VERSION);
    return f;
}

#endif
