/* report_md.c: the report's content (shared with report.html) and the Markdown emitter
 * (report_md.h). Reads the analysis model only; never prints to the terminal, never exits. */
#include "report_md.h"

#include <json-c/json.h>

#include <math.h>
#include <stdarg.h>
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
                         "(the pool is significantly worse, or every cost is within ±%.0f %%, "
                         "against the code without it).", m->th.equivalence_percent);
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

static int verdict_cmp(const void *a, const void *b)
{
    const analysis_verdict_t *x = *(const analysis_verdict_t *const *)a;
    const analysis_verdict_t *y = *(const analysis_verdict_t *const *)b;
    int c = strcmp(x->scenario, y->scenario);
    if (!c)
        c = strcmp(x->variant, y->variant);
    if (!c)
        c = strcmp(x->backend, y->backend);
    if (!c)
        c = strcmp(x->cls, y->cls);
    return c;
}

static void section_verdicts(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    char b[1024];
    e->heading(e, 1, "poolbench report: keep, remove, or keep part of the buffer pool?");
    emitf(e, e->para, "Overall: %s (`%s`)", overall_sentence(m, b, sizeof b),
          analysis_overall_name(m->overall));
    e->heading(e, 2, "Verdicts per pool class");
    if (m->n_classes == 0) {
        e->para(e, "No class verdict: no scenario compares a pooled policy with `none`.");
    } else {
        const char *h[] = {"Pool class", "Verdict", "Basis", "KEEP", "REMOVE", "of which worse",
                           "INCONCLUSIVE", "DISQUALIFIED", "Rule"};
        e->table_start(e, 9, h);
        for (size_t i = 0; i < m->n_classes; i++) {
            const analysis_class_verdict_t *c = &m->classes[i];
            char cls[80], v[40], n[5][24];
            snprintf(cls, sizeof cls, "`%s`", c->cls);
            snprintf(v, sizeof v, "**%s**", verdict_word(c->verdict));
            snprintf(n[0], 24, "%zu", c->n_keep);
            snprintf(n[1], 24, "%zu", c->n_remove);
            snprintf(n[2], 24, "%zu", c->n_worse);
            snprintf(n[3], 24, "%zu", c->n_inconclusive);
            snprintf(n[4], 24, "%zu", c->n_disqualified);
            const char *row[] = {cls, v, c->basis, n[0], n[1], n[2], n[3], n[4], or_dash(c->rule)};
            e->table_row(e, row);
        }
        e->table_end(e);
    }
    emitf(e, e->para,
          "Rules: KEEP when the whole 95 %% CI shows a speed-up above %.0f %%, a peak-memory "
          "reduction above %.0f %% or allocator pressure down by more than %.0f %%, with no other "
          "metric significantly worse by more than %.0f %%; REMOVE when the pool is significantly "
          "worse by more than the band or every metric's CI lies within ±%.0f %%; INCONCLUSIVE "
          "otherwise. Fewer than %llu "
          "samples per arm: no claim. p-values are Holm-adjusted over %zu tests (alpha %.2f). "
          "Class verdicts use the `%s` backend's verdicts when it has any. Thresholds: %s.",
          m->th.speedup_percent, m->th.peak_memory_reduction_percent,
          m->th.pressure_reduction_percent, m->th.worse_tolerance_percent,
          m->th.equivalence_percent, (unsigned long long)m->th.min_samples_per_arm,
          m->holm_family_size, m->th.alpha, m->th.reference_backend, m->th.source);

    e->heading(e, 2, "Every verdict (scenario x backend x class)");
    if (m->n_verdicts == 0) {
        e->para(e, "No verdicts.");
        return;
    }
    const char *h[] = {"Scenario", "Variant", "Backend", "Class", "Verdict", "Rule", "Why (numbers)"};
    /* rows in reading order: scenario, variant, backend, class (the model keeps run order) */
    const analysis_verdict_t **order = malloc(m->n_verdicts * sizeof *order);
    if (!order) {
        e->error = 1;
        return;
    }
    for (size_t i = 0; i < m->n_verdicts; i++)
        order[i] = &m->verdicts[i];
    qsort(order, m->n_verdicts, sizeof *order, verdict_cmp);
    e->table_start(e, 7, h);
    for (size_t i = 0; i < m->n_verdicts; i++) {
        const analysis_verdict_t *v = order[i];
        char cls[80], vv[64];
        snprintf(cls, sizeof cls, "`%s`", v->cls);
        snprintf(vv, sizeof vv, "**%s**", verdict_word(v->verdict));
        /* the detail already names the repetitions an INCONCLUSIVE verdict needs */
        const char *row[] = {v->scenario, or_dash(v->variant), v->backend, cls, vv,
                             or_dash(v->rule), v->detail};
        e->table_row(e, row);
    }
    e->table_end(e);
    free(order);
}

