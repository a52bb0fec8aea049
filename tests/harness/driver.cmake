# tests/harness/driver.cmake: cmocka tests of the driver's modules (scenario files,
# matrix expansion/keys/shards, journal recovery, cell isolation) and an end-to-end check
# of poolbench with a fake runner (scripted, so it needs no kernels).
foreach(t scenario matrix journal cell)
  add_executable(test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
  target_include_directories(test_${t} PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(test_${t} PRIVATE pb_driver ${CMOCKA_LIBRARIES})
  target_compile_options(test_${t} PRIVATE -Wno-format-truncation)
  add_test(NAME test_${t} COMMAND test_${t})
endforeach()
