/* report_md.c: the report's content, one walker for both documents (report.md and
 * report-full.md; report.html is the full one), and the Markdown emitter with the short
 * report's limit guard (report_md.h). Reads the analysis model only; never prints to the
 * terminal, never exits. */
#include "report_md.h"
#include "report_profiles.h"

#include <json-c/json.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================== formatting */

#define CELL 192

static void fmt_time_ns(char *b, size_t cap, double ns)
{
    if (isnan(ns))
        snprintf(b, cap, "n/a");
    else if (ns < 1e3)
        snprintf(b, cap, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(b, cap, "%.3g µs", ns / 1e3);
    else if (ns < 1e9)
        snprintf(b, cap, "%.3g ms", ns / 1e6);
    else
        snprintf(b, cap, "%.3g s", ns / 1e9);
}

/* a metric value with its unit */
static void fmt_metric(char *b, size_t cap, int metric, double v)
{
    const char *name = metric >= 0 ? analysis_metric_name((analysis_metric_t)metric) : "";
    size_t l = strlen(name);
    if (isnan(v))
        snprintf(b, cap, "n/a");
    else if ((l > 3 && strcmp(name + l - 3, "_ns") == 0) || strncmp(name, "ns_", 3) == 0)
        fmt_time_ns(b, cap, v);
    else if (strstr(name, "bytes"))
        v >= 1048576 ? snprintf(b, cap, "%.3g MiB", v / 1048576)
                     : v >= 1024 ? snprintf(b, cap, "%.3g KiB", v / 1024) : snprintf(b, cap, "%.0f B", v);
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(b, cap, "%.0f", v);
    else
        snprintf(b, cap, "%.3g", v);
}

static void fmt_ratio(char *b, size_t cap, double r)
{
    if (isnan(r))
        snprintf(b, cap, "n/a");
    else if (isinf(r))
        snprintf(b, cap, "— (a is 0)");
    else
        snprintf(b, cap, "%.3f (%+.1f %%)", r, (r - 1) * 100);
}

static void fmt_ci(char *b, size_t cap, double lo, double hi)
{
    if (isnan(lo) || isnan(hi) || isinf(lo) || isinf(hi))
        snprintf(b, cap, "n/a");
    else
        snprintf(b, cap, "[%.3f, %.3f]", lo, hi);
}

static void fmt_p(char *b, size_t cap, double p)
{
    if (isnan(p))
        snprintf(b, cap, "—");
    else if (p < 0.001)
        snprintf(b, cap, "%.1e", p);
    else
        snprintf(b, cap, "%.3f", p);
}

static const char *or_dash(const char *s) { return s && *s ? s : "—"; }

static void emitf(report_emitter_t *e, void (*fn)(report_emitter_t *, const char *), const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fn(e, buf);
}

static void end_list(report_emitter_t *e)
{
    if (e->in_list) {
        e->list_end(e);
        e->in_list = 0;
    }
}

static void item(report_emitter_t *e, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    e->in_list = 1;
    e->item(e, buf);
}

static const char *verdict_word(analysis_verdict_kind_t v)
{
    return analysis_verdict_name(v);
}

/* Appends the classes of one verdict kind as "`a`, `b`" (what would settle each, for
 * INCONCLUSIVE); returns how many. */
static size_t class_list(const analysis_model_t *m, analysis_verdict_kind_t kind, bool settle,
                         char *b, size_t cap)
{
    size_t n = 0, l = strlen(b);
    for (size_t i = 0; i < m->n_classes && l < cap; i++) {
        const analysis_class_verdict_t *c = &m->classes[i];
        if (c->verdict != kind)
            continue;
        l += (size_t)snprintf(b + l, cap - l, "%s`%s`", n ? ", " : "", c->cls);
        if (settle && c->settle[0] && l < cap)
            l += (size_t)snprintf(b + l, cap - l, " (would settle: %s)", c->settle);
        n++;
    }
    return n;
}

static const char *overall_sentence(const analysis_model_t *m, char *b, size_t cap)
{
    size_t l;
    b[0] = '\0';
    switch (m->overall) {
    case ANALYSIS_REMOVE_ALL:
        snprintf(b, cap, "**REMOVE_ALL: remove the pool package**: every pool class is REMOVE "
                         "(against the code without it, the pool is significantly worse, or no "
                         "cost gains more than %.0f %%).", m->th.equivalence_percent);
        break;
    case ANALYSIS_KEEP_ALL:
        snprintf(b, cap, "**KEEP_ALL: keep the whole pool package**: every pool class is KEEP "
                         "(a cost measurably lower, nothing else worse).");
        break;
    case ANALYSIS_KEEP_SOME:
        snprintf(b, cap, "**KEEP_SOME: keep ");
        class_list(m, ANALYSIS_KEEP, false, b, cap);
        l = strlen(b);
        snprintf(b + l, cap - l, "**");
        if (m->n_keep_classes < m->n_classes) {
            l = strlen(b);
            snprintf(b + l, cap - l, "; remove ");
            if (!class_list(m, ANALYSIS_REMOVE, false, b, cap)) {
                l = strlen(b);
                snprintf(b + l, cap - l, "none");
            }
            if (m->n_inconclusive_classes) {
                l = strlen(b);
                snprintf(b + l, cap - l, "; undecided ");
                class_list(m, ANALYSIS_INCONCLUSIVE, true, b, cap);
            }
        }
        l = strlen(b);
        snprintf(b + l, cap - l, ".");
        break;
    case ANALYSIS_UNDECIDED:
        snprintf(b, cap, "**UNDECIDED**: no class is shown worth keeping, and not every class "
                         "is shown removable. Undecided: ");
        class_list(m, ANALYSIS_INCONCLUSIVE, true, b, cap);
        if (m->n_classes > m->n_inconclusive_classes) {
            l = strlen(b);
            snprintf(b + l, cap - l, "; remove ");
            class_list(m, ANALYSIS_REMOVE, false, b, cap);
        }
        l = strlen(b);
        snprintf(b + l, cap - l, ".");
        break;
    case ANALYSIS_NO_DATA:
    default:
        snprintf(b, cap, "**NO_DATA: no decision**: the journal has no comparison of a pooled "
                         "policy with `plain` or `none` (run scenarios with those policies).");
        break;
    }
    return b;
}

/* ================================================================== sections */

static bool is_runtime(const char *backend) { return strcmp(backend, "go") == 0; }

/* a level-2 heading, remembered as the current section (notes name it) */
static void section(report_emitter_t *e, const char *title)
{
    e->section = title;
    e->heading(e, 2, title);
}

/* the first line: the overall kind and the classes, e.g. "KEEP_SOME: keep `tar`; remove
   `hash`, `string`" */
static const char *first_line(const analysis_model_t *m, char *b, size_t cap)
{
    static const struct { analysis_verdict_kind_t kind; const char *word; } parts[] = {
        {ANALYSIS_KEEP, "keep"}, {ANALYSIS_REMOVE, "remove"}, {ANALYSIS_INCONCLUSIVE, "undecided"}};
    size_t l;
    switch (m->overall) {
    case ANALYSIS_REMOVE_ALL:
        snprintf(b, cap, "REMOVE_ALL: remove the pool package (");
        class_list(m, ANALYSIS_REMOVE, false, b, cap);
        l = strlen(b);
        snprintf(b + l, cap - l, ")");
        return b;
    case ANALYSIS_KEEP_ALL:
        snprintf(b, cap, "KEEP_ALL: keep the whole pool package (");
        class_list(m, ANALYSIS_KEEP, false, b, cap);
        l = strlen(b);
        snprintf(b + l, cap - l, ")");
        return b;
    case ANALYSIS_KEEP_SOME:
    case ANALYSIS_UNDECIDED: {
        snprintf(b, cap, "%s: ", analysis_overall_name(m->overall));
        int any = 0;
        for (size_t k = 0; k < sizeof parts / sizeof *parts; k++) {
            size_t n = 0;
            for (size_t i = 0; i < m->n_classes; i++)
                n += m->classes[i].verdict == parts[k].kind;
            if (!n)
                continue;
            l = strlen(b);
            snprintf(b + l, cap - l, "%s%s ", any ? "; " : "", parts[k].word);
            class_list(m, parts[k].kind, false, b, cap);
            any = 1;
        }
        return b;
    }
    case ANALYSIS_NO_DATA:
    default:
        snprintf(b, cap, "NO_DATA: no decision (no pooled arm compared with `plain` or `none`)");
        return b;
    }
}

static const analysis_class_verdict_t *find_class(const analysis_class_verdict_t *cs, size_t n,
                                                  const char *cls)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cs[i].cls, cls) == 0)
            return &cs[i];
    return NULL;
}

/* Is v one of the verdicts a class verdict is built from (headline, its basis)? */
static bool in_basis(const analysis_class_verdict_t *c, const analysis_verdict_t *v, bool runtime)
{
    if (!v->headline || strcmp(v->cls, c->cls) != 0 || is_runtime(v->backend) != runtime)
        return false;
    return strcmp(c->basis, "all backends") == 0 || strcmp(c->basis, v->backend) == 0;
}

