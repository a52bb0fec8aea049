/* monitor.c: the driver's scraper of a runner's /debug/pprof/heap (monitor.h): a free
 * loopback port, and one thread per runner fetching the heap profile every interval.
 */
#define _GNU_SOURCE
#include "monitor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int monitor_port_pick(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    close(fd);
    *port = ntohs(sa.sin_port);
    return 0;
}

static void monitor_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* One fetch. Returns 1 (a complete 200 response; *body_bytes set), 0 (a response that
 * is not a complete 200), 2 (connected, then closed or reset before any byte of a
 * response: the endpoint shutting down as the runner exits) or -1 (no connection: the
 * endpoint is not listening). */
static int monitor_fetch(unsigned port, uint64_t *body_bytes)
{
    static __thread char buf[64 * 1024];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    static const char req[] = "GET /debug/pprof/heap HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                              "User-Agent: poolbench-monitor\r\n\r\n";
    if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof req - 1)) {
        close(fd);
        return 0;
    }
    /* the head is read into buf (it fits: a few short header lines), the body counted */
    size_t have = 0, head_end = 0;
    uint64_t total = 0;
    int ok200 = -1;
    for (;;) {
        ssize_t n = recv(fd, buf + (head_end ? 0 : have),
                         head_end ? sizeof buf : sizeof buf - 1 - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            if (have == 0 && (e == ECONNRESET || e == EPIPE))
                return 2;         /* reset before any response byte */
            return 0;             /* cut or timed out: not a complete response */
        }
        if (n == 0)
            break;
        if (head_end) {
            total += (uint64_t)n;
            continue;
        }
        have += (size_t)n;
        buf[have] = '\0';
        char *e = strstr(buf, "\r\n\r\n");
        if (e) {
            head_end = (size_t)(e - buf) + 4;
            ok200 = strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0;
            total = have - head_end;
        } else if (have == sizeof buf - 1) {
            close(fd);
            return 0;             /* a head this long is not the endpoint's */
        }
    }
    close(fd);
    if (have == 0)
        return 2;                 /* closed before any response byte */
    if (ok200 != 1)
        return 0;
    *body_bytes = total;
    return 1;
}

static void *monitor_thread(void *arg)
{
    monitor_t *m = arg;
    int reached = 0;
    while (!m->stop) {
        uint64_t bytes = 0;
        int r = monitor_fetch(m->port, &bytes);
        if (r == 1) {
            m->fetches++;
            m->body_bytes += bytes;
            reached = 1;
        } else if (r == 0) {
            m->failed++;
            reached = 1;
        } else if (r == 2) {
            m->cut++;
            reached = 1;
        }
        /* until the endpoint first answers, retry soon (the runner is starting) */
        unsigned wait_ms = reached ? m->interval_ms : 5u, slept = 0;
        while (!m->stop && slept < wait_ms) {
            unsigned step = wait_ms - slept < 5u ? wait_ms - slept : 5u;
            monitor_sleep_ms(step);
            slept += step;
        }
    }
    return NULL;
}

int monitor_start(monitor_t *m, unsigned port, unsigned interval_ms)
{
    memset(m, 0, sizeof *m);
    m->port = port;
    m->interval_ms = interval_ms ? interval_ms : MONITOR_INTERVAL_MS;
    if (pthread_create(&m->thread, NULL, monitor_thread, m) != 0)
        return -1;
    m->started = 1;
    return 0;
}

void monitor_stop(monitor_t *m)
{
    if (!m->started)
        return;
    m->stop = 1;
    pthread_join(m->thread, NULL);
    m->started = 0;
}
