/* calibrate_json.h: calibration.json (format in calibrate.h, schema_version 1).
 * Guarantees: every field of the format, in its order; non-finite numbers and rates
 * without comparisons are null. What it must not do: compute statistics
 * (calibrate_stats.c does).
 */
#ifndef PB_CALIBRATE_JSON_H
#define PB_CALIBRATE_JSON_H

#include "calibrate_stats.h"

/* Writes calibration.json to path (pretty-printed). Returns 0, or -1 (out of memory or
 * cannot write). */
int calibrate_json_write(const char *path, const calibrate_setup_t *setup,
                         const calibrate_stats_t *s);

#endif