/* Did v fire the class rule? KEEP: the KEEP verdicts; REMOVE: all of them; INCONCLUSIVE:
   the KEEP and worse verdicts that conflict, else those that are not REMOVE. */
static bool deciding(const analysis_class_verdict_t *c, const analysis_verdict_t *v)
{
    switch (c->verdict) {
    case ANALYSIS_KEEP: return v->verdict == ANALYSIS_KEEP;
    case ANALYSIS_REMOVE: return true;
    default:
        if (c->n_keep > 0)
            return v->verdict == ANALYSIS_KEEP ||
                   (v->verdict == ANALYSIS_REMOVE && v->rule && strcmp(v->rule, "worse") == 0);
        return v->verdict != ANALYSIS_REMOVE;
    }
}

static int verdict_cmp(const void *a, const void *b)
{
    const analysis_verdict_t *x = *(const analysis_verdict_t *const *)a;
    const analysis_verdict_t *y = *(const analysis_verdict_t *const *)b;
    int c = (int)y->headline - (int)x->headline;
    if (!c)
        c = strcmp(x->setting, y->setting);
    if (!c)
        c = strcmp(x->scenario, y->scenario);
    if (!c)
        c = strcmp(x->variant, y->variant);
    if (!c)
        c = strcmp(x->backend, y->backend);
    if (!c)
        c = strcmp(x->cls, y->cls);
    return c;
}

/* The verdicts for which keep(ctx, v) holds, in reading order; NULL with e->error on OOM
   (n = 0 and NULL when none). */
static const analysis_verdict_t **select_verdicts(report_emitter_t *e, const analysis_model_t *m,
                                                  bool (*keep)(const void *, const analysis_verdict_t *),
                                                  const void *ctx, size_t *n)
{
    *n = 0;
    const analysis_verdict_t **v = malloc((m->n_verdicts + 1) * sizeof *v);
    if (!v) {
        e->error = 1;
        return NULL;
    }
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (keep(ctx, &m->verdicts[i]))
            v[(*n)++] = &m->verdicts[i];
    qsort(v, *n, sizeof *v, verdict_cmp);
    return v;
}

static double cal_num(json_object *o, const char *k)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v) || !v)
        return NAN;
    return json_object_get_double(v);
}

/* How far the answer can be trusted: the looks of the adaptive repetitions and the A/A
 * calibration of the decision rules on this machine. */
static void answer_trust(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    char looks[512] = "";
    if (m->looks_planned > 1)
        snprintf(looks, sizeof looks, "Adaptive repetitions: %zu look(s) taken of %zu planned, so "
                 "every test ran at alpha %.4g and every interval at %.2f %% (alpha %.2f split over "
                 "the looks: peeking does not inflate false alarms). ", m->n_looks,
                 m->looks_planned, m->th.alpha, 100.0 * m->th.confidence_level, m->alpha_nominal);
    else
        snprintf(looks, sizeof looks, "No adaptive repetitions (one look: the matrix as planned). ");
    json_object *dc = (json_object *)d->decision_calibration;
    if (!dc) {
        emitf(e, e->para, "%sThe decision rules' own error rates are not calibrated for this "
                          "machine: `poolbench calibrate --runs 0 --decision 5 --out DIR` runs 5 A/A "
                          "matrices and writes `decision-calibration.json`, which this report then "
                          "quotes (`./run-matrix.sh --full` does it).", looks);
        return;
    }
    emitf(e, e->para, "%sA/A calibration of these rules on this machine (`%s`): %d runs, %d "
                      "headline verdicts between identical arms, %d false KEEP and %d false "
                      "REMOVE-as-worse (%d of %d runs clean).", looks,
          d->decision_calibration_path, (int)cal_num(dc, "runs"), (int)cal_num(dc, "verdicts"),
          (int)cal_num(dc, "false_keep"), (int)cal_num(dc, "false_remove_worse"),
          (int)cal_num(dc, "runs_clean"), (int)cal_num(dc, "runs"));
}

static void section_answer(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    char b[2048];
    e->section = "answer";
    e->heading(e, 1, first_line(m, b, sizeof b));
    emitf(e, e->para, "poolbench: keep, remove, or keep part of the buffer pool (`pkg/memory`)? %s",
          overall_sentence(m, b, sizeof b));
    size_t n_none = 0, n_head = 0;
    for (size_t i = 0; i < m->n_verdicts; i++)
        if (m->verdicts[i].headline) {
            n_head++;
            n_none += m->verdicts[i].baseline_policy &&
                      strcmp(m->verdicts[i].baseline_policy, "none") == 0;
        }
    if (n_none)
        emitf(e, e->para, "Baseline: %zu of %zu headline verdicts compare the pool with `none` "
                          "(allocate instead of each get), not with the code without the package "
                          "(Branch B, policy `plain`): the journal has no `plain` arm there. Rerun "
                          "with policy `plain` in the scenarios for the headline question.",
              n_none, n_head);

    size_t n_cross = 0;
    for (size_t i = 0; i < m->n_warnings; i++)
        n_cross += strcmp(m->warnings[i].kind, "cross_host") == 0;
    if (n_cross)
        emitf(e, e->para, "**Mixed machines**: %zu comparison(s) put arms side by side that ran on "
                          "different hosts (a merge of shards that split them): their verdicts are "
                          "refused (INCONCLUSIVE `cross_host`) and the side questions flagged; "
                          "see Warnings (`cross_host`).", n_cross);

    answer_trust(d, e);

    section(e, "Verdicts per pool class");
    size_t n_go_only = 0;
    for (size_t i = 0; i < m->n_runtime_classes; i++)
        n_go_only += !find_class(m->classes, m->n_classes, m->runtime_classes[i].cls);
    if (m->n_classes + n_go_only == 0) {
        e->para(e, "No class verdict: no scenario compares a pooled policy with `plain` or `none`.");
    } else {
        bool go = m->n_runtime_classes > 0;
        const char *h[] = {"Pool class", "Verdict (C model)", "Basis", "Rule", "KEEP", "REMOVE (worse)",
                           "INCONCLUSIVE", "DISQUALIFIED", "What would settle it",
                           "Go runtime", "Go rule"};
        e->table_start(e, go ? 11 : 9, h, m->n_classes + n_go_only, REPORT_TABLE_OPEN);
        for (size_t i = 0; i < m->n_classes + n_go_only; i++) {
            const analysis_class_verdict_t *c = NULL, *g = NULL;
            if (i < m->n_classes) {
                c = &m->classes[i];
                g = find_class(m->runtime_classes, m->n_runtime_classes, c->cls);
            } else {   /* the Go runtime's classes the C model has no verdict for */
                size_t k = 0, seen = m->n_classes;
                for (; k < m->n_runtime_classes; k++)
                    if (!find_class(m->classes, m->n_classes, m->runtime_classes[k].cls) && seen++ == i)
                        break;
                g = &m->runtime_classes[k];
            }
            char cls[80], v[40], gv[40], n[4][32];
            snprintf(cls, sizeof cls, "`%s`", c ? c->cls : g->cls);
            snprintf(v, sizeof v, c ? "**%s**" : "—", c ? verdict_word(c->verdict) : "");
            snprintf(gv, sizeof gv, g ? "**%s**" : "—", g ? verdict_word(g->verdict) : "");
            snprintf(n[0], 32, "%zu", c ? c->n_keep : 0);
            snprintf(n[1], 32, "%zu (%zu)", c ? c->n_remove : 0, c ? c->n_worse : 0);
            snprintf(n[2], 32, "%zu", c ? c->n_inconclusive : 0);
            snprintf(n[3], 32, "%zu", c ? c->n_disqualified : 0);
            const char *row[] = {cls, v, c ? c->basis : "—", c ? or_dash(c->rule) : "—", n[0], n[1],
                                 n[2], n[3], c ? or_dash(c->settle) : "—", gv,
                                 g ? or_dash(g->rule) : "—"};
            e->table_row(e, row);
        }
        e->table_end(e);
    }
    emitf(e, e->para,
          "Rules. The headline is the Go code's configuration (zero on put, zeroed allocation "
          "without the pool, default buffer sizes, real allocators, scenarios that vote): only its "
          "verdicts vote. KEEP when a cost is lower past its threshold (the whole 95 %% CI beyond a "
          "speed-up of %.0f %%, a peak-memory reduction of %.0f %%, or, on the Go runtime, %.0f %% "
          "fewer GC cycles or less GC pause), significantly, and every other cost's CI stays below "
          "+%.0f %% (non-inferiority); REMOVE when a cost is significantly worse past ±%.0f %%, or "
          "every cost's CI lies within ±%.0f %%, or no cost's CI reaches a gain past −%.0f %% "
          "(no benefit: each cost within the band or worse, so every value the CIs allow means "
          "REMOVE); INCONCLUSIVE otherwise. Time is compared pair by pair where both arms ran the "
          "same repetitions (each repetition's cells run in one shuffled block, so a slow spell of "
          "the host cancels in the pair's ratio: 20 %%-trimmed paired t test and interval of the log "
          "ratios); memory and counts by Mann-Whitney and a bootstrap CI of the ratio of medians. "
          "Allocation calls and "
          "simulated cleanup cycles are evidence, never criteria. Fewer than %llu samples per arm: "
          "no claim. A class is KEEP when KEEP in a scenario and worse in none, REMOVE when REMOVE "
          "everywhere, on the `%s` backend's headline verdicts (the Go runtime's apart). p-values "
          "are Holm-adjusted within each family (alpha %.2f): headline %zu tests, what-if %zu, "
          "evidence %zu, explanation %zu, side questions %zu. Thresholds: %s.",
          m->th.speedup_percent, m->th.peak_memory_reduction_percent,
          m->th.pressure_reduction_percent, m->th.worse_tolerance_percent,
          m->th.equivalence_percent, m->th.equivalence_percent, m->th.equivalence_percent,
          (unsigned long long)m->th.min_samples_per_arm, m->th.reference_backend, m->th.alpha,
          m->family_size[ANALYSIS_FAMILY_HEADLINE], m->family_size[ANALYSIS_FAMILY_SENSITIVITY],
          m->family_size[ANALYSIS_FAMILY_EVIDENCE], m->family_size[ANALYSIS_FAMILY_EXPLAIN],
          m->family_size[ANALYSIS_FAMILY_QUESTIONS], m->th.source);
    /* where time and counts come from (issue 12): the counting front end costs 11-14 ns
     * per malloc+free pair, enough to tilt nanosecond kernels towards the pool */
    size_t n_split = 0, n_c = 0;
    for (size_t i = 0; i < m->n_arms; i++) {
        n_split += m->arms[i].instrument_split;
        n_c += strcmp(m->arms[i].backend, "go") != 0;
    }
    if (n_split)
        emitf(e, e->para,
              "Instrument. Time comes from uninstrumented runners (`pb-<backend>-bare`: the "
              "allocator's own malloc, nothing counted) in %zu of the %zu C-backend arms; their "
              "allocation counts, peak live bytes and pool counters come from one extra "
              "repetition per arm on the counting runner (`pb-<backend>`), whose time is not "
              "used.%s",
              n_split, n_c,
              n_split < n_c ? " The other C-backend arms (concurrent groups, hyperfine, older "
                              "journals) are timed on the counting runner, whose front end adds "
                              "11-14 ns per malloc+free pair." : "");
}

