/* fuzz_tar_copy.c: libFuzzer target for the tar_copy kernel (workloads/tar_copy.c:
 * libarchive's tar reader into its pax-restricted writer through one pooled buffer) on
 * arbitrary archive bytes, with two pools: all classes pooled with Go's 64 KiB tar
 * buffer, and nothing pooled with a 512-byte tar buffer (many reads per entry). Every
 * 16 inputs the pool's cleanup epoch moves (fuzz_epoch.h).
 *
 * Oracles: no memory error, leak or UB (ASan, LSan, UBSan); the result is PB_OK or
 * PB_ERR_INPUT (never NOMEM or LIB without an allocation failure); on error the output is
 * empty (kernels.h); both pools give the same result and the same bytes; a copy is itself
 * an archive tar_copy accepts.
 * Seeds: tests/fuzz/corpus/tar_copy (small ustar, pax and GNU archives made by tar).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bufpool.h"
#include "fuzz_check.h"
#include "fuzz_epoch.h"
#include "kernels.h"

static bufpool_t *fuzz_tar_pools[2];
static kernel_params_t fuzz_tar_kp;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    bufpool_config_t cfg;
    char err[128];
    bufpool_config_default(&cfg);
    fuzz_tar_pools[0] = bufpool_create(&cfg);
    bufpool_config_default(&cfg);
    cfg.size_bytes[BUFPOOL_TAR] = 512;
    if (bufpool_policy_parse("none", &cfg, err, sizeof err) != 0)
        fuzz_check(0, "policy none rejected", err);
    fuzz_tar_pools[1] = bufpool_create(&cfg);
    fuzz_check(fuzz_tar_pools[0] && fuzz_tar_pools[1], "bufpool_create failed", "");
    kernel_params_default(&fuzz_tar_kp);
    return 0;
}

static void fuzz_tar_copy_check(pb_err_t err, const pb_bytes_t *out)
{
    fuzz_check(err == PB_OK || err == PB_ERR_INPUT, "tar_copy: result other than OK or INPUT",
               pb_err_name(err));
    if (err != PB_OK)
        fuzz_check(out->data == NULL && out->len_bytes == 0 && out->cap_bytes == 0,
                   "tar_copy: output left after an error", pb_err_name(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long runs;
    if (++runs % 16 == 0)
        fuzz_epoch_advance();
    pb_bytes_t out[2], again;
    pb_err_t err[2];
    memset(out, 0, sizeof out);
    memset(&again, 0, sizeof again);
    for (int p = 0; p < 2; p++) {
        err[p] = tar_copy_archive(fuzz_tar_pools[p], &fuzz_tar_kp, data, size, &out[p]);
        fuzz_tar_copy_check(err[p], &out[p]);
    }
    fuzz_check(err[0] == err[1], "tar_copy: the two pools give different results",
               pb_err_name(err[1]));
    if (err[0] == PB_OK) {
        fuzz_check(out[0].len_bytes == out[1].len_bytes &&
                   memcmp(out[0].data, out[1].data, out[0].len_bytes) == 0,
                   "tar_copy: the two pools give different bytes", "");
        pb_err_t e = tar_copy_archive(fuzz_tar_pools[0], &fuzz_tar_kp, out[0].data,
                                      out[0].len_bytes, &again);
        fuzz_check(e == PB_OK, "tar_copy: a copy is not an archive tar_copy accepts",
                   pb_err_name(e));
    }
    pb_bytes_free(&again);
    pb_bytes_free(&out[0]);
    pb_bytes_free(&out[1]);
    return 0;
}
