/* gate_ir.c: instruction counts of a kernel's timed window under callgrind, and the
 * gate's rows made of them (see gate_ir.h for the contract). */
#define _GNU_SOURCE
#include "gate_ir.h"
#include "atomic_file.h"
#include "cell.h"
#include "engine.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Kernels that run on the calling thread only (workloads/: no worker threads). */
static const char *const gate_ir_single_threaded[] = {
    "checksum", "sum_checksum", "tar_read", "tar_copy", "tar_create_seq", "image_tag", "touch",
};

int gate_ir_eligible(const matrix_cell_t *c)
{
    if (c->sc->mode != SCENARIO_MODE_CELL || strcmp(c->backend, "go") == 0)
        return 0;
    for (size_t i = 0; i < sizeof gate_ir_single_threaded / sizeof *gate_ir_single_threaded; i++)
        if (strcmp(c->sc->workload, gate_ir_single_threaded[i]) == 0)
            return 1;
    return 0;
}

int gate_ir_find_valgrind(char *valgrind, size_t cap, char *err, size_t err_cap)
{
    if (util_find_in_path("valgrind", valgrind, cap) != 0) {
        snprintf(err, err_cap, "valgrind is not on PATH: install it (Debian package valgrind; "
                 "scripts/install-deps.sh does)");
        return 0;
    }
    char *const argv[] = {valgrind, "--tool=callgrind", "--version", NULL};
    cell_spec_t spec = {.exe = valgrind, .argv = argv, .timeout_s = 30, .grace_s = 2};
    cell_outcome_t o;
    int rc = cell_run(&spec, &o, NULL);
    int ok = rc == 0 && o.exited && o.exit_code == 0;
    if (!ok)
        snprintf(err, err_cap, "valgrind (%s) did not run%s%s: install it (Debian package "
                 "valgrind; scripts/install-deps.sh does)", valgrind,
                 o.spawn_errno ? ": " : "", o.spawn_errno ? strerror(o.spawn_errno) : "");
    cell_outcome_free(&o);
    return ok;
}

int gate_ir_parse_file(const char *path, uint64_t *ir, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_cap, "cannot read callgrind output %s: %s", path, strerror(errno));
        return -1;
    }
    char line[512];
    int have_summary = 0, have_totals = 0;
    uint64_t summary = 0, totals = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;
        if (!have_summary && sscanf(line, "summary: %llu", &v) == 1) {
            summary = v;
            have_summary = 1;
        } else if (!have_totals && sscanf(line, "totals: %llu", &v) == 1) {
            totals = v;
            have_totals = 1;
        }
    }
    fclose(f);
    if (!have_summary && !have_totals) {
        snprintf(err, err_cap, "%s has no summary: or totals: line (not a callgrind output)",
                 path);
        return -1;
    }
    *ir = have_summary ? summary : totals;
    return 0;
}

/* The "ops" of the runner's JSON line (stdout). */
static int gate_ir_ops(const char *out, uint64_t *ops)
{
    json_object *o = out ? json_tokener_parse(out) : NULL;
    json_object *v = NULL;
    int ok = o && json_object_object_get_ex(o, "ops", &v) && json_object_is_type(v, json_type_int);
    if (ok)
        *ops = (uint64_t)json_object_get_int64(v);
    json_object_put(o);
    return ok && *ops > 0 ? 0 : -1;
}

int gate_ir_measure(const matrix_cell_t *c, const char *bin_dir, unsigned extra_ops_pct,
                    const gate_ir_options_t *o, const char *out_file, gate_ir_count_t *out,
                    char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    char exe[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/pb-%s-bare", bin_dir, scenario_backend_runner(c->backend));
    if (access(exe, X_OK) != 0)
        engine_runner_path(bin_dir, c->backend, exe, sizeof exe);
    engine_argv_t *a = malloc(sizeof *a);
    if (!a) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    if (engine_argv_build(c, exe, o->cache_dir, NULL, a) != 0) {
        snprintf(err, err_cap, "command line too long");
        free(a);
        return -1;
    }
    uint64_t it = c->iterations == SCENARIO_UNSET ? 1 : c->iterations;
    if (it > GATE_IR_MAX_ITERATIONS)
        it = GATE_IR_MAX_ITERATIONS;
    char outopt[PATH_MAX + 32], its[32], extra[32];
    snprintf(outopt, sizeof outopt, "--callgrind-out-file=%s", out_file);
    snprintf(its, sizeof its, "%" PRIu64, it);
    snprintf(extra, sizeof extra, "%u", extra_ops_pct);
    char *argv[ENGINE_ARGV_MAX + 16];
    size_t n = 0;
    argv[n++] = (char *)o->valgrind;
    argv[n++] = "--tool=callgrind";
    argv[n++] = "--collect-atstart=no";
    argv[n++] = outopt;
    for (size_t i = 0; i < a->n; i++)
        argv[n++] = a->argv[i];
    argv[n++] = "--iterations";   /* the runner takes the last of a repeated option */
    argv[n++] = its;
    if (extra_ops_pct) {
        argv[n++] = "--inject-extra-ops";
        argv[n++] = extra;
    }
    argv[n] = NULL;
    cell_spec_t spec = {.exe = o->valgrind, .argv = argv, .timeout_s = o->timeout_s,
                        .grace_s = 5};
    cell_outcome_t co;
    unlink(out_file);
    int rc = cell_run(&spec, &co, o->interrupt);
    free(a);
    if (rc != 0) {
        snprintf(err, err_cap, "cannot run valgrind: out of memory or no pipe");
        cell_outcome_free(&co);
        return -1;
    }
    if (co.interrupted) {
        cell_outcome_free(&co);
        return 130;
    }
    if (!co.exited || co.exit_code != 0) {
        char st[64];
        cell_status(&co, st, sizeof st);
        snprintf(err, err_cap, "%s under callgrind: %s: %.300s", exe, st, co.err);
        cell_outcome_free(&co);
        return -1;
    }
    int prc = gate_ir_ops(co.out, &out->ops);
    cell_outcome_free(&co);
    if (prc != 0) {
        snprintf(err, err_cap, "%s under callgrind printed no ops", exe);
        return -1;
    }
    if (gate_ir_parse_file(out_file, &out->ir, err, err_cap) != 0)
        return -1;
    out->ir_per_op = (double)out->ir / (double)out->ops;
    return 0;
}

/* ---- one side's counts, and two sides compared ---------------------------------------- */

static int gate_ir_write(const char *path, json_object *doc, char *err, size_t err_cap)
{
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY);
    if (!text) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    atomic_file_t af;
    if (atomic_file_open(&af, path, err, err_cap) != 0)
        return -1;
    fprintf(af.f, "%s\n", text);
    return atomic_file_commit(&af, err, err_cap) == 0 ? 0 : -1;
}

