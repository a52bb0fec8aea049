# tests/workloads/tark.cmake: tests of gen, the tar kernels (tar_create, tar_read,
# tar_copy) and build, against the glibc backend through the counting front end (its
# fault injection and live-byte counters drive the allocation-failure loops).
# test_tar and test_build run GNU tar (`tar` on PATH) to list and extract archives.
foreach(_t gen tar build)
  add_executable(test_${_t} ${CMAKE_CURRENT_LIST_DIR}/test_${_t}.c)
  target_include_directories(test_${_t} PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(test_${_t} PRIVATE pb_workloads pb_pool ${CMOCKA_LIBRARIES}
                        OpenSSL::Crypto LibArchive::LibArchive Threads::Threads)
  pb_link_backend(test_${_t} glibc)
  add_test(NAME workloads.${_t} COMMAND test_${_t})
endforeach()
