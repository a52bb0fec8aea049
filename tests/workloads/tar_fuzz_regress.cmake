# tests/workloads/tar_fuzz_regress.cmake: the tar kernels on the archives fuzzing found
# (tests/fuzz/corpus/tar_copy/regress-*.tar), in the normal build (glibc backend).
add_executable(test_tar_fuzz_regress ${CMAKE_CURRENT_LIST_DIR}/test_tar_fuzz_regress.c)
target_compile_definitions(test_tar_fuzz_regress PRIVATE
  PB_FUZZ_REGRESS_DIR="${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/tar_copy")
target_include_directories(test_tar_fuzz_regress PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_tar_fuzz_regress PRIVATE pb_workloads pb_pool ${CMOCKA_LIBRARIES})
pb_link_backend(test_tar_fuzz_regress glibc)
add_test(NAME workloads.tar_fuzz_regress COMMAND test_tar_fuzz_regress)
