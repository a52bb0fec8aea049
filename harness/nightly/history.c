/* history.c: the nightly history database and the trend that `poolbench history` shows
 * (history.h; the command's arguments are parsed in harness/cli/cmd_history.c).
 * Must not: write the database when showing the trend; print anywhere but the streams
 * history_trend is given; exit.
 *
 * Schema (user_version 1, application_id "PBH1"):
 *   runs(run_id, role, commit_sha, recorded_unix_s, host, cpu_model, context_json,
 *        PRIMARY KEY (run_id, role))
 *   results(id, run_id, role, commit_sha, recorded_unix_s, night 'YYYY-MM-DD' (UTC),
 *           scenario, backend, policy, variant, rep, cell_key, status,
 *           one INTEGER column per PB_METRICS name (NULL when not measured))
 * Guarantees: see history.h; statistics come from pb_stats only; the chart is drawn by
 * scripts/charts/trend.gp from a data file next to the chart.
 */
#define _GNU_SOURCE
#include "history.h"
#include "cell.h"
#include "metrics.h"
#include "stats.h"
#include "thresholds.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_SOURCE_DIR
#define PB_SOURCE_DIR "."
#endif

struct history {
    sqlite3 *db;
    char path[PATH_MAX];
};

static const char *const metric_names[] = {
#define MNAME(name, kind, desc) #name,
    PB_METRICS(MNAME)
#undef MNAME
};
#define N_METRICS (sizeof metric_names / sizeof metric_names[0])

