/* scenario.c: the scenario model: its keys, their values and the checks across keys
 * (scenario.h, scenario_keys.h); also the backend names.
 *
 * For: one table of keys (section, name, kind, limits) that scenario files
 * (scenario_file.c) and matrix overrides (scenario_matrix.c) share.
 * Guarantees: a bad value gets one message naming the key and the expected form (no
 * "FILE:LINE: " prefix, except in scenario_apply_override, which adds it); limits on
 * numbers are in the key table below.
 * Must not: read files, print, exit.
 */
#include "scenario.h"
#include "scenario_keys.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- key table ------------------------------------------------------------------ */

typedef enum sc_kind {
    K_STR, K_WORKLOAD, K_MODE, K_HEX, K_BOOL, K_U64, K_SIZE_LIST, K_U64_LIST,
    K_DURATION, K_CHECK, K_BACKEND_LIST, K_POLICY_LIST, K_ONOFF_LIST, K_ALLOC_LIST
} sc_kind_t;

struct scenario_key {
    const char *section;
    const char *name;
    sc_kind_t kind;
    size_t offset;
    size_t size;          /* for strings */
    uint64_t min, max;    /* for numbers */
    int required;
};

#define OFF(f) offsetof(scenario_t, f)
#define SZ(f) sizeof(((scenario_t *)0)->f)
#define GIB (1024ULL * 1024 * 1024)

static const scenario_key_t sc_keys[] = {
    {"scenario", "name", K_STR, OFF(name), SZ(name), 0, 0, 0},
    {"scenario", "description", K_STR, OFF(description), SZ(description), 0, 0, 0},
    {"scenario", "workload", K_WORKLOAD, OFF(workload), SZ(workload), 0, 0, 1},
    {"scenario", "mode", K_MODE, OFF(mode), 0, 0, 0, 0},
    {"scenario", "processes", K_U64, OFF(processes), 0, 1, 64, 0},
    {"scenario", "expect", K_HEX, OFF(expect), SZ(expect), 0, 0, 0},
    {"scenario", "pprof_http", K_BOOL, OFF(pprof_http), 0, 0, 0, 0},
    {"scenario", "result_check", K_CHECK, OFF(result_check), 0, 0, 0, 0},
    {"scenario", "headline", K_BOOL, OFF(headline), 0, 0, 0, 0},
    {"scenario", "heap_profile", K_BOOL, OFF(heap_profile), 0, 0, 0, 0},
    {"input", "seed", K_U64, OFF(seed), 0, 0, UINT64_MAX - 1, 1},
    {"input", "files", K_U64, OFF(files), 0, 1, 1000000, 0},
    {"input", "size", K_SIZE_LIST, OFF(size_bytes), 0, 0, 64 * GIB, 0},
    {"input", "path", K_STR, OFF(input_path), SZ(input_path), 0, 0, 0},
    {"input", "member", K_STR, OFF(member), SZ(member), 0, 0, 0},
    {"input", "image", K_STR, OFF(image), SZ(image), 0, 0, 0},
    {"input", "tag", K_STR, OFF(tag), SZ(tag), 0, 0, 0},
    {"run", "backends", K_BACKEND_LIST, OFF(backends), 0, 0, 0, 1},
    {"run", "threads", K_U64_LIST, OFF(threads), 0, 1, 1024, 0},
    {"run", "iterations", K_U64, OFF(iterations), 0, 1, 1000000000ULL, 0},
    {"run", "warmup_iterations", K_U64, OFF(warmup_iterations), 0, 0, 1000000000ULL, 0},
    {"run", "go_iterations", K_U64, OFF(go_iterations), 0, 1, 1000000000ULL, 0},
    {"run", "go_warmup_iterations", K_U64, OFF(go_warmup_iterations), 0, 0, 1000000000ULL, 0},
    {"run", "warmup_repetitions", K_U64, OFF(warmup_repetitions), 0, 0, 100, 0},
    {"run", "repetitions", K_U64, OFF(repetitions), 0, 1, 10000, 1},
    {"run", "timeout", K_DURATION, OFF(timeout_s), 0, 1, 86400, 1},
    {"run", "gogc", K_U64, OFF(gogc_percent), 0, 1, 100000, 0},
    {"pool", "policies", K_POLICY_LIST, OFF(policies), 0, 0, 0, 1},
    {"pool", "zero_on_put", K_ONOFF_LIST, OFF(zero_on_put), 0, 0, 0, 0},
    {"pool", "standard_alloc", K_ALLOC_LIST, OFF(standard_alloc), 0, 0, 0, 0},
    {"pool", "hash_size", K_SIZE_LIST, OFF(hash_size_bytes), 0, 1, GIB, 0},
    {"pool", "tar_size", K_SIZE_LIST, OFF(tar_size_bytes), 0, 1, GIB, 0},
    {"pool", "string_size", K_SIZE_LIST, OFF(string_size_bytes), 0, 1, GIB, 0},
    {"pool", "buffer_size", K_SIZE_LIST, OFF(buffer_size_bytes), 0, 1, GIB, 0},
};
#define SC_N_KEYS (sizeof sc_keys / sizeof sc_keys[0])

