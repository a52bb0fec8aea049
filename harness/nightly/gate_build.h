/* gate_build.h: the gate's revisions: resolving them in a git repository, extracting each
 * commit with `git archive` into WORK/src-SHA (once) and building it into
 * WORK/build-SHA (incrementally), with every command's output in a log.
 * What it must not do: touch the repository's work tree (nothing is checked out).
 */
#ifndef PB_GATE_BUILD_H
#define PB_GATE_BUILD_H

#include <stddef.h>

/* The top of the git repository around the current folder, or fallback. */
void gate_build_repo(const char *fallback, char *out, size_t cap);

/* The full SHA of a revision of repo. Returns 0, or -1 when it is not a commit. */
int gate_build_resolve(const char *repo, const char *rev, char *sha, size_t cap);

/* Extracts and builds commit sha with the given CMake targets (space-separated); on
 * success bin_dir is its bin folder. Returns 0, or -1 with msg (naming the log). */
int gate_build_rev(const char *repo, const char *sha, const char *work, const char *targets,
                   char *bin_dir, size_t cap, char *msg, size_t mcap);

#endif
