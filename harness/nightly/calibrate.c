/* calibrate.c: `poolbench calibrate`'s one entry point (calibrate.h): runs the A/A and
 * A/A' sides of every run with the gate's interleaved runner (or, for a reanalysis, finds
 * the journals an earlier run left), compares them with the gate, and hands the tally to
 * calibrate_stats.c, calibrate_md.c and calibrate_json.c.
 * Guarantees: the comparisons are exactly the gate's (gate_compare); a fresh run never
 * overwrites a calibration; errors come back as text (err) and an exit code.
 * What it must not do: print, install signal handlers, compute statistics itself.
 */
#define _GNU_SOURCE
#include "calibrate.h"
#include "atomic_file.h"
#include "calibrate_json.h"
#include "calibrate_md.h"
#include "calibrate_stats.h"
#include "gate.h"
#include "gate_ir.h"
#include "gate_runner.h"
#include "journal.h"
#include "matrix.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CALIBRATE_SIDES (2 + CALIBRATE_MAX_SLOWDOWNS)

/* The label (and folder name) of side s: A1, A2, then A-slowPCT per slowdown. */
static void calibrate_side_label(const calibrate_setup_t *setup, size_t s, char *buf, size_t cap)
{
    if (s < 2)
        snprintf(buf, cap, "A%zu", s + 1);
    else
        snprintf(buf, cap, "A-slow%u", setup->slowdowns_pct[s - 2]);
}

static void calibrate_journal_path(const char *dir, unsigned run, const calibrate_setup_t *setup,
                                   size_t s, char *buf, size_t cap)
{
    char label[32];
    calibrate_side_label(setup, s, label, sizeof label);
    snprintf(buf, cap, "%s/run-%03u/%s/%s", dir, run + 1, label, JOURNAL_FILE);
}

/* Loads the sides' journals of one run, compares A1 with every other side (kind 0 = A2,
 * 1 + k = slowdown k) and records the rows. Run 0 keeps A1's context in *context.
 * Returns 0 or 3 (err). */
static int calibrate_absorb_run(const char *dir, unsigned run, const calibrate_setup_t *setup,
                                calibrate_tally_t *tally, json_object **context, char *err)
{
    size_t n_sides = 2 + setup->n_slowdowns, loaded = 0;
    journal_t js[CALIBRATE_SIDES];
    int rc = 0;
    for (size_t s = 0; s < n_sides && rc == 0; s++) {
        char path[PATH_MAX + 96];
        calibrate_journal_path(dir, run, setup, s, path, sizeof path);
        if (journal_load(path, &js[s], err) != 0)
            rc = 3;
        else
            loaded++;
    }
    gate_options_t go = {.th = setup->th, .max_count_increase_percent = 0};
    char ir_base[PATH_MAX + 128];
    snprintf(ir_base, sizeof ir_base, "%s/run-%03u/A1/%s", dir, run + 1, GATE_IR_FILE);
    for (size_t s = 1; s < n_sides && rc == 0; s++) {
        gate_report_t rep;
        char ir_side[PATH_MAX + 128], label[32];
        calibrate_side_label(setup, s, label, sizeof label);
        snprintf(ir_side, sizeof ir_side, "%s/run-%03u/%s/%s", dir, run + 1, label, GATE_IR_FILE);
        if (gate_compare(&js[0], &js[s], &go, &rep, err) != 0) {
            snprintf(err, CALIBRATE_ERR_BYTES, "out of memory");
            rc = 3;
            continue;
        }
        /* instruction counts, where the run made them (valgrind present) */
        if (access(ir_base, F_OK) == 0 && access(ir_side, F_OK) == 0 &&
            gate_ir_compare_files(ir_base, ir_side, setup->th->max_instructions_increase_percent,
                                  &rep, err, CALIBRATE_ERR_BYTES) != 0)
            rc = 3;
        else if (calibrate_tally_absorb(tally, &rep, s == 1 ? 0 : (int)s - 1, run) != 0) {
            snprintf(err, CALIBRATE_ERR_BYTES, "out of memory");
            rc = 3;
        }
        gate_report_free(&rep);
    }
    if (rc == 0 && run == 0 && js[0].context)
        *context = json_object_get(js[0].context);
    for (size_t s = 0; s < loaded; s++)
        journal_free(&js[s]);
    return rc;
}

