/* scenario_keys.h: the scenario keys, for the loaders of pb_plan only (scenario_file.c,
 * scenario_matrix.c); callers outside plan/ use scenario.h.
 *
 * Guarantees: one table of keys (section, name, kind, limits) behind these functions, so
 * a scenario file and a matrix override accept exactly the same values with the same
 * messages. Messages have no "FILE:LINE: " prefix: the loaders add it.
 * Must not: read files, print, exit.
 */
#ifndef PB_SCENARIO_KEYS_H
#define PB_SCENARIO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

typedef struct scenario_key scenario_key_t;   /* one row of the key table */

/* The key called name (names are unique across sections), or NULL. */
const scenario_key_t *scenario_key_find(const char *name);

/* The section a key belongs in ("scenario", "input", "run" or "pool"). */
const char *scenario_key_section(const scenario_key_t *k);

/* The key's bit in scenario_t.seen_mask. */
uint64_t scenario_key_bit(const scenario_key_t *k);

/* The names of the keys of a section, joined by ", " ("" for an unknown section). */
void scenario_keys_of_section(const char *section, char *out, size_t cap);

/* Is section one of the four sections of a scenario file? */
int scenario_section_known(const char *section);

/* Parses value for key k into sc. Returns 0, or -1 with msg. */
int scenario_key_set(scenario_t *sc, const scenario_key_t *k, const char *value, char *msg,
                     size_t cap);

/* A scenario before its file is read: every optional key at the runner's default. */
void scenario_defaults(scenario_t *sc);

/* Cross-key checks after all keys are in (required keys, mode and processes, buffer_size
 * against hash_size/tar_size). Returns 0, or -1 with msg. */
int scenario_validate(const scenario_t *sc, char *msg, size_t cap);

/* Trims leading and trailing white space in place. */
void scenario_trim(char *s);

#endif
