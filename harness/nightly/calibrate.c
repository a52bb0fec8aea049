/* calibrate.c: `poolbench calibrate` (calibrate.h): A/A and A/A' runs of the gate on
 * this machine, false-alarm and detection rates, smallest detectable slowdown.
 *
 * Guarantees: the comparisons are exactly the gate's (gate_compare with the thresholds
 * file); the runs are the gate's interleaved runner (gate_run_sides); statistics only from
 * pb_stats. A bad argument or thresholds file exits 2, a harness failure 3.
 * What it must not do: write outside --out, or slow anything but the A' sides.
 */
#define _GNU_SOURCE
#include "util.h"
#include "interrupt.h"
#include "calibrate.h"
#include "gate.h"
#include "journal.h"
#include "matrix.h"
#include "stats.h"
#include "thresholds.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

#define MAX_SLOW 8
#define MAX_RUNS 1000


typedef struct wl {
    char scenario[GATE_NAME_BYTES], backend[GATE_NAME_BYTES], policy[GATE_NAME_BYTES];
    char variant[GATE_VARIANT_BYTES];
    /* [0] = A/A, [1 + k] = slowdown k; per run: flagged, ratio, lo, hi of ns_per_op */
    int flagged[1 + MAX_SLOW][MAX_RUNS];
    double ratio[1 + MAX_SLOW][MAX_RUNS], lo[1 + MAX_SLOW][MAX_RUNS], hi[1 + MAX_SLOW][MAX_RUNS];
    int have[1 + MAX_SLOW][MAX_RUNS];
} wl_t;

static void usage(FILE *f)
{
    fprintf(f,
"usage: poolbench calibrate [--scenarios LIST | --matrix FILE] [--runs N] [--repetitions R]\n"
"                           [--slowdowns LIST] [--out DIR] [options]\n"
"\n"
"Calibrates the regression gate on this machine. Each run executes, interleaved in one\n"
"job like `poolbench gate --revs`, two unmodified copies of the same runners (A1, A2)\n"
"and one copy per slowdown started with the calibration-only --inject-slowdown PCT.\n"
"A1 vs A2 (A/A) must not be flagged: a flag is a false alarm. A1 vs A'PCT (A/A') should\n"
"be flagged when PCT is past the gate's threshold: a flag is a detection. Per workload it\n"
"reports the false-alarm rate, the detection rate per slowdown and the smallest slowdown\n"
"these repetitions can detect (from the observed CI widths), in DIR/calibration.json and\n"
"DIR/calibration.md (also printed).\n"
"\n"
"  --scenarios LIST     scenario names (default: the gate's set, %s)\n"
"  --matrix FILE        a matrix file instead\n"
"  --scenario-dir DIR   where scenario names are looked up\n"
"  --runs N             A/A and A/A' comparisons per workload (default 5)\n"
"  --repetitions R      repetitions per arm and side (default %u, as the gate)\n"
"  --slowdowns LIST     injected slowdowns in %% (default 5,10,25)\n"
"  --out DIR            output folder (default results/calibrate-YYYYmmdd-HHMMSS)\n"
"  --bin-dir DIR        the pb-<backend> runners (default: poolbench's own folder)\n"
"  --thresholds FILE    thresholds (default %s/scenarios/thresholds.ini)\n"
"  --seed N             shuffle seed of run 1 (run k uses a seed derived from it)\n"
"\n"
"exit codes: 0 done; 2 bad argument, scenario or thresholds file, output folder in use;\n"
"3 harness error; 130 interrupted\n", GATE_DEFAULT_SCENARIOS, GATE_DEFAULT_REPETITIONS,
            PB_SOURCE_DIR);
}



