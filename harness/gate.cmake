# harness/gate.cmake: pb_gate, the regression gate (gate.c: `poolbench gate`), the
# calibration of the gate on this machine (calibrate.c: `poolbench calibrate`) and the
# nightly history database (history.c: `poolbench history`, SQLite). Linked into
# poolbench, whose dispatch calls gate_main / calibrate_main / history_main.
add_library(pb_gate STATIC
  ${CMAKE_CURRENT_LIST_DIR}/gate.c
  ${CMAKE_CURRENT_LIST_DIR}/calibrate.c
  ${CMAKE_CURRENT_LIST_DIR}/history.c)
target_include_directories(pb_gate PUBLIC ${CMAKE_CURRENT_LIST_DIR})
# the default scenario folder, thresholds file and scripts/charts/trend.gp
target_compile_definitions(pb_gate PRIVATE PB_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
# pb_report_core (thresholds) and pb_driver (journal, cell, matrix, scenario, context)
# are defined by decide.cmake and driver.cmake (resolved at generate time)
target_link_libraries(pb_gate PUBLIC pb_report_core pb_driver pb_stats SQLite::SQLite3
                      PkgConfig::JSONC m)
# messages are bounded on purpose (snprintf into fixed buffers)
target_compile_options(pb_gate PRIVATE -Wno-format-truncation)
