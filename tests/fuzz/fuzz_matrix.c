/* fuzz_matrix.c: libFuzzer target for matrix files (scenario_matrix_load, harness/plan)
 * and the scenario set of a run (scenario_load_set: the matrix's scenarios read from
 * the repository's scenarios/ folder, its overrides applied), then the expansion and
 * plan of that set (fuzz_plan.h), as `poolbench matrix --matrix FILE` does.
 *
 * Oracles: no memory error, leak or UB (ASan, LSan, UBSan); a rejected matrix file gets
 * one "FILE:LINE: text" message naming it (fuzz_check.h); a loaded matrix has a name and
 * at least one entry; a loaded set has 1..64 scenarios and the matrix's name.
 * Seeds: tests/fuzz/corpus/matrix (the real scenarios/NAME.matrix and small ones).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "fuzz_plan.h"
#include "scenario.h"

#ifndef PB_SCENARIOS_DIR
#error "PB_SCENARIOS_DIR (the repository's scenarios/ folder) must be defined"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[FUZZ_INPUT_PATH_BYTES];
    fuzz_input_path(data, size, path);
    scenario_matrix_t m;
    char err[SCENARIO_ERR_BYTES] = "";
    if (scenario_matrix_load(path, &m, err) != 0) {
        fuzz_check_file_message(path, err);
        fuzz_check(m.entries == NULL && m.n_entries == 0, "failed load left entries", path);
        return 0;
    }
    fuzz_check(m.name[0] != '\0' && m.n_entries > 0, "loaded matrix without name or entries",
               path);
    char name[SCENARIO_NAME_BYTES];
    snprintf(name, sizeof name, "%s", m.name);
    scenario_matrix_free(&m);

    scenario_t *scs = NULL;
    size_t n = 0;
    char matrix_name[SCENARIO_NAME_BYTES] = "";
    int rc = scenario_load_set(path, NULL, PB_SCENARIOS_DIR, PB_SCENARIOS_DIR, &scs, &n,
                               matrix_name, err);
    fuzz_check(rc == 0 || rc == -1, "scenario_load_set ran out of memory", path);
    if (rc != 0) {
        fuzz_check(scs == NULL, "failed set load left scenarios", path);
        fuzz_check(err[0] != '\0', "failed set load without a message", path);
        return 0;
    }
    fuzz_check(n >= 1 && n <= 64, "loaded set of a bad size", path);
    fuzz_check(strcmp(matrix_name, name) == 0, "set's matrix name differs from the file's",
               matrix_name);
    fuzz_plan_expand(scs, n);
    free(scs);
    return 0;
}
