/* hyperfine.c: running hyperfine and importing its JSON export (hyperfine.h). */
#include "hyperfine.h"
#include "util.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hyperfine_find(char *exe, size_t exe_cap, char *version, size_t version_cap)
{
    if (util_find_in_path("hyperfine", exe, exe_cap) != 0)
        return -1;
    char *argv[] = {exe, "--version", NULL};
    cell_spec_t spec = {.exe = exe, .argv = argv, .timeout_s = 10, .grace_s = 1};
    cell_outcome_t o;
    int rc = -1;
    if (cell_run(&spec, &o, NULL) == 0 && o.exited && o.exit_code == 0 && o.out &&
        strncmp(o.out, "hyperfine ", 10) == 0) {
        snprintf(version, version_cap, "%s", o.out + 10);
        version[strcspn(version, "\n")] = '\0';
        rc = 0;
    }
    cell_outcome_free(&o);
    return rc;
}

int hyperfine_command(char *const *argv, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; argv[i]; i++) {
        const char *a = argv[i];
        int plain = a[0] != '\0';
        for (const char *p = a; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                  strchr("-_./=,:+@%", *p)))
                plain = 0;
        if (i && len + 1 < cap)
            out[len++] = ' ';
        if (!plain && len + 1 < cap)
            out[len++] = '\'';
        for (const char *p = a; *p; p++) {
            if (*p == '\'') {   /* close, escaped quote, reopen */
                if (len + 4 >= cap)
                    return -1;
                memcpy(out + len, "'\\''", 4);
                len += 4;
            } else {
                if (len + 1 >= cap)
                    return -1;
                out[len++] = *p;
            }
        }
        if (!plain && len + 1 < cap)
            out[len++] = '\'';
        if (len + 1 >= cap)
            return -1;
        out[len] = '\0';
    }
    return 0;
}

void hyperfine_result_free(hyperfine_result_t *r)
{
    free(r->times_s);
    free(r->exit_codes);
    memset(r, 0, sizeof *r);
}

int hyperfine_parse(const char *json_path, hyperfine_result_t *r, char *err, size_t err_cap)
{
    memset(r, 0, sizeof *r);
    json_object *root = json_object_from_file(json_path);
    json_object *results, *first, *times, *codes = NULL;
    if (!root) {
        snprintf(err, err_cap, "%s: cannot read hyperfine's JSON export", json_path);
        return -1;
    }
    if (!json_object_object_get_ex(root, "results", &results) ||
        json_object_array_length(results) < 1 || !(first = json_object_array_get_idx(results, 0)) ||
        !json_object_object_get_ex(first, "times", &times) ||
        !json_object_is_type(times, json_type_array)) {
        snprintf(err, err_cap, "%s: no results[0].times in hyperfine's export", json_path);
        json_object_put(root);
        return -1;
    }
    json_object_object_get_ex(first, "exit_codes", &codes);
    size_t n = json_object_array_length(times);
    r->times_s = calloc(n ? n : 1, sizeof *r->times_s);
    r->exit_codes = calloc(n ? n : 1, sizeof *r->exit_codes);
    if (!r->times_s || !r->exit_codes) {
        hyperfine_result_free(r);
        json_object_put(root);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        r->times_s[i] = json_object_get_double(json_object_array_get_idx(times, i));
        if (codes && json_object_is_type(codes, json_type_array) &&
            i < json_object_array_length(codes)) {
            json_object *c = json_object_array_get_idx(codes, i);
            r->exit_codes[i] = json_object_is_type(c, json_type_null) ? -1 : json_object_get_int(c);
        }
    }
    r->n_runs = n;
    json_object_put(root);
    return 0;
}

int hyperfine_run(const char *exe, const char *command, unsigned runs, unsigned warmup,
                  const char *extra_env, const char *json_path, double timeout_s,
                  volatile sig_atomic_t *interrupt, cell_outcome_t *o, hyperfine_result_t *r,
                  char *err, size_t err_cap)
{
    char runs_s[16], warm_s[16];
    snprintf(runs_s, sizeof runs_s, "%u", runs);
    snprintf(warm_s, sizeof warm_s, "%u", warmup);
    char *argv[] = {(char *)exe, "-N", "--runs", runs_s, "--warmup", warm_s, "-i",
                    "--export-json", (char *)json_path, "--style", "none",
                    (char *)command, NULL};
    cell_spec_t spec = {.exe = exe, .argv = argv, .extra_env = extra_env,
                        .timeout_s = timeout_s, .grace_s = 2};
    unlink(json_path);
    memset(r, 0, sizeof *r);
    if (cell_run(&spec, o, interrupt) != 0) {
        snprintf(err, err_cap, "cannot start hyperfine");
        return -1;
    }
    if (o->interrupted || o->timed_out || o->signaled || !o->exited || o->exit_code != 0) {
        char st[64];
        cell_status(o, st, sizeof st);
        snprintf(err, err_cap, "hyperfine %s: %.300s", st, o->err);
        return -1;
    }
    return hyperfine_parse(json_path, r, err, err_cap);
}
