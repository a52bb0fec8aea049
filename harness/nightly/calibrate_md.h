/* calibrate_md.h: calibration.md, the Markdown of a calibration (also printed by
 * `poolbench calibrate`): what was run, one row per workload (false alarms, CI
 * half-width, detections per slowdown, smallest detectable slowdown and resolvable
 * difference), the overall counts and how to read them.
 * Guarantees: writes only to the FILE given. What it must not do: compute statistics
 * (calibrate_stats.c does).
 */
#ifndef PB_CALIBRATE_MD_H
#define PB_CALIBRATE_MD_H

#include <stdio.h>
#include "calibrate_stats.h"

void calibrate_md_write(FILE *f, const calibrate_setup_t *setup, const calibrate_stats_t *s);

#endif