typedef struct decide_ctx {
    const analysis_class_verdict_t *c;
    bool runtime;
} decide_ctx_t;

static bool keep_deciding(const void *ctx, const analysis_verdict_t *v)
{
    const decide_ctx_t *x = ctx;
    return in_basis(x->c, v, x->runtime) && deciding(x->c, v);
}

/* The headline verdicts on each class's basis that fired its class rule. */
static void section_deciding(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "What decided each class");
    if (m->n_classes + m->n_runtime_classes == 0) {
        e->para(e, "Nothing: no class verdict.");
        return;
    }
    e->para(e, "The headline verdicts on each class's basis that fired its rule (KEEP: the KEEP "
               "verdicts; REMOVE: all of them; INCONCLUSIVE: those that kept it from KEEP or "
               "REMOVE), with their numbers. Ratios are pooled / baseline: below 1, the pool "
               "lowers the cost.");
    const char *h[] = {"Class", "Class verdict", "Scenario", "Variant", "Backend", "Baseline",
                       "Verdict", "Rule", "Why (numbers)"};
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {     /* count, then emit */
        if (pass == 1 && total == 0) {
            e->para(e, "None.");
            return;
        }
        if (pass == 1)
            e->table_start(e, 9, h, total, 0);
        for (int rt = 0; rt < 2; rt++) {
            const analysis_class_verdict_t *cs = rt ? m->runtime_classes : m->classes;
            size_t nc = rt ? m->n_runtime_classes : m->n_classes;
            for (size_t i = 0; i < nc; i++) {
                decide_ctx_t ctx = {&cs[i], rt == 1};
                size_t n;
                const analysis_verdict_t **v = select_verdicts(e, m, keep_deciding, &ctx, &n);
                if (!v)
                    return;
                if (pass == 0)
                    total += n;
                for (size_t k = 0; pass == 1 && k < n; k++) {
                    char cls[80], cv[64], vv[40], base[40];
                    snprintf(cls, sizeof cls, "`%s`%s", cs[i].cls, rt ? " (Go runtime)" : "");
                    snprintf(cv, sizeof cv, "%s", verdict_word(cs[i].verdict));
                    snprintf(vv, sizeof vv, "**%s**", verdict_word(v[k]->verdict));
                    snprintf(base, sizeof base, "`%s`", or_dash(v[k]->baseline_policy));
                    const char *row[] = {cls, cv, v[k]->scenario, or_dash(v[k]->variant),
                                         v[k]->backend, base, vv, or_dash(v[k]->rule), v[k]->detail};
                    e->table_row(e, row);
                }
                free(v);
            }
        }
    }
    e->table_end(e);
}

static bool keep_what_if(const void *ctx, const analysis_verdict_t *v)
{
    (void)ctx;
    return !v->headline;
}

static void section_what_if(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "Would the answer change if ...");
    size_t n_what_if = 0;
    for (size_t i = 0; i < m->n_verdicts; i++)
        n_what_if += !m->verdicts[i].headline;
    if (n_what_if == 0) {
        e->para(e, "No what-if in this journal: every verdict is of the headline configuration "
                   "(the scenarios sweep no zero_on_put, standard_alloc, buffer size or control "
                   "backend).");
        return;
    }
    if (m->n_flips == 0) {
        emitf(e, e->para, "None would: no what-if setting changes a class verdict (%zu what-if "
                          "verdicts, their own Holm family of %zu tests; they never move the "
                          "headline).", n_what_if, m->family_size[ANALYSIS_FAMILY_SENSITIVITY]);
        return;
    }
    emitf(e, e->para, "%zu what-if setting(s) would change a class verdict if the Go code were "
                      "configured that way (%zu what-if verdicts in all, their own Holm family of "
                      "%zu tests; they never move the headline):",
          m->n_flips, n_what_if, m->family_size[ANALYSIS_FAMILY_SENSITIVITY]);
    const char *h[] = {"Class", "If", "Headline verdict", "Verdict then", "Why"};
    e->table_start(e, 5, h, m->n_flips, 0);
    for (size_t i = 0; i < m->n_flips; i++) {
        const analysis_flip_t *f = &m->flips[i];
        char cls[80], set[ANALYSIS_VARIANT_BYTES + 4], hv[40], wv[40];
        snprintf(cls, sizeof cls, "`%s`", f->cls);
        snprintf(set, sizeof set, "`%s`", f->setting);
        snprintf(hv, sizeof hv, "**%s**", verdict_word(f->headline));
        snprintf(wv, sizeof wv, "**%s**", verdict_word(f->what_if));
        const char *row[] = {cls, set, hv, wv, or_dash(f->why)};
        e->table_row(e, row);
    }
    e->table_end(e);
}

/* ---- model vs runtime ------------------------------------------------------------ */

/* One side (the C model on its basis, or the Go runtime) of a class, over its headline
   verdicts: sums of the pooled arms' median hits and gets, and of cleanup cycles (model)
   or GC cycles (runtime) of the pooled and baseline arms. */
typedef struct mr_side {
    const analysis_class_verdict_t *cv;    /* NULL: no class verdict on this side     */
    const analysis_verdict_t *v;           /* per scenario: the verdict, or NULL      */
    size_t n;                              /* verdicts summed                         */
    double hits, gets, cyc_pooled, cyc_base;
    size_t n_hit, n_cyc;
} mr_side_t;

static void mr_add(const analysis_model_t *m, const analysis_verdict_t *v, bool runtime, mr_side_t *s)
{
    s->n++;
    if (!s->v)
        s->v = v;
    if (v->n_comparisons == 0)
        return;
    const analysis_comparison_t *c = &m->comparisons[v->comparisons[0]];
    const analysis_arm_t *pooled = &m->arms[c->arm_b], *base = &m->arms[c->arm_a];
    double h = pooled->stat[ANALYSIS_M_pool_hits].median, g = pooled->stat[ANALYSIS_M_pool_gets].median;
    if (!isnan(h) && !isnan(g)) {
        s->hits += h;
        s->gets += g;
        s->n_hit++;
    }
    analysis_metric_t cm = runtime ? ANALYSIS_M_gc_cycles : ANALYSIS_M_pool_cycles;
    double cp = pooled->stat[cm].median, cb = base->stat[cm].median;
    if (!isnan(cp) && !isnan(cb)) {
        s->cyc_pooled += cp;
        s->cyc_base += cb;
        s->n_cyc++;
    }
}

