# pb-bench-getput: per-thread ns per get+put pair of one 64 KiB buffer on bufpool or raw
# pool.h, the C side of scripts/bench-pool.sh's comparison with pb-go's pool_getput
# workloads (the same loop and arguments). Linked like the runners (counting front end
# over glibc), which a pool hit never reaches.
add_executable(pb-bench-getput ${CMAKE_CURRENT_LIST_DIR}/bench_getput.c)
target_link_libraries(pb-bench-getput PRIVATE pb_pool Threads::Threads)
pb_link_backend(pb-bench-getput glibc)
