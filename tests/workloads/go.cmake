# tests/workloads/go.cmake: tests of pb-go and its Go module (workloads/go): `go vet`,
# `go test` (the pool wrapper, the kernels against independent answers, the generator
# against the C generator, the escape-analysis proof), gofmt, and the end-to-end checks
# of test_go_runner.sh (coreutils sha256sum, GNU tar, pb-glibc's results, gctrace).
# test_go_pool_workloads.sh: pool_churn and pool_getput results against the C side.
# Every go command runs with the build's environment (PB_GO_ENV: caches in the build
# directory, nothing downloaded, no HOME needed).
set(_pb_go_src ${CMAKE_SOURCE_DIR}/workloads/go)
add_test(NAME go_vet
         COMMAND ${CMAKE_COMMAND} -E env ${PB_GO_ENV} ${PB_GO_EXECUTABLE} vet ./...
         WORKING_DIRECTORY ${_pb_go_src})
add_test(NAME go_test
         COMMAND ${CMAKE_COMMAND} -E env ${PB_GO_ENV} ${PB_GO_EXECUTABLE} test -count=1 ./...
         WORKING_DIRECTORY ${_pb_go_src})
set_tests_properties(go_vet go_test PROPERTIES TIMEOUT 600)
get_filename_component(_pb_go_root ${PB_GO_EXECUTABLE} DIRECTORY)
find_program(PB_GOFMT_EXECUTABLE gofmt HINTS ${_pb_go_root})
if(PB_GOFMT_EXECUTABLE)
  add_test(NAME go_fmt
           COMMAND sh -c "out=$(\"$0\" -l .) && [ -z \"$out\" ] || { echo \"not gofmt'd: $out\"; exit 1; }"
                   ${PB_GOFMT_EXECUTABLE}
           WORKING_DIRECTORY ${_pb_go_src})
else()
  pb_missing_tool_test(go_fmt gofmt golang-go)
endif()
add_test(NAME go_runner
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_go_runner.sh ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(go_runner PROPERTIES LABELS slow TIMEOUT 900)
# pool_churn and pool_getput of pb-go against pb-glibc, pb-bench-getput and a Python model
add_test(NAME go_pool_workloads
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_go_pool_workloads.sh ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(go_pool_workloads PROPERTIES TIMEOUT 900)
