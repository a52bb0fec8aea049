/* fuzz_thresholds.c: libFuzzer target for the thresholds file (thresholds_load,
 * harness/decide/thresholds.c: the UTF-8 check, libinih, the key table), then its JSON
 * (thresholds_json) as the report writes it.
 *
 * Oracles: no memory error, leak or UB (ASan, LSan, UBSan); a rejected file gets one
 * "FILE:LINE: text" message (fuzz_check.h) and leaves the thresholds at the defaults
 * (thresholds.h); accepted thresholds give finite positive ratio limits, alpha in
 * (0, 0.5], a confidence level in [0.5, 1), at least 4 samples per arm and a named
 * reference backend.
 * Seeds: tests/fuzz/corpus/thresholds (scenarios/thresholds.ini and variants).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "stats.h"
#include "thresholds.h"

static int fuzz_thresholds_ratio_ok(double r)
{
    return isfinite(r) && r > 0.0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[FUZZ_INPUT_PATH_BYTES];
    fuzz_input_path(data, size, path);
    thresholds_t t, d;
    thresholds_default(&d);
    char err[THRESHOLDS_ERR_BYTES];
    if (thresholds_load(path, &t, err) != 0) {
        fuzz_check_file_message(path, err);
        fuzz_check(memcmp(&t, &d, sizeof t) == 0, "rejected file changed the thresholds", path);
        return 0;
    }
    fuzz_check(strcmp(t.source, path) == 0, "source is not the file read", t.source);
    fuzz_check(fuzz_thresholds_ratio_ok(thresholds_keep_time_ratio(&t)) &&
               fuzz_thresholds_ratio_ok(thresholds_keep_memory_ratio(&t)) &&
               fuzz_thresholds_ratio_ok(thresholds_keep_pressure_ratio(&t)) &&
               fuzz_thresholds_ratio_ok(thresholds_worse_ratio(&t)) &&
               fuzz_thresholds_ratio_ok(thresholds_equivalence_margin(&t)),
               "a ratio limit is not finite and positive", path);
    fuzz_check(t.alpha > 0.0 && t.alpha <= 0.5, "alpha out of (0, 0.5]", path);
    fuzz_check(t.confidence_level >= 0.5 && t.confidence_level < 1.0,
               "confidence level out of [0.5, 1)", path);
    fuzz_check(t.min_samples_per_arm >= 4, "fewer than 4 samples per arm", path);
    fuzz_check(t.bootstrap_resamples >= STATS_BOOTSTRAP_MIN_RESAMPLES,
               "too few bootstrap resamples", path);
    fuzz_check(t.reference_backend[0] != '\0', "no reference backend", path);
    json_object *j = thresholds_json(&t);
    fuzz_check(j != NULL, "thresholds_json failed", path);
    fuzz_check(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN) != NULL,
               "thresholds JSON does not serialize", path);
    json_object_put(j);
    return 0;
}
