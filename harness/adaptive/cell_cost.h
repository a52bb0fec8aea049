/* cell_cost.h: what one more cell of an arm costs, as the journal measured it.
 *
 * The engine journals cells as they finish, so the time from one cell's finished_unix_ns
 * to the next is what the later cell cost the run: process start, input loading,
 * warm-up, the timed window and the bookkeeping (with several jobs, its share of the
 * wall time). cell_cost_build keeps that gap for every cell but the first; a gap longer
 * than CELL_COST_MAX_GAP_S (a pause, a resume, another tool between two runs) says
 * nothing about the cell and is dropped. cell_cost_median_s gives the median gap over an
 * arm's cells: the estimate the adaptive repetitions budget with, in place of a guess
 * from the timed window (which overestimated a 75 ms image_tag cell's cost 3.7x, so the
 * comparison that most needed repetitions did not fit the budget).
 *
 * Guarantees: the journal's objects are only read and borrowed (free the table before
 * the journal); no output.
 */
#ifndef PB_CELL_COST_H
#define PB_CELL_COST_H

#include <json-c/json.h>
#include <stddef.h>

#define CELL_COST_MAX_GAP_S 60.0

typedef struct cell_cost_gap {
    const json_object *cell;     /* borrowed                                       */
    double gap_s;
} cell_cost_gap_t;

typedef struct cell_cost {
    cell_cost_gap_t *gaps;        /* sorted by cell pointer, for lookup             */
    size_t n;
} cell_cost_t;

/* The gap of each of cells[0..n_cells) that has a finished_unix_ns, measured against the
 * latest earlier finish among them. Returns 0, or -1 when out of memory (t is then
 * empty). */
int cell_cost_build(json_object *const *cells, size_t n_cells, cell_cost_t *t);

/* The median gap in seconds over the cells of one arm that have one, or -1 when none
 * has (the caller then falls back to its own estimate). */
double cell_cost_median_s(const cell_cost_t *t, json_object *const *cells, size_t n_cells);

void cell_cost_free(cell_cost_t *t);

#endif
