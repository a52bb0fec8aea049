/* scenario.c: loading scenario and matrix files (INI via libinih), with strict checks.
 *
 * Guarantees: one message "FILE:LINE: what is wrong" for the first error (unknown section
 * or key, bad value, a key given twice, missing required key, invalid UTF-8, control
 * bytes, over-long line, empty file, numbers that overflow or are absurd). Nothing is
 * printed and no file is created here. Limits on numbers are in the key table below.
 */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include "util.h"

/* ---- key table ------------------------------------------------------------------ */

typedef enum sc_kind {
    K_STR, K_WORKLOAD, K_MODE, K_HEX, K_BOOL, K_U64, K_SIZE_LIST, K_U64_LIST,
    K_DURATION, K_CHECK, K_BACKEND_LIST, K_POLICY_LIST, K_ONOFF_LIST, K_ALLOC_LIST
} sc_kind_t;

typedef struct sc_key {
    const char *section;
    const char *name;
    sc_kind_t kind;
    size_t offset;
    size_t size;          /* for strings */
    uint64_t min, max;    /* for numbers */
    int required;
} sc_key_t;

#define OFF(f) offsetof(scenario_t, f)
#define SZ(f) sizeof(((scenario_t *)0)->f)
#define GIB (1024ULL * 1024 * 1024)

static const sc_key_t sc_keys[] = {
    {"scenario", "name", K_STR, OFF(name), SZ(name), 0, 0, 0},
    {"scenario", "description", K_STR, OFF(description), SZ(description), 0, 0, 0},
    {"scenario", "workload", K_WORKLOAD, OFF(workload), SZ(workload), 0, 0, 1},
    {"scenario", "mode", K_MODE, OFF(mode), 0, 0, 0, 0},
    {"scenario", "processes", K_U64, OFF(processes), 0, 1, 64, 0},
    {"scenario", "expect", K_HEX, OFF(expect), SZ(expect), 0, 0, 0},
    {"scenario", "pprof_http", K_BOOL, OFF(pprof_http), 0, 0, 0, 0},
    {"scenario", "result_check", K_CHECK, OFF(result_check), 0, 0, 0, 0},
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
                                          "glibc-mmap128k"};
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

/* ---- value parsers ---------------------------------------------------------------- */

static void sc_trim(char *s)
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

static int sc_policy_ok(const char *v)
{
    if (strcmp(v, "all") == 0 || strcmp(v, "none") == 0)
        return 1;
    char buf[SCENARIO_NAME_BYTES];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    int n = 0;
    for (char *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save), n++)
        if (!sc_one_of(t, sc_classes, N_OF(sc_classes)))
            return 0;
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

/* Parses `value` for key `k` into sc. Returns 0 or -1 with msg (no file:line prefix). */
static int sc_set(scenario_t *sc, const sc_key_t *k, const char *value, char *msg, size_t cap)
{
    char *base = (char *)sc + k->offset;
    char v[512];
    if (strlen(value) >= sizeof v) {
        snprintf(msg, cap, "value of '%s' is too long", k->name);
        return -1;
    }
    snprintf(v, sizeof v, "%s", value);
    sc_trim(v);
    if (!v[0]) {
        snprintf(msg, cap, "'%s' has an empty value", k->name);
        return -1;
    }
    char set[256];
    switch (k->kind) {
    case K_STR:
        if (strlen(v) >= k->size) {
            snprintf(msg, cap, "'%s' is too long (at most %zu bytes)", k->name, k->size - 1);
            return -1;
        }
        snprintf(base, k->size, "%s", v);
        return 0;
    case K_WORKLOAD:
        if (!sc_one_of(v, sc_workloads, N_OF(sc_workloads))) {
            sc_join(set, sizeof set, sc_workloads, N_OF(sc_workloads));
            snprintf(msg, cap, "unknown workload '%s' (one of: %s)", v, set);
            return -1;
        }
        snprintf(base, k->size, "%s", v);
        return 0;
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
    case K_HEX:
        for (const char *p = v; *p; p++)
            if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p)) {
                snprintf(msg, cap, "'%s' must be lowercase hex digits", k->name);
                return -1;
            }
        if (strlen(v) >= k->size) {
            snprintf(msg, cap, "'%s' is too long", k->name);
            return -1;
        }
        snprintf(base, k->size, "%s", v);
        return 0;
    case K_BOOL:
        if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0)
            *(int *)base = 1;
        else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0)
            *(int *)base = 0;
        else {
            snprintf(msg, cap, "bad value '%s' for '%s' (on or off)", v, k->name);
            return -1;
        }
        return 0;
    case K_U64:
    case K_DURATION: {
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
    default:
        break;
    }
    /* comma-separated lists */
    scenario_u64_list_t *ul = (scenario_u64_list_t *)base;
    scenario_str_list_t *sl = (scenario_str_list_t *)base;
    int is_str = k->kind == K_BACKEND_LIST || k->kind == K_POLICY_LIST || k->kind == K_ALLOC_LIST;
    if (is_str)
        sl->n = 0;
    else
        ul->n = 0;
    char *save = NULL;
    int count = 0;
    for (char *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        sc_trim(t);
        if (!t[0]) {
            snprintf(msg, cap, "empty item in the list of '%s'", k->name);
            return -1;
        }
        if (count >= SCENARIO_MAX_LIST) {
            snprintf(msg, cap, "too many items in '%s' (at most %d)", k->name, SCENARIO_MAX_LIST);
            return -1;
        }
        count++;
        if (is_str) {
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
                    snprintf(set, sizeof set, "all, none, or classes hash, small, tar, string "
                                              "joined by '+'");
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
        } else {
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
        }
    }
    if (count == 0) {
        snprintf(msg, cap, "'%s' has an empty list", k->name);
        return -1;
    }
    return 0;
}

