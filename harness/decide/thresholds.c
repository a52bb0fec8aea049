/* thresholds.c: parses scenarios/thresholds.ini (libinih) into thresholds_t.
 *
 * Guarantees: the whole file is read first and checked for valid UTF-8 and line length;
 * then inih parses it from memory through a line-counting reader, so every message
 * names the line it is about. Unknown sections and keys, keys given twice, values that
 * are not numbers, and values out of range are errors ("FILE:LINE: message"). On error
 * *t is left at the defaults. Nothing here prints or exits.
 */
#include "thresholds.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define TH_MAX_LINE_BYTES 190   /* below inih's default INI_MAX_LINE (200) */
#define TH_MAX_FILE_BYTES (1u << 20)

typedef enum th_kind { TH_PERCENT, TH_FRACTION, TH_U64, TH_NAME } th_kind_t;

typedef struct th_key {
    const char *section;
    const char *name;
    th_kind_t kind;
    size_t offset;
    double lo, hi;          /* inclusive range for numbers                    */
    int lo_open, hi_open;   /* 1: the bound itself is not allowed            */
} th_key_t;

#define OFF(f) offsetof(thresholds_t, f)

static const th_key_t th_keys[] = {
    {"keep", "speedup_percent", TH_PERCENT, OFF(speedup_percent), 0, 1000, 1, 0},
    {"keep", "peak_memory_reduction_percent", TH_PERCENT, OFF(peak_memory_reduction_percent),
     0, 100, 1, 1},
    {"keep", "pressure_reduction_percent", TH_PERCENT, OFF(pressure_reduction_percent), 0, 100,
     1, 1},
    {"keep", "worse_tolerance_percent", TH_PERCENT, OFF(worse_tolerance_percent), 0, 1000, 0, 0},
    {"remove", "equivalence_percent", TH_PERCENT, OFF(equivalence_percent), 0, 100, 1, 1},
    {"gate", "max_regression_percent", TH_PERCENT, OFF(max_regression_percent), 0, 1000, 1, 0},
    {"gate", "max_instructions_increase_percent", TH_PERCENT,
     OFF(max_instructions_increase_percent), 0, 1000, 1, 0},
    {"stats", "alpha", TH_FRACTION, OFF(alpha), 0, 0.5, 1, 0},
    {"stats", "confidence_level", TH_FRACTION, OFF(confidence_level), 0.5, 1, 0, 1},
    {"stats", "min_samples_per_arm", TH_U64, OFF(min_samples_per_arm), 4, 1000000, 0, 0},
    {"stats", "bootstrap_resamples", TH_U64, OFF(bootstrap_resamples),
     STATS_BOOTSTRAP_MIN_RESAMPLES, 10000000, 0, 0},
    {"stats", "bootstrap_seed", TH_U64, OFF(bootstrap_seed), 0, 18446744073709551615.0, 0, 0},
    {"warnings", "high_spread_percent", TH_PERCENT, OFF(high_spread_percent), 0, 1000, 1, 0},
    {"warnings", "noisy_machine_percent", TH_PERCENT, OFF(noisy_machine_percent), 0, 1000, 1, 0},
    {"decision", "reference_backend", TH_NAME, OFF(reference_backend), 0, 0, 0, 0},
};
#define TH_N_KEYS (sizeof th_keys / sizeof th_keys[0])

void thresholds_default(thresholds_t *t)
{
    memset(t, 0, sizeof *t);
    t->speedup_percent = 15.0;
    t->peak_memory_reduction_percent = 20.0;
    t->pressure_reduction_percent = 30.0;
    t->worse_tolerance_percent = 10.0;
    t->equivalence_percent = 10.0;
    t->max_regression_percent = 10.0;
    t->max_instructions_increase_percent = 3.0;
    t->alpha = 0.05;
    t->confidence_level = 0.95;
    t->min_samples_per_arm = 4;
    t->bootstrap_resamples = 10000;
    t->bootstrap_seed = 20240601;
    t->high_spread_percent = 10.0;
    t->noisy_machine_percent = 5.0;
    snprintf(t->reference_backend, sizeof t->reference_backend, "glibc");
    snprintf(t->source, sizeof t->source, "defaults");
}

