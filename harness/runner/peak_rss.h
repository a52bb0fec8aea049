/* peak_rss.h: the peak resident set of this process's own address space.
 *
 * Why not getrusage/wait4's ru_maxrss: Linux copies the old address space's high-water
 * mark into the process's ru_maxrss at exec (fs/exec.c, exec_mmap: setmax_mm_hiwater_rss
 * of the old mm), and a posix_spawn'd child's old mm is its parent's. So a runner spawned
 * by a driver that has grown to 30 MB reports at least 30 MB whatever it used itself: in
 * the quick matrix the cells of the second and third adaptive looks reported the driver's
 * 28-31 MB where the same cells of the first look reported their own 10-25 MB.
 *
 * VmHWM of /proc/self/status is the high-water mark of the current mm, which exec makes
 * new: the process's own peak, input loading, warm-up and timed window included.
 *
 * Guarantees: peak_rss_read_bytes never allocates, prints or exits; it reads one small
 * file with a stack buffer and returns -1 (out untouched) when it cannot be read or
 * holds no VmHWM line (not Linux, /proc not mounted).
 */
#ifndef PB_PEAK_RSS_H
#define PB_PEAK_RSS_H

#include <stdint.h>

/* The VmHWM line of /proc/self/status in bytes. 0 on success, -1 when unavailable. */
int peak_rss_read_bytes(uint64_t *out_bytes);

/* Parse VmHWM out of a /proc/PID/status text (NUL-terminated): 0 and *out_bytes, or -1
 * when there is no well-formed "VmHWM:<spaces><digits> kB" line. */
int peak_rss_parse_bytes(const char *status_text, uint64_t *out_bytes);

#endif
