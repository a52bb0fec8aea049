/* gate.h: `poolbench gate`, the nightly regression gate: baseline against candidate,
 * from saved journals or from two git revisions built side by side and run interleaved
 * (gate_runner.h), compared by gate_compare.h, confirmed by a rerun.
 * Exit codes: 0 pass, 1 regression, 2 inconclusive / no baseline / bad input, 3 harness.
 */
#ifndef PB_GATE_H
#define PB_GATE_H

#include "gate_compare.h"
#include "gate_runner.h"

int gate_main(int argc, char **argv);

#endif
