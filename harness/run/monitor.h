/* monitor.h: the driver's scraper of a runner's live /debug/pprof/ endpoint, for
 * scenarios with pprof_http = on (scenarios/monitored_build.ini: what monitoring costs).
 *
 * The driver, not the runner, samples: an outside monitor (a person with curl, a
 * continuous-profiling agent) fetches the heap profile from another process, so the
 * runner pays what a monitored service pays (the endpoint's thread encoding and sending
 * the profile) and not the client's work. On a 2-core machine the client still competes
 * for the CPU, as curl would.
 *
 * How: monitor_port_pick asks the kernel for a free loopback port (bind 127.0.0.1:0,
 * getsockname, close) and the runner is given it with --pprof-port, so concurrent
 * processes never share a port (a port taken again in the instant between close and the
 * runner's bind makes the runner exit 2, the cell fails visibly: never a wrong number).
 * monitor_start starts one thread per runner that connects until the endpoint answers
 * (the runners bind before any work), then fetches GET /debug/pprof/heap every
 * interval_ms with a plain HTTP/1.0 socket client into a fixed buffer (no allocation per
 * fetch), until monitor_stop. Guarantees: counts only complete "200" responses
 * (fetches, body bytes); a bad response (failed) and a connection closed before any
 * response byte (cut: the runner's endpoint stopping at exit) are counted apart; a
 * refused connection (not listening yet, or any more) is not a fetch; never prints.
 */
#ifndef PB_MONITOR_H
#define PB_MONITOR_H

#include <pthread.h>
#include <stdint.h>

#define MONITOR_INTERVAL_MS 100u     /* between two fetches of /debug/pprof/heap        */

typedef struct monitor {
    unsigned port;
    unsigned interval_ms;
    pthread_t thread;
    int started;
    volatile int stop;
    /* filled in by the thread; read after monitor_stop */
    uint64_t fetches;                /* complete 200 responses                          */
    uint64_t body_bytes;             /* their bodies (the gzipped profiles)              */
    uint64_t failed;                 /* a response, but not a complete 200               */
    uint64_t cut;                    /* connected, closed before any response byte (the
                                      * endpoint stopping as the runner exits)          */
} monitor_t;

/* A free TCP port on 127.0.0.1 chosen by the kernel: 0, or -1 (errno set). */
int monitor_port_pick(unsigned *port);
/* Starts sampling 127.0.0.1:port. 0, or -1 (the thread could not start). */
int monitor_start(monitor_t *m, unsigned port, unsigned interval_ms);
/* Stops and joins the thread (a fetch in progress is finished or cut). */
void monitor_stop(monitor_t *m);

#endif