/* scenario NULL: every headline verdict of the class on that side */
static void mr_collect(const analysis_model_t *m, const char *cls, bool runtime, const char *scenario,
                       const char *variant, mr_side_t *s)
{
    memset(s, 0, sizeof *s);
    s->cv = runtime ? find_class(m->runtime_classes, m->n_runtime_classes, cls)
                    : find_class(m->classes, m->n_classes, cls);
    if (!s->cv)
        return;
    for (size_t i = 0; i < m->n_verdicts; i++) {
        const analysis_verdict_t *v = &m->verdicts[i];
        if (!in_basis(s->cv, v, runtime))
            continue;
        if (scenario && (strcmp(v->scenario, scenario) != 0 || strcmp(v->variant, variant) != 0))
            continue;
        mr_add(m, v, runtime, s);
    }
}

static void fmt_hits(char *b, size_t cap, const mr_side_t *s)
{
    if (!s->n_hit || s->gets <= 0)
        snprintf(b, cap, "—");
    else
        snprintf(b, cap, "%.1f %% (%.0f of %.0f gets)", 100.0 * s->hits / s->gets, s->hits, s->gets);
}

static double mr_ratio(const mr_side_t *s)
{
    return s->n_cyc && s->cyc_base > 0 ? s->cyc_pooled / s->cyc_base : NAN;
}

static void fmt_cycles(char *b, size_t cap, const mr_side_t *s)
{
    if (!s->n_cyc)
        snprintf(b, cap, "—");
    else if (s->cyc_base > 0)
        snprintf(b, cap, "%.0f vs %.0f (×%.2f)", s->cyc_pooled, s->cyc_base, mr_ratio(s));
    else
        snprintf(b, cap, "%.0f vs %.0f", s->cyc_pooled, s->cyc_base);
}

static int direction(double r)
{
    return isnan(r) ? 2 : r < 0.95 ? -1 : r > 1.05 ? 1 : 0;
}

/* where the model and the runtime agree, in words */
static void fmt_agreement(char *b, size_t cap, const mr_side_t *c, const mr_side_t *g,
                          analysis_verdict_kind_t cv, analysis_verdict_kind_t gv, bool have_c,
                          bool have_g)
{
    size_t l;
    bool c_none = have_c && c->cv && c->cv->rule && !strcmp(c->cv->rule, "no_evidence");
    bool g_none = have_g && g->cv && g->cv->rule && !strcmp(g->cv->rule, "no_evidence");
    if (!have_c)
        snprintf(b, cap, "no model verdict");
    else if (!have_g)
        snprintf(b, cap, "no runtime verdict");
    else if (c_none || g_none)
        snprintf(b, cap, "not comparable: the %s's verdicts were all withheld for failed cells",
                 g_none ? "runtime" : "model");
    else if (cv == gv)
        snprintf(b, cap, "**agree** (both %s)", verdict_word(cv));
    else
        snprintf(b, cap, "**disagree**: model %s, runtime %s", verdict_word(cv), verdict_word(gv));
    double rc = mr_ratio(c), rg = mr_ratio(g);
    int dc = direction(rc), dg = direction(rg);
    if (dc != 2 && dg != 2) {
        l = strlen(b);
        snprintf(b + l, cap - l, "; the pool changes model cleanup cycles ×%.2f and real GC "
                                 "cycles ×%.2f: %s", rc, rg,
                 dc == dg ? "same direction" : "the model's cycles do not predict the runtime's");
    }
    if (c->n_hit && g->n_hit && c->gets > 0 && g->gets > 0) {
        double hc = 100.0 * c->hits / c->gets, hg = 100.0 * g->hits / g->gets;
        if (fabs(hc - hg) > 10) {
            l = strlen(b);
            snprintf(b + l, cap - l, "; hit rates differ (model %.0f %%, runtime %.0f %%)", hc, hg);
        }
    }
}

static void section_model_runtime(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "Model vs runtime");
    if (m->n_runtime_classes == 0) {
        e->para(e, "This journal has no Go runtime cells (backend `go`, the real `sync.Pool` and "
                   "garbage collector), so the C model cannot be set beside the runtime. To get "
                   "them: add `go` to `backends` in the scenarios (with `pb-go` built), run "
                   "`poolbench matrix` again and then `poolbench report`.");
        return;
    }
    /* classes: the model's, then the runtime's others */
    size_t n_rows = m->n_classes;
    for (size_t i = 0; i < m->n_runtime_classes; i++)
        n_rows += !find_class(m->classes, m->n_classes, m->runtime_classes[i].cls);
    e->para(e, "Per class, the C model (its basis backend's headline verdicts; the pool's hit rate "
               "and simulated cleanup cycles, pooled vs baseline arm) beside the Go runtime (`pb-go`: "
               "the real `sync.Pool` hits and the garbage collector's own cycle count, pooled vs "
               "baseline arm). Sums of the arms' medians over the class's headline scenarios.");
    const char *h[] = {"Class", "C model", "Model hit rate", "Model cleanup cycles (pooled vs baseline)",
                       "Go runtime", "Runtime hit rate", "GC cycles (pooled vs baseline)", "Agreement"};
    e->table_start(e, 8, h, n_rows, 0);
    size_t n_agree = 0, n_both = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const char *cls;
        if (i < m->n_classes) {
            cls = m->classes[i].cls;
        } else {
            size_t k = 0, seen = m->n_classes;
            for (; k < m->n_runtime_classes; k++)
                if (!find_class(m->classes, m->n_classes, m->runtime_classes[k].cls) && seen++ == i)
                    break;
            cls = m->runtime_classes[k].cls;
        }
        mr_side_t c, g;
        mr_collect(m, cls, false, NULL, NULL, &c);
        mr_collect(m, cls, true, NULL, NULL, &g);
        char cc[80], cv[64], gv[64], ch[96], gh[96], cy[96], gy[96], ag[512];
        snprintf(cc, sizeof cc, "`%s`", cls);
        snprintf(cv, sizeof cv, c.cv ? "**%s** (%s)" : "—", c.cv ? verdict_word(c.cv->verdict) : "",
                 c.cv ? c.cv->basis : "");
        snprintf(gv, sizeof gv, g.cv ? "**%s**" : "—", g.cv ? verdict_word(g.cv->verdict) : "");
        fmt_hits(ch, sizeof ch, &c);
        fmt_hits(gh, sizeof gh, &g);
        fmt_cycles(cy, sizeof cy, &c);
        fmt_cycles(gy, sizeof gy, &g);
        fmt_agreement(ag, sizeof ag, &c, &g, c.cv ? c.cv->verdict : ANALYSIS_INCONCLUSIVE,
                      g.cv ? g.cv->verdict : ANALYSIS_INCONCLUSIVE, c.cv != NULL, g.cv != NULL);
        if (c.cv && g.cv && strcmp(or_dash(c.cv->rule), "no_evidence") != 0 &&
            strcmp(or_dash(g.cv->rule), "no_evidence") != 0) {
            n_both++;
            n_agree += c.cv->verdict == g.cv->verdict;
        }
        const char *row[] = {cc, cv, ch, cy, gv, gh, gy, ag};
        e->table_row(e, row);
    }
    e->table_end(e);
    emitf(e, e->para, "The model and the runtime give the same class verdict for %zu of the %zu "
                      "classes both have evidence for%s",
          n_agree, n_both, n_agree == n_both ? "." : ": where they disagree, the runtime is the "
          "Go code's own behaviour and the model's verdict should not be acted on alone.");
    if (e->document != REPORT_DOC_FULL)
        return;

    /* per scenario: every headline scenario x variant of a class on either side */
    e->heading(e, 3, "Per scenario");
    size_t total = 0;
    const char *hs[] = {"Class", "Scenario", "Variant", "C model", "Model hit rate",
                        "Model cleanup cycles", "Go runtime", "Runtime hit rate", "GC cycles",
                        "Agreement"};
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && total == 0) {
            e->para(e, "None.");
            return;
        }
        if (pass == 1)
            e->table_start(e, 10, hs, total, 0);
        for (size_t i = 0; i < m->n_verdicts; i++) {
            const analysis_verdict_t *v = &m->verdicts[i];
            if (!v->headline)
                continue;
            bool rt = is_runtime(v->backend);
            const analysis_class_verdict_t *cv = rt
                ? find_class(m->runtime_classes, m->n_runtime_classes, v->cls)
                : find_class(m->classes, m->n_classes, v->cls);
            if (!cv || !in_basis(cv, v, rt))
                continue;
            /* once per class x scenario x variant */
            int seen = 0;
            for (size_t k = 0; k < i && !seen; k++) {
                const analysis_verdict_t *w = &m->verdicts[k];
                bool wrt = is_runtime(w->backend);
                const analysis_class_verdict_t *wc = wrt
                    ? find_class(m->runtime_classes, m->n_runtime_classes, w->cls)
                    : find_class(m->classes, m->n_classes, w->cls);
                seen = w->headline && wc && in_basis(wc, w, wrt) && !strcmp(w->cls, v->cls) &&
                       !strcmp(w->scenario, v->scenario) && !strcmp(w->variant, v->variant);
            }
            if (seen)
                continue;
            if (pass == 0) {
                total++;
                continue;
            }
            mr_side_t c, g;
            mr_collect(m, v->cls, false, v->scenario, v->variant, &c);
            mr_collect(m, v->cls, true, v->scenario, v->variant, &g);
            char cc[80], cvs[64], gvs[64], ch[96], gh[96], cy[96], gy[96], ag[512];
            snprintf(cc, sizeof cc, "`%s`", v->cls);
            snprintf(cvs, sizeof cvs, c.v ? "**%s**" : "—", c.v ? verdict_word(c.v->verdict) : "");
            snprintf(gvs, sizeof gvs, g.v ? "**%s**" : "—", g.v ? verdict_word(g.v->verdict) : "");
            fmt_hits(ch, sizeof ch, &c);
            fmt_hits(gh, sizeof gh, &g);
            fmt_cycles(cy, sizeof cy, &c);
            fmt_cycles(gy, sizeof gy, &g);
            fmt_agreement(ag, sizeof ag, &c, &g, c.v ? c.v->verdict : ANALYSIS_INCONCLUSIVE,
                          g.v ? g.v->verdict : ANALYSIS_INCONCLUSIVE, c.v != NULL, g.v != NULL);
            const char *row[] = {cc, v->scenario, or_dash(v->variant), cvs, ch, cy, gvs, gh, gy, ag};
            e->table_row(e, row);
        }
    }
    e->table_end(e);
}

