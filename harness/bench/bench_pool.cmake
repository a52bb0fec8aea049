# pb-bench-pool: ns per get+put of a 64 KiB hash-class buffer (bufpool with and without
# zeroing, pool.h raw, a global-mutex control) versus malloc+free and calloc+free, on one
# and two threads, through the counting front end with glibc. pb-bench-pool-<backend>
# builds the same for every other backend; the umbrella target pb-bench-pool-all builds all.
add_custom_target(pb-bench-pool-all)
foreach(b IN LISTS PB_BACKENDS)
  if(b STREQUAL "glibc")
    set(_exe pb-bench-pool)
  else()
    set(_exe pb-bench-pool-${b})
  endif()
  add_executable(${_exe} ${CMAKE_CURRENT_LIST_DIR}/bench_pool.c)
  # every malloc/calloc/free must reach the allocator (no builtin pairing-away)
  target_compile_options(${_exe} PRIVATE -fno-builtin-malloc -fno-builtin-calloc
                         -fno-builtin-free)
  target_link_libraries(${_exe} PRIVATE pb_pool Threads::Threads)
  pb_link_backend(${_exe} ${b})
  add_dependencies(pb-bench-pool-all ${_exe})
endforeach()
