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

# end to end: malformed files, SIGKILL of a child, SIGINT + --resume, busy folder, shards
# and merge, RSS of a 200 MiB cell (runs pb-glibc; about a minute)
add_test(NAME driver_e2e COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_driver.sh ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(driver_e2e PROPERTIES LABELS slow TIMEOUT 600)