/* ---- the short report's pointer to the evidence ----------------------------------- */

static void section_more(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "The evidence");
    if (d->truncated_line)
        emitf(e, e->para, "**Journal cut short**: %s line %d is a partial last line (the run was "
                          "interrupted); it was ignored and the complete lines before it were used. "
                          "Rerun with `--resume` to finish the missing cell.",
              d->journal_path ? d->journal_path : "results.jsonl", d->truncated_line);
    size_t n_what_if = 0;
    for (size_t i = 0; i < m->n_verdicts; i++)
        n_what_if += !m->verdicts[i].headline;
    emitf(e, e->para, "Everything behind this answer is in `report-full.md` and `report.html` "
                      "(the same content, long tables collapsed): all %zu verdicts (%zu headline, "
                      "%zu what-if) with their settings and baselines, the pool against "
                      "allocate-instead, %zu comparisons (costs that decide, allocation calls and "
                      "cleanup cycles as evidence), %zu warnings with what to do, %zu failed cells, "
                      "no pool on a better allocator vs pool on glibc, the cost of zeroing on put, "
                      "the pool code's size, the calibration, charts and the run's context. The "
                      "raw samples behind every comparison are in `summary.json` and `samples.csv`.",
          m->n_verdicts, m->n_verdicts - n_what_if, n_what_if, m->n_comparisons, m->n_warnings,
          m->n_failed);
    json_object *ctx = m->context;
    const char *commit = journal_str(ctx, "driver_git_commit");
    emitf(e, e->para, "Journal `%s`: %zu cells; commit `%s`%s%s.",
          d->journal_path ? d->journal_path : "results.jsonl",
          m->journal ? m->journal->n_cells : 0, commit && *commit ? commit : "unknown",
          d->generated_at ? "; generated " : "", d->generated_at ? d->generated_at : "");
}

/* ---- the full report's verdicts, explanation and comparisons ---------------------- */

static bool keep_headline(const void *ctx, const analysis_verdict_t *v)
{
    (void)ctx;
    return v->headline;
}

static void section_all_verdicts(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "Every verdict");
    if (m->n_verdicts == 0) {
        e->para(e, "No verdicts.");
        return;
    }
    size_t n;
    const analysis_verdict_t **v = select_verdicts(e, m, keep_headline, NULL, &n);
    if (!v)
        return;
    e->heading(e, 3, "Headline (the Go code's configuration: these vote)");
    if (n == 0) {
        e->para(e, "None: every verdict is a what-if.");
    } else {
        const char *h[] = {"Scenario", "Variant", "Backend", "Class", "Baseline", "Verdict", "Rule",
                           "Why (numbers)"};
        e->table_start(e, 8, h, n, 0);
        for (size_t i = 0; i < n; i++) {
            char cls[80], vv[40], base[40];
            snprintf(cls, sizeof cls, "`%s`", v[i]->cls);
            snprintf(vv, sizeof vv, "**%s**", verdict_word(v[i]->verdict));
            snprintf(base, sizeof base, "`%s`", or_dash(v[i]->baseline_policy));
            const char *row[] = {v[i]->scenario, or_dash(v[i]->variant), v[i]->backend, cls, base, vv,
                                 or_dash(v[i]->rule), v[i]->detail};
            e->table_row(e, row);
        }
        e->table_end(e);
    }
    free(v);
    v = select_verdicts(e, m, keep_what_if, NULL, &n);
    if (!v)
        return;
    e->heading(e, 3, "What-ifs (other settings: their own family, they never vote)");
    if (n == 0) {
        e->para(e, "None: the journal has only the headline configuration.");
    } else {
        const char *h[] = {"Setting", "Scenario", "Variant", "Backend", "Class", "Baseline", "Verdict",
                           "Rule", "Why (numbers)"};
        e->table_start(e, 9, h, n, 0);
        for (size_t i = 0; i < n; i++) {
            char set[ANALYSIS_VARIANT_BYTES + 4], cls[80], vv[40], base[40];
            snprintf(set, sizeof set, "`%s`", v[i]->setting);
            snprintf(cls, sizeof cls, "`%s`", v[i]->cls);
            snprintf(vv, sizeof vv, "**%s**", verdict_word(v[i]->verdict));
            snprintf(base, sizeof base, "`%s`", or_dash(v[i]->baseline_policy));
            const char *row[] = {set, v[i]->scenario, or_dash(v[i]->variant), v[i]->backend, cls,
                                 base, vv, or_dash(v[i]->rule), v[i]->detail};
            e->table_row(e, row);
        }
        e->table_end(e);
    }
    free(v);
}

static bool keep_explained(const void *ctx, const analysis_verdict_t *v)
{
    (void)ctx;
    return v->n_explain > 0;
}

/* The tag after a comparison's metric: how it was compared when not Mann-Whitney. */
static const char *report_md_method_tag(const analysis_comparison_t *c)
{
    return c->method == ANALYSIS_METHOD_EXACT    ? " (exact)"
           : c->method == ANALYSIS_METHOD_PAIRED ? " (paired)"
                                                 : "";
}

/* one comparison's numbers: n, medians, ratio, CI, p, p (Holm) */
static void cmp_cells(const analysis_comparison_t *c, char n[32], char ma[CELL], char mb[CELL],
                      char r[CELL], char ci[CELL], char p[32], char pa[32])
{
    snprintf(n, 32, "%zu/%zu", c->n_a, c->n_b);
    fmt_metric(ma, CELL, (int)c->metric, c->median_a);
    fmt_metric(mb, CELL, (int)c->metric, c->median_b);
    fmt_ratio(r, CELL, c->ratio);
    fmt_ci(ci, CELL, c->ci_lo, c->ci_hi);
    fmt_p(p, 32, c->p_value);
    fmt_p(pa, 32, c->p_adjusted);
}

static void section_explain(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "The pool against allocate-instead (the explanation)");
    size_t n;
    const analysis_verdict_t **v = select_verdicts(e, m, keep_explained, NULL, &n);
    if (!v)
        return;
    if (n == 0) {
        e->para(e, "Not available: no verdict has both a `plain` baseline and a `none` arm "
                   "(allocate instead of each get). In an older journal without `plain`, `none` is "
                   "the baseline itself.");
        free(v);
        return;
    }
    size_t rows = 0;
    for (size_t i = 0; i < n; i++)
        rows += v[i]->n_explain;
    e->para(e, "Each verdict's pooled arm (b) against `none`, the same code allocating instead of "
               "each get (a): how much of the difference from the code without the package is the "
               "allocator. It explains and never votes (its own Holm family).");
    const char *h[] = {"Scenario", "Variant", "Backend", "Class", "Verdict", "Metric", "n a/b",
                       "Median none", "Median pooled", "Ratio pooled/none", "95 % CI", "p (Holm)"};
    e->table_start(e, 12, h, rows, 0);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < v[i]->n_explain; k++) {
            const analysis_comparison_t *c = &m->comparisons[v[i]->explain[k]];
            char nn[32], ma[CELL], mb[CELL], r[CELL], ci[CELL], p[32], pa[32], cls[80], vv[40], met[96];
            cmp_cells(c, nn, ma, mb, r, ci, p, pa);
            snprintf(cls, sizeof cls, "`%s`", v[i]->cls);
            snprintf(vv, sizeof vv, "%s%s", verdict_word(v[i]->verdict),
                     v[i]->headline ? "" : " (what-if)");
            snprintf(met, sizeof met, "`%s`%s", c->metric_name, report_md_method_tag(c));
            const char *row[] = {v[i]->scenario, or_dash(v[i]->variant), v[i]->backend, cls, vv, met,
                                 nn, ma, mb, r, ci, pa};
            e->table_row(e, row);
        }
    e->table_end(e);
    free(v);
}

