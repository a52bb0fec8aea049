/* fuzz_input.h: hands a libFuzzer input to a parser that takes a path.
 *
 * For: the fuzz targets of tests/fuzz whose parser opens a file (scenario, matrix,
 * thresholds, journal, tar_read's file reader). The input is written to one memfd per
 * process (no file on disk, nothing to clean up) and named by its /proc/self/fd path.
 * Guarantees: the file holds exactly the input's bytes (truncated to its size) when
 * fuzz_input_path returns; a failure to write it aborts (a harness fault, never a
 * finding of the parser).
 */
#ifndef PB_FUZZ_INPUT_H
#define PB_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_INPUT_PATH_BYTES 64

/* Writes data[0..size) to the process's memfd and puts its path in path. */
void fuzz_input_path(const uint8_t *data, size_t size, char path[FUZZ_INPUT_PATH_BYTES]);

#endif