static int exec1(sqlite3 *db, const char *sql, char err[HISTORY_ERR_BYTES], const char *path)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, HISTORY_ERR_BYTES, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int pragma_int(sqlite3 *db, const char *sql, long long *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Read-only inspection of an existing file. Returns 0 (ours or empty), or EBADFILE. */
static int inspect(const char *path, int *fresh, char err[HISTORY_ERR_BYTES])
{
    sqlite3 *db = NULL;
    *fresh = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, HISTORY_ERR_BYTES, "%s: cannot open as SQLite: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return HISTORY_EBADFILE;
    }
    sqlite3_busy_timeout(db, 5000);
    int rc = HISTORY_EBADFILE;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        snprintf(err, HISTORY_ERR_BYTES, "%s: not a usable SQLite database (%s); it was left "
                 "untouched: move it away or pass another --db/--history",
                 path, st && sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0)
                                                       : sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    long long app = 0, uv = 0, tables = 0;
    if (pragma_int(db, "PRAGMA application_id", &app) != SQLITE_OK ||
        pragma_int(db, "PRAGMA user_version", &uv) != SQLITE_OK ||
        pragma_int(db, "SELECT count(*) FROM sqlite_master", &tables) != SQLITE_OK) {
        snprintf(err, HISTORY_ERR_BYTES, "%s: cannot read the schema: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    if (app == 0 && uv == 0 && tables == 0) {
        *fresh = 1;
        rc = 0;
    } else if (app != HISTORY_APPLICATION_ID) {
        snprintf(err, HISTORY_ERR_BYTES, "%s: a SQLite database of another application "
                 "(application_id %lld, %lld schema objects), not a poolbench history; it was "
                 "left untouched", path, app, tables);
    } else if (uv > HISTORY_SCHEMA_VERSION || uv < 1) {
        snprintf(err, HISTORY_ERR_BYTES, "%s: history schema version %lld; this poolbench "
                 "reads version %d (use the poolbench that wrote it); left untouched", path, uv,
                 HISTORY_SCHEMA_VERSION);
    } else {
        rc = 0;
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static int create_schema(history_t *h, char err[HISTORY_ERR_BYTES])
{
    char sql[4096];
    size_t l = (size_t)snprintf(sql, sizeof sql,
        "BEGIN IMMEDIATE;"
        "CREATE TABLE runs(run_id TEXT NOT NULL, role TEXT NOT NULL, commit_sha TEXT,"
        " recorded_unix_s INTEGER NOT NULL, host TEXT, cpu_model TEXT, context_json TEXT,"
        " PRIMARY KEY (run_id, role));"
        "CREATE TABLE results(id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, role TEXT NOT NULL,"
        " commit_sha TEXT, recorded_unix_s INTEGER NOT NULL, night TEXT NOT NULL,"
        " scenario TEXT NOT NULL, backend TEXT NOT NULL, policy TEXT NOT NULL,"
        " variant TEXT NOT NULL, rep INTEGER, cell_key TEXT, status TEXT NOT NULL");
    for (size_t i = 0; i < N_METRICS; i++)
        l += (size_t)snprintf(sql + l, sizeof sql - l, ", %s INTEGER", metric_names[i]);
    snprintf(sql + l, sizeof sql - l,
        ");"
        "CREATE INDEX results_series ON results(scenario, backend, policy, variant, recorded_unix_s);"
        "PRAGMA application_id = %d; PRAGMA user_version = %d; COMMIT;",
        HISTORY_APPLICATION_ID, HISTORY_SCHEMA_VERSION);
    if (exec1(h->db, sql, err, h->path) != 0) {
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int history_open(const char *path, int create, history_t **out, char err[HISTORY_ERR_BYTES])
{
    *out = NULL;
    struct stat st;
    int exists = stat(path, &st) == 0, fresh = 1;
    if (exists && !S_ISREG(st.st_mode)) {
        snprintf(err, HISTORY_ERR_BYTES, "%s: not a regular file", path);
        return HISTORY_EBADFILE;
    }
    if (!exists && !create) {
        snprintf(err, HISTORY_ERR_BYTES, "%s: no such history database (the gate creates it "
                 "with --history)", path);
        return HISTORY_EBADFILE;
    }
    if (exists) {
        int rc = inspect(path, &fresh, err);
        if (rc != 0)
            return rc;
    }
    history_t *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, HISTORY_ERR_BYTES, "out of memory");
        return HISTORY_EIO;
    }
    snprintf(h->path, sizeof h->path, "%s", path);
    int flags = SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &h->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, HISTORY_ERR_BYTES, "%s: cannot open: %s", path,
                 h->db ? sqlite3_errmsg(h->db) : "out of memory");
        history_close(h);
        return HISTORY_EIO;
    }
    sqlite3_busy_timeout(h->db, 5000);
    if (fresh && create_schema(h, err) != 0) {
        history_close(h);
        return HISTORY_EIO;
    }
    *out = h;
    return HISTORY_OK;
}

void history_close(history_t *h)
{
    if (!h)
        return;
    sqlite3_close(h->db);
    free(h);
}

long long history_count(history_t *h)
{
    long long n = -1;
    if (pragma_int(h->db, "SELECT count(*) FROM results", &n) != SQLITE_OK)
        return -1;
    return n;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int history_record(history_t *h, const journal_t *j, const char *run_id, const char *role,
                   const char *commit, int64_t unix_s, char err[HISTORY_ERR_BYTES])
{
    char night[16];
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(night, sizeof night, "%Y-%m-%d", &tm);
    if (exec1(h->db, "BEGIN IMMEDIATE", err, h->path) != 0)
        return HISTORY_EIO;
    sqlite3_stmt *run = NULL, *ins = NULL;
    char sql[2048];
    size_t l = (size_t)snprintf(sql, sizeof sql,
        "INSERT INTO results(run_id, role, commit_sha, recorded_unix_s, night, scenario,"
        " backend, policy, variant, rep, cell_key, status");
    for (size_t i = 0; i < N_METRICS; i++)
        l += (size_t)snprintf(sql + l, sizeof sql - l, ", %s", metric_names[i]);
    l += (size_t)snprintf(sql + l, sizeof sql - l, ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?");
    for (size_t i = 0; i < N_METRICS; i++)
        l += (size_t)snprintf(sql + l, sizeof sql - l, ",?");
    snprintf(sql + l, sizeof sql - l, ")");
    if (sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO runs(run_id, role, commit_sha, "
                           "recorded_unix_s, host, cpu_model, context_json) VALUES (?,?,?,?,?,?,?)",
                           -1, &run, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h->db, sql, -1, &ins, NULL) != SQLITE_OK)
        goto fail;
    bind_text(run, 1, run_id);
    bind_text(run, 2, role);
    bind_text(run, 3, commit);
    sqlite3_bind_int64(run, 4, unix_s);
    bind_text(run, 5, j->context ? journal_str(j->context, "host") : NULL);
    bind_text(run, 6, j->context ? journal_str(j->context, "cpu_model") : NULL);
    bind_text(run, 7, j->context ? json_object_to_json_string_ext(j->context, JSON_C_TO_STRING_PLAIN) : NULL);
    if (sqlite3_step(run) != SQLITE_DONE)
        goto fail;
    for (size_t c = 0; c < j->n_cells; c++) {
        json_object *cell = j->cells[c];
        const char *sc = journal_str(cell, "scenario"), *be = journal_str(cell, "backend");
        const char *po = journal_str(cell, "policy"), *va = journal_str(cell, "variant");
        const char *stt = journal_str(cell, "status");
        if (!sc || !be || !po)
            continue;
        sqlite3_reset(ins);
        sqlite3_clear_bindings(ins);
        bind_text(ins, 1, run_id);
        bind_text(ins, 2, role);
        bind_text(ins, 3, commit);
        sqlite3_bind_int64(ins, 4, unix_s);
        bind_text(ins, 5, night);
        bind_text(ins, 6, sc);
        bind_text(ins, 7, be);
        bind_text(ins, 8, po);
        bind_text(ins, 9, va ? va : "");
        sqlite3_bind_int64(ins, 10, journal_int(cell, "rep", -1));
        bind_text(ins, 11, journal_str(cell, "key"));
        bind_text(ins, 12, stt ? stt : "unknown");
        json_object *m = NULL, *v;
        json_object_object_get_ex(cell, "metrics", &m);
        for (size_t i = 0; i < N_METRICS; i++) {
            if (m && json_object_object_get_ex(m, metric_names[i], &v) && v &&
                json_object_is_type(v, json_type_int))
                sqlite3_bind_int64(ins, 13 + (int)i, json_object_get_int64(v));
            else
                sqlite3_bind_null(ins, 13 + (int)i);
        }
        if (sqlite3_step(ins) != SQLITE_DONE)
            goto fail;
    }
    sqlite3_finalize(run);
    sqlite3_finalize(ins);
    if (exec1(h->db, "COMMIT", err, h->path) != 0) {
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return HISTORY_EIO;
    }
    return 0;
fail:
    snprintf(err, HISTORY_ERR_BYTES, "%s: cannot record run %s: %s", h->path, run_id,
             sqlite3_errmsg(h->db));
    sqlite3_finalize(run);
    sqlite3_finalize(ins);
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return HISTORY_EIO;
}

/* ================================================================ the trend ===== */

typedef struct point {
    char run_id[64], commit[48], night[16];
    long long unix_s;
    double *v;
    size_t n, cap;
    double median, lo, hi;
} point_t;

typedef struct series {
    char scenario[64], backend[64], policy[64], variant[160];
    point_t *pts;
    size_t n, cap;
} series_t;

/* The series read so far, one point per run. */
typedef struct trend {
    series_t *ser;
    size_t ns, scap;
} trend_t;

static int valid_metric(const char *m)
{
    for (size_t i = 0; i < N_METRICS; i++)
        if (!strcmp(metric_names[i], m))
            return 1;
    return 0;
}

static int push(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        double *p = realloc(*v, nc * sizeof *p);
        if (!p)
            return -1;
        *v = p;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
    return 0;
}

static void free_series(series_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < s[i].n; k++)
            free(s[i].pts[k].v);
        free(s[i].pts);
    }
    free(s);
}

static void gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* The chart's data file: one block per series, one row per run. 0, or 3 (message). */
static int trend_write_data(const char *dat, const series_t *ser, size_t ns, double thr,
                            FILE *errf)
{
    FILE *f = fopen(dat, "w");
    if (!f) {
        fprintf(errf, "poolbench history: cannot write %s: %s\n", dat, strerror(errno));
        return 3;
    }
    fprintf(f, "# trend data: idx label median ci_lo ci_hi band_lo band_hi (one block per series)\n");
    for (size_t s = 0; s < ns; s++) {
        for (size_t k = 0; k < ser[s].n; k++) {
            const point_t *p = &ser[s].pts[k];
            double ref = k ? ser[s].pts[k - 1].median : p->median;
            fprintf(f, "%zu \"%s %.7s\" %.6g %.6g %.6g %.6g %.6g\n", k + 1, p->night + 5, p->commit,
                    p->median, isnan(p->lo) ? p->median : p->lo, isnan(p->hi) ? p->median : p->hi,
                    ref, ref * (1 + thr));
        }
        fprintf(f, "\n\n");
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {   /* every fprintf above is checked here (ferror) */
        fprintf(errf, "poolbench history: cannot write %s: %s\n", dat, strerror(errno ? errno : EIO));
        return 3;
    }
    return 0;
}

/* The chart's gnuplot variables (files, layout, band, series titles). 0, or 3. */
static int trend_write_vars(const char *vars, const char *dat, const char *base,
                            const series_t *ser, size_t ns, const char *metric, double thr,
                            FILE *errf)
{
    FILE *f = fopen(vars, "w");
    if (!f) {
        fprintf(errf, "poolbench history: cannot write %s: %s\n", vars, strerror(errno));
        return 3;
    }
    size_t ncols = ns < 2 ? 1 : ns < 5 ? 2 : 3;
    size_t nrows = (ns + ncols - 1) / ncols;
    fprintf(f, "datafile = ");
    gp_quote(f, dat);
    fprintf(f, "\noutbase = ");
    gp_quote(f, base);
    fprintf(f, "\nnseries = %zu\nncols = %zu\nnrows = %zu\nwidth = %zu\nheight = %zu\n"
               "thr_pct = %.4g\nmetric = ", ns, ncols, nrows, 520 * ncols + 80, 330 * nrows + 90,
            thr * 100);
    gp_quote(f, metric);
    fprintf(f, "\narray stitle[%zu]\n", ns);
    for (size_t s = 0; s < ns; s++) {
        char t[400];
        snprintf(t, sizeof t, "%s %s/%s%s%s", ser[s].scenario, ser[s].backend, ser[s].policy,
                 ser[s].variant[0] ? " " : "", ser[s].variant);
        fprintf(f, "stitle[%zu] = ", s + 1);
        gp_quote(f, t);
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {   /* every fprintf above is checked here (ferror) */
        fprintf(errf, "poolbench history: cannot write %s: %s\n", vars, strerror(errno ? errno : EIO));
        return 3;
    }
    return 0;
}

/* OUT.png and OUT.svg by scripts/charts/trend.gp. 0, or 3 (message on errf). */
static int draw_chart(const char *out, const series_t *ser, size_t ns, const char *metric,
                      double thr, const char *scripts, FILE *outf, FILE *errf)
{
    char base[PATH_MAX], dat[PATH_MAX + 16], vars[PATH_MAX + 16], script[PATH_MAX + 32];
    snprintf(base, sizeof base, "%s", out);
    size_t bl = strlen(base);
    if (bl > 4 && (!strcmp(base + bl - 4, ".png") || !strcmp(base + bl - 4, ".svg")))
        base[bl - 4] = '\0';
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(vars, sizeof vars, "%s.vars.gp", base);
    snprintf(script, sizeof script, "%s/trend.gp", scripts);
    if (trend_write_data(dat, ser, ns, thr, errf) != 0 ||
        trend_write_vars(vars, dat, base, ser, ns, metric, thr, errf) != 0)
        return 3;
    char expr[PATH_MAX + 64];
    snprintf(expr, sizeof expr, "load '%s'", vars);
    char *av[] = {"/usr/bin/env", "gnuplot", "-e", expr, script, NULL};
    cell_spec_t spec = {.exe = av[0], .argv = av, .timeout_s = 120, .grace_s = 2};
    cell_outcome_t o;
    int rc = cell_run(&spec, &o, NULL);
    int ok = rc == 0 && o.exited && o.exit_code == 0;
    if (!ok)
        fprintf(errf, "poolbench history: gnuplot failed on %s: %.400s\n", script, o.err);
    cell_outcome_free(&o);
    if (!ok)
        return 3;
    fprintf(outf, "chart: %s.png %s.svg\n", base, base);
    return 0;
}

void history_trend_default_options(history_trend_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->db = HISTORY_DEFAULT_DB;
    o->metric = "ns_per_op";
    o->role = "candidate";
    o->scripts_dir = PB_SOURCE_DIR "/scripts/charts";
}

/* The band of the chart and the "above band" flag: max_regression_percent of the
 * thresholds file (given, else scenarios/thresholds.ini when readable, else the
 * default). 0, or 2 (message). */
static int trend_band(const char *thr, double *band, FILE *errf)
{
    thresholds_t th;
    char terr[THRESHOLDS_ERR_BYTES];
    thresholds_default(&th);
    char def_thr[PATH_MAX];
    snprintf(def_thr, sizeof def_thr, "%s/scenarios/%s", PB_SOURCE_DIR, THRESHOLDS_FILE);
    if (!thr && access(def_thr, R_OK) == 0)
        thr = def_thr;
    if (thr && thresholds_load(thr, &th, terr) != 0) {
        fprintf(errf, "poolbench history: thresholds: %s\n", terr);
        return 2;
    }
    *band = th.max_regression_percent / 100.0;
    return 0;
}

/* Opens the database read-only after checking it is ours. Returns 0 with *sdb; 1 when
 * it holds no run yet (printed on out); 2 (message on errf). */
static int trend_open(const char *db, sqlite3 **sdb, FILE *out, FILE *errf)
{
    char err[HISTORY_ERR_BYTES];
    struct stat st;
    if (stat(db, &st) != 0) {
        fprintf(errf, "poolbench history: %s: no such history database (the gate creates it "
                      "with --history)\n", db);
        return 2;
    }
    int fresh = 0;
    if (inspect(db, &fresh, err) != 0) {
        fprintf(errf, "poolbench history: %s\n", err);
        return 2;
    }
    if (fresh) {
        fprintf(out, "history %s: empty (no run recorded yet)\n", db);
        return 1;
    }
    *sdb = NULL;
    if (sqlite3_open_v2(db, sdb, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(errf, "poolbench history: %s: %s\n", db, *sdb ? sqlite3_errmsg(*sdb) : "out of memory");
        sqlite3_close(*sdb);
        return 2;
    }
    sqlite3_busy_timeout(*sdb, 5000);
    return 0;
}

/* Files one result row (columns: scenario, backend, policy, variant, run_id, commit,
 * night, recorded_unix_s, value) under its series and run. 0, or -1 on out of memory. */
static int trend_add_row(trend_t *t, sqlite3_stmt *q)
{
    const char *f[7];
    for (int i = 0; i < 7; i++) {
        f[i] = (const char *)sqlite3_column_text(q, i);
        if (!f[i])
            f[i] = "";
    }
    series_t *s = t->ns ? &t->ser[t->ns - 1] : NULL;
    if (!s || strcmp(s->scenario, f[0]) || strcmp(s->backend, f[1]) || strcmp(s->policy, f[2]) ||
        strcmp(s->variant, f[3])) {
        if (t->ns == t->scap) {
            size_t nc = t->scap ? t->scap * 2 : 8;
            series_t *p = realloc(t->ser, nc * sizeof *p);
            if (!p)
                return -1;
            t->ser = p;
            t->scap = nc;
        }
        s = &t->ser[t->ns++];
        memset(s, 0, sizeof *s);
        snprintf(s->scenario, sizeof s->scenario, "%s", f[0]);
        snprintf(s->backend, sizeof s->backend, "%s", f[1]);
        snprintf(s->policy, sizeof s->policy, "%s", f[2]);
        snprintf(s->variant, sizeof s->variant, "%s", f[3]);
    }
    point_t *p = s->n ? &s->pts[s->n - 1] : NULL;
    if (!p || strcmp(p->run_id, f[4])) {
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 8;
            point_t *pp = realloc(s->pts, nc * sizeof *pp);
            if (!pp)
                return -1;
            s->pts = pp;
            s->cap = nc;
        }
        p = &s->pts[s->n++];
        memset(p, 0, sizeof *p);
        snprintf(p->run_id, sizeof p->run_id, "%s", f[4]);
        snprintf(p->commit, sizeof p->commit, "%s", f[5]);
        snprintf(p->night, sizeof p->night, "%s", f[6]);
        p->unix_s = sqlite3_column_int64(q, 7);
    }
    return push(&p->v, &p->n, &p->cap, sqlite3_column_double(q, 8));
}

/* Reads the ok samples of the metric, per series and run. Closes sdb. Returns 0, 2
 * (query error) or 3 (out of memory), messages on errf; t is freed on error. */
static int trend_read(sqlite3 *sdb, const history_trend_options_t *o, trend_t *t, FILE *errf)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT scenario, backend, policy, variant, run_id, coalesce(commit_sha,'unknown'), "
             "night, recorded_unix_s, %s FROM results WHERE status = 'ok' AND %s IS NOT NULL "
             "AND role = ?1 AND (?2 IS NULL OR scenario = ?2) AND (?3 IS NULL OR backend = ?3) "
             "AND (?4 IS NULL OR policy = ?4) "
             "ORDER BY scenario, backend, policy, variant, recorded_unix_s, run_id", o->metric,
             o->metric);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sdb, sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(errf, "poolbench history: %s: %s\n", o->db, sqlite3_errmsg(sdb));
        sqlite3_close(sdb);
        return 2;
    }
    bind_text(q, 1, o->role);
    bind_text(q, 2, o->scenario);
    bind_text(q, 3, o->backend);
    bind_text(q, 4, o->policy);
    int rc, oom = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && !oom)
        if (trend_add_row(t, q) != 0)
            oom = 1;
    int qerr = rc != SQLITE_DONE && rc != SQLITE_ROW;
    if (qerr)
        fprintf(errf, "poolbench history: %s: %s\n", o->db, sqlite3_errmsg(sdb));
    sqlite3_finalize(q);
    sqlite3_close(sdb);
    if (oom || qerr) {
        if (oom)
            fprintf(errf, "poolbench history: out of memory\n");
        free_series(t->ser, t->ns);
        t->ser = NULL;
        t->ns = 0;
        return oom ? 3 : 2;
    }
    return 0;
}

