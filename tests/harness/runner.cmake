# End-to-end checks of the runner executables against independent tools (coreutils
# sha256sum, GNU tar, python's hashlib, valgrind). Shell scripts: they drive processes.
add_test(NAME runner_e2e
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_runner.sh ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(runner_e2e PROPERTIES LABELS slow TIMEOUT 900)
add_test(NAME runner_errors
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_runner_errors.sh ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(runner_errors PROPERTIES TIMEOUT 300)
add_test(NAME runner_valgrind_counts
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_runner_valgrind.sh ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(runner_valgrind_counts PROPERTIES LABELS slow TIMEOUT 900)
# A/A run of the decision report (scenarios/aa.matrix): no KEEP, summary re-checked by scipy
add_test(NAME report_aa
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_report_aa.sh ${CMAKE_BINARY_DIR}/bin
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(report_aa PROPERTIES LABELS slow TIMEOUT 900 RUN_SERIAL TRUE)
