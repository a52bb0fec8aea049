/* profile_pass.c: the profiled pass of `poolbench matrix` (profile_pass.h): choose the
 * arms, run each once with --memprofile, write profiles.json.
 */
#define _GNU_SOURCE
#include "profile_pass.h"
#include "cell.h"
#include "engine.h"
#include "journal.h"
#include "monitor.h"
#include "scenario.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cell i is the first cell of an arm the pass profiles. */
static int profile_pass_wanted(const matrix_t *mx, size_t i)
{
    const matrix_cell_t *c = &mx->cells[i];
    if (!c->sc->heap_profile || strcmp(c->backend, "glibc") != 0)
        return 0;
    for (size_t k = 0; k < i; k++)
        if (strcmp(mx->cells[k].arm_key, c->arm_key) == 0)
            return 0;
    return 1;
}

size_t profile_pass_count(const matrix_t *mx)
{
    size_t n = 0;
    for (size_t i = 0; i < mx->n_cells; i++)
        n += (size_t)profile_pass_wanted(mx, i);
    return n;
}

/* scenario-backend-policy[-variant], with characters other than [A-Za-z0-9._+-] as '_' */
static void profile_pass_name(const matrix_cell_t *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s-%s-%s%s%s.pb.gz", c->sc->name, c->backend, c->policy,
             c->variant[0] ? "-" : "", c->variant);
    for (char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '+' || *p == '-'))
            *p = '_';
}

/* One profiled run: its entry of profiles.json. */
static json_object *profile_pass_one(const matrix_cell_t *c, const char *bin_dir,
                                     const char *cache_dir, const char *dir,
                                     volatile sig_atomic_t *interrupt, int *ok)
{
    char exe[PATH_MAX], name[256], path[PATH_MAX + 300], rate[32];
    engine_runner_path(bin_dir, c->backend, exe, sizeof exe);
    profile_pass_name(c, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(rate, sizeof rate, "%u", PROFILE_PASS_RATE_BYTES);
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "scenario", json_object_new_string(c->sc->name));
    json_object_object_add(o, "backend", json_object_new_string(c->backend));
    json_object_object_add(o, "policy", json_object_new_string(c->policy));
    json_object_object_add(o, "variant", json_object_new_string(c->variant));
    json_object_object_add(o, "arm_key", json_object_new_string(c->arm_key));
    json_object_object_add(o, "file", json_object_new_string(name));
    engine_argv_t *av = calloc(1, sizeof *av);
    if (!av || engine_argv_build(c, exe, cache_dir, NULL, av) != 0 ||
        av->n + 6 > ENGINE_ARGV_MAX) {
        free(av);
        json_object_object_add(o, "status", json_object_new_string("bad_command_line"));
        *ok = 0;
        return o;
    }
    /* the cell's own command line (pprof_http included when the scenario has it) */
    av->argv[av->n++] = "--memprofile";
    av->argv[av->n++] = path;
    av->argv[av->n++] = "--memprofile-rate";
    av->argv[av->n++] = rate;
    av->argv[av->n] = NULL;
    unsigned port = 0;
    char port_text[16];
    if (c->sc->pprof_http && monitor_port_pick(&port) == 0) {   /* never the default 6060 */
        snprintf(port_text, sizeof port_text, "%u", port);
        av->argv[av->n++] = "--pprof-port";
        av->argv[av->n++] = port_text;
        av->argv[av->n] = NULL;
    }
    cell_spec_t spec = {.exe = exe, .argv = av->argv,
                        .extra_env = scenario_backend_env(c->backend),
                        .timeout_s = (double)c->sc->timeout_s, .grace_s = 2};
    cell_outcome_t out;
    cell_run(&spec, &out, interrupt);
    free(av);
    char status[64];
    cell_status(&out, status, sizeof status);
    json_object *root = strcmp(status, "ok") == 0 && out.out ? json_tokener_parse(out.out) : NULL;
    pb_metrics_t m;
    journal_present_t pr;
    journal_metrics_get(root, &m, &pr);
    const char *rst = journal_str(root, "status");
    if (strcmp(status, "ok") == 0 && (!rst || strcmp(rst, "ok") != 0))
        snprintf(status, sizeof status, "bad_output");
    *ok = strcmp(status, "ok") == 0;
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "wall_ns", json_object_new_uint64(out.wall_ns));
    /* the runner's timed window: what a cell's metrics.wall_ns would have been */
    json_object_object_add(o, "window_ns", pr.wall_ns ? json_object_new_uint64(m.wall_ns) : NULL);
    json_object_object_add(o, "alloc_bytes", pr.alloc_bytes ? json_object_new_uint64(m.alloc_bytes) : NULL);
    json_object_object_add(o, "alloc_calls", pr.alloc_calls ? json_object_new_uint64(m.alloc_calls) : NULL);
    json_object_object_add(o, "result", journal_str(root, "result")
                           ? json_object_new_string(journal_str(root, "result")) : NULL);
    json_object_object_add(o, "stderr", json_object_new_string_len(out.err, (int)out.err_len));
    if (root)
        json_object_put(root);
    cell_outcome_free(&out);
    return o;
}

int profile_pass_run(const matrix_t *mx, const char *bin_dir, const char *cache_dir,
                     const char *out_dir, volatile sig_atomic_t *interrupt,
                     profile_pass_stats_t *st, char *err, size_t err_cap)
{
    memset(st, 0, sizeof *st);
    if (profile_pass_count(mx) == 0)
        return 0;
    char dir[PATH_MAX], index[PATH_MAX + 64], tmp[PATH_MAX + 80];
    snprintf(dir, sizeof dir, "%s/%s", out_dir, PROFILE_PASS_DIR);
    if (util_mkdir_p(dir) != 0) {
        snprintf(err, err_cap, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    json_object *idx = json_object_new_object(), *list = json_object_new_array();
    if (!idx || !list) {
        json_object_put(idx);
        json_object_put(list);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    json_object_object_add(idx, "kind", json_object_new_string("poolbench-profiles"));
    json_object_object_add(idx, "note", json_object_new_string(
        "profiled runs: never cells, never used for verdicts"));
    json_object_object_add(idx, "rate_bytes", json_object_new_uint64(PROFILE_PASS_RATE_BYTES));
    json_object_object_add(idx, "profiles", list);
    uint64_t t0 = cell_now_ns();
    int rc = 0;
    for (size_t i = 0; i < mx->n_cells; i++) {
        if (!profile_pass_wanted(mx, i))
            continue;
        if (interrupt && *interrupt) {
            rc = 1;
            break;
        }
        int ok = 0;
        json_object *one = profile_pass_one(&mx->cells[i], bin_dir, cache_dir, dir, interrupt, &ok);
        if (!one) {
            snprintf(err, err_cap, "out of memory");
            rc = -1;
            break;
        }
        json_object_array_add(list, one);
        st->runs++;
        st->failed += !ok;
    }
    st->wall_ns = cell_now_ns() - t0;
    if (rc == 0) {
        snprintf(index, sizeof index, "%s/%s", dir, PROFILE_PASS_INDEX);
        snprintf(tmp, sizeof tmp, "%s.tmp", index);
        if (json_object_to_file_ext(tmp, idx, JSON_C_TO_STRING_PRETTY) != 0 ||
            rename(tmp, index) != 0) {
            snprintf(err, err_cap, "cannot write %s: %s", index, strerror(errno));
            rc = -1;
        }
    }
    json_object_put(idx);
    return rc;
}
