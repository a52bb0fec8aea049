/* fuzz_tar_read.c: libFuzzer target for the tar_read kernel (workloads/tar_read.c,
 * libarchive's tar reader) on arbitrary archive bytes: the member "Dockerfile" read from
 * memory (tar_read_member) and from the file (tar_read_member_file, 10 KiB blocks and
 * seeks), each with two pools: all classes pooled with Go's 64 KiB tar buffer, and
 * nothing pooled with a 512-byte tar buffer (many reads per member). Every 16 inputs
 * the pool's cleanup epoch moves (fuzz_epoch.h).
 *
 * Oracles: no memory error, leak or UB (ASan, LSan, UBSan); the result is PB_OK,
 * PB_ERR_NOT_FOUND or PB_ERR_INPUT (never NOMEM, IO or LIB for bytes in memory or a
 * readable file); on error the output is empty (kernels.h); the four reads agree on the
 * result and, when found, on the member's bytes.
 * Seeds: tests/fuzz/corpus/tar_read (small ustar, pax and GNU archives made by tar).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bufpool.h"
#include "fuzz_check.h"
#include "fuzz_epoch.h"
#include "fuzz_input.h"
#include "kernels.h"

#define FUZZ_TAR_MEMBER "Dockerfile"

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

static void fuzz_tar_read_check(pb_err_t err, const pb_bytes_t *out)
{
    fuzz_check(err == PB_OK || err == PB_ERR_NOT_FOUND || err == PB_ERR_INPUT,
               "tar_read: result other than OK, NOT_FOUND or INPUT", pb_err_name(err));
    if (err != PB_OK)
        fuzz_check(out->data == NULL && out->len_bytes == 0 && out->cap_bytes == 0,
                   "tar_read: output left after an error", pb_err_name(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long runs;
    if (++runs % 16 == 0)
        fuzz_epoch_advance();
    char path[FUZZ_INPUT_PATH_BYTES];
    fuzz_input_path(data, size, path);
    pb_bytes_t out[4];
    pb_err_t err[4];
    memset(out, 0, sizeof out);
    for (int p = 0; p < 2; p++) {
        err[2 * p] = tar_read_member(fuzz_tar_pools[p], &fuzz_tar_kp, data, size,
                                     FUZZ_TAR_MEMBER, &out[2 * p]);
        err[2 * p + 1] = tar_read_member_file(fuzz_tar_pools[p], &fuzz_tar_kp, path,
                                              FUZZ_TAR_MEMBER, &out[2 * p + 1]);
    }
    for (int i = 0; i < 4; i++) {
        fuzz_tar_read_check(err[i], &out[i]);
        fuzz_check(err[i] == err[0], "tar_read: memory and file readers or pools disagree",
                   pb_err_name(err[i]));
        if (err[i] == PB_OK)
            fuzz_check(out[i].len_bytes == out[0].len_bytes &&
                       (out[0].len_bytes == 0 ||
                        memcmp(out[i].data, out[0].data, out[0].len_bytes) == 0),
                       "tar_read: the readers return different member bytes", "");
    }
    for (int i = 0; i < 4; i++)
        pb_bytes_free(&out[i]);
    return 0;
}