static wl_t *wl_find(wl_t **w, size_t *n, const gate_row_t *r)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*w)[i].scenario, r->scenario) && !strcmp((*w)[i].backend, r->backend) &&
            !strcmp((*w)[i].policy, r->policy) && !strcmp((*w)[i].variant, r->variant))
            return &(*w)[i];
    wl_t *p = realloc(*w, (*n + 1) * sizeof *p);
    if (!p)
        return NULL;
    *w = p;
    wl_t *x = &p[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->scenario, sizeof x->scenario, "%s", r->scenario);
    snprintf(x->backend, sizeof x->backend, "%s", r->backend);
    snprintf(x->policy, sizeof x->policy, "%s", r->policy);
    snprintf(x->variant, sizeof x->variant, "%s", r->variant);
    return x;
}

/* Records one comparison (kind 0 = A/A, 1+k = slowdown k) of run `run`. */
static int absorb(const gate_report_t *r, int kind, unsigned run, wl_t **w, size_t *n)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        const gate_row_t *row = &r->rows[i];
        wl_t *x = wl_find(w, n, row);
        if (!x)
            return -1;
        if (row->status == GATE_REGRESSION)
            x->flagged[kind][run] = 1;
        if (!strcmp(row->metric, "ns_per_op") && !isnan(row->ratio)) {
            x->have[kind][run] = 1;
            x->ratio[kind][run] = row->ratio;
            x->lo[kind][run] = row->lo;
            x->hi[kind][run] = row->hi;
        }
    }
    return 0;
}

static double med(const double *v, size_t n)
{
    double m = NAN;
    if (n && stats_median(v, n, &m) != 0)
        m = NAN;
    return m;
}

static json_object *num(double v)
{
    return isfinite(v) ? json_object_new_double(v) : NULL;
}

