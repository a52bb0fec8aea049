/* fuzz_plan.h: what the scenario and matrix targets do with scenarios that loaded:
 * expand them into cells and plan a run, as `poolbench matrix` does next.
 *
 * For: fuzz_scenario and fuzz_matrix. Guarantees: only scenarios of at most
 * FUZZ_PLAN_MAX_CELLS cells are expanded (a fuzzed file may ask for millions, which is
 * legal and only slow); every cell gets 64-hex keys, every planned unit points at a cell,
 * and the matrix hash is 64 hex digits; a broken one aborts (fuzz_check.h).
 */
#ifndef PB_FUZZ_PLAN_H
#define PB_FUZZ_PLAN_H

#include <stddef.h>
#include "scenario.h"

#define FUZZ_PLAN_MAX_CELLS 512

/* Expands and plans scs[0..n) when small enough; checks the result. */
void fuzz_plan_expand(const scenario_t *scs, size_t n);

#endif
