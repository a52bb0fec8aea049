/* fuzz_scenario.c: libFuzzer target for scenario files (scenario_load, harness/plan:
 * the line scanner, libinih and the key table), then the expansion into cells and the
 * plan of a scenario that loaded (fuzz_plan.h).
 *
 * Oracles: no memory error, leak or UB (ASan, LSan, UBSan); a rejected file gets one
 * "FILE:LINE: text" message (fuzz_check.h); a loaded scenario has a name, a workload
 * and at least one backend and policy, as scenario.h promises.
 * Seeds: tests/fuzz/corpus/scenario (the real scenarios/NAME.ini).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "fuzz_plan.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[FUZZ_INPUT_PATH_BYTES];
    fuzz_input_path(data, size, path);
    static scenario_t sc;
    char err[SCENARIO_ERR_BYTES] = "";
    memset(&sc, 0, sizeof sc);
    if (scenario_load(path, &sc, err) != 0) {
        fuzz_check_file_message(path, err);
        return 0;
    }
    fuzz_check(sc.name[0] != '\0', "loaded scenario without a name", path);
    fuzz_check(sc.workload[0] != '\0', "loaded scenario without a workload", path);
    fuzz_check(sc.backends.n > 0 && sc.backends.n <= SCENARIO_MAX_LIST,
               "loaded scenario without backends", path);
    fuzz_check(sc.policies.n > 0 && sc.policies.n <= SCENARIO_MAX_LIST,
               "loaded scenario without policies", path);
    fuzz_plan_expand(&sc, 1);
    return 0;
}