static const char *const sc_sections[] = {"scenario", "input", "run", "pool"};

static const char *const sc_workloads[] = {
    "checksum", "sum_checksum", "checksum_concurrent", "tar_create", "tar_create_seq",
    "tar_create_concurrent", "tar_read", "tar_copy", "image_tag", "build", "pool_churn",
    "touch",
};

static const char *const sc_backends[] = {"glibc", "mimalloc", "jemalloc", "tcmalloc",
                                          "glibc-mmap128k", "go"};
static const char *const sc_classes[] = {"hash", "small", "tar", "string"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

int scenario_backend_known(const char *b)
{
    for (size_t i = 0; i < N_OF(sc_backends); i++)
        if (strcmp(b, sc_backends[i]) == 0)
            return 1;
    return 0;
}

const char *scenario_backend_runner(const char *b)
{
    return strcmp(b, "glibc-mmap128k") == 0 ? "glibc" : b;
}

const char *scenario_backend_env(const char *b)
{
    return strcmp(b, "glibc-mmap128k") == 0 ? "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072"
                                            : NULL;
}

const scenario_key_t *scenario_key_find(const char *name)
{
    for (size_t i = 0; i < SC_N_KEYS; i++)
        if (strcmp(sc_keys[i].name, name) == 0)
            return &sc_keys[i];
    return NULL;
}

const char *scenario_key_section(const scenario_key_t *k)
{
    return k->section;
}

uint64_t scenario_key_bit(const scenario_key_t *k)
{
    return 1ULL << (k - sc_keys);
}

void scenario_keys_of_section(const char *section, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < SC_N_KEYS; i++)
        if (strcmp(sc_keys[i].section, section) == 0) {
            size_t l = strlen(out);
            snprintf(out + l, cap - l, "%s%s", l ? ", " : "", sc_keys[i].name);
        }
}

int scenario_section_known(const char *section)
{
    for (size_t i = 0; i < N_OF(sc_sections); i++)
        if (strcmp(section, sc_sections[i]) == 0)
            return 1;
    return 0;
}

/* ---- value parsers ---------------------------------------------------------------- */

void scenario_trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    if (i)
        memmove(s, s + i, n - i + 1);
}

static int sc_parse_u64(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE || *end)
        return -1;
    *out = v;
    return 0;
}

int scenario_parse_size(const char *s, uint64_t *out_bytes)
{
    if (!isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -1;
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mul = GIB, end++;
    if (*end)
        return -1;
    if (v > UINT64_MAX / mul)
        return -1;
    *out_bytes = (uint64_t)v * mul;
    return 0;
}

static int sc_parse_duration(const char *s, uint64_t *out_s)
{
    if (!isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -1;
    uint64_t mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    if (*end || v > UINT64_MAX / mul)
        return -1;
    *out_s = v * mul;
    return 0;
}

static int sc_one_of(const char *v, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, set[i]) == 0)
            return 1;
    return 0;
}

/* all, none, plain (Branch B: no pool, the plain code), or classes joined by '+', one of
 * which may be plain ("hash+plain": hash pooled, the other classes the plain code). */
