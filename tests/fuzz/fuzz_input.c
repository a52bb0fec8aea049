/* fuzz_input.c: the input of a fuzz target as a file (fuzz_input.h). */
#define _GNU_SOURCE
#include "fuzz_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int fuzz_input_fd = -1;

static void fuzz_input_die(const char *what)
{
    perror(what);
    abort();
}

void fuzz_input_path(const uint8_t *data, size_t size, char path[FUZZ_INPUT_PATH_BYTES])
{
    if (fuzz_input_fd < 0) {
        fuzz_input_fd = memfd_create("pb-fuzz-input", MFD_CLOEXEC);
        if (fuzz_input_fd < 0)
            fuzz_input_die("fuzz_input: memfd_create");
    }
    if (ftruncate(fuzz_input_fd, 0) != 0)
        fuzz_input_die("fuzz_input: ftruncate");
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fuzz_input_fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            fuzz_input_die("fuzz_input: pwrite");
        done += (size_t)n;
    }
    snprintf(path, FUZZ_INPUT_PATH_BYTES, "/proc/self/fd/%d", fuzz_input_fd);
}