static void section_comparisons(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "Comparisons per class");
    e->para(e, "Each row compares the class pooled (b) with the baseline (a: `plain`, the code "
               "without the package, or `none` in an older journal) on the same backend, scenario "
               "and variant. Ratio = median(b) / median(a) (below 1: the pool lowers the metric); "
               "CI: seeded bootstrap 95 % CI of that ratio; p: two-sided Mann-Whitney U, then "
               "Holm-adjusted within its family. \"paired\": time whose two arms ran the same "
               "repetitions (each repetition's cells in one shuffled block), compared pair by "
               "pair so that a slow spell of the host cancels: ratio = the geometric mean of the "
               "per-repetition ratios, CI its 95 % t interval, p the paired t test of the log "
               "ratios. Role \"cost\" decides (time, peak memory; GC cycles "
               "and pause on the Go runtime); \"evidence\" (allocation calls, simulated cleanup "
               "cycles) is reported and never votes. \"exact\": both arms constant (deterministic "
               "counts), no test needed.");
    size_t shown = 0;
    for (size_t i = 0; i < m->n_comparisons; i++)
        shown += m->comparisons[i].role != ANALYSIS_ROLE_EXPLAIN;
    if (shown == 0) {
        e->para(e, "No comparisons.");
        return;
    }
    /* classes in order of first appearance */
    for (size_t i = 0; i < m->n_comparisons; i++) {
        if (m->comparisons[i].role == ANALYSIS_ROLE_EXPLAIN)
            continue;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = m->comparisons[k].role != ANALYSIS_ROLE_EXPLAIN &&
                   strcmp(m->comparisons[k].cls, m->comparisons[i].cls) == 0;
        if (seen)
            continue;
        const char *cls = m->comparisons[i].cls;
        size_t rows = 0;
        for (size_t k = i; k < m->n_comparisons; k++)
            rows += m->comparisons[k].role != ANALYSIS_ROLE_EXPLAIN &&
                    strcmp(m->comparisons[k].cls, cls) == 0;
        char h3[128];
        snprintf(h3, sizeof h3, "Class `%s`", cls);
        e->heading(e, 3, h3);
        const char *h[] = {"Scenario", "Variant", "Backend", "Metric", "Role", "Family", "n a/b",
                           "Median a (baseline)", "Median b (pooled)", "Ratio b/a", "95 % CI", "p",
                           "p (Holm)", "Verdict / rule"};
        e->table_start(e, 14, h, rows, 0);
        for (size_t k = i; k < m->n_comparisons; k++) {
            const analysis_comparison_t *c = &m->comparisons[k];
            if (c->role == ANALYSIS_ROLE_EXPLAIN || strcmp(c->cls, cls) != 0)
                continue;
            char n[32], ma[CELL], mb[CELL], r[CELL], ci[CELL], p[32], pa[32], met[96], vr[160] = "—";
            cmp_cells(c, n, ma, mb, r, ci, p, pa);
            snprintf(met, sizeof met, "`%s`%s%s", c->metric_name, report_md_method_tag(c),
                     c->count_varies ? " (count varies!)" : "");
            for (size_t q = 0; q < m->n_verdicts; q++) {
                const analysis_verdict_t *vd = &m->verdicts[q];
                for (size_t z = 0; z < vd->n_comparisons; z++)
                    if (vd->comparisons[z] == k)
                        snprintf(vr, sizeof vr, "%s / %s%s", verdict_word(vd->verdict),
                                 or_dash(vd->rule), vd->metric == (int)c->metric ? " (fired here)" : "");
            }
            const char *role = c->role == ANALYSIS_ROLE_COST ? "cost" : "**evidence**";
            const char *row[] = {c->scenario, or_dash(c->variant), c->backend, met, role,
                                 analysis_family_name(c->family), n, ma, mb, r, ci, p, pa, vr};
            e->table_row(e, row);
        }
        e->table_end(e);
    }
}

static void section_warnings(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "Warnings and what to do");
    if (d->truncated_line)
        item(e, "**truncated_journal**: %s line %d is a partial last line (the run was interrupted); "
                "it was ignored and the complete lines before it were used. What to do: rerun with "
                "`--resume` to finish the missing cell.",
             d->journal_path ? d->journal_path : "results.jsonl", d->truncated_line);
    if (m->n_warnings == 0 && !d->truncated_line) {
        e->para(e, "None.");
        return;
    }
    /* warnings of one kind with one advice are grouped: a reader sees each problem once */
    for (size_t i = 0; i < m->n_warnings; i++) {
        const analysis_warning_t *w = &m->warnings[i];
        if (d->truncated_line && strcmp(w->kind, "truncated_journal") == 0)
            continue;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcmp(m->warnings[k].kind, w->kind) && !strcmp(m->warnings[k].advice, w->advice);
        if (seen)
            continue;
        size_t n = 0;
        for (size_t k = i; k < m->n_warnings; k++)
            n += !strcmp(m->warnings[k].kind, w->kind) && !strcmp(m->warnings[k].advice, w->advice);
        char where[2048] = "";
        size_t l = 0, shown = 0;
        for (size_t k = i; k < m->n_warnings && l < sizeof where; k++) {
            const analysis_warning_t *x = &m->warnings[k];
            if (strcmp(x->kind, w->kind) || strcmp(x->advice, w->advice) ||
                !(x->scenario[0] || x->backend[0] || x->policy[0]))
                continue;
            if (++shown > 12) {
                l += (size_t)snprintf(where + l, sizeof where - l, "; ...");
                break;
            }
            l += (size_t)snprintf(where + l, sizeof where - l, "%s%s%s%s%s%s%s%s",
                                  shown > 1 ? "; " : "", x->scenario, x->backend[0] ? " / " : "",
                                  x->backend, x->policy[0] ? " / " : "", x->policy,
                                  x->variant[0] ? " / " : "", x->variant);
        }
        if (n == 1)
            item(e, "**%s**%s%s%s: %s What to do: %s", w->kind, where[0] ? " (" : "", where,
                 where[0] ? ")" : "", w->message, or_dash(w->advice));
        else
            item(e, "**%s** (%zu times; first: %s) in: %s. What to do: %s", w->kind, n, w->message,
                 where[0] ? where : "—", or_dash(w->advice));
    }
    end_list(e);
}

static void section_avp(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "No pool on a better allocator vs pool on glibc");
    if (m->n_avp == 0) {
        e->para(e, "Not answered: the run has no backend other than glibc with a `none` arm next to "
                   "a pooled glibc arm.");
        return;
    }
    e->para(e, "a = glibc with the pool, b = another allocator without the pool, same scenario; "
               "ratio b/a of the time metric. \"matches\": the CI lies within the equivalence band, "
               "so switching the allocator would do what the pool does.");
    const char *h[] = {"Scenario", "Variant", "Backend (no pool)", "n a/b", "glibc + pool",
                       "backend, no pool", "Ratio b/a", "95 % CI", "p (Holm)", "Answer"};
    e->table_start(e, 10, h, m->n_avp, 0);
    for (size_t i = 0; i < m->n_avp; i++) {
        const analysis_avp_t *a = &m->avp[i];
        char n[32], ma[CELL], mb[CELL], r[CELL], ci[CELL], pa[32], ans[64];
        snprintf(n, sizeof n, "%zu/%zu", a->n_a, a->n_b);
        fmt_metric(ma, sizeof ma, (int)a->metric, a->median_a);
        fmt_metric(mb, sizeof mb, (int)a->metric, a->median_b);
        fmt_ratio(r, sizeof r, a->ratio);
        fmt_ci(ci, sizeof ci, a->ci_lo, a->ci_hi);
        fmt_p(pa, sizeof pa, a->p_adjusted);
        snprintf(ans, sizeof ans, "**%s**", or_dash(a->answer));
        const char *row[] = {a->scenario, or_dash(a->variant), a->backend, n, ma, mb, r, ci, pa, ans};
        e->table_row(e, row);
    }
    e->table_end(e);
}

