/* cell.c: posix_spawn + pipes + poll + wait4 with a deadline (contract in cell.h). */
#define _GNU_SOURCE
#include "cell.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    int reaped;
    uint64_t start_ns;
    size_t out_cap;
} child_t;

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

int cell_run_group(const cell_spec_t *specs, size_t n, cell_outcome_t *outcomes,
                   volatile sig_atomic_t *interrupt, uint64_t *group_wall_ns)
{
    int rc = 0;
    child_t *ch = calloc(n ? n : 1, sizeof *ch);
    struct pollfd *pfd = calloc(2 * n + 1, sizeof *pfd);
    if (!ch || !pfd) {
        free(ch);
        free(pfd);
        return -1;
    }
    double timeout_s = 0, grace_s = 1;
    for (size_t i = 0; i < n; i++) {
        memset(&outcomes[i], 0, sizeof outcomes[i]);
        ch[i].pid = -1;
        ch[i].out_fd = ch[i].err_fd = -1;
        if (specs[i].timeout_s > timeout_s)
            timeout_s = specs[i].timeout_s;
        if (specs[i].grace_s > grace_s)
            grace_s = specs[i].grace_s;
    }
    uint64_t t0 = cell_now_ns();
    for (size_t i = 0; i < n; i++) {
        int po[2] = {-1, -1}, pe[2] = {-1, -1};
        char **env = cell_env(specs[i].extra_env);
        if (!env || pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
            outcomes[i].spawn_errno = env ? errno : ENOMEM;
            free(env);
            if (po[0] >= 0) { close(po[0]); close(po[1]); }
            rc = -1;
            continue;
        }
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&at);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, po[1], 1);
        posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&at, &none);
        sigset_t def;
        sigemptyset(&def);
        sigaddset(&def, SIGINT);
        sigaddset(&def, SIGTERM);
        sigaddset(&def, SIGPIPE);
        sigaddset(&def, SIGCHLD);
        posix_spawnattr_setsigdefault(&at, &def);
        posix_spawnattr_setpgroup(&at, 0);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                          POSIX_SPAWN_SETSIGDEF);
        ch[i].start_ns = cell_now_ns();
        int e = posix_spawn(&ch[i].pid, specs[i].exe, &fa, &at, specs[i].argv, env);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        free(env);
        close(po[1]);
        close(pe[1]);
        if (e != 0) {
            outcomes[i].spawn_errno = e;
            ch[i].pid = -1;
            ch[i].reaped = 1;
            close(po[0]);
            close(pe[0]);
            continue;
        }
        ch[i].out_fd = po[0];
        ch[i].err_fd = pe[0];
    }
    uint64_t deadline = t0 + (uint64_t)(timeout_s * 1e9);
    uint64_t kill_at = 0;   /* when SIGKILL follows the SIGTERM */
    int killing = 0;
    for (;;) {
        int open_fds = 0, alive = 0;
        size_t np = 0;
        for (size_t i = 0; i < n; i++) {
            if (ch[i].out_fd >= 0) {
                pfd[np++] = (struct pollfd){.fd = ch[i].out_fd, .events = POLLIN};
                open_fds++;
            }
            if (ch[i].err_fd >= 0) {
                pfd[np++] = (struct pollfd){.fd = ch[i].err_fd, .events = POLLIN};
                open_fds++;
            }
            if (ch[i].pid > 0 && !ch[i].reaped)
                alive++;
        }
        if (!alive && !open_fds)
            break;
        uint64_t now = cell_now_ns();
        if (!killing && (now >= deadline || (interrupt && *interrupt))) {
            killing = 1;
            for (size_t i = 0; i < n; i++) {
                if (interrupt && *interrupt)
                    outcomes[i].interrupted = !ch[i].reaped;
                else
                    outcomes[i].timed_out = !ch[i].reaped;
                cell_kill(&ch[i], SIGTERM);
            }
            kill_at = now + (uint64_t)(grace_s * 1e9);
        }
        if (killing && now >= kill_at) {
            for (size_t i = 0; i < n; i++)
                cell_kill(&ch[i], SIGKILL);
            kill_at = UINT64_MAX;
        }
        if (!alive) {
            /* every child exited; a descendant may still hold a pipe: stop after a while */
            for (size_t i = 0; i < n; i++) {
                if (ch[i].out_fd >= 0) {
                    int fl = fcntl(ch[i].out_fd, F_GETFL);
                    fcntl(ch[i].out_fd, F_SETFL, fl | O_NONBLOCK);
                }
                if (ch[i].err_fd >= 0) {
                    int fl = fcntl(ch[i].err_fd, F_GETFL);
                    fcntl(ch[i].err_fd, F_SETFL, fl | O_NONBLOCK);
                }
            }
        }
        int wait_ms = 20;
        if (np > 0) {
            int pr = poll(pfd, np, wait_ms);
            if (pr > 0) {
                for (size_t p = 0; p < np; p++) {
                    if (!(pfd[p].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                    for (size_t i = 0; i < n; i++) {
                        if (ch[i].out_fd == pfd[p].fd)
                            cell_read(&ch[i].out_fd, &outcomes[i], &ch[i], 1);
                        else if (ch[i].err_fd == pfd[p].fd)
                            cell_read(&ch[i].err_fd, &outcomes[i], &ch[i], 0);
                    }
                }
            }
        } else {
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
        }
        for (size_t i = 0; i < n; i++) {
            if (ch[i].pid <= 0 || ch[i].reaped)
                continue;
            int st;
            pid_t w = wait4(ch[i].pid, &st, WNOHANG, &outcomes[i].ru);
            if (w == ch[i].pid) {
                ch[i].reaped = 1;
                outcomes[i].wall_ns = cell_now_ns() - ch[i].start_ns;
                if (WIFEXITED(st)) {
                    outcomes[i].exited = 1;
                    outcomes[i].exit_code = WEXITSTATUS(st);
                } else if (WIFSIGNALED(st)) {
                    outcomes[i].signaled = 1;
                    outcomes[i].term_signal = WTERMSIG(st);
                }
                /* its group may hold pipes open: give it the same treatment on the way */
                if (killing)
                    kill(-ch[i].pid, SIGKILL);
            }
        }
        if (!alive) {
            /* drain what is buffered, then close */
            for (size_t i = 0; i < n; i++) {
                while (ch[i].out_fd >= 0) {
                    size_t before = outcomes[i].out_len;
                    cell_read(&ch[i].out_fd, &outcomes[i], &ch[i], 1);
                    if (ch[i].out_fd >= 0 && outcomes[i].out_len == before) {
                        close(ch[i].out_fd);
                        ch[i].out_fd = -1;
                    }
                }
                while (ch[i].err_fd >= 0) {
                    size_t before = outcomes[i].err_len;
                    cell_read(&ch[i].err_fd, &outcomes[i], &ch[i], 0);
                    if (ch[i].err_fd >= 0 && outcomes[i].err_len == before) {
                        close(ch[i].err_fd);
                        ch[i].err_fd = -1;
                    }
                }
            }
        }
    }
    if (group_wall_ns)
        *group_wall_ns = cell_now_ns() - t0;
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
