# harness/driver.cmake: build/bin/poolbench, the driver (matrix, report, compare, merge,
# gate, calibrate, history),
# and pb_driver, the library of its modules that the tests link.
add_library(pb_driver STATIC
  ${CMAKE_CURRENT_LIST_DIR}/scenario.c
  ${CMAKE_CURRENT_LIST_DIR}/matrix.c
  ${CMAKE_CURRENT_LIST_DIR}/cell.c
  ${CMAKE_CURRENT_LIST_DIR}/journal.c
  ${CMAKE_CURRENT_LIST_DIR}/context.c
  ${CMAKE_CURRENT_LIST_DIR}/progress.c
  ${CMAKE_CURRENT_LIST_DIR}/hyperfine.c
  ${CMAKE_CURRENT_LIST_DIR}/summary.c
  ${CMAKE_CURRENT_LIST_DIR}/util.c)
target_include_directories(pb_driver PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(pb_driver PRIVATE PB_GIT_COMMIT="${PB_GIT_COMMIT}")
# pb_stats is defined by harness/stats.cmake (included after this file; resolved at generate time)
target_link_libraries(pb_driver PUBLIC pb_stats OpenSSL::Crypto PkgConfig::JSONC PkgConfig::INIH
                      Threads::Threads m)

add_executable(poolbench ${CMAKE_CURRENT_LIST_DIR}/poolbench.c)
target_compile_definitions(poolbench PRIVATE PB_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
# report, gate, calibrate and history are defined by outputs.cmake and gate.cmake
target_link_libraries(poolbench PRIVATE pb_driver pb_report pb_gate)
# messages are bounded on purpose (snprintf into fixed buffers)
target_compile_options(pb_driver PRIVATE -Wno-format-truncation)
target_compile_options(poolbench PRIVATE -Wno-format-truncation)
