/* interrupt.h: the one SIGINT/SIGTERM handling of the driver (matrix, gate, calibrate).
 *
 * interrupt_install() makes SIGINT and SIGTERM set interrupt_signal (the signal number)
 * instead of killing the process, and ignores SIGPIPE, so a command can stop its running
 * cell, write nothing partial and tell the user how to resume. Every loop that runs cells
 * polls interrupt_signal and passes &interrupt_signal to cell_run / cell_run_group, which
 * stop their children when it becomes non-zero.
 */
#ifndef PB_INTERRUPT_H
#define PB_INTERRUPT_H

#include <signal.h>

extern volatile sig_atomic_t interrupt_signal;

void interrupt_install(void);

#endif
