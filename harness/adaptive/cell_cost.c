/* cell_cost.c: what one more cell of an arm costs, from the journal's finish times
 * (cell_cost.h). */
#include "cell_cost.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct cc_finish {
    const json_object *cell;
    int64_t finished_ns;
} cc_finish_t;

static int cc_by_finish(const void *x, const void *y)
{
    const cc_finish_t *a = x, *b = y;
    return a->finished_ns < b->finished_ns ? -1 : a->finished_ns > b->finished_ns;
}

static int cc_by_cell(const void *x, const void *y)
{
    uintptr_t a = (uintptr_t)((const cell_cost_gap_t *)x)->cell;
    uintptr_t b = (uintptr_t)((const cell_cost_gap_t *)y)->cell;
    return a < b ? -1 : a > b;
}

static int cc_double_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int cell_cost_build(json_object *const *cells, size_t n_cells, cell_cost_t *t)
{
    memset(t, 0, sizeof *t);
    cc_finish_t *f = malloc((n_cells + 1) * sizeof *f);
    t->gaps = malloc((n_cells + 1) * sizeof *t->gaps);
    if (!f || !t->gaps) {
        free(f);
        cell_cost_free(t);
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < n_cells; i++) {
        json_object *v;
        if (!cells[i] || !json_object_object_get_ex(cells[i], "finished_unix_ns", &v) ||
            !json_object_is_type(v, json_type_int))
            continue;
        f[n++] = (cc_finish_t){cells[i], json_object_get_int64(v)};
    }
    qsort(f, n, sizeof *f, cc_by_finish);
    for (size_t i = 1; i < n; i++) {
        double gap_s = (double)(f[i].finished_ns - f[i - 1].finished_ns) / 1e9;
        if (gap_s >= 0 && gap_s <= CELL_COST_MAX_GAP_S)
            t->gaps[t->n++] = (cell_cost_gap_t){f[i].cell, gap_s};
    }
    free(f);
    qsort(t->gaps, t->n, sizeof *t->gaps, cc_by_cell);
    return 0;
}

double cell_cost_median_s(const cell_cost_t *t, json_object *const *cells, size_t n_cells)
{
    double *g = malloc((n_cells + 1) * sizeof *g);
    if (!g)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < n_cells; i++) {
        cell_cost_gap_t key = {cells[i], 0};
        const cell_cost_gap_t *hit =
            t->n ? bsearch(&key, t->gaps, t->n, sizeof *t->gaps, cc_by_cell) : NULL;
        if (hit)
            g[n++] = hit->gap_s;
    }
    double med = -1;
    if (n > 0) {
        qsort(g, n, sizeof *g, cc_double_cmp);
        med = n % 2 ? g[n / 2] : (g[n / 2 - 1] + g[n / 2]) / 2;
    }
    free(g);
    return med;
}

void cell_cost_free(cell_cost_t *t)
{
    free(t->gaps);
    t->gaps = NULL;
    t->n = 0;
}
