/* interrupt.c: SIGINT/SIGTERM into a flag (interrupt.h). */
#include "interrupt.h"

#include <string.h>

volatile sig_atomic_t interrupt_signal;

static void interrupt_on_signal(int sig) { interrupt_signal = sig; }

void interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = interrupt_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
