# tests/allocators/threaded.cmake: the label "threaded" on the tests that run threads
# (exact counters under threads, pool stealing and cleanup cycles): the TSan subset,
# `ctest -L threaded` (scripts/test.sh --sanitize=thread).
foreach(_t test_alloc_contract_glibc allocators.pool allocators.pool_fence allocators.bufpool
        allocators.bufpool_debug)
  set_property(TEST ${_t} APPEND PROPERTY LABELS threaded)
endforeach()
