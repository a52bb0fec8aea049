/* fuzz_epoch.h: the allocation front end's cleanup-cycle epoch for fuzz targets.
 *
 * For: the fuzz targets that run kernels on the pool (tar_read, tar_copy). pool.c reads
 * alloc_gc_epoch_counter, which the counting front end (allocators/alloc_front.c)
 * defines; the front end also defines malloc, which ASan must own, so fuzz targets link
 * without it and take the counter from fuzz_epoch.c instead.
 * Guarantees: the counter only moves when fuzz_epoch_advance is called, so a target
 * decides when the pool runs a cleanup cycle (victim cache moved, then dropped).
 */
#ifndef PB_FUZZ_EPOCH_H
#define PB_FUZZ_EPOCH_H

/* Starts a new cleanup-cycle epoch: the pool cleans on its next get or put. */
void fuzz_epoch_advance(void);

#endif