static int sc_policy_ok(const char *v)
{
    if (strcmp(v, "all") == 0 || strcmp(v, "none") == 0)
        return 1;
    char buf[SCENARIO_NAME_BYTES];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    int n = 0, plain = 0;
    for (char *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save), n++) {
        if (strcmp(t, "plain") == 0 && !plain++)
            continue;
        if (!sc_one_of(t, sc_classes, N_OF(sc_classes)))
            return 0;
    }
    return n > 0 && v[0] != '+' && v[strlen(v) - 1] != '+' && !strstr(v, "++");
}

static void sc_join(char *out, size_t cap, const char *const *set, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", i ? ", " : "", set[i]);
    }
}

/* ---- one key's value ------------------------------------------------------------------ */

/* Text keys: name, description, input paths (K_STR), workload, expect (K_HEX). */
static int sc_set_text(const scenario_key_t *k, char *base, const char *v, char *msg, size_t cap)
{
    char set[256];
    switch (k->kind) {
    case K_STR:
        if (strlen(v) >= k->size) {
            snprintf(msg, cap, "'%s' is too long (at most %zu bytes)", k->name, k->size - 1);
            return -1;
        }
        break;
    case K_WORKLOAD:
        if (!sc_one_of(v, sc_workloads, N_OF(sc_workloads))) {
            sc_join(set, sizeof set, sc_workloads, N_OF(sc_workloads));
            snprintf(msg, cap, "unknown workload '%s' (one of: %s)", v, set);
            return -1;
        }
        break;
    default: /* K_HEX */
        for (const char *p = v; *p; p++)
            if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p)) {
                snprintf(msg, cap, "'%s' must be lowercase hex digits", k->name);
                return -1;
            }
        if (strlen(v) >= k->size) {
            snprintf(msg, cap, "'%s' is too long", k->name);
            return -1;
        }
        break;
    }
    snprintf(base, k->size, "%s", v);
    return 0;
}

/* Keys with a fixed set of words: mode, result_check, and on/off (pprof_http, headline,
 * heap_profile). */
static int sc_set_word(scenario_t *sc, const scenario_key_t *k, char *base, const char *v,
                       char *msg, size_t cap)
{
    switch (k->kind) {
    case K_MODE:
        if (strcmp(v, "cell") == 0)
            sc->mode = SCENARIO_MODE_CELL;
        else if (strcmp(v, "concurrent") == 0)
            sc->mode = SCENARIO_MODE_CONCURRENT;
        else if (strcmp(v, "hyperfine") == 0)
            sc->mode = SCENARIO_MODE_HYPERFINE;
        else {
            snprintf(msg, cap, "bad mode '%s' (cell, concurrent or hyperfine)", v);
            return -1;
        }
        return 0;
    case K_CHECK:
        if (strcmp(v, "input") == 0)
            sc->result_check = SCENARIO_CHECK_INPUT;
        else if (strcmp(v, "policy") == 0)
            sc->result_check = SCENARIO_CHECK_POLICY;
        else if (strcmp(v, "off") == 0)
            sc->result_check = SCENARIO_CHECK_OFF;
        else {
            snprintf(msg, cap, "bad result_check '%s' (input, policy or off)", v);
            return -1;
        }
        return 0;
    default: /* K_BOOL */
        if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0)
            *(int *)base = 1;
        else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0)
            *(int *)base = 0;
        else {
            snprintf(msg, cap, "bad value '%s' for '%s' (on or off)", v, k->name);
            return -1;
        }
        return 0;
    }
}

/* One number (K_U64) or duration (K_DURATION) within the key's limits. */
static int sc_set_number(const scenario_key_t *k, char *base, const char *v, char *msg, size_t cap)
{
    uint64_t x;
    int rc = k->kind == K_U64 ? sc_parse_u64(v, &x) : sc_parse_duration(v, &x);
    if (rc != 0) {
        snprintf(msg, cap, "bad number '%s' for '%s' (%s)", v, k->name,
                 k->kind == K_U64 ? "a non-negative integer"
                                  : "seconds, optionally with s, m or h");
        return -1;
    }
    if (x < k->min || x > k->max) {
        snprintf(msg, cap, "'%s' = %s is out of range (%llu..%llu)", k->name, v,
                 (unsigned long long)k->min, (unsigned long long)k->max);
        return -1;
    }
    *(uint64_t *)base = x;
    return 0;
}

