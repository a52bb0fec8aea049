/* profile_http.c: --pprof-http: Go's /debug/pprof/ endpoints on 127.0.0.1 (libmicrohttpd).
 *
 * Serves, while the workload runs: /debug/pprof/ (an index page), /debug/pprof/heap (the
 * heap profile as --memprofile writes it, live; default sample inuse_space),
 * /debug/pprof/allocs (the same data, default sample alloc_space, as Go's allocs
 * profile) and /debug/pprof/profile?seconds=N (a CPU profile of the next N seconds,
 * default 30, by gperftools' profiler, symbolized like --cpuprofile's). Nothing else.
 * Guarantees: the socket is bound to 127.0.0.1 only, before any work, by this file (so a
 * port in use is one clear line naming the port, exit 2, like pb-go); libmicrohttpd is
 * loaded with dlopen only when --pprof-http is given (linked always, it would load
 * GnuTLS and its start-up allocations into every runner); one thread per connection, so
 * a CPU profile in progress does not hold up a heap request. The handlers' own
 * allocations are not profiled (heap_prof_guard).
 */
#define _GNU_SOURCE
#include "profile.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_MHD_SONAME
#define PB_MHD_SONAME "libmicrohttpd.so.12"
#endif

static struct {
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_create_response_from_buffer) *response_from_buffer;
    __typeof__(MHD_add_response_header) *add_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
    __typeof__(MHD_lookup_connection_value) *lookup_value;
} mhd;

static struct MHD_Daemon *g_daemon;
static char g_desc[256];

static int mhd_load(char *err, size_t err_len)
{
    void *h = dlopen(PB_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, err_len, "cannot load %s: %s (install libmicrohttpd-dev: "
                 "scripts/install-deps.sh)", PB_MHD_SONAME, dlerror());
        return -1;
    }
