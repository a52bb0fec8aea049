/* context.c: machine and toolchain facts for the journal's context block (context.h). */
#include "context.h"
#include "cell.h"
#include "metrics.h"

#include <gnu/libc-version.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_GIT_COMMIT
#define PB_GIT_COMMIT "unknown"
#endif

static void cpuinfo(json_object *ctx)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    char model[256] = "unknown", flags[8192] = "";
    if (f) {
        while (fgets(line, sizeof line, f)) {
            char *colon = strchr(line, ':');
            if (!colon)
                continue;
            char *v = colon + 1;
            while (*v == ' ')
                v++;
            v[strcspn(v, "\n")] = '\0';
            if (strncmp(line, "model name", 10) == 0 && strcmp(model, "unknown") == 0)
                snprintf(model, sizeof model, "%s", v);
            else if (strncmp(line, "flags", 5) == 0 && !flags[0])
                snprintf(flags, sizeof flags, "%s", v);
        }
        fclose(f);
    }
    json_object_object_add(ctx, "cpu_model", json_object_new_string(model));
    json_object_object_add(ctx, "cpu_flags", json_object_new_string(flags));
}

json_object *context_build(void)
{
    json_object *ctx = json_object_new_object();
    if (!ctx)
        return NULL;
    json_object_object_add(ctx, "type", json_object_new_string("context"));
    json_object_object_add(ctx, "schema_version", json_object_new_int(PB_SCHEMA_VERSION));
    cpuinfo(ctx);
    json_object_object_add(ctx, "cores", json_object_new_int64(sysconf(_SC_NPROCESSORS_ONLN)));
    struct utsname u;
    if (uname(&u) == 0) {
        char k[600];
        snprintf(k, sizeof k, "%s %s %s %s", u.sysname, u.release, u.version, u.machine);
        json_object_object_add(ctx, "kernel", json_object_new_string(k));
        json_object_object_add(ctx, "host", json_object_new_string(u.nodename));
    }
    json_object_object_add(ctx, "glibc", json_object_new_string(gnu_get_libc_version()));
    json_object_object_add(ctx, "driver_compiler", json_object_new_string(__VERSION__));
    json_object_object_add(ctx, "driver_git_commit", json_object_new_string(PB_GIT_COMMIT));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_object_object_add(ctx, "started_unix_s", json_object_new_int64(ts.tv_sec));
    return ctx;
}

json_object *context_runner_version(const char *exe, const char *extra_env)
{
    char *argv[] = {(char *)exe, "--version", NULL};
    cell_spec_t spec = {.exe = exe, .argv = argv, .extra_env = extra_env, .timeout_s = 10,
                        .grace_s = 1};
    cell_outcome_t o;
    json_object *res = NULL;
    char why[256] = "";
    if (cell_run(&spec, &o, NULL) == 0 && o.exited && o.exit_code == 0 && o.out) {
        res = json_tokener_parse(o.out);
        if (res && !json_object_is_type(res, json_type_object)) {
            json_object_put(res);
            res = NULL;
        }
        if (!res)
            snprintf(why, sizeof why, "--version printed no JSON object");
    } else {
        char st[64];
        cell_status(&o, st, sizeof st);
        snprintf(why, sizeof why, "--version failed (%s): %.150s", st, o.err);
    }
    cell_outcome_free(&o);
    if (!res) {
        res = json_object_new_object();
        if (res)
            json_object_object_add(res, "error", json_object_new_string(why));
    }
    return res;
}

void context_add_runners(json_object *ctx, const char *bin_dir, const matrix_t *mx,
                         int by_runner)
{
    json_object *all = json_object_new_object();
    for (size_t i = 0; all && i < mx->n_cells; i++) {
        const char *b = mx->cells[i].backend;
        const char *name = by_runner ? scenario_backend_runner(b) : b;
        if (json_object_object_get_ex(all, name, NULL))
            continue;
        char exe[PATH_MAX];
        snprintf(exe, sizeof exe, "%s/pb-%s", bin_dir, scenario_backend_runner(b));
        if (by_runner && access(exe, X_OK) != 0)
            continue;
        json_object *v = context_runner_version(exe, by_runner ? NULL : scenario_backend_env(b));
        json_object *field;
        /* the driver's compiler and commit are the C runners' (pb-go reports Go's) */
        bool c_runner = strcmp(scenario_backend_runner(b), "go") != 0;
        if (!by_runner && c_runner && v && json_object_object_get_ex(v, "compiler", &field))
            json_object_object_add(ctx, "compiler", json_object_get(field));
        if (!by_runner && c_runner && v && json_object_object_get_ex(v, "git_commit", &field))
            json_object_object_add(ctx, "git_commit", json_object_get(field));
        json_object_object_add(all, name, v);
    }
    json_object_object_add(ctx, by_runner ? "runners" : "backends", all);
}