static void section_zeroing(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "Cost of zeroing on put");
    if (m->n_zeroing == 0) {
        e->para(e, "Not measured: no scenario sweeps `zero_on_put` (on/off) for a pooled policy.");
        return;
    }
    e->para(e, "a = zero_on_put off, b = on (Go's pkg/memory zeroes every buffer it takes back); "
               "ratio on/off of the time metric.");
    const char *h[] = {"Scenario", "Variant", "Backend", "Policy", "n a/b", "off", "on", "Ratio on/off",
                       "95 % CI", "p (Holm)"};
    e->table_start(e, 10, h, m->n_zeroing, 0);
    for (size_t i = 0; i < m->n_zeroing; i++) {
        const analysis_zeroing_t *z = &m->zeroing[i];
        char n[32], ma[CELL], mb[CELL], r[CELL], ci[CELL], pa[32];
        snprintf(n, sizeof n, "%zu/%zu", z->n_a, z->n_b);
        fmt_metric(ma, sizeof ma, (int)z->metric, z->median_a);
        fmt_metric(mb, sizeof mb, (int)z->metric, z->median_b);
        fmt_ratio(r, sizeof r, z->ratio);
        fmt_ci(ci, sizeof ci, z->ci_lo, z->ci_hi);
        fmt_p(pa, sizeof pa, z->p_adjusted);
        const char *row[] = {z->scenario, or_dash(z->variant), z->backend, z->policy, n, ma, mb, r, ci, pa};
        e->table_row(e, row);
    }
    e->table_end(e);
}

static void section_maintenance(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    section(e, "Maintenance: size of the pool code");
    if (m->pool_code_lines > 0)
        emitf(e, e->para, "The pool (sync.Pool model and pkg/memory wrapper: allocators/pool.c, "
                          "pool.h, bufpool.c, bufpool.h) is **%lld non-blank lines**: the code that "
                          "goes away with a REMOVE.", m->pool_code_lines);
    else
        e->para(e, "Unknown: the journal's context does not record `pool_code_lines`.");
}

static const char *cal_str(json_object *o, const char *k)
{
    json_object *v;
    return o && json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "";
}

static void fmt_pct(char *b, size_t cap, double v)
{
    if (isnan(v))
        snprintf(b, cap, "—");
    else
        snprintf(b, cap, "%.0f %%", v);
}

/* What "no difference" means here: the gate calibration of `poolbench calibrate`. */
static void section_calibration(const report_doc_t *d, report_emitter_t *e)
{
    section(e, "What \"no difference\" means on this machine");
    json_object *cal = (json_object *)d->calibration;
    if (!cal) {
        emitf(e, e->para, "No calibration was found (`%s`). Run `poolbench calibrate --out DIR` "
                          "on this machine, copy its `calibration.json` here (or pass "
                          "`--calibration FILE` to `poolbench report`), and this section will give "
                          "the false-alarm rate of A/A runs, the detection rate of known slowdowns and "
                          "the smallest difference the chosen repetitions can detect. Until then, read "
                          "each comparison's CI width as the resolution.",
              or_dash(d->calibration_path));
        return;
    }
    json_object *ov = NULL, *ws = NULL;
    json_object_object_get_ex(cal, "overall", &ov);
    json_object_object_get_ex(cal, "workloads", &ws);
    char far[32];
    fmt_pct(far, sizeof far, 100.0 * cal_num(ov, "false_alarm_rate"));
    emitf(e, e->para, "From `%s` (`poolbench calibrate`: %d runs of %d repetitions): A/A "
                      "comparisons (the same binary against itself) were flagged in %s of cases "
                      "before the gate's confirmation rerun; a difference smaller than the "
                      "\"smallest detectable\" figure below is not resolved by this many repetitions "
                      "here, so \"no difference\" means \"less than that\".",
          d->calibration_path, (int)cal_num(cal, "runs"), (int)cal_num(cal, "repetitions"), far);
    static const char *const h[] = {"Scenario", "Backend", "Policy", "A/A false alarms",
                                     "Detection (slowdown: rate)", "Smallest detectable slowdown",
                                     "Smallest resolvable difference"};
    size_t n = ws ? json_object_array_length(ws) : 0;
    e->table_start(e, 7, h, n, 0);
    for (size_t i = 0; i < n; i++) {
        json_object *w = json_object_array_get_idx(ws, i), *aa = NULL, *det = NULL;
        json_object_object_get_ex(w, "aa", &aa);
        json_object_object_get_ex(w, "detection", &det);
        char fa[32], dt[256] = "", md[32], mr[32];
        fmt_pct(fa, sizeof fa, 100.0 * cal_num(aa, "false_alarm_rate"));
        size_t nd = det ? json_object_array_length(det) : 0;
        for (size_t k = 0; k < nd; k++) {
            json_object *x = json_object_array_get_idx(det, k);
            char r[32];
            fmt_pct(r, sizeof r, 100.0 * cal_num(x, "detection_rate"));
            size_t used = strlen(dt);
            snprintf(dt + used, sizeof dt - used, "%s+%.0f %%: %s", k ? ", " : "",
                     cal_num(x, "slowdown_pct"), r);
        }
        fmt_pct(md, sizeof md, cal_num(w, "min_detectable_slowdown_pct"));
        fmt_pct(mr, sizeof mr, cal_num(w, "min_resolvable_difference_pct"));
        const char *row[] = {cal_str(w, "scenario"), cal_str(w, "backend"), cal_str(w, "policy"),
                             fa, dt[0] ? dt : "—", md, mr};
        e->table_row(e, row);
    }
    e->table_end(e);
}

static void section_failed(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    if (m->n_failed == 0)
        return;
    section(e, "Failed cells");
    e->para(e, "A backend with a failed cell is DISQUALIFIED for that scenario (never dropped silently).");
    const char *h[] = {"Scenario", "Variant", "Backend", "Policy", "Rep", "Status", "Key"};
    e->table_start(e, 7, h, m->n_failed, 0);
    for (size_t i = 0; i < m->n_failed; i++) {
        const analysis_failed_t *f = &m->failed[i];
        char rep[24], key[32];
        snprintf(rep, sizeof rep, "%lld", f->rep);
        snprintf(key, sizeof key, "`%.12s`", f->key ? f->key : "");
        const char *row[] = {or_dash(f->scenario), or_dash(f->variant), or_dash(f->backend),
                             or_dash(f->policy), rep, or_dash(f->status), key};
        e->table_row(e, row);
    }
    e->table_end(e);
}

static void section_charts(const report_doc_t *d, report_emitter_t *e)
{
    section(e, "Charts");
    if (!d->charts) {
        e->para(e, "Charts were not generated for this report.");
        return;
    }
    e->para(e, "PNG and SVG files are in `charts/` (the SVGs scale for slides). Error bars are 95 % "
               "confidence intervals.");
    for (int i = 0; i < CHARTS_COUNT; i++) {
        const charts_result_t *c = &d->charts[i];
        e->heading(e, 3, c->title);
        if (c->status == CHARTS_OK)
            e->chart(e, c);
        else if (c->status == CHARTS_NO_DATA)
            emitf(e, e->para, "Not drawn: %s.", c->message);
        else
            emitf(e, e->para, "**Chart missing**: %s", c->message);
    }
}

static const char *ctx_str(json_object *ctx, const char *k)
{
    const char *s = journal_str(ctx, k);
    return s && *s ? s : "unknown";
}

/* How much of the matrix's wall time the timed windows took (issue 12's "a harness that
 * measures"): the cells' wall_ns summed, against the time from the context block's start
 * to the last cell's finish (adaptive repetitions included). 0 when it cannot be told
 * (a merged journal of shards, no start time, no cells). */
static double context_timed_share(const report_doc_t *d, double *timed_s, double *elapsed_s)
{
    json_object *ctx = d->model->context;
    const journal_t *j = d->model->journal;
    const char *shard = journal_str(ctx, "shard");
    long long start_s = journal_int(ctx, "started_unix_s", 0);
    if (!j || !j->n_cells || start_s <= 0 || (shard && !strcmp(shard, "merged")))
        return 0;
    long long last_ns = 0;
    double sum_ns = 0;
    for (size_t i = 0; i < j->n_cells; i++) {
        json_object *c = j->cells[i], *m;
        long long f = journal_int(c, "finished_unix_ns", 0);
        if (f > last_ns)
            last_ns = f;
        if (json_object_object_get_ex(c, "metrics", &m))
            sum_ns += (double)journal_int(m, "wall_ns", 0);
    }
    *elapsed_s = (double)last_ns / 1e9 - (double)start_s;
    *timed_s = sum_ns / 1e9;
    return *elapsed_s > 0 ? *timed_s / *elapsed_s : 0;
}