/* Median and CI of one run's samples (NaN CI when n < 6). */
static void trend_point_stats(point_t *p)
{
    stats_median_ci_t ci;
    int r = stats_median_ci(p->v, p->n, 0.95, &ci);
    if (r == 0 || r == STATS_ENOCI) {
        stats_median(p->v, p->n, &p->median);
        p->lo = r == 0 ? ci.lo : NAN;
        p->hi = r == 0 ? ci.hi : NAN;
    } else {
        p->median = p->lo = p->hi = NAN;
    }
}

/* The trend table: per series, one row per run with median, CI and ratios. */
static void trend_print(FILE *out, const history_trend_options_t *o, series_t *ser, size_t ns,
                        double band)
{
    fprintf(out, "history %s: metric %s, role %s; band: previous median to +%.0f %%\n", o->db,
            o->metric, o->role, band * 100);
    for (size_t s = 0; s < ns; s++) {
        fprintf(out, "\n%s %s/%s%s%s\n", ser[s].scenario, ser[s].backend, ser[s].policy,
                ser[s].variant[0] ? " " : "", ser[s].variant);
        fprintf(out, "  %-10s  %-12s  %3s  %12s  %-27s  %8s  %8s\n", "night", "commit", "n",
                "median", "95 % CI", "vs first", "vs prev");
        for (size_t k = 0; k < ser[s].n; k++) {
            point_t *p = &ser[s].pts[k];
            trend_point_stats(p);
            char cis[64];
            if (isnan(p->lo))
                snprintf(cis, sizeof cis, "(n < 6: no CI)");
            else
                snprintf(cis, sizeof cis, "[%.6g, %.6g]", p->lo, p->hi);
            double first = ser[s].pts[0].median, prev = k ? ser[s].pts[k - 1].median : p->median;
            const char *flag = k && p->median > prev * (1 + band) ? "  above band" : "";
            fprintf(out, "  %-10s  %-12.12s  %3zu  %12.6g  %-27s  %8.3f  %8.3f%s\n", p->night,
                    p->commit, p->n, p->median, cis, p->median / first, p->median / prev, flag);
        }
    }
}

