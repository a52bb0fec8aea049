/* util.h: small helpers the driver's commands share (poolbench, gate, calibrate, the
 * runner's input cache): creating folders, locating the executable, comma lists, growing
 * an array. Nothing here prints or exits; only util_grow allocates.
 */
#ifndef PB_UTIL_H
#define PB_UTIL_H

#include <stddef.h>

/* mkdir -p: creates path and its missing parents (mode 0755). 0, or -1 with errno. */
int util_mkdir_p(const char *path);

/* The folder of the running executable (/proc/self/exe), or "." when unknown. */
void util_exe_dir(char *out, size_t cap);

/* Makes room for element n of the array *p of *cap elements of elem bytes: doubles the
 * capacity (16 at first) when n reaches it, zeroing the new part. 0, or -1 (out of
 * memory: *p and *cap unchanged). */
int util_grow(void **p, size_t *cap, size_t n, size_t elem);

/* Is name one of the comma-separated words of list? A NULL list contains everything. */
int util_list_has(const char *list, const char *name);

/* The first executable NAME in $PATH (default /usr/local/bin:/usr/bin:/bin) into out.
 * Returns 0, or -1 when there is none (out is then ""). */
int util_find_in_path(const char *name, char *out, size_t cap);

#endif