/* ---- line checks (before inih sees the file) ------------------------------------------ */

/* Returns the length of a valid UTF-8 sequence at p (max n bytes), or 0. */
static size_t sc_utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    unsigned cp = c & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

typedef struct sc_section_line {
    char name[SCENARIO_NAME_BYTES];
    int line;
} sc_section_line_t;

/* Reads the whole file, checks every line, and collects section headers. Returns 0 or -1
 * with err. *has_keys tells whether any non-comment, non-section line exists. */
static int sc_check_file(const char *path, sc_section_line_t *secs, size_t max_secs,
                         size_t *n_secs, int *n_lines, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int line = 1, has_content = 0;
    size_t ns = 0;
    char buf[1024];
    size_t len = 0;
    int c, rc = 0;
    int eof = 0;
    while (!eof) {
        c = fgetc(f);
        if (c == EOF)
            eof = 1;
        if (c != '\n' && c != EOF) {
            if (len < sizeof buf - 1)
                buf[len] = (char)c;
            len++;
            continue;
        }
        if (eof && len == 0)
            break;
        if (len >= 199) {
            snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: line is too long (%zu bytes; at most 198)",
                     path, line, len);
            rc = -1;
            break;
        }
        buf[len] = '\0';
        const unsigned char *p = (const unsigned char *)buf;
        size_t i = 0;
        if (line == 1 && len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
            i = 3;
        for (; i < len;) {
            if (p[i] == 0 || (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r') || p[i] == 0x7F) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: control byte 0x%02x at column %zu",
                         path, line, p[i], i + 1);
                rc = -1;
                break;
            }
            size_t l = sc_utf8_len(p + i, len - i);
            if (l == 0) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: invalid UTF-8 at column %zu", path,
                         line, i + 1);
                rc = -1;
                break;
            }
            i += l;
        }
        if (rc)
            break;
        char *s = buf;
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (e && ns < max_secs) {
                size_t nl = (size_t)(e - s - 1);
                if (nl >= SCENARIO_NAME_BYTES)
                    nl = SCENARIO_NAME_BYTES - 1;
                memcpy(secs[ns].name, s + 1, nl);
                secs[ns].name[nl] = '\0';
                sc_trim(secs[ns].name);
                secs[ns].line = line;
                ns++;
            } else if (e) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: too many sections", path, line);
                rc = -1;
                break;
            }
        }
        if (*s && *s != ';' && *s != '#' && *s != '[')
            has_content = 1;
        len = 0;
        line++;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: read error", path, line);
        rc = -1;
    }
    fclose(f);
    if (rc == 0 && !has_content) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:1: empty file (no keys): %s", path,
                 ns ? "sections without keys" : "nothing but comments or blank lines");
        rc = -1;
    }
    *n_secs = ns;
    *n_lines = line - 1;
    return rc;
}

/* ---- scenario files ------------------------------------------------------------------ */

