/* cell.h: running child processes for cells, isolated and bounded.
 *
 * Each child is started with posix_spawn (glibc uses CLONE_VM|CLONE_VFORK, so the child's
 * peak RSS never includes the driver's pages) in its own process group, stdin from
 * /dev/null, stdout captured through a pipe (at most CELL_STDOUT_MAX bytes kept), stderr
 * captured through a pipe (the first CELL_STDERR_MAX bytes kept). Its rusage comes from
 * wait4 on that child only. A deadline sends SIGTERM to the child's process group, then
 * SIGKILL after a grace period. When *interrupt becomes non-zero the children are killed
 * the same way and the outcome says so. Several children may run at once (a concurrent
 * group); the group's wall time is from the first spawn to the last exit.
 * Nothing here prints or exits.
 */
#ifndef PB_CELL_H
#define PB_CELL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#define CELL_STDOUT_MAX (1u << 20)
#define CELL_STDERR_MAX 4096

typedef struct cell_spec {
    const char *exe;          /* path of the executable                              */
    char *const *argv;        /* argv[0] included, NULL-terminated                   */
    const char *extra_env;    /* "NAME=value" added to (or replacing in) environ     */
    double timeout_s;         /* > 0                                                  */
    double grace_s;           /* SIGTERM -> SIGKILL                                   */
} cell_spec_t;

typedef struct cell_outcome {
    int spawn_errno;          /* != 0: the child could not be started                */
    int exited;               /* normal exit: exit_code valid                        */
    int exit_code;
    int signaled;             /* killed by term_signal                               */
    int term_signal;
    int timed_out;            /* the deadline passed and we killed it                */
    int interrupted;          /* *interrupt was set and we killed it                 */
    struct rusage ru;         /* wait4 of this child                                 */
    uint64_t wall_ns;         /* spawn to reap                                        */
    char *out;                /* stdout, NUL-terminated (malloc'd; may be NULL)      */
    size_t out_len;
    int out_truncated;
    char err[CELL_STDERR_MAX + 1];
    size_t err_len;
} cell_outcome_t;

/* Runs n children at once and waits for all of them. outcomes[i] belongs to specs[i]; the
 * deadline is the largest timeout. Returns 0, or -1 on out of memory / pipe failure
 * (outcomes then hold what was collected). group_wall_ns (may be NULL) gets the time
 * from the first spawn to the last reap. */
int cell_run_group(const cell_spec_t *specs, size_t n, cell_outcome_t *outcomes,
                   volatile sig_atomic_t *interrupt, uint64_t *group_wall_ns);

/* Runs one child. */
int cell_run(const cell_spec_t *spec, cell_outcome_t *out, volatile sig_atomic_t *interrupt);

/* Frees what an outcome holds. */
void cell_outcome_free(cell_outcome_t *o);

/* Status text of an outcome before output checks: "ok" for exit 0, "exit:N",
 * "signal:N", "timeout", "spawn:ERRNO". */
void cell_status(const cell_outcome_t *o, char *buf, size_t cap);

/* Monotonic clock in ns. */
uint64_t cell_now_ns(void);

#endif
