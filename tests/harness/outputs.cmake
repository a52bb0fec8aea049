# tests/harness/outputs.cmake: tests of the report outputs (harness/outputs.cmake).
# test_export: samples.csv round trip, bench.txt grammar, gnuplot charts (PNG + SVG).
add_executable(test_export ${CMAKE_CURRENT_LIST_DIR}/test_export.c)
target_include_directories(test_export PRIVATE ${CMAKE_CURRENT_LIST_DIR} ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_export PRIVATE pb_report ${CMOCKA_LIBRARIES})
add_test(NAME test_export COMMAND test_export)

# bench.txt parsed by a Go program (standard library only) when Go is installed
find_program(PB_GO_EXECUTABLE go)
if(PB_GO_EXECUTABLE)
  add_test(NAME test_export_gobench_go
    COMMAND sh -c "\"$1\" --write-bench \"$2/bench_go.txt\" && GOCACHE=\"$2/gocache\" GOPATH=\"$2/gopath\" GOFLAGS=-mod=mod GO111MODULE=off \"$3\" run \"$4\" \"$2/bench_go.txt\""
            sh $<TARGET_FILE:test_export> ${CMAKE_CURRENT_BINARY_DIR} ${PB_GO_EXECUTABLE}
            ${CMAKE_CURRENT_LIST_DIR}/gobench_parse.go)
endif()

# test_report: report.md / report.html / report_write on a synthetic journal
  add_executable(test_report ${CMAKE_CURRENT_LIST_DIR}/test_report.c)
  target_include_directories(test_report PRIVATE ${CMAKE_CURRENT_LIST_DIR} ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(test_report PRIVATE pb_report ${CMOCKA_LIBRARIES})
  add_test(NAME test_report COMMAND test_report)

# headless Chromium opens report.html from disk: charts present and visible (slow)
find_program(PB_CHROMIUM_EXECUTABLE NAMES chromium chromium-browser google-chrome)
if(PB_CHROMIUM_EXECUTABLE)
  add_test(NAME test_report_chromium
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_report_chromium.sh
            $<TARGET_FILE:test_report> ${PB_CHROMIUM_EXECUTABLE} ${CMAKE_CURRENT_BINARY_DIR}/chromium)
  set_tests_properties(test_report_chromium PROPERTIES LABELS slow TIMEOUT 300)
endif()