typedef struct sc_parse_ctx {
    scenario_t *sc;
    char msg[SCENARIO_ERR_BYTES];
    int failed;
    char bad_section[SCENARIO_NAME_BYTES];  /* unknown section: report its header line */
} sc_parse_ctx_t;

static const sc_key_t *sc_find_key(const char *name)
{
    for (size_t i = 0; i < SC_N_KEYS; i++)
        if (strcmp(sc_keys[i].name, name) == 0)
            return &sc_keys[i];
    return NULL;
}

static int sc_handler(void *user, const char *section, const char *name, const char *value)
{
    sc_parse_ctx_t *ctx = user;
    if (ctx->failed)
        return 1; /* report only the first error */
    int known_section = 0;
    for (size_t i = 0; i < N_OF(sc_sections); i++)
        if (strcmp(section, sc_sections[i]) == 0)
            known_section = 1;
    if (!known_section) {
        snprintf(ctx->msg, sizeof ctx->msg,
                 section[0] ? "unknown section [%s] (sections: scenario, input, run, pool)"
                            : "key '%s' outside any section", section[0] ? section : name);
        snprintf(ctx->bad_section, sizeof ctx->bad_section, "%s", section);
        ctx->failed = 1;
        return 0;
    }
    const sc_key_t *k = sc_find_key(name);
    if (!k || strcmp(k->section, section) != 0) {
        if (k)
            snprintf(ctx->msg, sizeof ctx->msg, "key '%s' belongs in section [%s], not [%s]",
                     name, k->section, section);
        else {
            char known[1024] = "";
            for (size_t i = 0; i < SC_N_KEYS; i++)
                if (strcmp(sc_keys[i].section, section) == 0) {
                    size_t l = strlen(known);
                    snprintf(known + l, sizeof known - l, "%s%s", l ? ", " : "", sc_keys[i].name);
                }
            snprintf(ctx->msg, sizeof ctx->msg, "unknown key '%s' in [%s] (known: %s)", name,
                     section, known);
        }
        ctx->failed = 1;
        return 0;
    }
    uint64_t bit = 1ULL << (k - sc_keys);
    if (ctx->sc->seen_mask & bit) {
        snprintf(ctx->msg, sizeof ctx->msg,
                 "'%s' given twice (an indented line continues the previous key: remove the "
                 "indentation)", name);
        ctx->failed = 1;
        return 0;
    }
    ctx->sc->seen_mask |= bit;
    if (sc_set(ctx->sc, k, value, ctx->msg, sizeof ctx->msg) != 0) {
        ctx->failed = 1;
        return 0;
    }
    return 1;
}

static void sc_defaults(scenario_t *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->mode = SCENARIO_MODE_CELL;
    sc->processes = 1;
    sc->files = SCENARIO_UNSET;
    sc->iterations = SCENARIO_UNSET;
    sc->warmup_iterations = SCENARIO_UNSET;
    sc->gogc_percent = SCENARIO_UNSET;
}

/* Cross-key checks after all keys are in. Returns 0 or -1 with msg. */
static int sc_validate(scenario_t *sc, char *msg, size_t cap)
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

int scenario_load(const char *path, scenario_t *out, char err[SCENARIO_ERR_BYTES])
{
    sc_section_line_t secs[32];
    size_t n_secs = 0;
    int n_lines = 0;
    if (sc_check_file(path, secs, 32, &n_secs, &n_lines, err) != 0)
        return -1;
    sc_parse_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    sc_defaults(out);
    ctx.sc = out;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int line = ini_parse_file(f, sc_handler, &ctx);
    fclose(f);
    if (line != 0) {
        for (size_t i = 0; ctx.bad_section[0] && i < n_secs; i++)
            if (strcmp(secs[i].name, ctx.bad_section) == 0) {
                line = secs[i].line;
                break;
            }
        if (ctx.failed)
            snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: %s", path, line, ctx.msg);
        else
            snprintf(err, SCENARIO_ERR_BYTES,
                     "%s:%d: syntax error (expected [section], key = value, or a ; comment)",
                     path, line);
        return -1;
    }
    for (size_t i = 0; i < n_secs; i++) {
        int ok = 0;
        for (size_t j = 0; j < N_OF(sc_sections); j++)
            if (strcmp(secs[i].name, sc_sections[j]) == 0)
                ok = 1;
        if (!ok) {
            snprintf(err, SCENARIO_ERR_BYTES,
                     "%s:%d: unknown section [%s] (sections: scenario, input, run, pool)", path,
                     secs[i].line, secs[i].name);
            return -1;
        }
    }
    char msg[SCENARIO_ERR_BYTES - 600];
    if (sc_validate(out, msg, sizeof msg) != 0) {
        int where = n_lines > 0 ? n_lines : 1;
        for (size_t i = 0; i < n_secs; i++)
            if (strstr(msg, secs[i].name)) /* point at the section the key belongs in */
                where = secs[i].line;
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: %s", path, where, msg);
        return -1;
    }
    snprintf(out->path, sizeof out->path, "%s", path);
    if (!out->name[0]) {
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        snprintf(out->name, sizeof out->name, "%s", b);
        char *dot = strrchr(out->name, '.');
        if (dot)
            *dot = '\0';
    }
    return 0;
}