double thresholds_keep_time_ratio(const thresholds_t *t)
{
    return 1.0 / (1.0 + t->speedup_percent / 100.0);
}

double thresholds_keep_memory_ratio(const thresholds_t *t)
{
    return 1.0 - t->peak_memory_reduction_percent / 100.0;
}

double thresholds_keep_pressure_ratio(const thresholds_t *t)
{
    return 1.0 - t->pressure_reduction_percent / 100.0;
}

double thresholds_worse_ratio(const thresholds_t *t)
{
    return 1.0 + t->worse_tolerance_percent / 100.0;
}

double thresholds_equivalence_margin(const thresholds_t *t)
{
    return t->equivalence_percent / 100.0;
}

/* ---- parsing ------------------------------------------------------------------------ */

typedef struct th_ctx {
    thresholds_t *t;
    const char *buf;       /* whole file, NUL-terminated */
    size_t pos;
    int line;              /* line of the last string handed to inih */
    int err_line;          /* first handler error, 0 = none */
    char msg[THRESHOLDS_ERR_BYTES / 2];
    unsigned char seen[TH_N_KEYS];
} th_ctx_t;

static char *th_reader(char *str, int num, void *stream)
{
    th_ctx_t *c = stream;
    if (c->buf[c->pos] == '\0' || num < 2)
        return NULL;
    size_t i = 0;
    while (c->buf[c->pos] != '\0' && (int)i < num - 1) {
        char ch = c->buf[c->pos++];
        str[i++] = ch;
        if (ch == '\n')
            break;
    }
    str[i] = '\0';
    c->line++;
    return str;
}

static void th_fail(th_ctx_t *c, const char *fmt, const char *a, const char *b)
{
    if (c->err_line)
        return;
    c->err_line = c->line;
    snprintf(c->msg, sizeof c->msg, fmt, a, b);
}

static int th_parse_u64(const char *v, unsigned long long *out)
{
    if (*v == '\0' || *v == '-' || *v == '+')
        return -1;
    for (const char *p = v; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end)
        return -1;
    *out = x;
    return 0;
}

static int th_parse_double(const char *v, double *out)
{
    if (*v == '\0')
        return -1;
    for (const char *p = v; *p; p++)
        if (!strchr("0123456789.eE+-", *p))
            return -1;     /* no "inf", "nan", hex floats */
    errno = 0;
    char *end;
    double x = strtod(v, &end);
    if (errno || *end || !isfinite(x))
        return -1;
    *out = x;
    return 0;
}

static int th_handler(void *user, const char *section, const char *name, const char *value)
{
    th_ctx_t *c = user;
    int section_known = 0;
    for (size_t i = 0; i < TH_N_KEYS; i++) {
        if (strcmp(th_keys[i].section, section) != 0)
            continue;
        section_known = 1;
        if (strcmp(th_keys[i].name, name) != 0)
            continue;
        const th_key_t *k = &th_keys[i];
        if (c->seen[i]) {
            th_fail(c, "key '%s' given twice in [%s]", name, section);
            return 0;
        }
        c->seen[i] = 1;
        char *field = (char *)c->t + k->offset;
        if (k->kind == TH_NAME) {
            size_t n = strlen(value);
            int ok = n > 0 && n < THRESHOLDS_NAME_BYTES;
            for (size_t j = 0; ok && j < n; j++) {
                char ch = value[j];
                ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                     ch == '_';
            }
            if (!ok) {
                th_fail(c, "%s: bad value '%s' (expected a backend name such as glibc)", name,
                        value);
                return 0;
            }
            memcpy(field, value, n + 1);
            return 1;
        }
        double x;
        if (k->kind == TH_U64) {
            unsigned long long u;
            if (th_parse_u64(value, &u) != 0) {
                th_fail(c, "%s: bad value '%s' (expected a non-negative integer)", name, value);
                return 0;
            }
            x = (double)u;
            if (x < k->lo || x > k->hi) {
                char range[96];
                snprintf(range, sizeof range, "%.0f..%.0f", k->lo, k->hi);
                th_fail(c, "%s: out of range (allowed %s)", name, range);
                return 0;
            }
            *(uint64_t *)(void *)field = (uint64_t)u;
            return 1;
        }
        if (th_parse_double(value, &x) != 0) {
            th_fail(c, "%s: bad value '%s' (expected a number, e.g. 15 or 0.05)", name, value);
            return 0;
        }
        if (x < k->lo || x > k->hi || (k->lo_open && x == k->lo) || (k->hi_open && x == k->hi)) {
            char range[96];
            snprintf(range, sizeof range, "%s%g, %g%s", k->lo_open ? "(" : "[", k->lo, k->hi,
                     k->hi_open ? ")" : "]");
            th_fail(c, "%s: out of range (allowed %s)", name, range);
            return 0;
        }
        *(double *)(void *)field = x;
        return 1;
    }
    if (!section_known) {
        if (section[0] == '\0')
            th_fail(c, "key '%s' outside a section (sections: [keep] [remove] [gate] [stats] "
                       "[warnings] [decision])%s", name, "");
        else
            th_fail(c, "unknown section [%s] (known: keep, remove, gate, stats, warnings, "
                       "decision)%s", section, "");
        return 0;
    }
    th_fail(c, "unknown key '%s' in [%s]", name, section);
    return 0;
}