/* Is the key a list of words (backends, policies, standard_alloc)? */
static int sc_is_str_list(const scenario_key_t *k)
{
    return k->kind == K_BACKEND_LIST || k->kind == K_POLICY_LIST || k->kind == K_ALLOC_LIST;
}

/* Appends item t to a list of words, checking it against the key's vocabulary. */
static int sc_list_add_word(const scenario_key_t *k, scenario_str_list_t *sl, const char *t,
                            char *msg, size_t cap)
{
    char set[256];
    if (strlen(t) >= SCENARIO_NAME_BYTES) {
        snprintf(msg, cap, "item '%.40s...' of '%s' is too long", t, k->name);
        return -1;
    }
    int ok = k->kind == K_BACKEND_LIST ? scenario_backend_known(t)
           : k->kind == K_POLICY_LIST ? sc_policy_ok(t)
           : (strcmp(t, "calloc") == 0 || strcmp(t, "malloc") == 0);
    if (!ok) {
        if (k->kind == K_BACKEND_LIST)
            sc_join(set, sizeof set, sc_backends, N_OF(sc_backends));
        else if (k->kind == K_POLICY_LIST)
            snprintf(set, sizeof set, "all, none, plain, or classes hash, small, tar, "
                                      "string joined by '+', optionally with plain");
        else
            snprintf(set, sizeof set, "calloc, malloc");
        snprintf(msg, cap, "bad item '%s' in '%s' (%s)", t, k->name, set);
        return -1;
    }
    for (size_t i = 0; i < sl->n; i++)
        if (strcmp(sl->v[i], t) == 0) {
            snprintf(msg, cap, "'%s' is listed twice in '%s'", t, k->name);
            return -1;
        }
    snprintf(sl->v[sl->n++], SCENARIO_NAME_BYTES, "%s", t);
    return 0;
}

/* Appends item t to a list of numbers (sizes, counts, on/off) within the key's limits. */
static int sc_list_add_number(const scenario_key_t *k, scenario_u64_list_t *ul, const char *t,
                              char *msg, size_t cap)
{
    uint64_t x;
    int rc;
    if (k->kind == K_ONOFF_LIST) {
        rc = 0;
        if (strcmp(t, "on") == 0)
            x = 1;
        else if (strcmp(t, "off") == 0)
            x = 0;
        else
            rc = -1;
    } else if (k->kind == K_SIZE_LIST) {
        rc = scenario_parse_size(t, &x);
    } else {
        rc = sc_parse_u64(t, &x);
    }
    if (rc != 0) {
        snprintf(msg, cap, "bad item '%s' in '%s' (%s)", t, k->name,
                 k->kind == K_ONOFF_LIST ? "on or off"
                 : k->kind == K_SIZE_LIST ? "bytes, optionally with K, M or G"
                                          : "a non-negative integer");
        return -1;
    }
    if (k->kind != K_ONOFF_LIST && (x < k->min || x > k->max)) {
        snprintf(msg, cap, "'%s' item %s is out of range (%llu..%llu)", k->name, t,
                 (unsigned long long)k->min, (unsigned long long)k->max);
        return -1;
    }
    for (size_t i = 0; i < ul->n; i++)
        if (ul->v[i] == x) {
            snprintf(msg, cap, "'%s' is listed twice in '%s'", t, k->name);
            return -1;
        }
    ul->v[ul->n++] = x;
    return 0;
}

