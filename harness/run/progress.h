/* progress.h: progress of a matrix run on stderr.
 *
 * On a terminal: one line rewritten in place ("cell k/n  elapsed  ETA  label"). Not on a
 * terminal (CI logs): one plain line per finished cell. ETA is the mean time per finished
 * unit times the units left. The only output of this module goes to the stream given.
 */
#ifndef PB_PROGRESS_H
#define PB_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct progress {
    FILE *out;
    int tty;
    uint64_t start_ns;
    uint64_t total;
    uint64_t done;
} progress_t;

void progress_init(progress_t *p, FILE *out, uint64_t total);
/* Before a unit starts (terminal only: shows what runs now). */
void progress_start(progress_t *p, const char *label);
/* After a unit: status text, its wall time. */
void progress_done(progress_t *p, const char *label, const char *status, uint64_t wall_ns);
/* Ends the in-place line. */
void progress_end(progress_t *p);
/* "1h02m03s" */
void progress_format_duration(uint64_t ns, char *buf, size_t cap);

#endif
