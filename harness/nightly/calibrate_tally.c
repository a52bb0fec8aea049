/* calibrate_tally.c: records the gate's rows of each calibration run per workload
 * (calibrate_tally.h).
 * Guarantees: every allocation checked. What it must not do: print, write files.
 */
#include "calibrate_tally.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static calibrate_tally_workload_t *calibrate_tally_find(calibrate_tally_t *t, const gate_row_t *r)
{
    for (size_t i = 0; i < t->n_workloads; i++) {
        calibrate_tally_workload_t *w = &t->workloads[i];
        if (!strcmp(w->scenario, r->scenario) && !strcmp(w->backend, r->backend) &&
            !strcmp(w->policy, r->policy) && !strcmp(w->variant, r->variant))
            return w;
    }
    calibrate_tally_workload_t *p = realloc(t->workloads, (t->n_workloads + 1) * sizeof *p);
    if (!p)
        return NULL;
    t->workloads = p;
    calibrate_tally_workload_t *w = &p[t->n_workloads++];
    memset(w, 0, sizeof *w);
    snprintf(w->scenario, sizeof w->scenario, "%s", r->scenario);
    snprintf(w->backend, sizeof w->backend, "%s", r->backend);
    snprintf(w->policy, sizeof w->policy, "%s", r->policy);
    snprintf(w->variant, sizeof w->variant, "%s", r->variant);
    return w;
}

int calibrate_tally_absorb(calibrate_tally_t *t, const gate_report_t *r, int kind, unsigned run)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        const gate_row_t *row = &r->rows[i];
        calibrate_tally_workload_t *w = calibrate_tally_find(t, row);
        if (!w)
            return -1;
        int ir = !strcmp(row->metric, "instructions");
        if (row->status == GATE_REGRESSION) {
            w->flagged[kind][run] = 1;
            if (ir)
                w->flagged_ir[kind][run] = 1;
            else if (!strcmp(row->metric, "ns_per_op"))
                w->flagged_time[kind][run] = 1;
        }
        if (ir && !isnan(row->ratio)) {
            w->have_ir[kind][run] = 1;
            w->ratio_ir[kind][run] = row->ratio;
        }
        if (!strcmp(row->metric, "ns_per_op") && !isnan(row->ratio)) {
            w->have[kind][run] = 1;
            w->ratio[kind][run] = row->ratio;
            w->lo[kind][run] = row->lo;
            w->hi[kind][run] = row->hi;
        }
    }
    return 0;
}

void calibrate_tally_free(calibrate_tally_t *t)
{
    free(t->workloads);
    t->workloads = NULL;
    t->n_workloads = 0;
}
