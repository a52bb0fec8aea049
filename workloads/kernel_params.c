/* kernel_params.c: the Go code's default sizes and thresholds for the kernels.
 *
 * Guarantees: kernel_params_default fills every field of kernel_params_t with the value
 * the Go pkg/memory callers use (KERNELS.md); the harness overrides fields afterwards.
 * Must not: allocate, or encode any size anywhere else (kernels read them from here).
 */
#include "kernels.h"

void kernel_params_default(kernel_params_t *p)
{
    p->checksum_direct_max_bytes = 4096;
    p->sum_checksum_pool_min_bytes = 1024;
    p->concurrent_min_bytes = (size_t)1 << 20;
    p->concurrent_min_chunk_bytes = 4096;
    p->min_workers = 2;
    p->tar_concurrent_files = 20;
    p->tar_concurrent_bytes = (size_t)10 << 20;
    p->tar_max_workers = 4;
    p->tar_out_initial_bytes = (size_t)64 << 10;
}
