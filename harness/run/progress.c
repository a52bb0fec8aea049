/* progress.c: the progress line / log lines of a matrix run (progress.h). */
#include "progress.h"
#include "cell.h"

#include <unistd.h>

void progress_format_duration(uint64_t ns, char *buf, size_t cap)
{
    uint64_t s = ns / 1000000000ull;
    if (s >= 3600)
        snprintf(buf, cap, "%lluh%02llum%02llus", (unsigned long long)(s / 3600),
                 (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
    else if (s >= 60)
        snprintf(buf, cap, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
    else
        snprintf(buf, cap, "%.1fs", (double)ns / 1e9);
}

void progress_init(progress_t *p, FILE *out, uint64_t total)
{
    p->out = out;
    p->tty = isatty(fileno(out));
    p->start_ns = cell_now_ns();
    p->total = total;
    p->done = 0;
}

static void progress_times(progress_t *p, char *el, char *eta, size_t cap)
{
    uint64_t elapsed = cell_now_ns() - p->start_ns;
    progress_format_duration(elapsed, el, cap);
    if (p->done == 0)
        snprintf(eta, cap, "?");
    else
        progress_format_duration(elapsed / p->done * (p->total - p->done), eta, cap);
}

void progress_start(progress_t *p, const char *label)
{
    if (!p->tty)
        return;
    char el[32], eta[32];
    progress_times(p, el, eta, sizeof el);
    fprintf(p->out, "\r\033[Kcell %llu/%llu  elapsed %s  ETA %s  %.90s",
            (unsigned long long)p->done + 1, (unsigned long long)p->total, el, eta, label);
    fflush(p->out);
}

void progress_done(progress_t *p, const char *label, const char *status, uint64_t wall_ns)
{
    p->done++;
    if (p->tty) {
        /* failures stay visible above the progress line */
        if (status[0] && !(status[0] == 'o' && status[1] == 'k' && status[2] == '\0'))
            fprintf(p->out, "\r\033[K%s: %s\n", label, status);
        return;
    }
    char el[32], eta[32], w[32];
    progress_times(p, el, eta, sizeof el);
    progress_format_duration(wall_ns, w, sizeof w);
    fprintf(p->out, "[%llu/%llu] elapsed %s ETA %s  %s  %s (%s)\n", (unsigned long long)p->done,
            (unsigned long long)p->total, el, eta, label, status, w);
    fflush(p->out);
}

void progress_end(progress_t *p)
{
    if (p->tty) {
        fprintf(p->out, "\r\033[K");
        fflush(p->out);
    }
}