#define MHD_SYM(field, name)                                                          \
    if (!(mhd.field = (__typeof__(mhd.field))dlsym(h, #name))) {                       \
        snprintf(err, err_len, "%s has no %s", PB_MHD_SONAME, #name);                   \
        return -1;                                                                     \
    }
    MHD_SYM(start_daemon, MHD_start_daemon)
    MHD_SYM(stop_daemon, MHD_stop_daemon)
    MHD_SYM(response_from_buffer, MHD_create_response_from_buffer)
    MHD_SYM(add_header, MHD_add_response_header)
    MHD_SYM(queue_response, MHD_queue_response)
    MHD_SYM(destroy_response, MHD_destroy_response)
    MHD_SYM(lookup_value, MHD_lookup_connection_value)
#undef MHD_SYM
    return 0;
}

/* Queues buf (malloc'd, owned by the response from now on). */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             void *buf, size_t len, const char *disposition)
{
    struct MHD_Response *r = mhd.response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    mhd.add_header(r, "Content-Type", type);
    mhd.add_header(r, "X-Content-Type-Options", "nosniff");
    if (disposition)
        mhd.add_header(r, "Content-Disposition", disposition);
    enum MHD_Result rc = mhd.queue_response(c, status, r);
    mhd.destroy_response(r);
    return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *msg)
{
    char *s = strdup(msg);
    return s ? reply(c, status, "text/plain; charset=utf-8", s, strlen(s), NULL) : MHD_NO;
}

static enum MHD_Result serve_index(struct MHD_Connection *c)
{
    char *page = NULL;
    int n = asprintf(&page,
        "<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n"
        "/debug/pprof/ of %s<br>\n<br>\nTypes of profiles available:\n"
        "<table>\n<thead><td>Count</td><td>Profile</td></thead>\n"
        "<tr><td>1</td><td><a href='allocs'>allocs</a></td></tr>\n"
        "<tr><td>1</td><td><a href='heap'>heap</a></td></tr>\n"
        "<tr><td>0</td><td><a href='profile'>profile</a></td></tr>\n"
        "</table>\n<br>\n<p>\n<ul>\n"
        "<li><div class=profile-name>allocs: </div> A sampling of all past memory "
        "allocations of the timed window</li>\n"
        "<li><div class=profile-name>heap: </div> A sampling of memory allocations of the "
        "timed window still live</li>\n"
        "<li><div class=profile-name>profile: </div> CPU profile (gperftools). You can "
        "specify the duration in the seconds GET parameter. After you get the profile "
        "file, use the go tool pprof command with the binary to investigate the "
        "profile.</li>\n</ul>\n</p>\n</body>\n</html>\n", g_desc);
    if (n < 0)
        return MHD_NO;
    return reply(c, 200, "text/html; charset=utf-8", page, (size_t)n, NULL);
}

static enum MHD_Result serve_heap(struct MHD_Connection *c, bool allocs)
{
    heap_snapshot_t s;
    unsigned char *gz = NULL;
    size_t len = 0;
    if (heap_prof_snapshot(&s) != 0)
        return reply_text(c, 500, "Could not take the heap profile: out of memory\n");
    int rc = pprof_heap_encode(&s, allocs, g_desc, &gz, &len);
    heap_snapshot_free(&s);
    if (rc != 0)
        return reply_text(c, 500, "Could not encode the heap profile\n");
    return reply(c, 200, "application/octet-stream", gz, len,
                 allocs ? "attachment; filename=\"allocs\"" : "attachment; filename=\"heap\"");
}

static enum MHD_Result serve_cpu(struct MHD_Connection *c)
{
    const char *sec = mhd.lookup_value(c, MHD_GET_ARGUMENT_KIND, "seconds");
    long seconds = 30;
    if (sec) {
        char *end = NULL;
        seconds = strtol(sec, &end, 10);
        if (!*sec || *end || seconds <= 0 || seconds > 3600)
            return reply_text(c, 400, "Bad Request: seconds must be an integer from 1 to 3600\n");
    }
    if (cpu_prof_start() != 0)
        return reply_text(c, 500, "Could not enable CPU profiling: cpu profiling already in use\n");
    struct timespec ts = {seconds, 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    unsigned char *gz = NULL;
    size_t len = 0;
    if (cpu_prof_stop(g_desc, &gz, &len) != 0)
        return reply_text(c, 500, "Could not encode the CPU profile\n");
    return reply(c, 200, "application/octet-stream", gz, len,
                 "attachment; filename=\"profile\"");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size,
                               void **req_cls)
{
    heap_prof_guard(true);      /* this thread's allocations are the server's own */
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply_text(c, 405, "Method Not Allowed\n");
    if (strcmp(url, "/debug/pprof/") == 0 || strcmp(url, "/debug/pprof") == 0)
        return serve_index(c);
    if (strcmp(url, "/debug/pprof/heap") == 0)
        return serve_heap(c, false);
    if (strcmp(url, "/debug/pprof/allocs") == 0)
        return serve_heap(c, true);
    if (strcmp(url, "/debug/pprof/profile") == 0)
        return serve_cpu(c);
    return reply_text(c, 404, "404 page not found\n");
}

int http_prof_start(unsigned port, const char *prog_desc)
{
    char err[512];
    snprintf(g_desc, sizeof g_desc, "%s", prog_desc ? prog_desc : "pb");
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        fprintf(stderr, "pb: --pprof-port %u: cannot listen on 127.0.0.1:%u: %s\n", port,
                port, e == EADDRINUSE ? "address already in use" : strerror(e));
        return PB_EXIT_USAGE;
    }
    if (mhd_load(err, sizeof err) != 0) {
        close(fd);
        fprintf(stderr, "pb: --pprof-http: %s\n", err);
        return PB_EXIT_BACKEND;
    }
    g_daemon = mhd.start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                                0, NULL, NULL, handler, NULL,
                                MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)3700,
                                MHD_OPTION_END);
    if (!g_daemon) {
        close(fd);
        fprintf(stderr, "pb: --pprof-http: libmicrohttpd could not start on 127.0.0.1:%u\n",
                port);
        return PB_EXIT_BACKEND;
    }
    return PB_EXIT_OK;
}

void http_prof_stop(void)
{
    if (g_daemon) {
        mhd.stop_daemon(g_daemon);   /* waits for the connection threads */
        g_daemon = NULL;
    }
}