static void section_context(const report_doc_t *d, report_emitter_t *e)
{
    json_object *ctx = d->model->context;
    section(e, "Context");
    item(e, "CPU: %s (%lld cores)", ctx_str(ctx, "cpu_model"), journal_int(ctx, "cores", 0));
    item(e, "Kernel: %s; glibc %s; compiler %s", ctx_str(ctx, "kernel"), ctx_str(ctx, "glibc"),
         ctx_str(ctx, "driver_compiler"));
    item(e, "Commit: `%s`; seed %lld; schema %lld", ctx_str(ctx, "driver_git_commit"),
         journal_int(ctx, "seed", -1), journal_int(ctx, "schema_version", -1));
    json_object *be = NULL;
    if (ctx && json_object_object_get_ex(ctx, "backends", &be) && json_object_is_type(be, json_type_object)) {
        char buf[1024];
        size_t l = 0;
        buf[0] = '\0';
        json_object_object_foreach(be, name, val) {
            const char *ver = journal_str(val, "backend_version");
            const char *er = journal_str(val, "error");
            if (l < sizeof buf)
                l += (size_t)snprintf(buf + l, sizeof buf - l, "%s%s %s", l ? "; " : "", name,
                                      ver ? ver : er ? er : "unknown");
        }
        item(e, "Backends: %s", buf);
    }
    const char *matrix = journal_str(ctx, "matrix");
    if (matrix)
        item(e, "Matrix: %s", matrix);
    item(e, "Journal: `%s`; %zu cells; thresholds: %s", d->journal_path ? d->journal_path : "results.jsonl",
         d->model->journal ? d->model->journal->n_cells : 0, d->model->th.source);
    double timed_s = 0, elapsed_s = 0, share = context_timed_share(d, &timed_s, &elapsed_s);
    if (share > 0)
        item(e, "Time measured: the cells' timed windows add up to %.0f s of the %.0f s from the "
                "matrix's start to its last cell (%.0f %%); the rest is process start-up, input "
                "preparation, in-process warm-up, warm-up cells and bookkeeping",
             timed_s, elapsed_s, share * 100);
    item(e, "Other outputs: `summary.json` (verdicts with the raw samples), `samples.csv` (one row "
            "per sample), `bench.txt` (Go benchmark format, for benchstat)");
    if (d->generated_at)
        item(e, "Generated: %s", d->generated_at);
    end_list(e);
}

int report_md_content(const report_doc_t *d, report_emitter_t *e, report_document_t which)
{
    e->doc = d;
    e->document = which;
    section_answer(d, e);
    section_deciding(d, e);
    section_what_if(d, e);
    section_model_runtime(d, e);
    if (which == REPORT_DOC_SHORT) {
        section_more(d, e);
        report_profiles_section(d->profiles, e, which);
    } else {
        section_all_verdicts(d, e);
        section_explain(d, e);
        section_comparisons(d, e);
        section_warnings(d, e);
        section_avp(d, e);
        section_zeroing(d, e);
        section_maintenance(d, e);
        section_calibration(d, e);
        end_list(e);
        report_profiles_section(d->profiles, e, which);
        section_failed(d, e);
        section_charts(d, e);
        section_context(d, e);
    }
    end_list(e);
    return e->error ? -1 : 0;
}

/* ================================================================== Markdown emitter */

size_t report_md_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* The Markdown emitter's state: characters written, and per table (in document order)
   its size, its rows and how many of them to show (the short report's limit guard). */
#define MD_MAX_TABLES 512
typedef struct md_state {
    size_t chars;
    size_t table_no;                 /* tables started                               */
    size_t start_chars, offered, shown;
    const char *section;
    size_t cap[MD_MAX_TABLES];       /* rows to show; SIZE_MAX = all                 */
    size_t tchars[MD_MAX_TABLES], tshown[MD_MAX_TABLES];
} md_state_t;

static void md_put(report_emitter_t *e, const char *s)
{
    md_state_t *st = e->state;
    if (fputs(s, e->out) < 0)
        e->error = 1;
    st->chars += report_md_chars(s, strlen(s));
}

/* table cell: '|' escaped, newlines flattened */
static void md_cell(report_emitter_t *e, const char *s)
{
    char buf[4096];
    size_t l = 0;
    for (; *s; s++) {
        if (l + 3 >= sizeof buf) {
            buf[l] = '\0';
            md_put(e, buf);
            l = 0;
        }
        if (*s == '|') {
            buf[l++] = '\\';
            buf[l++] = '|';
        } else {
            buf[l++] = *s == '\n' || *s == '\r' ? ' ' : *s;
        }
    }
    buf[l] = '\0';
    md_put(e, buf);
}

static void md_heading(report_emitter_t *e, int level, const char *text)
{
    end_list(e);
    md_put(e, level == 1 ? "# " : level == 2 ? "## " : "### ");
    md_put(e, text);
    md_put(e, "\n\n");
}

static void md_para(report_emitter_t *e, const char *text)
{
    end_list(e);
    md_put(e, text);
    md_put(e, "\n\n");
}

static void md_item(report_emitter_t *e, const char *text)
{
    md_put(e, "- ");
    md_put(e, text);
    md_put(e, "\n");
}

static void md_list_end(report_emitter_t *e) { md_put(e, "\n"); }

static void md_table_start(report_emitter_t *e, size_t ncols, const char *const *h, size_t nrows,
                           int flags)
{
    (void)nrows;
    (void)flags;
    md_state_t *st = e->state;
    end_list(e);
    e->ncols = ncols;
    st->start_chars = st->chars;
    st->offered = st->shown = 0;
    st->section = e->section;
    md_put(e, "|");
    for (size_t i = 0; i < ncols; i++) {
        md_put(e, " ");
        md_cell(e, h[i]);
        md_put(e, " |");
    }
    md_put(e, "\n|");
    for (size_t i = 0; i < ncols; i++)
        md_put(e, "---|");
    md_put(e, "\n");
}

static void md_table_row(report_emitter_t *e, const char *const *cells)
{
    md_state_t *st = e->state;
    st->offered++;
    if (st->table_no < MD_MAX_TABLES && st->shown >= st->cap[st->table_no])
        return;
    st->shown++;
    md_put(e, "|");
    for (size_t i = 0; i < e->ncols; i++) {
        md_put(e, " ");
        md_cell(e, cells[i] ? cells[i] : "");
        md_put(e, " |");
    }
    md_put(e, "\n");
}

static void md_table_end(report_emitter_t *e)
{
    md_state_t *st = e->state;
    md_put(e, "\n");
    if (st->table_no < MD_MAX_TABLES) {
        st->tchars[st->table_no] = st->chars - st->start_chars;
        st->tshown[st->table_no] = st->shown;
    }
    st->table_no++;
    if (st->shown < st->offered) {
        char b[512];
        snprintf(b, sizeof b, "*%zu of these %zu rows were left out to keep `report.md` within "
                              "%d characters: every row is in `report-full.md` and `report.html` "
                              "(section \"%s\").*", st->offered - st->shown, st->offered,
                 REPORT_MD_LIMIT_CHARS, st->section ? st->section : "");
        md_para(e, b);
    }
}

static void md_chart(report_emitter_t *e, const charts_result_t *c)
{
    char b[3 * CHARTS_PATH_BYTES + 256];
    snprintf(b, sizeof b, "![%s](%s)\n\n[SVG](%s)\n\n", c->title, c->png, c->svg);
    md_put(e, b);
}

/* One rendering of the document into memory; *buf is the caller's to free. */
static int md_render(const report_doc_t *doc, report_document_t which, md_state_t *st, char **buf,
                     size_t *len)
{
    *buf = NULL;
    *len = 0;
    FILE *mem = open_memstream(buf, len);
    if (!mem)
        return -1;
    st->chars = 0;
    st->table_no = 0;
    report_emitter_t e = {
        .out = mem, .heading = md_heading, .para = md_para, .item = md_item,
        .list_end = md_list_end, .table_start = md_table_start, .table_row = md_table_row,
        .table_end = md_table_end, .chart = md_chart, .state = st,
    };
    int rc = report_md_content(doc, &e, which);
    if (fclose(mem) != 0)
        rc = -1;
    if (rc < 0) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

int report_md_write(const report_doc_t *doc, report_document_t which, FILE *out)
{
    md_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    for (size_t i = 0; i < MD_MAX_TABLES; i++)
        st->cap[i] = SIZE_MAX;
    char *buf = NULL;
    size_t len = 0;
    int rc;
    /* the short report: while over the limit, cut the longest table's last rows (each
       round cuts enough rows for the excess, so few rounds are needed) */
    for (int round = 0;; round++) {
        rc = md_render(doc, which, st, &buf, &len);
        if (rc < 0 || which != REPORT_DOC_SHORT || st->chars <= REPORT_MD_LIMIT_CHARS || round >= 64)
            break;
        size_t best = SIZE_MAX, n = st->table_no < MD_MAX_TABLES ? st->table_no : MD_MAX_TABLES;
        for (size_t t = 0; t < n; t++)
            if (st->tshown[t] > 0 && (best == SIZE_MAX || st->tchars[t] > st->tchars[best]))
                best = t;
        if (best == SIZE_MAX)
            break;   /* nothing left to cut: cannot happen with the sections above */
        size_t per_row = st->tchars[best] / (st->tshown[best] + 2) + 1;
        size_t drop = (st->chars - REPORT_MD_LIMIT_CHARS + 400) / per_row + 1;
        st->cap[best] = st->tshown[best] > drop ? st->tshown[best] - drop : 0;
        free(buf);
        buf = NULL;
    }
    if (rc == 0 && len && fwrite(buf, 1, len, out) != len)
        rc = -1;
    free(buf);
    free(st);
    if (fflush(out) != 0 || ferror(out))
        rc = -1;
    return rc;
}
