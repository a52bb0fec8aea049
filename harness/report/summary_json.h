/* summary_json.h: DIR/summary.json, the machine-readable verdicts of a report.
 *
 * What it is for: everything analysis.h decided, with the raw samples behind every
 * comparison, so any statistics package can recompute each p-value and CI
 * (scripts/verify_summary.py does). Schema (schema_version 1): schema_version, context,
 * thresholds, comparisons, verdicts, class_verdicts, overall {verdict, keep,
 * inconclusive}, allocator_vs_pool, zeroing_cost, warnings, failed_cells,
 * pool_code_lines, holm_family_size. Undefined numbers (NAN) are JSON null.
 * Guarantees: the file is written to DIR/summary.json.tmp and renamed, so a reader never
 * sees half a file. What it must not do: print, exit, or recompute anything.
 */
#ifndef PB_SUMMARY_JSON_H
#define PB_SUMMARY_JSON_H

#include <json-c/json.h>
#include "analysis.h"

#define SUMMARY_JSON_FILE "summary.json"
#define SUMMARY_JSON_SCHEMA_VERSION 2

/* The summary as a new json object; NULL on out of memory. */
json_object *summary_json_build(const analysis_model_t *m);

/* Writes DIR/summary.json. Returns 0, or -1 with err ("PATH: reason"). */
int summary_json_write(const analysis_model_t *m, const char *dir, char *err, size_t err_cap);

#endif
