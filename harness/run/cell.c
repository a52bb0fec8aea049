/* cell.c: posix_spawn + pipes + poll + wait4 with a deadline (contract in cell.h).
 *
 * For: running one child or a concurrent group: spawn, read both pipes, enforce the
 * deadline and the interrupt (SIGTERM to the process group, SIGKILL after the grace),
 * reap, drain.
 * Guarantees: every child is reaped and every pipe closed before cell_run_group returns;
 * rusage is the child's own (wait4); no process group is signalled after its leader was
 * reaped, and none outlives its leader (killed while the leader is a zombie); every
 * posix_spawn* return is checked; EINTR is retried.
 * Must not: print, exit, install signal handlers (the caller owns *interrupt).
 */
#define _GNU_SOURCE
#include "cell.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

uint64_t cell_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* environ plus extra ("NAME=value", replacing an existing NAME). Caller frees the array. */
static char **cell_env(const char *extra)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = malloc((n + 2) * sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    size_t nl = 0;
    if (extra) {
        const char *eq = strchr(extra, '=');
        nl = eq ? (size_t)(eq - extra) + 1 : strlen(extra);
    }
    for (size_t i = 0; i < n; i++)
        if (!extra || strncmp(environ[i], extra, nl) != 0)
            env[k++] = environ[i];
    if (extra)
        env[k++] = (char *)extra;
    env[k] = NULL;
    return env;
}

typedef struct child {
    pid_t pid;
    int out_fd, err_fd;
    int pidfd;          /* readable once the child has exited; -1 when pidfd_open failed */
    int reaped;
    uint64_t start_ns;
    size_t out_cap;
} child_t;

/* Signals a child's process group and the child; never after it was reaped (its pid and
 * group id may belong to someone else by then). */
static void cell_kill(child_t *c, int sig)
{
    if (c->pid > 0 && !c->reaped) {
        kill(-c->pid, sig);   /* its process group: hyperfine's children too */
        kill(c->pid, sig);
    }
}

static void cell_read(int *fd, cell_outcome_t *o, child_t *c, int is_out)
{
    char buf[65536];
    ssize_t r = read(*fd, buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        close(*fd);
        *fd = -1;
        return;
    }
    if (is_out) {
        size_t keep = (size_t)r;
        if (o->out_len + keep > CELL_STDOUT_MAX) {
            keep = CELL_STDOUT_MAX - o->out_len;
            o->out_truncated = 1;
        }
        if (keep == 0)
            return;
        if (o->out_len + keep + 1 > c->out_cap) {
            size_t nc = c->out_cap ? c->out_cap : 4096;
            while (nc < o->out_len + keep + 1)
                nc *= 2;
            char *g = realloc(o->out, nc);
            if (!g) {
                o->out_truncated = 1;
                return;
            }
            o->out = g;
            c->out_cap = nc;
        }
        memcpy(o->out + o->out_len, buf, keep);
        o->out_len += keep;
        o->out[o->out_len] = '\0';
    } else {
        size_t keep = (size_t)r;
        if (o->err_len + keep > CELL_STDERR_MAX)
            keep = CELL_STDERR_MAX - o->err_len;
        memcpy(o->err + o->err_len, buf, keep);
        o->err_len += keep;
        o->err[o->err_len] = '\0';
    }
}

/* Starts one child with its stdout and stderr on pipes, in its own process group, with
 * default dispositions for the signals the driver handles. Returns 0 (a failed
 * posix_spawn is recorded in the outcome and still returns 0), or -1 when the
 * environment or a pipe could not be made. */
static int cell_spawn(const cell_spec_t *spec, child_t *c, cell_outcome_t *o)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    char **env = cell_env(spec->extra_env);
    if (!env || pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
        o->spawn_errno = env ? errno : ENOMEM;
        free(env);
        if (po[0] >= 0) { close(po[0]); close(po[1]); }
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    int e = posix_spawn_file_actions_init(&fa);
    if (e == 0 && (e = posix_spawnattr_init(&at)) != 0)
        posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
        o->spawn_errno = e;
        free(env);
        close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
        return -1;
    }
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGCHLD);
    sigaddset(&def, SIGXFSZ);   /* the driver ignores it (main.c); a runner gets the default */
    /* every setup call checked: a failure is the cell's spawn:ERRNO, nothing is started */
    if (!e) e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!e) e = posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    if (!e) e = posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    if (!e) e = posix_spawnattr_setsigmask(&at, &none);
    if (!e) e = posix_spawnattr_setsigdefault(&at, &def);
    if (!e) e = posix_spawnattr_setpgroup(&at, 0);
    if (!e) e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                  POSIX_SPAWN_SETSIGDEF);
    c->start_ns = cell_now_ns();
    if (!e)
        e = posix_spawn(&c->pid, spec->exe, &fa, &at, spec->argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(env);
    close(po[1]);
    close(pe[1]);
    if (e != 0) {
        o->spawn_errno = e;
        c->pid = -1;
        c->reaped = 1;
        close(po[0]);
        close(pe[0]);
        return 0;
    }
    c->out_fd = po[0];
    c->err_fd = pe[0];
    /* the child is ours and not reaped, so its pid cannot be reused before this */
    c->pidfd = pidfd_open(c->pid, 0);
    return 0;
}

