# harness/stats.cmake: pb_stats, the dependency-free statistics library (harness/stats.c).
# -ffp-contract=off keeps results bit-identical across architectures (no fused
# multiply-adds chosen differently by the compiler on e.g. aarch64).
add_library(pb_stats STATIC ${CMAKE_CURRENT_LIST_DIR}/stats.c)
target_include_directories(pb_stats PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_options(pb_stats PRIVATE -ffp-contract=off)
target_link_libraries(pb_stats PUBLIC m)
