# tests/workloads/hashk.cmake: tests of the hashing kernels (checksum, sum_checksum,
# checksum_concurrent) and image_tag, run against the glibc backend through the counting
# front end (its fault injection and live-byte counters are what the leak checks use).
foreach(_t checksum checksum_concurrent image_tag)
  add_executable(test_${_t} ${CMAKE_CURRENT_LIST_DIR}/test_${_t}.c)
  target_include_directories(test_${_t} PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(test_${_t} PRIVATE pb_workloads pb_pool ${CMOCKA_LIBRARIES}
                        OpenSSL::Crypto Threads::Threads)
  pb_link_backend(test_${_t} glibc)
  add_test(NAME workloads.${_t} COMMAND test_${_t})
endforeach()