/* A running group: its children, their outcomes and the kill schedule. */
typedef struct cell_group {
    child_t *ch;
    cell_outcome_t *outcomes;
    size_t n;
    struct pollfd *pfd;
    uint64_t deadline;
    double grace_s;
    uint64_t kill_at;   /* when SIGKILL follows the SIGTERM */
    int killing;
} cell_group_t;

/* Fills g->pfd with the open pipes and the pidfds of the children not yet reaped (so
 * that a child's exit wakes the poll: its pipes close a moment before it can be reaped,
 * and a fixed sleep there cost every cell up to 5 ms of driver time and put the same
 * jitter into a concurrent group's wall time). Returns their number; *open_fds and
 * *alive count the open pipes and the children not yet reaped. */
static size_t cell_collect_fds(cell_group_t *g, int *open_fds, int *alive)
{
    size_t np = 0;
    *open_fds = *alive = 0;
    for (size_t i = 0; i < g->n; i++) {
        child_t *c = &g->ch[i];
        if (c->out_fd >= 0) {
            g->pfd[np++] = (struct pollfd){.fd = c->out_fd, .events = POLLIN};
            (*open_fds)++;
        }
        if (c->err_fd >= 0) {
            g->pfd[np++] = (struct pollfd){.fd = c->err_fd, .events = POLLIN};
            (*open_fds)++;
        }
        if (c->pid > 0 && !c->reaped) {
            (*alive)++;
            if (c->pidfd >= 0)
                g->pfd[np++] = (struct pollfd){.fd = c->pidfd, .events = POLLIN};
        }
    }
    return np;
}

/* At the deadline or on interrupt: SIGTERM to every child, then SIGKILL after the grace. */
static void cell_enforce_deadline(cell_group_t *g, uint64_t now, volatile sig_atomic_t *interrupt)
{
    if (!g->killing && (now >= g->deadline || (interrupt && *interrupt))) {
        g->killing = 1;
        for (size_t i = 0; i < g->n; i++) {
            if (interrupt && *interrupt)
                g->outcomes[i].interrupted = !g->ch[i].reaped;
            else
                g->outcomes[i].timed_out = !g->ch[i].reaped;
            cell_kill(&g->ch[i], SIGTERM);
        }
        g->kill_at = now + (uint64_t)(g->grace_s * 1e9);
    }
    if (g->killing && now >= g->kill_at) {
        for (size_t i = 0; i < g->n; i++)
            cell_kill(&g->ch[i], SIGKILL);
        g->kill_at = UINT64_MAX;
    }
}

/* Every child exited; a descendant may still hold a pipe: reads no longer block. */
static void cell_set_nonblocking(cell_group_t *g)
{
    for (size_t i = 0; i < g->n; i++) {
        if (g->ch[i].out_fd >= 0) {
            int fl = fcntl(g->ch[i].out_fd, F_GETFL);
            fcntl(g->ch[i].out_fd, F_SETFL, fl | O_NONBLOCK);
        }
        if (g->ch[i].err_fd >= 0) {
            int fl = fcntl(g->ch[i].err_fd, F_GETFL);
            fcntl(g->ch[i].err_fd, F_SETFL, fl | O_NONBLOCK);
        }
    }
}

/* Waits up to 20 ms for output on the pipes or an exit (pidfds) among the np fds and
 * reads what arrived; with nothing to wait on (no pipe open, no pidfd: pidfd_open
 * failed) it sleeps 1 ms. */