/* Statistics, calibration.md (kept in out->markdown) and calibration.json in out_dir.
 * Returns 0 or 3 (err). */
static int calibrate_write(const char *out_dir, const calibrate_setup_t *setup,
                           const calibrate_tally_t *tally, calibrate_outcome_t *out, char *err)
{
    snprintf(out->json_path, sizeof out->json_path, "%s/calibration.json", out_dir);
    snprintf(out->md_path, sizeof out->md_path, "%s/calibration.md", out_dir);
    calibrate_stats_t stats;
    if (calibrate_stats_compute(tally, setup, &stats) != 0) {
        snprintf(err, CALIBRATE_ERR_BYTES, "out of memory");
        return 3;
    }
    FILE *md = open_memstream(&out->markdown, &out->markdown_len);
    if (!md) {
        calibrate_stats_free(&stats);
        snprintf(err, CALIBRATE_ERR_BYTES, "out of memory");
        return 3;
    }
    calibrate_md_write(md, setup, &stats);
    fclose(md);
    int json_rc = calibrate_json_write(out->json_path, setup, &stats);
    calibrate_stats_free(&stats);
    if (json_rc != 0) {
        snprintf(err, CALIBRATE_ERR_BYTES, "cannot write %s", out->json_path);
        return 3;
    }
    atomic_file_t af;   /* temporary name, fsync, rename: atomic_file.h */
    if (atomic_file_open(&af, out->md_path, err, CALIBRATE_ERR_BYTES) != 0)
        return 3;
    if (fwrite(out->markdown, 1, out->markdown_len, af.f) != out->markdown_len) {
        snprintf(err, CALIBRATE_ERR_BYTES, "cannot write %s: %s", out->md_path, strerror(errno));
        atomic_file_abort(&af);
        return 3;
    }
    return atomic_file_commit(&af, err, CALIBRATE_ERR_BYTES) == 0 ? 0 : 3;
}

/* Runs the sides of run `run` interleaved into out_dir/run-NNN/SIDE/results.jsonl.
 * Returns 0, 2 (bad input), 3 (harness error) or 130 (interrupted). */
static int calibrate_run_sides(const calibrate_options_t *opt, const calibrate_setup_t *setup,
                               const scenario_t *scs, size_t n_scs, unsigned run, char *err)
{
    size_t n_sides = 2 + setup->n_slowdowns;
    gate_side_t sides[CALIBRATE_SIDES];
    char labels[CALIBRATE_SIDES][32], paths[CALIBRATE_SIDES][PATH_MAX + 96];
    for (size_t s = 0; s < n_sides; s++) {
        calibrate_side_label(setup, s, labels[s], sizeof labels[s]);
        char d[PATH_MAX + 64];
        snprintf(d, sizeof d, "%s/run-%03u/%s", opt->out_dir, run + 1, labels[s]);
        if (util_mkdir_p(d) != 0) {
            snprintf(err, CALIBRATE_ERR_BYTES, "cannot create %s: %s", d, strerror(errno));
            return 3;
        }
        calibrate_journal_path(opt->out_dir, run, setup, s, paths[s], sizeof paths[s]);
        sides[s] = (gate_side_t){.label = labels[s], .bin_dir = opt->bin_dir,
                                 .inject_extra_ops_pct = s < 2 ? 0 : setup->slowdowns_pct[s - 2],
                                 .journal_path = paths[s]};
    }
    uint64_t st = opt->seed + run;
    gate_run_options_t ro = {.seed = run ? matrix_splitmix64(&st) >> 16 : opt->seed,
                             .cache_dir = opt->cache_dir, .interrupt = opt->interrupt};
    if (opt->progress) {
        char line[160];
        snprintf(line, sizeof line, "calibrate: run %u/%u (%zu sides interleaved, seed %llu)",
                 run + 1, opt->runs, n_sides, (unsigned long long)ro.seed);
        opt->progress(opt->progress_user, line);
    }
    int rr = gate_run_sides(scs, n_scs, sides, n_sides, &ro, err);
    if (rr != 0)
        return rr == 130 ? 130 : rr == -1 ? 2 : 3;
    /* the instruction counts of every side (gate_ir.h), beside its journal */
    char why[GATE_ERR_BYTES], vg[PATH_MAX];
    if (!gate_ir_find_valgrind(vg, sizeof vg, why, sizeof why)) {
        if (opt->progress && run == 0) {
            char line[GATE_ERR_BYTES + 64];
            snprintf(line, sizeof line, "calibrate: no instruction counts: %s", why);
            opt->progress(opt->progress_user, line);
        }
        return 0;
    }
    for (size_t s = 0; s < n_sides; s++) {
        char dir[PATH_MAX + 96], json[PATH_MAX + 128];
        snprintf(dir, sizeof dir, "%s/run-%03u/%s", opt->out_dir, run + 1, labels[s]);
        snprintf(json, sizeof json, "%s/%s", dir, GATE_IR_FILE);
        gate_ir_options_t io = {.valgrind = vg, .work_dir = dir,
                                .cache_dir = opt->cache_dir, .timeout_s = 600,
                                .interrupt = opt->interrupt};
        int ir = gate_ir_count_side(scs, n_scs, opt->bin_dir, sides[s].inject_extra_ops_pct,
                                    &io, labels[s], json, err, CALIBRATE_ERR_BYTES);
        if (ir != 0)
            return ir == 130 ? 130 : 3;
    }
    return 0;
}

