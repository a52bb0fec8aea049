/* report_profiles.c: the "Heap profiles" section (report_profiles.h): go tool pprof over
 * DIR/profiles/, its text saved beside the profiles, a compact table per arm and per diff.
 */
#define _GNU_SOURCE
#include "report_profiles.h"
#include "journal.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ parsing ------ */

static double pp_num(const char *s)
{
    return strtod(s, NULL);   /* "110753050B", "-19801537B", "10102", "0" */
}

int report_profiles_parse_top(const char *text, int sign, report_profile_table_t *t)
{
    memset(t, 0, sizeof *t);
    const char *h = text ? strstr(text, "Showing nodes accounting for ") : NULL;
    if (!h)
        return -1;
    h += strlen("Showing nodes accounting for ");
    t->shown = pp_num(h);
    const char *of = strstr(h, " of ");
    const char *eol = strchr(h, '\n');
    if (!of || (eol && of > eol))
        return -1;
    t->total = pp_num(of + 4);
    const char *rows = strstr(h, "flat  flat%");
    if (!rows)
        return -1;
    rows = strchr(rows, '\n');
    for (const char *l = rows ? rows + 1 : NULL; l && *l && t->n < REPORT_PROFILES_TOP;) {
        const char *next = strchr(l, '\n');
        size_t len = next ? (size_t)(next - l) : strlen(l);
        char line[512], flat[64], flat_pct[64], sum_pct[64], cum[64], cum_pct[64];
        int name_at = 0;
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), l);
        if (sscanf(line, "%63s %63s %63s %63s %63s %n", flat, flat_pct, sum_pct, cum, cum_pct,
                   &name_at) == 5 && name_at > 0 && line[name_at]) {
            double v = pp_num(flat);
            if ((sign == 0 && v != 0) || (sign < 0 && v < 0) || (sign > 0 && v > 0)) {
                report_profile_site_t *s = &t->top[t->n++];
                snprintf(s->name, sizeof s->name, "%s", line + name_at);
                s->value = v;
                s->pct = t->total != 0 ? 100.0 * v / t->total : 0;
            }
        }
        l = next ? next + 1 : NULL;
    }
    t->ok = 1;
    return 0;
}

/* ------------------------------------------------------------- go tool pprof ------ */

/* 'text' for sh (single quotes, embedded quotes escaped). */
static void pp_quote(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    if (o + 1 < cap)
        out[o++] = '\'';
    for (; *s && o + 5 < cap; s++) {
        if (*s == '\'') {
            memcpy(out + o, "'\\''", 4);
            o += 4;
        } else {
            out[o++] = *s;
        }
    }
    if (o + 1 < cap)
        out[o++] = '\'';
    out[o] = '\0';
}

static char *pp_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 8192, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t r = fread(b + n, 1, cap - n - 1, f);
        n += r;
        if (n + 1 < cap)
            break;
        char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    return b;
}

/* Runs `GO tool pprof -top ARGS PROFILE > dir/out_name 2>&1` and parses the text. */
static void pp_run(const char *go, const char *dir, const char *args, const char *profile,
                   const char *out_name, int sign, report_profile_table_t *t)
{
    char qgo[1100], qprof[1100], qout[1100], path[1100], cmd[4096];
    snprintf(path, sizeof path, "%s/%s", dir, profile);
    pp_quote(go, qgo, sizeof qgo);
    pp_quote(path, qprof, sizeof qprof);
    snprintf(path, sizeof path, "%s/%s", dir, out_name);
    pp_quote(path, qout, sizeof qout);
    snprintf(cmd, sizeof cmd, "%s tool pprof -top %s %s > %s 2>&1 </dev/null", qgo, args, qprof, qout);
    memset(t, 0, sizeof *t);
    int rc = system(cmd);
    char *text = pp_slurp(path);
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0 && text)
        report_profiles_parse_top(text, sign, t);
    free(text);
}

static void pp_go_exe(char *out, size_t cap)
{
    const char *env = getenv("PB_GO");
    snprintf(out, cap, "%s", env && *env ? env : "go");
}