/* A comma-separated list (v is cut up): replaces the key's list. */
static int sc_set_list(const scenario_key_t *k, char *base, char *v, char *msg, size_t cap)
{
    scenario_u64_list_t *ul = (scenario_u64_list_t *)base;
    scenario_str_list_t *sl = (scenario_str_list_t *)base;
    int is_str = sc_is_str_list(k);
    if (is_str)
        sl->n = 0;
    else
        ul->n = 0;
    char *save = NULL;
    int count = 0;
    for (char *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        scenario_trim(t);
        if (!t[0]) {
            snprintf(msg, cap, "empty item in the list of '%s'", k->name);
            return -1;
        }
        if (count >= SCENARIO_MAX_LIST) {
            snprintf(msg, cap, "too many items in '%s' (at most %d)", k->name, SCENARIO_MAX_LIST);
            return -1;
        }
        count++;
        int rc = is_str ? sc_list_add_word(k, sl, t, msg, cap)
                        : sc_list_add_number(k, ul, t, msg, cap);
        if (rc != 0)
            return -1;
    }
    if (count == 0) {
        snprintf(msg, cap, "'%s' has an empty list", k->name);
        return -1;
    }
    return 0;
}

int scenario_key_set(scenario_t *sc, const scenario_key_t *k, const char *value, char *msg,
                     size_t cap)
{
    char *base = (char *)sc + k->offset;
    char v[512];
    if (strlen(value) >= sizeof v) {
        snprintf(msg, cap, "value of '%s' is too long", k->name);
        return -1;
    }
    snprintf(v, sizeof v, "%s", value);
    scenario_trim(v);
    if (!v[0]) {
        snprintf(msg, cap, "'%s' has an empty value", k->name);
        return -1;
    }
    switch (k->kind) {
    case K_STR:
    case K_WORKLOAD:
    case K_HEX:
        return sc_set_text(k, base, v, msg, cap);
    case K_MODE:
    case K_CHECK:
    case K_BOOL:
        return sc_set_word(sc, k, base, v, msg, cap);
    case K_U64:
    case K_DURATION:
        return sc_set_number(k, base, v, msg, cap);
    default:
        return sc_set_list(k, base, v, msg, cap);
    }
}

/* ---- the whole scenario ------------------------------------------------------------- */

void scenario_defaults(scenario_t *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->mode = SCENARIO_MODE_CELL;
    sc->processes = 1;
    sc->files = SCENARIO_UNSET;
    sc->iterations = SCENARIO_UNSET;
    sc->warmup_iterations = SCENARIO_UNSET;
    sc->go_iterations = SCENARIO_UNSET;
    sc->go_warmup_iterations = SCENARIO_UNSET;
    sc->gogc_percent = SCENARIO_UNSET;
    sc->headline = 1;
}

int scenario_validate(const scenario_t *sc, char *msg, size_t cap)
{
    for (size_t i = 0; i < SC_N_KEYS; i++)
        if (sc_keys[i].required && !(sc->seen_mask & (1ULL << i))) {
            snprintf(msg, cap, "missing required key '%s' in section [%s]", sc_keys[i].name,
                     sc_keys[i].section);
            return -1;
        }
    if (sc->mode == SCENARIO_MODE_CONCURRENT && sc->processes < 2) {
        snprintf(msg, cap, "mode = concurrent needs processes >= 2");
        return -1;
    }
    if (sc->buffer_size_bytes.n && (sc->hash_size_bytes.n || sc->tar_size_bytes.n)) {
        snprintf(msg, cap, "buffer_size sets hash_size and tar_size together: give either "
                           "buffer_size or hash_size/tar_size");
        return -1;
    }
    if (sc->mode != SCENARIO_MODE_CONCURRENT && sc->processes != 1) {
        snprintf(msg, cap, "processes is only meaningful with mode = concurrent");
        return -1;
    }
    return 0;
}

int scenario_apply_override(scenario_t *sc, const char *where, const scenario_override_t *ov,
                            char err[SCENARIO_ERR_BYTES])
{
    const scenario_key_t *k = scenario_key_find(ov->key);
    char msg[SCENARIO_ERR_BYTES - 600];
    if (!k || strcmp(ov->key, "name") == 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: unknown or fixed key '%s' for scenario '%s'",
                 where, ov->line, ov->key, sc->name);
        return -1;
    }
    if (scenario_key_set(sc, k, ov->value, msg, sizeof msg) != 0 ||
        scenario_validate(sc, msg, sizeof msg) != 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: %s", where, ov->line, msg);
        return -1;
    }
    return 0;
}
