/* fuzz_epoch.c: alloc_gc_epoch_counter for fuzz targets linked without the front end
 * (fuzz_epoch.h). */
#include "fuzz_epoch.h"

#include <stdatomic.h>
#include <stdint.h>

_Atomic uint64_t alloc_gc_epoch_counter;

void fuzz_epoch_advance(void)
{
    atomic_fetch_add_explicit(&alloc_gc_epoch_counter, 1, memory_order_release);
}
