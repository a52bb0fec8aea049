# harness/outputs.cmake: pb_report, the report outputs built on decide's model
# (pb_report_core: journal reader, thresholds, analysis, summary.json):
# samples.csv (export_csv.c), bench.txt (export_gobench.c), gnuplot charts (charts.c, with
# scripts/charts/*.gp), report.md (report_md.c), report.html (report_html.c) and
# report_write() (report.c), which runs them all. Included after decide.cmake (name order).
add_library(pb_report STATIC
  ${CMAKE_CURRENT_LIST_DIR}/export_csv.c
  ${CMAKE_CURRENT_LIST_DIR}/export_gobench.c
  ${CMAKE_CURRENT_LIST_DIR}/charts.c
  ${CMAKE_CURRENT_LIST_DIR}/report_md.c
  ${CMAKE_CURRENT_LIST_DIR}/report_html.c
  ${CMAKE_CURRENT_LIST_DIR}/report.c)
target_include_directories(pb_report PUBLIC ${CMAKE_CURRENT_LIST_DIR})
# charts.c finds scripts/charts in the source tree unless told otherwise
target_compile_definitions(pb_report PRIVATE PB_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
target_link_libraries(pb_report PUBLIC pb_report_core pb_stats PkgConfig::JSONC m)
# messages are bounded on purpose (snprintf into fixed buffers)
target_compile_options(pb_report PRIVATE -Wno-format-truncation)