static void cell_poll_output(cell_group_t *g, size_t np)
{
    int wait_ms = 20;
    if (np > 0) {
        int pr = poll(g->pfd, np, wait_ms);
        if (pr > 0) {
            for (size_t p = 0; p < np; p++) {
                if (!(g->pfd[p].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                for (size_t i = 0; i < g->n; i++) {
                    if (g->ch[i].out_fd == g->pfd[p].fd)
                        cell_read(&g->ch[i].out_fd, &g->outcomes[i], &g->ch[i], 1);
                    else if (g->ch[i].err_fd == g->pfd[p].fd)
                        cell_read(&g->ch[i].err_fd, &g->outcomes[i], &g->ch[i], 0);
                }
            }
        }
    } else {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Reaps the children that exited and records how they ended. An exited child is first
 * only looked at (waitid WNOWAIT): while it is an unreaped zombie its pid, hence its
 * process group id, cannot be reused, so what is left in its group is killed then.
 * Only after that is it reaped with wait4 (for its rusage); no group is signalled after
 * its leader was reaped. */
static void cell_reap(cell_group_t *g)
{
    for (size_t i = 0; i < g->n; i++) {
        child_t *c = &g->ch[i];
        cell_outcome_t *o = &g->outcomes[i];
        if (c->pid <= 0 || c->reaped)
            continue;
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int wr;
        do
            wr = waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT);
        while (wr != 0 && errno == EINTR);
        if (wr != 0 || si.si_pid != c->pid)
            continue;   /* still running */
        /* the leader is a zombie, so the group id is still its: whatever it left behind
         * in its group (a background process holding the pipes, a stray worker) is
         * killed now, before the reap frees the id; nothing outlives its cell */
        kill(-c->pid, SIGKILL);
        int st;
        pid_t w;
        do
            w = wait4(c->pid, &st, 0, &o->ru);
        while (w < 0 && errno == EINTR);
        if (w != c->pid)
            continue;
        c->reaped = 1;
        o->wall_ns = cell_now_ns() - c->start_ns;
        if (c->pidfd >= 0) {
            close(c->pidfd);
            c->pidfd = -1;
        }
        if (WIFEXITED(st)) {
            o->exited = 1;
            o->exit_code = WEXITSTATUS(st);
        } else if (WIFSIGNALED(st)) {
            o->signaled = 1;
            o->term_signal = WTERMSIG(st);
        }
    }
}

/* Reads what is buffered in one pipe until nothing more comes, then closes it. */
static void cell_drain_fd(int *fd, cell_outcome_t *o, child_t *c, int is_out)
{
    while (*fd >= 0) {
        size_t before = is_out ? o->out_len : o->err_len;
        cell_read(fd, o, c, is_out);
        if (*fd >= 0 && (is_out ? o->out_len : o->err_len) == before) {
            close(*fd);
            *fd = -1;
        }
    }
}

/* Every child exited: drain what is buffered, then close. */
static void cell_drain(cell_group_t *g)
{
    for (size_t i = 0; i < g->n; i++) {
        cell_drain_fd(&g->ch[i].out_fd, &g->outcomes[i], &g->ch[i], 1);
        cell_drain_fd(&g->ch[i].err_fd, &g->outcomes[i], &g->ch[i], 0);
    }
}

int cell_run_group(const cell_spec_t *specs, size_t n, cell_outcome_t *outcomes,
                   volatile sig_atomic_t *interrupt, uint64_t *group_wall_ns)
{
    int rc = 0;
    child_t *ch = calloc(n ? n : 1, sizeof *ch);
    struct pollfd *pfd = calloc(3 * n + 1, sizeof *pfd);
    if (!ch || !pfd) {
        free(ch);
        free(pfd);
        return -1;
    }
    double timeout_s = 0, grace_s = 1;
    for (size_t i = 0; i < n; i++) {
        memset(&outcomes[i], 0, sizeof outcomes[i]);
        ch[i].pid = -1;
        ch[i].out_fd = ch[i].err_fd = ch[i].pidfd = -1;
        if (specs[i].timeout_s > timeout_s)
            timeout_s = specs[i].timeout_s;
        if (specs[i].grace_s > grace_s)
            grace_s = specs[i].grace_s;
    }
    uint64_t t0 = cell_now_ns();
    for (size_t i = 0; i < n; i++)
        if (cell_spawn(&specs[i], &ch[i], &outcomes[i]) != 0)
            rc = -1;
    cell_group_t g = {
        .ch = ch, .outcomes = outcomes, .n = n, .pfd = pfd,
        .deadline = t0 + (uint64_t)(timeout_s * 1e9), .grace_s = grace_s,
        .kill_at = 0, .killing = 0,
    };
    for (;;) {
        int open_fds, alive;
        size_t np = cell_collect_fds(&g, &open_fds, &alive);
        if (!alive && !open_fds)
            break;
        cell_enforce_deadline(&g, cell_now_ns(), interrupt);
        if (!alive)
            cell_set_nonblocking(&g);
        cell_poll_output(&g, np);
        cell_reap(&g);
        if (!alive)
            cell_drain(&g);
    }
    if (group_wall_ns)
        *group_wall_ns = cell_now_ns() - t0;
    for (size_t i = 0; i < n; i++)
        if (ch[i].pidfd >= 0)
            close(ch[i].pidfd);
    free(ch);
    free(pfd);
    return rc;
}

int cell_run(const cell_spec_t *spec, cell_outcome_t *out, volatile sig_atomic_t *interrupt)
{
    return cell_run_group(spec, 1, out, interrupt, NULL);
}

void cell_outcome_free(cell_outcome_t *o)
{
    free(o->out);
    o->out = NULL;
    o->out_len = 0;
}

void cell_status(const cell_outcome_t *o, char *buf, size_t cap)
{
    if (o->spawn_errno)
        snprintf(buf, cap, "spawn:%d", o->spawn_errno);
    else if (o->timed_out)
        snprintf(buf, cap, "timeout");
    else if (o->signaled)
        snprintf(buf, cap, "signal:%d", o->term_signal);
    else if (o->exited && o->exit_code != 0)
        snprintf(buf, cap, "exit:%d", o->exit_code);
    else
        snprintf(buf, cap, "ok");
}