static int pp_go_works(const char *go)
{
    char q[1100], cmd[1300];
    pp_quote(go, q, sizeof q);
    snprintf(cmd, sizeof cmd, "%s tool pprof -h >/dev/null 2>&1 </dev/null", q);
    int rc = system(cmd);
    /* pprof -h exits 2 after printing its usage; 127 is "not found" */
    return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) != 127 && WEXITSTATUS(rc) != 126;
}

/* ------------------------------------------------------------------ loading ------ */

static void jcopy(json_object *o, const char *k, char *out, size_t cap)
{
    const char *s = journal_str(o, k);
    snprintf(out, cap, "%s", s ? s : "");
}

static void pp_arm(const char *go, const char *dir, report_profile_arm_t *a)
{
    char out[400];
#define PP(kind, args, field, sign)                                                      \
    snprintf(out, sizeof out, "%s." kind ".txt", a->stem);                               \
    pp_run(go, dir, args, a->file, out, sign, &a->field);
    PP("alloc_space", "-unit=B -sample_index=alloc_space", space, 0)
    PP("alloc_objects", "-sample_index=alloc_objects", objects, 0)
    PP("inuse_space", "-unit=B -sample_index=inuse_space", inuse, 0)
    PP("inuse_objects", "-sample_index=inuse_objects", inuse_objects, 0)
    PP("pooled", "-unit=B -sample_index=alloc_space -nodefraction=0 -nodecount=1000000 "
                 "-focus='^bufpool_'", pooled_space, 0)
    PP("pooled_objects", "-sample_index=alloc_objects -nodefraction=0 -nodecount=1000000 "
                         "-focus='^bufpool_'", pooled_objects, 0)
#undef PP
}

/* The no-pool arm (policy none) of a's scenario, backend and variant, or (size_t)-1. */
static size_t pp_base_of(const report_profiles_t *p, size_t i)
{
    const report_profile_arm_t *a = &p->arms[i];
    for (size_t k = 0; k < p->n_arms; k++) {
        const report_profile_arm_t *b = &p->arms[k];
        if (k != i && strcmp(b->policy, "none") == 0 && strcmp(b->scenario, a->scenario) == 0 &&
            strcmp(b->backend, a->backend) == 0 && strcmp(b->variant, a->variant) == 0 &&
            strcmp(b->status, "ok") == 0)
            return k;
    }
    return (size_t)-1;
}

static void pp_diff(const char *go, const char *dir, const report_profiles_t *p,
                    report_profile_diff_t *d)
{
    const report_profile_arm_t *a = &p->arms[d->arm], *b = &p->arms[d->base];
    char base[1100], qbase[1200], args[1400];
    snprintf(base, sizeof base, "%s/%s", dir, b->file);
    pp_quote(base, qbase, sizeof qbase);
    snprintf(d->file, sizeof d->file, "diff-%s-minus-%s.txt", a->stem, b->policy);
    snprintf(args, sizeof args, "-unit=B -sample_index=alloc_space -nodefraction=0 "
             "-nodecount=1000000 -diff_base=%s", qbase);
    report_profile_table_t neg, pos;
    pp_run(go, dir, args, a->file, d->file, -1, &neg);
    /* the same text again, for the positive rows */
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, d->file);
    char *text = pp_slurp(path);
    if (neg.ok && text && report_profiles_parse_top(text, 1, &pos) == 0) {
        d->ok = 1;
        d->base_total = b->space.total;
        d->n_removed = neg.n;
        memcpy(d->removed, neg.top, sizeof d->removed);
        d->n_added = pos.n;
        memcpy(d->added, pos.top, sizeof d->added);
        for (size_t i = 0; i < d->n_removed; i++)
            d->removed[i].pct = d->base_total ? 100.0 * d->removed[i].value / d->base_total : 0;
        for (size_t i = 0; i < d->n_added; i++)
            d->added[i].pct = d->base_total ? 100.0 * d->added[i].value / d->base_total : 0;
    }
    free(text);
}