/* One arm's entry: its names, and the count or why there is none. */
static json_object *gate_ir_entry(const matrix_cell_t *c, const gate_ir_count_t *k, int ok,
                                  const char *why)
{
    json_object *e = json_object_new_object();
    if (!e)
        return NULL;
    json_object_object_add(e, "scenario", json_object_new_string(c->sc->name));
    json_object_object_add(e, "backend", json_object_new_string(c->backend));
    json_object_object_add(e, "policy", json_object_new_string(c->policy));
    json_object_object_add(e, "variant", json_object_new_string(c->variant));
    if (ok) {
        json_object_object_add(e, "ir", json_object_new_uint64(k->ir));
        json_object_object_add(e, "ops", json_object_new_uint64(k->ops));
        json_object_object_add(e, "ir_per_op", json_object_new_double(k->ir_per_op));
    } else {
        json_object_object_add(e, "error", json_object_new_string(why));
    }
    return e;
}

int gate_ir_count_side(const scenario_t *scs, size_t n_scs, const char *bin_dir,
                       unsigned extra_ops_pct, const gate_ir_options_t *o, const char *label,
                       const char *json_path, char *err, size_t err_cap)
{
    matrix_t mx;
    int er = matrix_expand(scs, n_scs, NULL, &mx);
    if (er != 0 && er != -2) {
        snprintf(err, err_cap, "out of memory expanding the scenarios");
        return -1;
    }
    json_object *doc = json_object_new_object(), *arms = json_object_new_array();
    if (!doc || !arms) {
        json_object_put(doc);
        json_object_put(arms);
        if (er == 0)
            matrix_free(&mx);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    json_object_object_add(doc, "schema_version", json_object_new_int(1));
    json_object_object_add(doc, "kind", json_object_new_string("poolbench-instructions"));
    json_object_object_add(doc, "side", json_object_new_string(label));
    json_object_object_add(doc, "bin_dir", json_object_new_string(bin_dir));
    json_object_object_add(doc, "extra_ops_pct", json_object_new_int((int)extra_ops_pct));
    json_object_object_add(doc, "arms", arms);
    int rc = 0;
    for (size_t i = 0; er == 0 && i < mx.n_cells && rc == 0; i++) {
        const matrix_cell_t *c = &mx.cells[i];
        if (c->rep != 0 || c->counting || !gate_ir_eligible(c))
            continue;
        char file[PATH_MAX], why[400];
        snprintf(file, sizeof file, "%s/callgrind.%s.%.16s.out", o->work_dir, label, c->arm_key);
        if (o->progress) {
            char msg[600];
            snprintf(msg, sizeof msg, "instructions: %s %s/%s%s%s (%s)", c->sc->name,
                     c->backend, c->policy, c->variant[0] ? " " : "", c->variant, label);
            o->progress(o->progress_user, msg);
        }
        gate_ir_count_t k;
        int r = gate_ir_measure(c, bin_dir, extra_ops_pct, o, file, &k, why, sizeof why);
        if (r == 130) {
            rc = 130;
            break;
        }
        json_object *e = gate_ir_entry(c, &k, r == 0, why);
        if (!e || json_object_array_add(arms, e) != 0) {
            json_object_put(e);
            snprintf(err, err_cap, "out of memory");
            rc = -1;
        }
    }
    if (rc == 0)
        rc = gate_ir_write(json_path, doc, err, err_cap);
    json_object_put(doc);
    if (er == 0)
        matrix_free(&mx);
    return rc;
}

/* The arms array of an instructions.json, or NULL (err names the file and the problem). */
static json_object *gate_ir_load(const char *path, json_object **doc, char *err, size_t err_cap)
{
    *doc = json_object_from_file(path);
    json_object *arms = NULL, *kind = NULL;
    if (!*doc) {
        snprintf(err, err_cap, "%s: cannot read or not JSON", path);
        return NULL;
    }
    if (!json_object_object_get_ex(*doc, "kind", &kind) ||
        strcmp(json_object_get_string(kind), "poolbench-instructions") != 0 ||
        !json_object_object_get_ex(*doc, "arms", &arms) ||
        !json_object_is_type(arms, json_type_array)) {
        snprintf(err, err_cap, "%s: not a poolbench instructions file (kind, arms)", path);
        json_object_put(*doc);
        *doc = NULL;
        return NULL;
    }
    return arms;
}

static const char *gate_ir_str(json_object *e, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(e, key, &v) || !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

/* ir_per_op of an entry: 1 and *v, or 0 (with the entry's error, if any, in *why). */
static int gate_ir_value(json_object *e, double *v, const char **why)
{
    json_object *x = NULL;
    *why = gate_ir_str(e, "error");
    if (!json_object_object_get_ex(e, "ir_per_op", &x) ||
        !(json_object_is_type(x, json_type_double) || json_object_is_type(x, json_type_int)))
        return 0;
    *v = json_object_get_double(x);
    return *v > 0;
}

static int gate_ir_same_arm(json_object *a, json_object *b)
{
    static const char *const keys[] = {"scenario", "backend", "policy", "variant"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(gate_ir_str(a, keys[i]), gate_ir_str(b, keys[i])) != 0)
            return 0;
    return 1;
}

int gate_ir_compare_files(const char *base_json, const char *cand_json, double threshold_pct,
                          gate_report_t *rep, char *err, size_t err_cap)
{
    json_object *bd = NULL, *cd = NULL;
    json_object *ba = gate_ir_load(base_json, &bd, err, err_cap);
    json_object *ca = ba ? gate_ir_load(cand_json, &cd, err, err_cap) : NULL;
    if (!ba || !ca) {
        json_object_put(bd);
        return -1;
    }
    rep->max_instructions_increase = threshold_pct / 100.0;
    int rc = 0;
    size_t nb = json_object_array_length(ba), nc = json_object_array_length(ca);
    for (size_t i = 0; i < nb && rc == 0; i++) {
        json_object *b = json_object_array_get_idx(ba, i), *c = NULL;
        for (size_t k = 0; k < nc && !c; k++)
            if (gate_ir_same_arm(b, json_object_array_get_idx(ca, k)))
                c = json_object_array_get_idx(ca, k);
        gate_row_t w;
        memset(&w, 0, sizeof w);
        snprintf(w.scenario, sizeof w.scenario, "%s", gate_ir_str(b, "scenario"));
        snprintf(w.backend, sizeof w.backend, "%s", gate_ir_str(b, "backend"));
        snprintf(w.policy, sizeof w.policy, "%s", gate_ir_str(b, "policy"));
        snprintf(w.variant, sizeof w.variant, "%s", gate_ir_str(b, "variant"));
        snprintf(w.metric, sizeof w.metric, "instructions");
        snprintf(w.method, sizeof w.method, "exact");
        w.med_base = w.med_cand = w.ratio = w.lo = w.hi = w.p = w.p_holm = NAN;
        double vb = 0, vc = 0;
        const char *why_b = "", *why_c = "";
        w.n_base = gate_ir_value(b, &vb, &why_b);
        w.n_cand = c ? gate_ir_value(c, &vc, &why_c) : 0;
        if (w.n_base)
            w.med_base = vb;
        if (w.n_cand)
            w.med_cand = vc;
        if (!w.n_base || !w.n_cand) {
            w.status = GATE_NO_DATA;
            snprintf(w.note, sizeof w.note, "not counted: %s",
                     !c ? "the arm is missing from the candidate's counts"
                        : !w.n_base ? (why_b[0] ? why_b : "no count (baseline)")
                                    : (why_c[0] ? why_c : "no count (candidate)"));
        } else {
            w.ratio = w.lo = w.hi = vc / vb;
            int reg = w.ratio > 1.0 + threshold_pct / 100.0;
            w.status = reg ? GATE_REGRESSION : GATE_PASS;
            w.confirm = reg ? GATE_CONFIRM_AGREED : GATE_CONFIRM_NONE;
            snprintf(w.note, sizeof w.note, "valgrind callgrind, instructions per operation of "
                     "the timed window%s", reg ? "; a deterministic count: a rerun gives the "
                     "same number, so none is needed" : "");
        }
        gate_row_t *slot = gate_report_add_row(rep);
        if (slot)
            *slot = w;
        else {
            snprintf(err, err_cap, "out of memory");
            rc = -1;
        }
    }
    json_object_put(bd);
    json_object_put(cd);
    return rc;
}