int history_trend(const history_trend_options_t *o, FILE *out, FILE *errf)
{
    if (!valid_metric(o->metric)) {
        fprintf(errf, "poolbench history: unknown --metric '%s' (a name of harness/common/metrics.h, "
                      "e.g. ns_per_op, alloc_calls, peak_live_bytes)\n", o->metric);
        return 2;
    }
    double band;
    if (trend_band(o->thresholds, &band, errf) != 0)
        return 2;
    /* read-only from here: the history command never writes the database */
    sqlite3 *sdb = NULL;
    int rc = trend_open(o->db, &sdb, out, errf);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    trend_t t = { NULL, 0, 0 };
    rc = trend_read(sdb, o, &t, errf);
    if (rc != 0)
        return rc;
    if (t.ns == 0) {
        fprintf(out, "history %s: no ok %s samples for role %s%s%s\n", o->db, o->metric, o->role,
                o->scenario ? " and scenario " : "", o->scenario ? o->scenario : "");
        free(t.ser);
        return 0;
    }
    trend_print(out, o, t.ser, t.ns, band);
    int ret = 0;
    if (o->chart)
        ret = draw_chart(o->chart, t.ser, t.ns, o->metric, band, o->scripts_dir, out, errf);
    free_series(t.ser, t.ns);
    return ret;
}