int report_profiles_load(const char *dir, report_profiles_t *p)
{
    memset(p, 0, sizeof *p);
    char pdir[1100], index[1200];
    snprintf(pdir, sizeof pdir, "%s/profiles", dir);
    snprintf(index, sizeof index, "%s/profiles.json", pdir);
    if (access(index, F_OK) != 0)
        return 0;
    p->present = 1;
    json_object *root = json_object_from_file(index), *list = NULL, *v;
    if (!root || !json_object_object_get_ex(root, "profiles", &list) ||
        !json_object_is_type(list, json_type_array)) {
        snprintf(p->problem, sizeof p->problem, "`%s` is not a profiles index of `poolbench "
                 "matrix`", index);
        json_object_put(root);
        return 0;
    }
    if (json_object_object_get_ex(root, "rate_bytes", &v))
        p->rate_bytes = (uint64_t)json_object_get_uint64(v);
    size_t n = json_object_array_length(list);
    p->arms = calloc(n ? n : 1, sizeof *p->arms);
    p->diffs = calloc(n ? n : 1, sizeof *p->diffs);
    if (!p->arms || !p->diffs) {
        json_object_put(root);
        return -1;
    }
    char go[1024];
    pp_go_exe(go, sizeof go);
    int have_go = pp_go_works(go);
    if (!have_go)
        snprintf(p->problem, sizeof p->problem, "`%s tool pprof` could not be run (install "
                 "golang-go: scripts/install-deps.sh, or set PB_GO): the profiles are in "
                 "`profiles/`, unread", go);
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(list, i);
        report_profile_arm_t *a = &p->arms[p->n_arms++];
        jcopy(o, "scenario", a->scenario, sizeof a->scenario);
        jcopy(o, "backend", a->backend, sizeof a->backend);
        jcopy(o, "policy", a->policy, sizeof a->policy);
        jcopy(o, "variant", a->variant, sizeof a->variant);
        jcopy(o, "file", a->file, sizeof a->file);
        jcopy(o, "status", a->status, sizeof a->status);
        snprintf(a->stem, sizeof a->stem, "%s", a->file);
        char *dot = strstr(a->stem, ".pb.gz");
        if (dot)
            *dot = '\0';
        a->runner_alloc_bytes = -1;
        if (json_object_object_get_ex(o, "alloc_bytes", &v) && json_object_is_type(v, json_type_int))
            a->runner_alloc_bytes = (double)json_object_get_uint64(v);
        if (have_go && strcmp(a->status, "ok") == 0 && !strchr(a->file, '/'))
            pp_arm(go, pdir, a);
    }
    json_object_put(root);
    for (size_t i = 0; have_go && i < p->n_arms; i++) {
        if (strcmp(p->arms[i].policy, "none") == 0 || strcmp(p->arms[i].status, "ok") != 0)
            continue;
        size_t b = pp_base_of(p, i);
        if (b == (size_t)-1)
            continue;
        report_profile_diff_t *d = &p->diffs[p->n_diffs++];
        d->arm = i;
        d->base = b;
        pp_diff(go, pdir, p, d);
    }
    return 0;
}