/* Length of a valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t th_utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len;
    unsigned min;
    unsigned cp;
    if ((p[0] & 0xE0) == 0xC0) { len = 2; cp = p[0] & 0x1F; min = 0x80; }
    else if ((p[0] & 0xF0) == 0xE0) { len = 3; cp = p[0] & 0x0F; min = 0x800; }
    else if ((p[0] & 0xF8) == 0xF0) { len = 4; cp = p[0] & 0x07; min = 0x10000; }
    else return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Checks UTF-8, control characters and line length. Returns 0 or the bad line. */
static int th_check_text(const char *buf, size_t n, char *why, size_t why_cap)
{
    int line = 1;
    size_t col = 0;
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == '\n') {
            line++;
            col = 0;
            i++;
            continue;
        }
        if (ch == '\0' || (ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7F) {
            snprintf(why, why_cap, "control character 0x%02x at column %zu", ch, col + 1);
            return line;
        }
        size_t l = th_utf8_len((const unsigned char *)buf + i, n - i);
        if (l == 0) {
            snprintf(why, why_cap, "invalid UTF-8 at column %zu", col + 1);
            return line;
        }
        i += l;
        col += l;
        if (col > TH_MAX_LINE_BYTES) {
            snprintf(why, why_cap, "line longer than %d bytes", TH_MAX_LINE_BYTES);
            return line;
        }
    }
    return 0;
}