static void section_evidence(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    e->heading(e, 2, "Evidence per class");
    e->para(e, "Each row compares the class pooled (b) with no pool (a) on the same backend, "
               "scenario and variant. Ratio = median(b) / median(a) (below 1: the pool lowers the "
               "metric); CI: seeded bootstrap 95 % CI of that ratio; p: two-sided Mann-Whitney U, "
               "then Holm-adjusted. \"exact\": both arms constant (deterministic counts), no test needed.");
    if (m->n_comparisons == 0) {
        e->para(e, "No comparisons.");
        return;
    }
    /* classes in order of first appearance */
    for (size_t i = 0; i < m->n_comparisons; i++) {
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(m->comparisons[k].cls, m->comparisons[i].cls) == 0;
        if (seen)
            continue;
        const char *cls = m->comparisons[i].cls;
        char h3[128];
        snprintf(h3, sizeof h3, "Class `%s`", cls);
        e->heading(e, 3, h3);
        const char *h[] = {"Scenario", "Variant", "Backend", "Metric", "n a/b", "Median a (none)",
                           "Median b (pooled)", "Ratio b/a", "95 % CI", "p", "p (Holm)", "Verdict / rule"};
        e->table_start(e, 12, h);
        for (size_t k = i; k < m->n_comparisons; k++) {
            const analysis_comparison_t *c = &m->comparisons[k];
            if (strcmp(c->cls, cls) != 0)
                continue;
            char n[32], ma[CELL], mb[CELL], r[CELL], ci[CELL], p[32], pa[32], met[96], vr[160] = "—";
            snprintf(n, sizeof n, "%zu/%zu", c->n_a, c->n_b);
            fmt_metric(ma, sizeof ma, (int)c->metric, c->median_a);
            fmt_metric(mb, sizeof mb, (int)c->metric, c->median_b);
            fmt_ratio(r, sizeof r, c->ratio);
            fmt_ci(ci, sizeof ci, c->ci_lo, c->ci_hi);
            fmt_p(p, sizeof p, c->p_value);
            fmt_p(pa, sizeof pa, c->p_adjusted);
            snprintf(met, sizeof met, "`%s`%s%s", c->metric_name,
                     c->method == ANALYSIS_METHOD_EXACT ? " (exact)" : "",
                     c->count_varies ? " (count varies!)" : "");
            for (size_t v = 0; v < m->n_verdicts; v++) {
                const analysis_verdict_t *vd = &m->verdicts[v];
                for (size_t q = 0; q < vd->n_comparisons; q++)
                    if (vd->comparisons[q] == k) {
                        int fired = vd->metric == (int)c->metric;
                        snprintf(vr, sizeof vr, "%s / %s%s", verdict_word(vd->verdict),
                                 or_dash(vd->rule), fired ? " (fired here)" : "");
                    }
            }
            const char *row[] = {c->scenario, or_dash(c->variant), c->backend, met, n, ma, mb, r, ci,
                                 p, pa, vr};
            e->table_row(e, row);
        }
        e->table_end(e);
    }
}