/* A fresh calibration: every run, then the files. */
static int calibrate_fresh(const calibrate_options_t *opt, calibrate_outcome_t *out, char *err)
{
    scenario_t *scs = NULL;
    size_t n_scs = 0;
    if (gate_load_scenarios(opt->matrix, opt->scenarios, opt->scenario_dir, opt->repetitions,
                            &scs, &n_scs, err) != 0)
        return 2;
    char jpath[PATH_MAX + 32];
    snprintf(jpath, sizeof jpath, "%s/calibration.json", opt->out_dir);
    if (access(jpath, F_OK) == 0) {
        snprintf(err, CALIBRATE_ERR_BYTES, "%s already holds a calibration: choose another "
                 "--out", opt->out_dir);
        free(scs);
        return 2;
    }
    calibrate_setup_t setup = {.runs = opt->runs, .repetitions = opt->repetitions,
                               .n_slowdowns = opt->n_slowdowns, .seed = opt->seed,
                               .bin_dir = opt->bin_dir, .th = opt->th};
    memcpy(setup.slowdowns_pct, opt->slowdowns_pct, sizeof setup.slowdowns_pct);
    calibrate_tally_t tally = {0};
    int rc = 0;
    for (unsigned run = 0; run < opt->runs && rc == 0; run++) {
        rc = calibrate_run_sides(opt, &setup, scs, n_scs, run, err);
        if (rc == 0)
            rc = calibrate_absorb_run(opt->out_dir, run, &setup, &tally, &setup.context, err);
    }
    if (rc == 0)
        rc = calibrate_write(opt->out_dir, &setup, &tally, out, err);
    if (setup.context)
        json_object_put(setup.context);
    calibrate_tally_free(&tally);
    free(scs);
    return rc;
}

/* ---- reanalysis ---------------------------------------------------------------------- */