int scenario_apply_override(scenario_t *sc, const char *where, const scenario_override_t *ov,
                            char err[SCENARIO_ERR_BYTES])
{
    const sc_key_t *k = sc_find_key(ov->key);
    char msg[SCENARIO_ERR_BYTES - 600];
    if (!k || strcmp(ov->key, "name") == 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: unknown or fixed key '%s' for scenario '%s'",
                 where, ov->line, ov->key, sc->name);
        return -1;
    }
    if (sc_set(sc, k, ov->value, msg, sizeof msg) != 0 || sc_validate(sc, msg, sizeof msg) != 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: %s", where, ov->line, msg);
        return -1;
    }
    return 0;
}

/* ---- matrix files --------------------------------------------------------------------- */

typedef struct sc_matrix_ctx {
    scenario_matrix_t *m;
    char msg[SCENARIO_ERR_BYTES];
    int failed;
    int seen_name;
} sc_matrix_ctx_t;

static int sc_matrix_handler(void *user, const char *section, const char *name, const char *value)
{
    sc_matrix_ctx_t *ctx = user;
    if (ctx->failed)
        return 1;
    if (strcmp(section, "matrix") == 0) {
        char v[256];
        snprintf(v, sizeof v, "%s", value);
        sc_trim(v);
        if (strcmp(name, "name") == 0 && v[0] && strlen(v) < SCENARIO_NAME_BYTES) {
            snprintf(ctx->m->name, sizeof ctx->m->name, "%s", v);
            ctx->seen_name = 1;
            return 1;
        }
        if (strcmp(name, "description") == 0) {
            snprintf(ctx->m->description, sizeof ctx->m->description, "%s", v);
            return 1;
        }
        snprintf(ctx->msg, sizeof ctx->msg,
                 strcmp(name, "name") == 0 ? "bad value for '%s' (1..63 bytes)"
                                           : "unknown key '%s' in [matrix] (known: name, description)",
                 name);
        ctx->failed = 1;
        return 0;
    }
    if (!section[0]) {
        snprintf(ctx->msg, sizeof ctx->msg, "key '%s' outside any section", name);
        ctx->failed = 1;
        return 0;
    }
    /* an override for scenario `section` */
    scenario_matrix_entry_t *e = NULL;
    for (size_t i = 0; i < ctx->m->n_entries; i++)
        if (strcmp(ctx->m->entries[i].name, section) == 0)
            e = &ctx->m->entries[i];
    if (!e) {
        snprintf(ctx->msg, sizeof ctx->msg, "internal: section [%s] not pre-scanned", section);
        ctx->failed = 1;
        return 0;
    }
    const sc_key_t *k = sc_find_key(name);
    if (!k || strcmp(name, "name") == 0) {
        snprintf(ctx->msg, sizeof ctx->msg, "unknown override key '%s' for scenario [%s]", name,
                 section);
        ctx->failed = 1;
        return 0;
    }
    if (strlen(value) >= sizeof e->overrides[0].value) {
        snprintf(ctx->msg, sizeof ctx->msg, "value of '%s' is too long", name);
        ctx->failed = 1;
        return 0;
    }
    scenario_override_t *grown = realloc(e->overrides, (e->n_overrides + 1) * sizeof *grown);
    if (!grown) {
        snprintf(ctx->msg, sizeof ctx->msg, "out of memory");
        ctx->failed = 1;
        return 0;
    }
    e->overrides = grown;
    scenario_override_t *ov = &e->overrides[e->n_overrides++];
    snprintf(ov->key, sizeof ov->key, "%s", name);
    snprintf(ov->value, sizeof ov->value, "%s", value);
    ov->line = 0; /* filled from the pre-scan below */
    return 1;
}

