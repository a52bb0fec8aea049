# tests/harness/gate.cmake: tests of the regression gate and the nightly history (pb_gate).
#  test_gate      gate decisions on synthetic journals (identical, 25 % slower, noisy
#                 overlap, count increase alone, failed cells), confirmation handling,
#                 exit code 2 on malformed input (missing/corrupt journal, thresholds, revs)
#  test_history   SQLite history round trip and trend chart; garbage, truncated, foreign
#                 and newer databases refused and left byte-for-byte untouched
#  gate_acceptance_quick   (needs `poolbench gate`) two runs of the gate on two identical
#                 revisions and one with a 25 % injected slowdown, on the real runners
#  gate_acceptance         (slow) the full acceptance: 20 identical-revision runs (>= 19
#                 must exit 0) and 3 runs with --inject-slowdown 25 (each must exit 1)
foreach(t gate history)
  add_executable(test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
  target_include_directories(test_${t} PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_compile_definitions(test_${t} PRIVATE PB_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_link_libraries(test_${t} PRIVATE pb_gate ${CMOCKA_LIBRARIES})
  add_test(NAME test_${t} COMMAND test_${t})
endforeach()

add_test(NAME gate_acceptance_quick
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_gate_acceptance.sh ${CMAKE_BINARY_DIR}/bin
          ${CMAKE_SOURCE_DIR} 2 1 ${CMAKE_CURRENT_BINARY_DIR}/gate_acceptance_quick)
# timing-sensitive: nothing else may load the machine while they run
set_tests_properties(gate_acceptance_quick PROPERTIES TIMEOUT 600 RUN_SERIAL TRUE)
add_test(NAME gate_acceptance
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_gate_acceptance.sh ${CMAKE_BINARY_DIR}/bin
          ${CMAKE_SOURCE_DIR} 20 3 ${CMAKE_CURRENT_BINARY_DIR}/gate_acceptance)
set_tests_properties(gate_acceptance PROPERTIES LABELS slow TIMEOUT 1800 RUN_SERIAL TRUE)
