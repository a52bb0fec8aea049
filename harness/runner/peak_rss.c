/* peak_rss.c: VmHWM of /proc/self/status (peak_rss.h), the runner's own peak resident
 * set, immune to the parent's high-water mark that ru_maxrss inherits at exec. */
#include "peak_rss.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int peak_rss_parse_bytes(const char *status_text, uint64_t *out_bytes)
{
    static const char key[] = "VmHWM:";
    for (const char *line = status_text; line && *line;) {
        if (strncmp(line, key, sizeof key - 1) == 0) {
            const char *p = line + sizeof key - 1;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p < '0' || *p > '9')
                return -1;
            uint64_t kib = 0;
            for (; *p >= '0' && *p <= '9'; p++) {
                if (kib > UINT64_MAX / 10240u)   /* kib * 10 + 9, in bytes, fits */
                    return -1;
                kib = kib * 10u + (uint64_t)(*p - '0');
            }
            if (strncmp(p, " kB", 3) != 0)
                return -1;
            *out_bytes = kib * 1024u;
            return 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

int peak_rss_read_bytes(uint64_t *out_bytes)
{
    char buf[4096];
    int fd;
    do
        fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    size_t n = 0;
    while (n < sizeof buf - 1) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return peak_rss_parse_bytes(buf, out_bytes);
}