static int calibrate_uint_cmp(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* The slowdowns of an earlier run: its run-001/A-slowPCT folders, ascending. */
static int calibrate_found_slowdowns(const char *dir, calibrate_setup_t *setup, char *err)
{
    char run1[PATH_MAX + 16];
    snprintf(run1, sizeof run1, "%s/run-001", dir);
    DIR *d = opendir(run1);
    if (!d) {
        snprintf(err, CALIBRATE_ERR_BYTES, "cannot read %s: %s", run1, strerror(errno));
        return 2;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned pct;
        char tail;
        if (sscanf(e->d_name, "A-slow%u%c", &pct, &tail) != 1)
            continue;
        if (setup->n_slowdowns == CALIBRATE_MAX_SLOWDOWNS) {
            closedir(d);
            snprintf(err, CALIBRATE_ERR_BYTES, "%s: more than %d A-slow folders", run1,
                     CALIBRATE_MAX_SLOWDOWNS);
            return 2;
        }
        setup->slowdowns_pct[setup->n_slowdowns++] = pct;
    }
    closedir(d);
    qsort(setup->slowdowns_pct, setup->n_slowdowns, sizeof setup->slowdowns_pct[0],
          calibrate_uint_cmp);
    return 0;
}

/* What an earlier run was run with: runs (consecutive run-NNN folders with an A1
 * journal), repetitions (largest rep + 1), seed and bin_dir (run-001/A1's context). */
static int calibrate_found_setup(const char *dir, calibrate_setup_t *setup, char *bin_dir,
                                 size_t bin_cap, char *err)
{
    for (setup->runs = 0; setup->runs < CALIBRATE_MAX_RUNS; setup->runs++) {
        char path[PATH_MAX + 96];
        snprintf(path, sizeof path, "%s/run-%03u/A1/%s", dir, setup->runs + 1, JOURNAL_FILE);
        if (access(path, F_OK) != 0)
            break;
    }
    if (setup->runs == 0) {
        snprintf(err, CALIBRATE_ERR_BYTES, "%s holds no calibration run (run-001/A1/%s)", dir,
                 JOURNAL_FILE);
        return 2;
    }
    char path[PATH_MAX + 96];
    journal_t j;
    snprintf(path, sizeof path, "%s/run-001/A1/%s", dir, JOURNAL_FILE);
    if (journal_load(path, &j, err) != 0)
        return 2;
    long long max_rep = -1;
    for (size_t i = 0; i < j.n_cells; i++)
        if (journal_int(j.cells[i], "rep", -1) > max_rep)
            max_rep = journal_int(j.cells[i], "rep", -1);
    setup->repetitions = (unsigned)(max_rep + 1);
    json_object *seed;
    if (j.context && json_object_object_get_ex(j.context, "seed", &seed))
        setup->seed = json_object_get_uint64(seed);
    const char *bd = journal_str(j.context, "bin_dir");
    snprintf(bin_dir, bin_cap, "%s", bd ? bd : "");
    setup->bin_dir = bin_dir;
    journal_free(&j);
    return 0;
}

static int calibrate_reanalyse(const calibrate_options_t *opt, calibrate_outcome_t *out,
                               char *err)
{
    const char *dir = opt->reanalyse_dir, *out_dir = opt->out_dir ? opt->out_dir : dir;
    char bin_dir[PATH_MAX];
    calibrate_setup_t setup = {.th = opt->th, .n_slowdowns = opt->n_slowdowns};
    memcpy(setup.slowdowns_pct, opt->slowdowns_pct, sizeof setup.slowdowns_pct);
    int rc = calibrate_found_setup(dir, &setup, bin_dir, sizeof bin_dir, err);
    if (rc == 0 && setup.n_slowdowns == 0)
        rc = calibrate_found_slowdowns(dir, &setup, err);
    if (rc != 0)
        return rc;
    if (util_mkdir_p(out_dir) != 0) {
        snprintf(err, CALIBRATE_ERR_BYTES, "cannot create %s: %s", out_dir, strerror(errno));
        return 3;
    }
    calibrate_tally_t tally = {0};
    for (unsigned run = 0; run < setup.runs && rc == 0; run++)
        rc = calibrate_absorb_run(dir, run, &setup, &tally, &setup.context, err);
    if (rc == 0)
        rc = calibrate_write(out_dir, &setup, &tally, out, err);
    if (setup.context)
        json_object_put(setup.context);
    calibrate_tally_free(&tally);
    return rc;
}

int calibrate_run(const calibrate_options_t *opt, calibrate_outcome_t *out,
                  char err[CALIBRATE_ERR_BYTES])
{
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    int rc = opt->reanalyse_dir ? calibrate_reanalyse(opt, out, err)
                                : calibrate_fresh(opt, out, err);
    if (rc != 0) {
        free(out->markdown);
        out->markdown = NULL;
        out->markdown_len = 0;
    }
    return rc;
}
