# tests/allocators/pool.cmake: tests of the sync.Pool model (pool.c) and the pkg/memory
# wrapper (bufpool.c), linked through the counting front end with the glibc backend.
# test_bufpool_debug builds the same test with PB_POOL_DEBUG defined on its own copy of
# pool.c and bufpool.c (the shared pb_pool library stays a release build), so misuse
# detection (double put, write after put) is tested in every configuration.
foreach(_t pool bufpool)
  add_executable(test_${_t} ${CMAKE_CURRENT_LIST_DIR}/test_${_t}.c)
  target_include_directories(test_${_t} PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(test_${_t} PRIVATE pb_pool ${CMOCKA_LIBRARIES} Threads::Threads)
  pb_link_backend(test_${_t} glibc)
  add_test(NAME allocators.${_t} COMMAND test_${_t})
endforeach()

# the same pool tests with the fence fallback instead of membarrier
add_test(NAME allocators.pool_fence COMMAND test_pool)
set_tests_properties(allocators.pool_fence PROPERTIES ENVIRONMENT PB_POOL_FORCE_FENCE=1)

add_executable(test_bufpool_debug ${CMAKE_CURRENT_LIST_DIR}/test_bufpool.c
               ${PROJECT_SOURCE_DIR}/allocators/pool.c
               ${PROJECT_SOURCE_DIR}/allocators/bufpool.c)
target_include_directories(test_bufpool_debug PRIVATE ${PROJECT_SOURCE_DIR}/allocators
                           ${CMOCKA_INCLUDE_DIR})
target_compile_definitions(test_bufpool_debug PRIVATE PB_POOL_DEBUG=1)
target_link_libraries(test_bufpool_debug PRIVATE ${CMOCKA_LIBRARIES} Threads::Threads)
pb_link_backend(test_bufpool_debug glibc)
add_test(NAME allocators.bufpool_debug COMMAND test_bufpool_debug)
