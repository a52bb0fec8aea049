/* fuzz_check.c: shared oracles of the fuzz targets (fuzz_check.h). */
#include "fuzz_check.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_check(int cond, const char *what, const char *detail)
{
    if (cond)
        return;
    fprintf(stderr, "fuzz_check: %s (%s)\n", what, detail ? detail : "");
    abort();
}

void fuzz_check_file_message(const char *path, const char *msg)
{
    size_t n = strlen(path);
    fuzz_check(strncmp(msg, path, n) == 0 && msg[n] == ':',
               "message does not start with the file name", msg);
    const char *p = msg + n + 1;
    fuzz_check(isdigit((unsigned char)*p), "message has no line number", msg);
    while (isdigit((unsigned char)*p))
        p++;
    fuzz_check(p[0] == ':' && p[1] == ' ' && p[2] != '\0', "message is not FILE:LINE: text",
               msg);
}