void report_profiles_free(report_profiles_t *p)
{
    free(p->arms);
    free(p->diffs);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ section ------ */

static void pp_emit(report_emitter_t *e, void (*fn)(report_emitter_t *, const char *),
                    const char *fmt, ...)
{
    char b[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    fn(e, b);
}

static void pp_bytes(char *b, size_t cap, double v)
{
    double a = v < 0 ? -v : v;
    if (a >= 1024.0 * 1024 * 1024)
        snprintf(b, cap, "%.2f GiB", v / (1024.0 * 1024 * 1024));
    else if (a >= 1024.0 * 1024)
        snprintf(b, cap, "%.2f MiB", v / (1024.0 * 1024));
    else if (a >= 1024.0)
        snprintf(b, cap, "%.1f KiB", v / 1024.0);
    else
        snprintf(b, cap, "%.0f B", v);
}

static void pp_share(char *b, size_t cap, const report_profile_table_t *part,
                     const report_profile_table_t *all)
{
    if (!part->ok || !all->ok || all->total <= 0)
        snprintf(b, cap, "—");
    else
        snprintf(b, cap, "%.1f %%", 100.0 * part->shown / all->total);
}

static void pp_arm_name(const report_profile_arm_t *a, char *b, size_t cap)
{
    snprintf(b, cap, "`%s`%s%s", a->policy, a->variant[0] ? " " : "", a->variant);
}

static void pp_site(char *b, size_t cap, const report_profile_table_t *t, size_t i, int bytes)
{
    if (i >= t->n) {
        snprintf(b, cap, "—");
        return;
    }
    char v[48];
    if (bytes)
        pp_bytes(v, sizeof v, t->top[i].value);
    else
        snprintf(v, sizeof v, "%.0f", t->top[i].value);
    snprintf(b, cap, "`%.100s` %s (%.1f %%)", t->top[i].name, v, t->top[i].pct);
}

static void pp_section_full(const report_profiles_t *p, report_emitter_t *e)
{
    e->heading(e, 2, "Heap profiles (profiled pass)");
    const char *scenario = p->n_arms ? p->arms[0].scenario : "?";
    pp_emit(e, e->para, "The seed's heap-profile questions, per arm of `%s` on glibc: one extra "
            "run per arm with `--memprofile` (Go's heap sampling, `--memprofile-rate %llu`, "
            "values scaled as Go scales them) after the measured cells. **These profiled runs "
            "are not cells: their timings are never used for verdicts** (they are not in "
            "`results.jsonl` or `summary.json`). The profiles cover the timed window "
            "(`alloc_*`) and what of it is still live when the profile is written "
            "(`inuse_*`); buffers a pool filled before the window are not in them. Files in "
            "`profiles/`: `<arm>.pb.gz` (open with `go tool pprof`) and beside each the text "
            "of `go tool pprof -top` by bytes, by objects, live at the end, and the "
            "allocations under the pool package (`-focus='^bufpool_'`), and the diffs.",
            scenario, (unsigned long long)p->rate_bytes);
    if (p->problem[0]) {
        pp_emit(e, e->para, "**Profiles not read**: %s.", p->problem);
        return;
    }
    e->para(e, "**Via bufpool** is the share of all allocation (bytes, objects) whose stack "
               "goes through the pool package's functions (`bufpool_*`: a pooled arm's misses "
               "and growth, allocate-instead's gets in `none`, and in `plain` the classes whose "
               "plain code still takes its buffer from `bufpool_get`): how much of the "
               "allocation the buffers the pool handles account for. **Allocated** is the "
               "profile's `alloc_space` total, beside the runner's exact `alloc_bytes` of the "
               "same run (sampling error).");
    const char *h[] = {"Arm", "Allocated (profile)", "alloc_bytes (runner)", "Objects",
                       "Via bufpool: bytes", "Via bufpool: objects", "Live at the end"};
    e->table_start(e, 7, h, p->n_arms, 0);
    for (size_t i = 0; i < p->n_arms; i++) {
        const report_profile_arm_t *a = &p->arms[i];
        char arm[160], sp[48], rb[48], ob[48], ps[48], po[48], live[96];
        pp_arm_name(a, arm, sizeof arm);
        if (strcmp(a->status, "ok") != 0 || !a->space.ok) {
            snprintf(sp, sizeof sp, "%s", strcmp(a->status, "ok") ? a->status : "unreadable");
            const char *row[] = {arm, sp, "—", "—", "—", "—", "—"};
            e->table_row(e, row);
            continue;
        }
        pp_bytes(sp, sizeof sp, a->space.total);
        if (a->runner_alloc_bytes >= 0)
            pp_bytes(rb, sizeof rb, a->runner_alloc_bytes);
        else
            snprintf(rb, sizeof rb, "—");
        snprintf(ob, sizeof ob, "%.0f", a->objects.total);
        pp_share(ps, sizeof ps, &a->pooled_space, &a->space);
        pp_share(po, sizeof po, &a->pooled_objects, &a->objects);
        char lb[48];
        pp_bytes(lb, sizeof lb, a->inuse.total);
        snprintf(live, sizeof live, "%s in %.0f objects", lb, a->inuse_objects.total);
        const char *row[] = {arm, sp, rb, ob, ps, po, live};
        e->table_row(e, row);
    }
    e->table_end(e);
    for (size_t i = 0; i < p->n_arms; i++) {
        const report_profile_arm_t *a = &p->arms[i];
        if (strcmp(a->status, "ok") != 0 || !a->space.ok)
            continue;
        char title[200];
        snprintf(title, sizeof title, "Arm %s: top allocation sites", a->policy);
        e->heading(e, 3, title);
        const char *th[] = {"#", "By bytes (alloc_space)", "By objects (alloc_objects)",
                            "Live at the end (inuse_space)"};
        size_t rows = a->space.n > a->objects.n ? a->space.n : a->objects.n;
        if (a->inuse.n > rows)
            rows = a->inuse.n;
        e->table_start(e, 4, th, rows, 0);
        for (size_t r = 0; r < rows; r++) {
            char n[8], b1[256], b2[256], b3[256];
            snprintf(n, sizeof n, "%zu", r + 1);
            pp_site(b1, sizeof b1, &a->space, r, 1);
            pp_site(b2, sizeof b2, &a->objects, r, 0);
            pp_site(b3, sizeof b3, &a->inuse, r, 1);
            const char *row[] = {n, b1, b2, b3};
            e->table_row(e, row);
        }
        e->table_end(e);
        if (rows == 0)
            e->para(e, "No sampled allocation in the window.");
    }
    if (p->n_diffs == 0)
        return;
    e->heading(e, 3, "What the pool removes and adds (pprof -diff_base, arm minus `none`)");
    e->para(e, "`go tool pprof -top -sample_index=alloc_space -diff_base=<none arm> <arm>`: "
               "negative values are allocation the arm does not make that allocate-instead "
               "makes (removed), positive values allocation it adds; percentages of the "
               "`none` arm's total. The full text is `profiles/diff-*.txt`.");
    for (size_t i = 0; i < p->n_diffs; i++) {
        const report_profile_diff_t *d = &p->diffs[i];
        const report_profile_arm_t *a = &p->arms[d->arm];
        char title[200];
        snprintf(title, sizeof title, "`%s` minus `none`", a->policy);
        e->heading(e, 3, title);
        if (!d->ok) {
            pp_emit(e, e->para, "`go tool pprof -diff_base` could not read the pair (see `profiles/%s`).",
                    d->file);
            continue;
        }
        const char *dh[] = {"#", "Removed (site, bytes)", "Added (site, bytes)"};
        size_t rows = d->n_removed > d->n_added ? d->n_removed : d->n_added;
        e->table_start(e, 3, dh, rows, 0);
        for (size_t r = 0; r < rows; r++) {
            char n[8], b1[256] = "—", b2[256] = "—", v[48];
            snprintf(n, sizeof n, "%zu", r + 1);
            if (r < d->n_removed) {
                pp_bytes(v, sizeof v, d->removed[r].value);
                snprintf(b1, sizeof b1, "`%.100s` %s (%.1f %%)", d->removed[r].name, v, d->removed[r].pct);
            }
            if (r < d->n_added) {
                pp_bytes(v, sizeof v, d->added[r].value);
                snprintf(b2, sizeof b2, "`%.100s` +%s (+%.1f %%)", d->added[r].name, v, d->added[r].pct);
            }
            const char *row[] = {n, b1, b2};
            e->table_row(e, row);
        }
        e->table_end(e);
        if (rows == 0)
            e->para(e, "No site differs between the two profiles.");
    }
}

void report_profiles_section(const report_profiles_t *p, report_emitter_t *e,
                             report_document_t which)
{
    if (!p || !p->present)
        return;
    if (which == REPORT_DOC_FULL) {
        pp_section_full(p, e);
        return;
    }
    size_t ok = 0;
    for (size_t i = 0; i < p->n_arms; i++)
        ok += strcmp(p->arms[i].status, "ok") == 0 && p->arms[i].space.ok;
    pp_emit(e, e->para, "Heap profiles of %zu arm(s) of `%s` (a profiled pass, never used for "
            "verdicts): top allocation sites by bytes and objects, what is live at the end, "
            "the pooled buffers' share and the pprof diffs against `none` are in "
            "`report-full.md` (\"Heap profiles\") and `profiles/`.%s%s", ok,
            p->n_arms ? p->arms[0].scenario : "?", p->problem[0] ? " Not read: " : "",
            p->problem);
}