/* Finds the line of `key =` inside section starting at sec_line (best effort). */
static int sc_find_key_line(const char *path, int sec_line, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return sec_line;
    char buf[256];
    int line = 0, found = sec_line;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        if (line <= sec_line)
            continue;
        char *s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '[')
            break;
        size_t kl = strlen(key);
        if (strncmp(s, key, kl) == 0 && (s[kl] == ' ' || s[kl] == '=' || s[kl] == '\t')) {
            found = line;
        }
    }
    fclose(f);
    return found;
}

int scenario_matrix_load(const char *path, scenario_matrix_t *out, char err[SCENARIO_ERR_BYTES])
{
    memset(out, 0, sizeof *out);
    sc_section_line_t secs[64];
    size_t n_secs = 0;
    int n_lines = 0;
    if (sc_check_file(path, secs, 64, &n_secs, &n_lines, err) != 0)
        return -1;
    snprintf(out->path, sizeof out->path, "%s", path);
    int seen_matrix = 0;
    out->entries = calloc(n_secs ? n_secs : 1, sizeof *out->entries);
    if (!out->entries) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:0: out of memory", path);
        return -1;
    }
    for (size_t i = 0; i < n_secs; i++) {
        if (strcmp(secs[i].name, "matrix") == 0) {
            if (seen_matrix++) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: [matrix] given twice", path, secs[i].line);
                goto fail;
            }
            continue;
        }
        const char *nm = secs[i].name;
        int ok = nm[0] != '\0';
        for (const char *p = nm; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
                ok = 0;
        if (!ok) {
            snprintf(err, SCENARIO_ERR_BYTES,
                     "%s:%d: bad scenario name [%s] (letters, digits, '_' and '-')", path,
                     secs[i].line, nm);
            goto fail;
        }
        for (size_t j = 0; j < out->n_entries; j++)
            if (strcmp(out->entries[j].name, nm) == 0) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: scenario [%s] listed twice", path,
                         secs[i].line, nm);
                goto fail;
            }
        scenario_matrix_entry_t *e = &out->entries[out->n_entries++];
        snprintf(e->name, sizeof e->name, "%s", nm);
        e->line = secs[i].line;
    }
    sc_matrix_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.m = out;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:0: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    int line = ini_parse_file(f, sc_matrix_handler, &ctx);
    fclose(f);
    if (line != 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: %s", path, line,
                 ctx.failed ? ctx.msg : "syntax error (expected [section], key = value, or a ; comment)");
        goto fail;
    }
    if (!ctx.seen_name) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:1: missing [matrix] section with 'name'", path);
        goto fail;
    }
    if (out->n_entries == 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: the matrix lists no scenarios", path, n_lines);
        goto fail;
    }
    for (size_t i = 0; i < out->n_entries; i++)
        for (size_t j = 0; j < out->entries[i].n_overrides; j++)
            out->entries[i].overrides[j].line =
                sc_find_key_line(path, out->entries[i].line, out->entries[i].overrides[j].key);
    return 0;
fail:
    scenario_matrix_free(out);
    return -1;
}

void scenario_matrix_free(scenario_matrix_t *m)
{
    if (m->entries)
        for (size_t i = 0; i < m->n_entries; i++)
            free(m->entries[i].overrides);
    free(m->entries);
    m->entries = NULL;
    m->n_entries = 0;
}

/* ---- a run's set of scenarios (poolbench matrix, gate, calibrate) ---------------- */

typedef struct scenario_set {
    scenario_t *scs;
    size_t n;
} scenario_set_t;

static int scenario_set_fail(scenario_set_t *s, int rc)
{
    free(s->scs);
    s->scs = NULL;
    s->n = 0;
    return rc;
}

static int scenario_set_done(scenario_set_t *s, scenario_t **scs, size_t *n)
{
    *scs = s->scs;
    *n = s->n;
    return 0;
}

static void scenario_path(const char *dir, const char *name, char *out, size_t cap)
{
    if (strchr(name, '/') || (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".ini") == 0))
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s/%s.ini", dir, name);
}

