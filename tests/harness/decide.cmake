# tests/harness/decide.cmake: tests of the decision model (pb_report_core).
#  test_thresholds     thresholds file parsing, every malformed case -> FILE:LINE: message
#  test_analysis       decision rules on synthetic journals written by the test
#  verify_summary      scripts/verify_summary.py (scipy) recomputes every p-value and CI of
#                      a summary.json generated from a synthetic journal
#  verify_summary_detects_tampering   the same checker must fail on an altered p-value
add_executable(test_thresholds ${CMAKE_CURRENT_LIST_DIR}/test_thresholds.c)
target_compile_definitions(test_thresholds PRIVATE PB_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
target_include_directories(test_thresholds PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_thresholds PRIVATE pb_report_core ${CMOCKA_LIBRARIES})
add_test(NAME test_thresholds COMMAND test_thresholds)

add_executable(test_analysis ${CMAKE_CURRENT_LIST_DIR}/test_analysis.c)
target_include_directories(test_analysis PRIVATE ${CMAKE_CURRENT_LIST_DIR} ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_analysis PRIVATE pb_report_core ${CMOCKA_LIBRARIES})
add_test(NAME test_analysis COMMAND test_analysis)
# allocation fault injection: the test wraps malloc/calloc/realloc of the model's code
target_link_options(test_analysis PRIVATE -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc)

set(_pb_verify_dir ${CMAKE_CURRENT_BINARY_DIR}/verify_summary)
add_test(NAME verify_summary
  COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\" && \"$2\" --write-summary \"$1\" && /usr/bin/python3 \"$3\" \"$1/summary.json\""
          sh ${_pb_verify_dir} $<TARGET_FILE:test_analysis> ${CMAKE_SOURCE_DIR}/scripts/verify_summary.py)
add_test(NAME verify_summary_detects_tampering
  COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\" && \"$2\" --write-summary \"$1\" --tamper && { /usr/bin/python3 \"$3\" \"$1/summary.json\"; test $? -eq 1; }"
          sh ${_pb_verify_dir}-tampered $<TARGET_FILE:test_analysis> ${CMAKE_SOURCE_DIR}/scripts/verify_summary.py)
