/* scenario_set.c: the scenarios of one run (scenario_load_set of scenario.h), for
 * poolbench matrix, gate and calibrate alike.
 *
 * For: a matrix file with its overrides, narrowed by --scenarios, or else a comma list of
 * scenario names or paths; the folder the names are looked up in.
 * Guarantees: at most 64 scenarios; a missing scenario file, a name given twice and an
 * empty selection are errors with one message ("FILE:LINE: ..." for a file,
 * "--scenarios: ..." for the list); on error nothing stays allocated.
 * Must not: print, exit, create files.
 */
#include "scenario.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define SCENARIO_SET_MAX 64

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

/* The file of scenario `name`: the name itself when it is a path (has a '/' or ends in
 * .ini), else DIR/NAME.ini. */
static void scenario_set_path(const char *dir, const char *name, char *out, size_t cap)
{
    if (strchr(name, '/') || (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".ini") == 0))
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s/%s.ini", dir, name);
}

/* Where names are looked up: dir, else the matrix file's folder, else default_dir. */
static void scenario_set_dir(const char *matrix_file, const char *dir, const char *default_dir,
                             char *sdir, size_t cap)
{
    if (dir)
        snprintf(sdir, cap, "%s", dir);
    else if (matrix_file) {
        snprintf(sdir, cap, "%s", matrix_file);
        char *s = strrchr(sdir, '/');
        if (s)
            *s = '\0';
        else
            snprintf(sdir, cap, ".");
    } else
        snprintf(sdir, cap, "%s", default_dir);
}

/* Loads the scenario of one matrix entry, with the entry's overrides, as out->scs[out->n].
 * Returns 0 or -1 with err. */
static int scenario_set_add_entry(scenario_set_t *out, const char *matrix_file,
                                  const scenario_matrix_entry_t *e, const char *sdir,
                                  char err[SCENARIO_ERR_BYTES])
{
    if (out->n == SCENARIO_SET_MAX) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: too many scenarios (at most %zu)", matrix_file,
                 e->line, (size_t)SCENARIO_SET_MAX);
        return -1;
    }
    char p[PATH_MAX];
    scenario_set_path(sdir, e->name, p, sizeof p);
    if (access(p, F_OK) != 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: scenario [%s]: no file %s", matrix_file,
                 e->line, e->name, p);
        return -1;
    }
    scenario_t *sc = &out->scs[out->n];
    if (scenario_load(p, sc, err) != 0)
        return -1;
    for (size_t k = 0; k < e->n_overrides; k++)
        if (scenario_apply_override(sc, matrix_file, &e->overrides[k], err) != 0)
            return -1;
    out->n++;
    return 0;
}

/* The scenarios of a matrix file that the comma list `scenarios` names (all when NULL). */
static int scenario_set_from_matrix(scenario_set_t *out, const char *matrix_file,
                                    const char *scenarios, const char *sdir,
                                    char matrix_name[SCENARIO_NAME_BYTES],
                                    char err[SCENARIO_ERR_BYTES])
{
    scenario_matrix_t m;
    if (scenario_matrix_load(matrix_file, &m, err) != 0)
        return -1;
    snprintf(matrix_name, SCENARIO_NAME_BYTES, "%s", m.name);
    for (size_t i = 0; i < m.n_entries; i++) {
        if (!util_list_has(scenarios, m.entries[i].name))
            continue;
        if (scenario_set_add_entry(out, matrix_file, &m.entries[i], sdir, err) != 0) {
            scenario_matrix_free(&m);
            return -1;
        }
    }
    scenario_matrix_free(&m);
    if (out->n == 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "--scenarios %s matches no scenario of %s", scenarios,
                 matrix_file);
        return -1;
    }
    return 0;
}

/* The scenarios of a comma list of names or paths (list is cut up). */
static int scenario_set_from_list(scenario_set_t *out, char *list, const char *sdir,
                                  char err[SCENARIO_ERR_BYTES])
{
    char *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (out->n == SCENARIO_SET_MAX) {
            snprintf(err, SCENARIO_ERR_BYTES, "--scenarios: too many scenarios (at most %zu)",
                     (size_t)SCENARIO_SET_MAX);
            return -1;
        }
        char p[PATH_MAX];
        scenario_set_path(sdir, t, p, sizeof p);
        if (access(p, F_OK) != 0) {
            snprintf(err, SCENARIO_ERR_BYTES, "--scenarios: no scenario file %s", p);
            return -1;
        }
        if (scenario_load(p, &out->scs[out->n], err) != 0)
            return -1;
        for (size_t k = 0; k < out->n; k++)
            if (strcmp(out->scs[k].name, out->scs[out->n].name) == 0) {
                snprintf(err, SCENARIO_ERR_BYTES, "--scenarios: scenario '%s' given twice", t);
                return -1;
            }
        out->n++;
    }
    if (out->n == 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "--scenarios: empty list");
        return -1;
    }
    return 0;
}

int scenario_load_set(const char *matrix_file, const char *scenarios, const char *dir,
                      const char *default_dir, scenario_t **out_scs, size_t *out_n,
                      char matrix_name[SCENARIO_NAME_BYTES], char err[SCENARIO_ERR_BYTES])
{
    scenario_set_t set = { NULL, 0 };
    *out_scs = NULL;
    *out_n = 0;
    char sdir[PATH_MAX];
    scenario_set_dir(matrix_file, dir, default_dir, sdir, sizeof sdir);
    set.scs = calloc(SCENARIO_SET_MAX, sizeof *set.scs);
    if (!set.scs) {
        snprintf(err, SCENARIO_ERR_BYTES, "out of memory");
        return -2;
    }
    if (matrix_file) {
        if (scenario_set_from_matrix(&set, matrix_file, scenarios, sdir, matrix_name, err) != 0)
            return scenario_set_fail(&set, -1);
        return scenario_set_done(&set, out_scs, out_n);
    }
    snprintf(matrix_name, SCENARIO_NAME_BYTES, "adhoc");
    char *list = strdup(scenarios ? scenarios : "");
    if (!list) {
        snprintf(err, SCENARIO_ERR_BYTES, "out of memory");
        return scenario_set_fail(&set, -2);
    }
    int rc = scenario_set_from_list(&set, list, sdir, err);
    free(list);
    if (rc != 0)
        return scenario_set_fail(&set, -1);
    return scenario_set_done(&set, out_scs, out_n);
}