int scenario_load_set(const char *matrix_file, const char *scenarios, const char *dir,
                      const char *default_dir, scenario_t **out_scs, size_t *out_n,
                      char matrix_name[SCENARIO_NAME_BYTES], char err[SCENARIO_ERR_BYTES])
{
    scenario_set_t set = { NULL, 0 }, *out = &set;
    *out_scs = NULL;
    *out_n = 0;
    char sdir[PATH_MAX];
    if (dir)
        snprintf(sdir, sizeof sdir, "%s", dir);
    else if (matrix_file) {
        snprintf(sdir, sizeof sdir, "%s", matrix_file);
        char *s = strrchr(sdir, '/');
        if (s)
            *s = '\0';
        else
            snprintf(sdir, sizeof sdir, ".");
    } else
        snprintf(sdir, sizeof sdir, "%s", default_dir);
    size_t cap = 64;
    out->scs = calloc(cap, sizeof *out->scs);
    if (!out->scs) {
        snprintf(err, SCENARIO_ERR_BYTES, "out of memory");
        return -2;
    }
    if (matrix_file) {
        scenario_matrix_t m;
        if (scenario_matrix_load(matrix_file, &m, err) != 0)
            return scenario_set_fail(out, -1);
        snprintf(matrix_name, SCENARIO_NAME_BYTES, "%s", m.name);
        for (size_t i = 0; i < m.n_entries; i++) {
            if (!util_list_has(scenarios, m.entries[i].name))
                continue;
            if (out->n == cap) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: too many scenarios (at most %zu)", matrix_file,
                        m.entries[i].line, cap);
                scenario_matrix_free(&m);
                return scenario_set_fail(out, -1);
            }
            char p[PATH_MAX];
            scenario_path(sdir, m.entries[i].name, p, sizeof p);
            if (access(p, F_OK) != 0) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: scenario [%s]: no file %s", matrix_file,
                        m.entries[i].line, m.entries[i].name, p);
                scenario_matrix_free(&m);
                return scenario_set_fail(out, -1);
            }
            scenario_t *sc = &out->scs[out->n];
            if (scenario_load(p, sc, err) != 0) {
                    scenario_matrix_free(&m);
                return scenario_set_fail(out, -1);
            }
            for (size_t k = 0; k < m.entries[i].n_overrides; k++)
                if (scenario_apply_override(sc, matrix_file, &m.entries[i].overrides[k], err) != 0) {
                            scenario_matrix_free(&m);
                    return scenario_set_fail(out, -1);
                }
            out->n++;
        }
        scenario_matrix_free(&m);
        if (out->n == 0) {
            snprintf(err, SCENARIO_ERR_BYTES, "--scenarios %s matches no scenario of %s", scenarios,
                    matrix_file);
            return scenario_set_fail(out, -1);
        }
        return scenario_set_done(out, out_scs, out_n);
    }
    snprintf(matrix_name, SCENARIO_NAME_BYTES, "adhoc");
    char *list = strdup(scenarios ? scenarios : "");
    if (!list) {
        snprintf(err, SCENARIO_ERR_BYTES, "out of memory");
        return scenario_set_fail(out, -2);
    }
    char *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (out->n == cap) {
            snprintf(err, SCENARIO_ERR_BYTES, "--scenarios: too many scenarios (at most %zu)", cap);
            free(list);
            return scenario_set_fail(out, -1);
        }
        char p[PATH_MAX];
        scenario_path(sdir, t, p, sizeof p);
        if (access(p, F_OK) != 0) {
            snprintf(err, SCENARIO_ERR_BYTES, "--scenarios: no scenario file %s", p);
            free(list);
            return scenario_set_fail(out, -1);
        }
        if (scenario_load(p, &out->scs[out->n], err) != 0) {
            free(list);
            return scenario_set_fail(out, -1);
        }
        for (size_t k = 0; k < out->n; k++)
            if (strcmp(out->scs[k].name, out->scs[out->n].name) == 0) {
                snprintf(err, SCENARIO_ERR_BYTES, "--scenarios: scenario '%s' given twice", t);
                free(list);
                return scenario_set_fail(out, -1);
            }
        out->n++;
    }
    free(list);
    if (out->n == 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "--scenarios: empty list");
        return scenario_set_fail(out, -1);
    }
    return scenario_set_done(out, out_scs, out_n);
}
