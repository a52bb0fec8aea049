/* context.h: the context block that opens every journal.
 *
 * Collects CPU model and flags (/proc/cpuinfo), online cores, kernel (uname), glibc
 * (gnu_get_libc_version), the driver's git commit and compiler, and for every backend the
 * runner's own `pb-<backend> --version` object (backend, backend_version, compiler,
 * git_commit, schema_version), plus what the caller adds (seed, matrix name and hash,
 * command line, shard, hyperfine version). A runner that cannot report its version is
 * recorded with an "error" field; it never aborts the block. Never prints or exits.
 */
#ifndef PB_CONTEXT_H
#define PB_CONTEXT_H

#include <json-c/json.h>
#include "matrix.h"

/* Builds the machine part of the block. Returns a new object or NULL (out of memory). */
json_object *context_build(void);

/* Runs `exe --version` (bounded, 10 s) and returns its JSON object, or an object
 * {"error": "..."} when it fails. */
json_object *context_runner_version(const char *exe, const char *extra_env);

/* Adds the --version object of every runner the cells of mx use, from bin_dir: keyed by
 * backend as "backends" (with the backend's environment; the driver's "compiler" and
 * "git_commit" then come from the runners), or by runner as "runners" (gate and calibrate
 * sides: only the runners that exist). */
void context_add_runners(json_object *ctx, const char *bin_dir, const matrix_t *mx,
                         int by_runner);

#endif