int thresholds_load(const char *path, thresholds_t *t, char err[THRESHOLDS_ERR_BYTES])
{
    thresholds_default(t);
    err[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, THRESHOLDS_ERR_BYTES, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(TH_MAX_FILE_BYTES + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, THRESHOLDS_ERR_BYTES, "%s:0: out of memory", path);
        return -1;
    }
    size_t n = fread(buf, 1, TH_MAX_FILE_BYTES + 1, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        snprintf(err, THRESHOLDS_ERR_BYTES, "%s:0: cannot read", path);
        return -1;
    }
    if (n > TH_MAX_FILE_BYTES) {
        free(buf);
        snprintf(err, THRESHOLDS_ERR_BYTES, "%s:0: file larger than %u bytes", path,
                 TH_MAX_FILE_BYTES);
        return -1;
    }
    buf[n] = '\0';
    char why[128];
    int bad = th_check_text(buf, n, why, sizeof why);
    if (bad) {
        free(buf);
        snprintf(err, THRESHOLDS_ERR_BYTES, "%s:%d: %s", path, bad, why);
        return -1;
    }
    thresholds_t tmp;
    thresholds_default(&tmp);
    th_ctx_t *c = calloc(1, sizeof *c);
    if (!c) {
        free(buf);
        snprintf(err, THRESHOLDS_ERR_BYTES, "%s:0: out of memory", path);
        return -1;
    }
    c->t = &tmp;
    c->buf = buf;
    int rc = ini_parse_stream(th_reader, c, th_handler, c);
    int result = 0;
    if (rc < 0) {
        snprintf(err, THRESHOLDS_ERR_BYTES, "%s:0: out of memory", path);
        result = -1;
    } else if (rc > 0) {
        if (c->err_line && c->err_line <= rc)
            snprintf(err, THRESHOLDS_ERR_BYTES, "%s:%d: %s", path, c->err_line, c->msg);
        else
            snprintf(err, THRESHOLDS_ERR_BYTES,
                     "%s:%d: syntax error (expected '[section]', 'key = value' or a '#' "
                     "comment)", path, rc);
        result = -1;
    } else if (c->err_line) {
        snprintf(err, THRESHOLDS_ERR_BYTES, "%s:%d: %s", path, c->err_line, c->msg);
        result = -1;
    } else {
        int any = 0;
        for (size_t i = 0; i < TH_N_KEYS; i++)
            any |= c->seen[i];
        if (!any) {   /* an empty file is a mistake, not a request for the defaults */
            snprintf(err, THRESHOLDS_ERR_BYTES, "%s:1: no thresholds set (an empty file): "
                     "set at least one key, or leave the thresholds file out for the "
                     "built-in defaults", path);
            result = -1;
        }
    }
    free(c);
    free(buf);
    if (result == 0) {
        snprintf(tmp.source, sizeof tmp.source, "%s", path);
        *t = tmp;
    }
    return result;
}

/* ---- JSON --------------------------------------------------------------------------- */

static int th_add(json_object *o, const char *k, json_object *v)
{
    if (!v)
        return -1;
    if (json_object_object_add(o, k, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

json_object *thresholds_json(const thresholds_t *t)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    int bad = 0;
    bad |= th_add(o, "source", json_object_new_string(t->source));
    bad |= th_add(o, "speedup_percent", json_object_new_double(t->speedup_percent));
    bad |= th_add(o, "peak_memory_reduction_percent",
                  json_object_new_double(t->peak_memory_reduction_percent));
    bad |= th_add(o, "pressure_reduction_percent",
                  json_object_new_double(t->pressure_reduction_percent));
    bad |= th_add(o, "worse_tolerance_percent", json_object_new_double(t->worse_tolerance_percent));
    bad |= th_add(o, "equivalence_percent", json_object_new_double(t->equivalence_percent));
    bad |= th_add(o, "max_regression_percent", json_object_new_double(t->max_regression_percent));
    bad |= th_add(o, "max_instructions_increase_percent",
                  json_object_new_double(t->max_instructions_increase_percent));
    bad |= th_add(o, "alpha", json_object_new_double(t->alpha));
    bad |= th_add(o, "confidence_level", json_object_new_double(t->confidence_level));
    bad |= th_add(o, "min_samples_per_arm", json_object_new_int64((int64_t)t->min_samples_per_arm));
    bad |= th_add(o, "bootstrap_resamples", json_object_new_int64((int64_t)t->bootstrap_resamples));
    bad |= th_add(o, "bootstrap_seed", json_object_new_uint64(t->bootstrap_seed));
    bad |= th_add(o, "high_spread_percent", json_object_new_double(t->high_spread_percent));
    bad |= th_add(o, "noisy_machine_percent", json_object_new_double(t->noisy_machine_percent));
    bad |= th_add(o, "reference_backend", json_object_new_string(t->reference_backend));
    bad |= th_add(o, "keep_time_ratio", json_object_new_double(thresholds_keep_time_ratio(t)));
    bad |= th_add(o, "keep_memory_ratio", json_object_new_double(thresholds_keep_memory_ratio(t)));
    bad |= th_add(o, "keep_pressure_ratio",
                  json_object_new_double(thresholds_keep_pressure_ratio(t)));
    bad |= th_add(o, "worse_ratio", json_object_new_double(thresholds_worse_ratio(t)));
    bad |= th_add(o, "equivalence_margin",
                  json_object_new_double(thresholds_equivalence_margin(t)));
    if (bad) {
        json_object_put(o);
        return NULL;
    }
    return o;
}
