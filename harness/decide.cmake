# harness/decide.cmake: pb_report_core, the decision model behind every report output:
# thresholds (scenarios/thresholds.ini, libinih), the analysis model (arms, comparisons,
# verdicts) and summary.json. Statistics come from pb_stats; the journal reader
# (journal.c) from pb_driver (harness/driver.cmake, resolved at generate time).
add_library(pb_report_core STATIC
  ${CMAKE_CURRENT_LIST_DIR}/analysis.c
  ${CMAKE_CURRENT_LIST_DIR}/thresholds.c
  ${CMAKE_CURRENT_LIST_DIR}/summary_json.c)
target_include_directories(pb_report_core PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pb_report_core PUBLIC pb_driver pb_stats PkgConfig::JSONC PkgConfig::INIH m)
# messages are bounded on purpose (snprintf into fixed buffers)
target_compile_options(pb_report_core PRIVATE -Wno-format-truncation)