int calibrate_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"scenarios", required_argument, 0, 's'}, {"matrix", required_argument, 0, 'm'},
        {"scenario-dir", required_argument, 0, 'S'}, {"runs", required_argument, 0, 'r'},
        {"repetitions", required_argument, 0, 'n'}, {"slowdowns", required_argument, 0, 'd'},
        {"out", required_argument, 0, 'o'}, {"bin-dir", required_argument, 0, 'B'},
        {"thresholds", required_argument, 0, 't'}, {"seed", required_argument, 0, 'e'},
        {"cache-dir", required_argument, 0, 'C'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *scen = NULL, *matrix = NULL, *sdir = NULL, *outd = NULL, *bin = NULL;
    const char *thr = NULL, *slow_s = "5,10,25", *cache_dir = NULL;
    unsigned runs = 5, reps = GATE_DEFAULT_REPETITIONS;
    uint64_t seed = 0;
    int have_seed = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        unsigned long v;
        switch (c) {
        case 's': scen = optarg; break;
        case 'm': matrix = optarg; break;
        case 'S': sdir = optarg; break;
        case 'd': slow_s = optarg; break;
        case 'o': outd = optarg; break;
        case 'B': bin = optarg; break;
        case 't': thr = optarg; break;
        case 'C': cache_dir = optarg; break;
        case 'r':
        case 'n':
            v = strtoul(optarg, &end, 10);
            if (!optarg[0] || *end || optarg[0] == '-' || v < 1 || v > (c == 'r' ? MAX_RUNS : 10000)) {
                fprintf(stderr, "poolbench calibrate: bad --%s '%s' (1..%d)\n",
                        c == 'r' ? "runs" : "repetitions", optarg, c == 'r' ? MAX_RUNS : 10000);
                return 2;
            }
            if (c == 'r')
                runs = (unsigned)v;
            else
                reps = (unsigned)v;
            break;
        case 'e':
            errno = 0;
            seed = strtoull(optarg, &end, 10);
            if (errno || !optarg[0] || *end || optarg[0] == '-') {
                fprintf(stderr, "poolbench calibrate: bad --seed '%s'\n", optarg);
                return 2;
            }
            have_seed = 1;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "poolbench calibrate: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    unsigned slow[MAX_SLOW];
    size_t n_slow = 0;
    {
        char buf[256], *save = NULL;
        snprintf(buf, sizeof buf, "%s", slow_s);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            char *end;
            unsigned long v = strtoul(t, &end, 10);
            if (*end || t[0] == '-' || v < 1 || v > 1000 || n_slow == MAX_SLOW) {
                fprintf(stderr, "poolbench calibrate: bad --slowdowns '%s' (at most %d "
                                "percentages 1..1000, comma-separated)\n", slow_s, MAX_SLOW);
                return 2;
            }
            slow[n_slow++] = (unsigned)v;
        }
    }
    thresholds_t th;
    char terr[THRESHOLDS_ERR_BYTES], err[GATE_ERR_BYTES];
    thresholds_default(&th);
    char def_thr[PATH_MAX];
    snprintf(def_thr, sizeof def_thr, "%s/scenarios/%s", PB_SOURCE_DIR, THRESHOLDS_FILE);
    if (!thr && access(def_thr, R_OK) == 0)
        thr = def_thr;
    if (thr && thresholds_load(thr, &th, terr) != 0) {
        fprintf(stderr, "poolbench calibrate: thresholds: %s\n", terr);
        return 2;
    }
    scenario_t *scs = NULL;
    size_t n_scs = 0;
    if (gate_load_scenarios(matrix, scen, sdir, reps, &scs, &n_scs, err) != 0) {
        fprintf(stderr, "poolbench calibrate: %s\n", err);
        return 2;
    }
    char bin_dir[PATH_MAX], out_dir[PATH_MAX];
    if (bin)
        snprintf(bin_dir, sizeof bin_dir, "%s", bin);
    else
        util_exe_dir(bin_dir, sizeof bin_dir);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (outd)
        snprintf(out_dir, sizeof out_dir, "%s", outd);
    else {
        char when[32];
        strftime(when, sizeof when, "%Y%m%d-%H%M%S", localtime(&now.tv_sec));
        snprintf(out_dir, sizeof out_dir, "results/calibrate-%s", when);
    }
    char jpath[PATH_MAX + 32];
    snprintf(jpath, sizeof jpath, "%s/calibration.json", out_dir);
    if (access(jpath, F_OK) == 0) {
        fprintf(stderr, "poolbench calibrate: %s already holds a calibration: choose another "
                        "--out\n", out_dir);
        free(scs);
        return 2;
    }
    if (!have_seed) {
        uint64_t st = ((uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec) ^ (uint64_t)getpid();
        seed = matrix_splitmix64(&st) >> 16;
    }
    interrupt_install();

    size_t n_sides = 2 + n_slow;
    wl_t *w = NULL;
    size_t nw = 0;
    json_object *ctx0 = NULL;
    gate_options_t go = {.th = &th, .max_count_increase_percent = 0};
    int ec = 3;
    for (unsigned run = 0; run < runs; run++) {
        char rdir[PATH_MAX + 32];
        snprintf(rdir, sizeof rdir, "%s/run-%03u", out_dir, run + 1);
        gate_side_t sides[2 + MAX_SLOW];
        char labels[2 + MAX_SLOW][32], jp[2 + MAX_SLOW][PATH_MAX + 96];
        for (size_t s = 0; s < n_sides; s++) {
            if (s < 2)
                snprintf(labels[s], sizeof labels[s], "A%zu", s + 1);
            else
                snprintf(labels[s], sizeof labels[s], "A-slow%u", slow[s - 2]);
            char d[PATH_MAX + 64];
            snprintf(d, sizeof d, "%s/%s", rdir, labels[s]);
            if (util_mkdir_p(d) != 0) {
                fprintf(stderr, "poolbench calibrate: cannot create %s: %s\n", d, strerror(errno));
                goto done;
            }
            snprintf(jp[s], sizeof jp[s], "%s/%s", d, JOURNAL_FILE);
            sides[s] = (gate_side_t){.label = labels[s], .bin_dir = bin_dir,
                                     .inject_slowdown_pct = s < 2 ? 0 : slow[s - 2],
                                     .journal_path = jp[s]};
        }
        uint64_t st = seed + run;
        gate_run_options_t ro = {.seed = run ? matrix_splitmix64(&st) >> 16 : seed,
                                 .cache_dir = cache_dir, .interrupt = &interrupt_signal};
        fprintf(stderr, "calibrate: run %u/%u (%zu sides interleaved, seed %llu)\n", run + 1,
                runs, n_sides, (unsigned long long)ro.seed);
        int rr = gate_run_sides(scs, n_scs, sides, n_sides, &ro, err);
        if (rr != 0) {
            if (rr != 130)
                fprintf(stderr, "poolbench calibrate: %s\n", err);
            ec = rr == 130 ? 130 : rr == -1 ? 2 : 3;
            goto done;
        }
        journal_t js[2 + MAX_SLOW];
        size_t loaded = 0;
        int bad = 0;
        for (size_t s = 0; s < n_sides && !bad; s++) {
            char jerr[JOURNAL_ERR_BYTES];
            if (journal_load(jp[s], &js[s], jerr) != 0) {
                fprintf(stderr, "poolbench calibrate: %s\n", jerr);
                bad = 1;
            } else {
                loaded++;
            }
        }
        for (size_t s = 1; s < n_sides && !bad; s++) {
            gate_report_t rep;
            if (gate_compare(&js[0], &js[s], &go, &rep, err) != 0 ||
                absorb(&rep, s == 1 ? 0 : (int)s - 1, run, &w, &nw) != 0) {
                fprintf(stderr, "poolbench calibrate: out of memory\n");
                bad = 1;
            }
            gate_report_free(&rep);
        }
        if (!bad && run == 0 && js[0].context)
            ctx0 = json_object_get(js[0].context);
        for (size_t s = 0; s < loaded; s++)
            journal_free(&js[s]);
        if (bad)
            goto done;
    }

    /* ---- results ---- */
    double limit = 1.0 + th.max_regression_percent / 100.0;
    json_object *root = json_object_new_object(), *wls = json_object_new_array();
    json_object *sl = json_object_new_array(), *tj = json_object_new_object();
    if (!root || !wls || !sl || !tj) {
        fprintf(stderr, "poolbench calibrate: out of memory\n");
        goto done;
    }
    json_object_object_add(root, "schema_version", json_object_new_int(1));
    json_object_object_add(root, "kind", json_object_new_string("poolbench-calibration"));
    json_object_object_add(root, "context", ctx0 ? json_object_get(ctx0) : NULL);
    json_object_object_add(root, "bin_dir", json_object_new_string(bin_dir));
    json_object_object_add(root, "seed", json_object_new_uint64(seed));
    json_object_object_add(root, "runs", json_object_new_int((int)runs));
    json_object_object_add(root, "repetitions", json_object_new_int((int)reps));
    for (size_t k = 0; k < n_slow; k++)
        json_object_array_add(sl, json_object_new_int((int)slow[k]));
    json_object_object_add(root, "slowdowns_pct", sl);
    json_object_object_add(tj, "max_regression_percent", json_object_new_double(th.max_regression_percent));
    json_object_object_add(tj, "alpha", json_object_new_double(th.alpha));
    json_object_object_add(tj, "confidence_level", json_object_new_double(th.confidence_level));
    json_object_object_add(tj, "min_samples_per_arm", json_object_new_uint64(th.min_samples_per_arm));
    json_object_object_add(root, "thresholds", tj);

    char mdpath[PATH_MAX + 32];
    snprintf(mdpath, sizeof mdpath, "%s/calibration.md", out_dir);
    char *mdbuf = NULL;
    size_t mdlen = 0;
    FILE *md = open_memstream(&mdbuf, &mdlen);
    if (!md) {
        json_object_put(root);
        json_object_put(wls);
        goto done;
    }
    fprintf(md, "## Gate calibration on this machine\n\n");
    fprintf(md, "%u runs; each run interleaves two unmodified copies of the runners (A/A) and "
                "copies slowed with `--inject-slowdown` (A/A'), %u repetitions per arm and side. "
                "The gate flags a regression when the whole %.0f %% CI of the ns/op ratio is above "
                "%.2f and p (Holm) < %.2g. Rates are before the confirmation rerun (the gate "
                "fails only when an independent rerun agrees, so its false-alarm rate is roughly "
                "the square).\n\n", runs, reps, th.confidence_level * 100, limit, th.alpha);
    fprintf(md, "| scenario | backend | policy | variant | false alarms (A/A) | CI half-width |");
    for (size_t k = 0; k < n_slow; k++)
        fprintf(md, " detected +%u %% |", slow[k]);
    fprintf(md, " smallest detectable slowdown | smallest resolvable difference |\n|---|---|---|---|---:|---:|");
    for (size_t k = 0; k < n_slow; k++)
        fprintf(md, "---:|");
    fprintf(md, "---:|---:|\n");
    size_t tot_aa = 0, tot_aa_flag = 0, tot_det[MAX_SLOW] = {0}, tot_det_flag[MAX_SLOW] = {0};
    double *tmp = malloc((runs + 1) * sizeof *tmp), *tmp2 = malloc((runs + 1) * sizeof *tmp2);
    if (!tmp || !tmp2) {
        free(tmp);
        free(tmp2);
        fclose(md);
        free(mdbuf);
        json_object_put(root);
        json_object_put(wls);
        goto done;
    }
    for (size_t i = 0; i < nw; i++) {
        wl_t *x = &w[i];
        json_object *o = json_object_new_object(), *aa = json_object_new_object();
        json_object *det = json_object_new_array();
        json_object_object_add(o, "scenario", json_object_new_string(x->scenario));
        json_object_object_add(o, "backend", json_object_new_string(x->backend));
        json_object_object_add(o, "policy", json_object_new_string(x->policy));
        json_object_object_add(o, "variant", json_object_new_string(x->variant));
        size_t fl = 0, nh = 0;
        for (unsigned r = 0; r < runs; r++) {
            fl += (size_t)x->flagged[0][r];
            if (x->have[0][r]) {
                tmp[nh] = x->lo[0][r] / x->ratio[0][r];
                tmp2[nh++] = (x->hi[0][r] - x->lo[0][r]) / 2 / x->ratio[0][r] * 100;
            }
        }
        double f = med(tmp, nh), hw = med(tmp2, nh);
        for (unsigned r = 0, k = 0; r < runs; r++)
            if (x->have[0][r])
                tmp[k++] = x->ratio[0][r];
        double aa_ratio = med(tmp, nh);
        tot_aa += nh;
        tot_aa_flag += fl;
        json_object_object_add(aa, "runs", json_object_new_int((int)nh));
        json_object_object_add(aa, "flagged", json_object_new_int((int)fl));
        json_object_object_add(aa, "false_alarm_rate", nh ? json_object_new_double((double)fl / (double)nh) : NULL);
        json_object_object_add(aa, "ratio_median", num(aa_ratio));
        json_object_object_add(aa, "ci_low_factor_median", num(f));
        json_object_object_add(aa, "ci_half_width_pct_median", num(hw));
        json_object_object_add(o, "aa", aa);
        char cells[MAX_SLOW][48];
        for (size_t k = 0; k < n_slow; k++) {
            size_t nk = 0, fk = 0;
            for (unsigned r = 0; r < runs; r++) {
                if (!x->have[1 + k][r])
                    continue;
                fk += (size_t)x->flagged[1 + k][r];
                tmp[nk] = x->ratio[1 + k][r];
                tmp2[nk++] = x->lo[1 + k][r];
            }
            tot_det[k] += nk;
            tot_det_flag[k] += fk;
            json_object *d = json_object_new_object();
            json_object_object_add(d, "slowdown_pct", json_object_new_int((int)slow[k]));
            json_object_object_add(d, "runs", json_object_new_int((int)nk));
            json_object_object_add(d, "flagged", json_object_new_int((int)fk));
            json_object_object_add(d, "detection_rate", nk ? json_object_new_double((double)fk / (double)nk) : NULL);
            json_object_object_add(d, "ratio_median", num(med(tmp, nk)));
            json_object_object_add(d, "ci_low_median", num(med(tmp2, nk)));
            json_object_array_add(det, d);
            if (nk)
                snprintf(cells[k], sizeof cells[k], "%zu/%zu (ratio %.3f)", fk, nk, med(tmp, nk));
            else
                snprintf(cells[k], sizeof cells[k], "-");
        }
        json_object_object_add(o, "detection", det);
        double mds = isfinite(f) && f > 0 ? (limit / f - 1) * 100 : NAN;
        double mrd = isfinite(f) && f > 0 ? (1 / f - 1) * 100 : NAN;
        json_object_object_add(o, "min_detectable_slowdown_pct", num(mds));
        json_object_object_add(o, "min_resolvable_difference_pct", num(mrd));
        json_object_array_add(wls, o);
        char hws[32];
        if (isnan(hw))
            snprintf(hws, sizeof hws, "-");
        else
            snprintf(hws, sizeof hws, "%.1f %%", hw);
        fprintf(md, "| %s | %s | %s | %s | %zu/%zu | %s |", x->scenario, x->backend, x->policy,
                x->variant[0] ? x->variant : "-", fl, nh, hws);
        for (size_t k = 0; k < n_slow; k++)
            fprintf(md, " %s |", cells[k]);
        if (isnan(mds))
            fprintf(md, " - | - |\n");
        else
            fprintf(md, " %.1f %% | %.1f %% |\n", mds, mrd);
    }
    free(tmp);
    free(tmp2);
    json_object_object_add(root, "workloads", wls);
    json_object *ov = json_object_new_object(), *od = json_object_new_array();
    json_object_object_add(ov, "aa_comparisons", json_object_new_int((int)tot_aa));
    json_object_object_add(ov, "aa_flagged", json_object_new_int((int)tot_aa_flag));
    json_object_object_add(ov, "false_alarm_rate", tot_aa ? json_object_new_double((double)tot_aa_flag / (double)tot_aa) : NULL);
    fprintf(md, "\nOverall: %zu of %zu A/A comparisons flagged (false alarms)", tot_aa_flag, tot_aa);
    for (size_t k = 0; k < n_slow; k++) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "slowdown_pct", json_object_new_int((int)slow[k]));
        json_object_object_add(d, "comparisons", json_object_new_int((int)tot_det[k]));
        json_object_object_add(d, "flagged", json_object_new_int((int)tot_det_flag[k]));
        json_object_object_add(d, "detection_rate", tot_det[k] ? json_object_new_double((double)tot_det_flag[k] / (double)tot_det[k]) : NULL);
        json_object_array_add(od, d);
        fprintf(md, "; +%u %%: %zu of %zu detected", slow[k], tot_det_flag[k], tot_det[k]);
    }
    json_object_object_add(ov, "detection", od);
    json_object_object_add(root, "overall", ov);
    fprintf(md, ".\n\n\"Smallest detectable slowdown\": the true slowdown at which the CI's lower "
                "end typically clears the gate threshold, (1 + threshold) / f - 1 with f the "
                "median of CI-low / ratio in the A/A runs; \"smallest resolvable difference\": the "
                "same without the threshold (the CI excludes 1). Below these, \"no difference\" "
                "means \"not measurable here with %u repetitions\".\n", reps);
    fclose(md);
    if (json_object_to_file_ext(jpath, root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) != 0) {
        fprintf(stderr, "poolbench calibrate: cannot write %s\n", jpath);
        json_object_put(root);
        free(mdbuf);
        goto done;
    }
    json_object_put(root);
    FILE *mf = fopen(mdpath, "w");
    if (!mf || fwrite(mdbuf, 1, mdlen, mf) != mdlen) {
        fprintf(stderr, "poolbench calibrate: cannot write %s: %s\n", mdpath, strerror(errno));
        if (mf)
            fclose(mf);
        free(mdbuf);
        goto done;
    }
    fclose(mf);
    fwrite(mdbuf, 1, mdlen, stdout);
    printf("\ncalibration: %s %s\n", jpath, mdpath);
    free(mdbuf);
    ec = 0;
done:
    if (ctx0)
        json_object_put(ctx0);
    free(w);
    free(scs);
    return ec;
}
