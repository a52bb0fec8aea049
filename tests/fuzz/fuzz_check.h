/* fuzz_check.h: the oracles the fuzz targets share, beyond "no crash, no leak, no UB"
 * (ASan, LeakSanitizer and UBSan give those).
 *
 * For: the parsers' documented error contract: every rejected file gets exactly one
 * message "FILE:LINE: what is wrong" naming the file it was given.
 * Guarantees: a broken contract aborts with the message (libFuzzer saves the input as a
 * crash artifact), so a fuzz run fails on it like on a memory error.
 */
#ifndef PB_FUZZ_CHECK_H
#define PB_FUZZ_CHECK_H

/* Aborts unless msg is "PATH:LINE: text" with LINE a decimal number and text not empty. */
void fuzz_check_file_message(const char *path, const char *msg);

/* Aborts with "fuzz_check: what (detail)" when cond is false. */
void fuzz_check(int cond, const char *what, const char *detail);

#endif
