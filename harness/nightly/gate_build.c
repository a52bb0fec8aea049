/* gate_build.c: extracting and building the gate's revisions (gate_build.h). */
#define _GNU_SOURCE
#include "gate_build.h"
#include "cell.h"
#include "interrupt.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int build_run_logged(char *const argv[], const char *log, const char *extra_env, double timeout_s)
{
    cell_spec_t spec = {.exe = argv[0], .argv = argv, .extra_env = extra_env,
                        .timeout_s = timeout_s, .grace_s = 5};
    cell_outcome_t o;
    int rc = cell_run(&spec, &o, &interrupt_signal);
    FILE *f = log ? fopen(log, "a") : NULL;
    if (f) {
        fprintf(f, "$");
        for (size_t i = 0; argv[i]; i++)
            fprintf(f, " %s", argv[i]);
        fprintf(f, "\n%s%s\n", o.out ? o.out : "", o.err);
        fclose(f);
    }
    int st = (rc == 0 && o.exited) ? o.exit_code : -1;
    cell_outcome_free(&o);
    return st;
}

/* The stdout of a short command, first line. Returns 0 or -1. */
static int build_capture(char *const argv[], char *out, size_t cap)
{
    cell_spec_t spec = {.exe = argv[0], .argv = argv, .timeout_s = 60, .grace_s = 2};
    cell_outcome_t o;
    int rc = cell_run(&spec, &o, NULL);
    int ok = rc == 0 && o.exited && o.exit_code == 0 && o.out;
    if (ok) {
        snprintf(out, cap, "%s", o.out);
        out[strcspn(out, "\r\n")] = '\0';
    } else {
        snprintf(out, cap, "%.*s", (int)strcspn(o.err, "\n"), o.err);
    }
    cell_outcome_free(&o);
    return ok ? 0 : -1;
}

/* Extracts (once) and builds (incrementally) one commit. Returns 0, or -1 with msg. */
int gate_build_rev(const char *repo, const char *sha, const char *work, const char *targets,
                       char *bin_dir, size_t cap, char *msg, size_t mcap)
{
    char src[PATH_MAX], build[PATH_MAX], stamp[PATH_MAX + 32], log[PATH_MAX + 32];
    snprintf(src, sizeof src, "%s/src-%s", work, sha);
    snprintf(build, sizeof build, "%s/build-%s", work, sha);
    snprintf(stamp, sizeof stamp, "%s/.gate-extracted", src);
    snprintf(log, sizeof log, "%s/gate-build.log", build);
    if (util_mkdir_p(build) != 0) {
        snprintf(msg, mcap, "cannot create %s: %s", build, strerror(errno));
        return -1;
    }
    if (access(stamp, F_OK) != 0) {
        char cmd[] = "git -C \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\" && touch \"$4\"";
        char *av[] = {"/bin/sh", "-c", cmd, "sh", (char *)repo, (char *)sha, src, stamp, NULL};
        if (util_mkdir_p(src) != 0 || build_run_logged(av, log, NULL, 600) != 0) {
            snprintf(msg, mcap, "cannot extract %s with git archive (log: %s)", sha, log);
            return -1;
        }
    }
    char cache[PATH_MAX + 32], ceiling[PATH_MAX + 32];
    snprintf(cache, sizeof cache, "%s/CMakeCache.txt", build);
    /* the extracted tree is not a repository: stop git from finding an enclosing one */
    snprintf(ceiling, sizeof ceiling, "GIT_CEILING_DIRECTORIES=%s", work);
    if (access(cache, F_OK) != 0) {
        char *av[] = {"cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                      "-DBUILD_TESTING=OFF", NULL};
        char exe[] = "/usr/bin/env";
        char *av2[16] = {exe};
        for (size_t i = 0; av[i]; i++)
            av2[i + 1] = av[i];
        if (build_run_logged(av2, log, ceiling, 1200) != 0) {
            unlink(cache); /* a failed configure is not reused */
            snprintf(msg, mcap, "cmake configure of %.12s failed (log: %s)", sha, log);
            return -1;
        }
    }
    char *av[40] = {"/usr/bin/env", "cmake", "--build", build, "-j2", "--target"};
    size_t k = 6;
    char tl[512];
    snprintf(tl, sizeof tl, "%s", targets);
    char *save = NULL;
    for (char *t = strtok_r(tl, " ", &save); t && k < 38; t = strtok_r(NULL, " ", &save))
        av[k++] = t;
    av[k] = NULL;
    if (build_run_logged(av, log, ceiling, 3600) != 0) {
        snprintf(msg, mcap, "build of %.12s failed (targets %s; log: %s)", sha, targets, log);
        return -1;
    }
    snprintf(bin_dir, cap, "%s/bin", build);
    return 0;
}


void gate_build_repo(const char *fallback, char *out, size_t cap)
{
    char *av[] = {"/usr/bin/env", "git", "rev-parse", "--show-toplevel", NULL};
    if (build_capture(av, out, cap) != 0)
        snprintf(out, cap, "%s", fallback);
}

int gate_build_resolve(const char *repo, const char *rev, char *sha, size_t cap)
{
    char spec[300];
    snprintf(spec, sizeof spec, "%s^{commit}", rev);
    char *av[] = {"/usr/bin/env", "git", "-C", (char *)repo, "rev-parse", "--verify", "--quiet",
                  spec, NULL};
    if (rev[0] == '-' || build_capture(av, sha, cap) != 0 || strlen(sha) < 40)
        return -1;
    return 0;
}
