/* export_gobench.c: Go benchmark text format export (export_gobench.h). Reads the journal
 * only; never prints to the terminal, never exits. */
#include "export_gobench.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <sys/utsname.h>

/* appends s sanitized for a benchfmt name part; 0 or -1 when full */
static int put_part(char *buf, size_t cap, size_t *len, const char *s, int camel)
{
    int upper_next = camel;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (camel && c == '_') {
            upper_next = 1;
            continue;
        }
        if (c <= ' ' || c == '/' || c == 0x7f)
            c = '_';
        if (upper_next && islower(c))
            c = (unsigned char)toupper(c);
        upper_next = 0;
        if (*len + 1 >= cap)
            return -1;
        buf[(*len)++] = (char)c;
    }
    buf[*len] = '\0';
    return 0;
}

static int put_kv(char *buf, size_t cap, size_t *len, const char *k, const char *v)
{
    if (*len + 1 >= cap)
        return -1;
    buf[(*len)++] = '/';
    buf[*len] = '\0';
    if (put_part(buf, cap, len, k, 0) < 0 || *len + 1 >= cap)
        return -1;
    buf[(*len)++] = '=';
    buf[*len] = '\0';
    return put_part(buf, cap, len, v ? v : "", 0);
}

int export_gobench_name(json_object *cell, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap < 10)
        return -1;
    strcpy(buf, "Benchmark");
    len = 9;
    const char *w = journal_str(cell, "workload");
    if (put_part(buf, cap, &len, w && *w ? w : "Unknown", 1) < 0)
        return -1;
    if (put_kv(buf, cap, &len, "scenario", journal_str(cell, "scenario")) < 0 ||
        put_kv(buf, cap, &len, "backend", journal_str(cell, "backend")) < 0 ||
        put_kv(buf, cap, &len, "policy", journal_str(cell, "policy")) < 0)
        return -1;
    /* variant: "k=v k=v"; each pair becomes a name part */
    const char *v = journal_str(cell, "variant");
    char tok[256];
    while (v && *v) {
        while (*v == ' ')
            v++;
        size_t n = strcspn(v, " ");
        if (n == 0)
            break;
        if (n >= sizeof tok)
            n = sizeof tok - 1;
        memcpy(tok, v, n);
        tok[n] = '\0';
        v += strcspn(v, " ");
        char *eq = strchr(tok, '=');
        if (eq) {
            *eq = '\0';
            if (put_kv(buf, cap, &len, tok, eq + 1) < 0)
                return -1;
        } else if (put_kv(buf, cap, &len, "variant", tok) < 0) {
            return -1;
        }
    }
    return 0;
}

/* a number for a benchfmt value: integers as integers, else 4 decimals, trailing zeros cut */
static void fmt_num(char *buf, size_t cap, double x)
{
    if (x == floor(x) && fabs(x) < 9e15) {
        snprintf(buf, cap, "%.0f", x);
        return;
    }
    snprintf(buf, cap, "%.4f", x);
    char *e = buf + strlen(buf) - 1;
    while (e > buf && *e == '0')
        *e-- = '\0';
    if (*e == '.')
        *e = '\0';
}

/* config value: one line, no control characters */
static int config_line(FILE *out, const char *key, const char *val)
{
    if (!val || !*val)
        return 0;
    if (fprintf(out, "%s: ", key) < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)val; *p; p++)
        if (fputc(*p < ' ' ? ' ' : *p, out) == EOF)
            return -1;
    return fputc('\n', out) == EOF ? -1 : 0;
}

static const char *goarch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__i386__)
    return "386";
#else
    static struct utsname u;
    return uname(&u) == 0 ? u.machine : "unknown";
#endif
}

static int write_config(const journal_t *j, FILE *out)
{
    json_object *ctx = j->context;
    char seed[32] = "";
    long long s = journal_int(ctx, "seed", -1);
    if (s >= 0)
        snprintf(seed, sizeof seed, "%lld", s);
    if (config_line(out, "goos", "linux") < 0 || config_line(out, "goarch", goarch()) < 0 ||
        config_line(out, "pkg", "poolbench") < 0 ||
        config_line(out, "cpu", journal_str(ctx, "cpu_model")) < 0 ||
        config_line(out, "commit", journal_str(ctx, "driver_git_commit")) < 0 ||
        config_line(out, "seed", seed) < 0 ||
        config_line(out, "kernel", journal_str(ctx, "kernel")) < 0 ||
        config_line(out, "glibc", journal_str(ctx, "glibc")) < 0)
        return -1;
    return 0;
}

long export_gobench_write(const journal_t *j, FILE *out, size_t *skipped)
{
    size_t skip = 0;
    long lines = 0;
    long long cores = journal_int(j->context, "cores", 1);
    if (cores < 1)
        cores = 1;
    if (write_config(j, out) < 0 || fputc('\n', out) == EOF)
        return -1;
    char name[1024];
    for (size_t i = 0; i < j->n_cells; i++) {
        json_object *cell = j->cells[i];
        const char *st = journal_str(cell, "status");
        if (!st || strcmp(st, "ok") != 0)
            continue;
        json_object *cr = NULL;   /* a counting repetition's time is not a sample */
        if (json_object_object_get_ex(cell, "counting_repetition", &cr) &&
            json_object_get_boolean(cr))
            continue;
        json_object *mo = NULL;
        pb_metrics_t m;
        journal_present_t pr;
        memset(&m, 0, sizeof m);
        memset(&pr, 0, sizeof pr);
        if (json_object_object_get_ex(cell, "metrics", &mo) && json_object_is_type(mo, json_type_object))
            journal_metrics_get(mo, &m, &pr);
        double ops = pr.ops && m.ops > 0 ? (double)m.ops : 0;
        double ns;
        if (pr.ns_per_op)
            ns = (double)m.ns_per_op;
        else if (pr.wall_ns)
            ns = ops > 0 ? (double)m.wall_ns / ops : (double)m.wall_ns;
        else {
            skip++;
            continue;
        }
        if (export_gobench_name(cell, name, sizeof name) < 0) {
            skip++;
            continue;
        }
        char a[64], b[64], c[64];
        fmt_num(a, sizeof a, ops > 0 ? ops : 1);
        fmt_num(b, sizeof b, ns);
        if (fprintf(out, "%s-%lld\t%s\t%s ns/op", name, cores, a, b) < 0)
            return -1;
        int have_b = 0, have_a = 0;
        double bop = 0, aop = 0;
        if (pr.alloc_bytes && ops > 0)
            have_b = 1, bop = (double)m.alloc_bytes / ops;
        else if (pr.bytes_per_op)
            have_b = 1, bop = (double)m.bytes_per_op;
        if (pr.alloc_calls && ops > 0)
            have_a = 1, aop = (double)m.alloc_calls / ops;
        else if (pr.allocs_per_op)
            have_a = 1, aop = (double)m.allocs_per_op;
        if (have_b) {
            fmt_num(c, sizeof c, bop);
            if (fprintf(out, "\t%s B/op", c) < 0)
                return -1;
        }
        if (have_a) {
            fmt_num(c, sizeof c, aop);
            if (fprintf(out, "\t%s allocs/op", c) < 0)
                return -1;
        }
        if (fputc('\n', out) == EOF)
            return -1;
        lines++;
    }
    if (skipped)
        *skipped = skip;
    return fflush(out) == 0 ? lines : -1;
}