static void section_warnings(const report_doc_t *d, report_emitter_t *e)
{
    const analysis_model_t *m = d->model;
    e->heading(e, 2, "Warnings and what to do");
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
    e->heading(e, 2, "No pool on a better allocator vs pool on glibc");
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
    e->table_start(e, 10, h);
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
    e->heading(e, 2, "Cost of zeroing on put");
    if (m->n_zeroing == 0) {
        e->para(e, "Not measured: no scenario sweeps `zero_on_put` (on/off) for a pooled policy.");
        return;
    }
    e->para(e, "a = zero_on_put off, b = on (Go's pkg/memory zeroes every buffer it takes back); "
               "ratio on/off of the time metric.");
    const char *h[] = {"Scenario", "Variant", "Backend", "Policy", "n a/b", "off", "on", "Ratio on/off",
                       "95 % CI", "p (Holm)"};
    e->table_start(e, 10, h);
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
    e->heading(e, 2, "Maintenance: size of the pool code");
    if (m->pool_code_lines > 0)
        emitf(e, e->para, "The pool (sync.Pool model and pkg/memory wrapper: allocators/pool.c, "
                          "pool.h, bufpool.c, bufpool.h) is **%lld non-blank lines**: the code that "
                          "goes away with a REMOVE.", m->pool_code_lines);
    else
        e->para(e, "Unknown: the journal's context does not record `pool_code_lines`.");
}

static double cal_num(json_object *o, const char *k)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v) || !v)
        return NAN;
    return json_object_get_double(v);
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
    e->heading(e, 2, "What \"no difference\" means on this machine");
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
    e->table_start(e, 7, h);
    size_t n = ws ? json_object_array_length(ws) : 0;
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
    e->heading(e, 2, "Failed cells");
    e->para(e, "A backend with a failed cell is DISQUALIFIED for that scenario (never dropped silently).");
    const char *h[] = {"Scenario", "Variant", "Backend", "Policy", "Rep", "Status", "Key"};
    e->table_start(e, 7, h);
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
    e->heading(e, 2, "Charts");
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

static void section_context(const report_doc_t *d, report_emitter_t *e)
{
    json_object *ctx = d->model->context;
    e->heading(e, 2, "Context");
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
    item(e, "Other outputs: `summary.json` (verdicts with the raw samples), `samples.csv` (one row "
            "per sample), `bench.txt` (Go benchmark format, for benchstat)");
    if (d->generated_at)
        item(e, "Generated: %s", d->generated_at);
    end_list(e);
}

int report_md_content(const report_doc_t *d, report_emitter_t *e)
{
    e->doc = d;
    section_verdicts(d, e);
    section_evidence(d, e);
    section_warnings(d, e);
    section_avp(d, e);
    section_zeroing(d, e);
    section_maintenance(d, e);
    section_calibration(d, e);
    section_failed(d, e);
    section_charts(d, e);
    section_context(d, e);
    end_list(e);
    return e->error ? -1 : 0;
}

/* ================================================================== Markdown emitter */

static void md_put(report_emitter_t *e, const char *s)
{
    if (fputs(s, e->out) < 0)
        e->error = 1;
}

/* table cell: '|' escaped, newlines flattened */
static void md_cell(report_emitter_t *e, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            md_put(e, "\\|");
        else if (*s == '\n' || *s == '\r')
            md_put(e, " ");
        else if (fputc(*s, e->out) == EOF)
            e->error = 1;
    }
}

static void md_heading(report_emitter_t *e, int level, const char *text)
{
    end_list(e);
    fprintf(e->out, "%.*s %s\n\n", level, "######", text);
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


static void md_table_start(report_emitter_t *e, size_t ncols, const char *const *h)
{
    end_list(e);
    e->ncols = ncols;
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
    md_put(e, "|");
    for (size_t i = 0; i < e->ncols; i++) {
        md_put(e, " ");
        md_cell(e, cells[i] ? cells[i] : "");
        md_put(e, " |");
    }
    md_put(e, "\n");
}

static void md_table_end(report_emitter_t *e) { md_put(e, "\n"); }

static void md_chart(report_emitter_t *e, const charts_result_t *c)
{
    fprintf(e->out, "![%s](%s)\n\n[SVG](%s)\n\n", c->title, c->png, c->svg);
}

int report_md_write(const report_doc_t *doc, FILE *out)
{
    report_emitter_t e = {
        .out = out, .heading = md_heading, .para = md_para, .item = md_item,
        .list_end = md_list_end, .table_start = md_table_start, .table_row = md_table_row,
        .table_end = md_table_end, .chart = md_chart,
    };
    int rc = report_md_content(doc, &e);
    if (fflush(out) != 0 || ferror(out))
        rc = -1;
    return rc;
}
