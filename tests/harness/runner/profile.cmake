# tests/harness/runner/profile.cmake: the profiling flags (issue 10). Included from
# CMakeLists.txt here.
#  - test_pprof_encode (cmocka): Go's heap-sample scale factor against hand-computed
#    values; an encoded synthetic snapshot inflated and checked field by field;
#  - runner_profile (test_profile.sh): real profiles of every backend against two
#    independent decoders (pprof_decode.py, `go tool pprof -raw`), -top contents, the
#    CPU profile, the live endpoint (loopback only, port in use);
#  - profile_memory_script (slow): scripts/profile-memory.sh end to end, bounded.
# Go commands get caches in temporary directories (no HOME, nothing downloaded).
find_program(PB_GO_FOR_PPROF go)
add_executable(test_pprof_encode test_pprof_encode.c)
target_link_libraries(test_pprof_encode PRIVATE pb_profile ${CMOCKA_LIBRARIES} PkgConfig::ZLIB_PC)
# pb_profile calls the front end's sampler: link the front end and one backend
list(GET PB_BACKENDS 0 _pb_profile_backend)
pb_link_backend(test_pprof_encode ${_pb_profile_backend})
add_test(NAME runner.pprof_encode COMMAND test_pprof_encode)
if(PB_GO_FOR_PPROF)
  add_test(NAME runner_profile
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_profile.sh ${CMAKE_BINARY_DIR}/bin
                   ${PB_GO_FOR_PPROF})
  set_tests_properties(runner_profile PROPERTIES TIMEOUT 600)
  if(PB_FRONT_SANITIZER)   # ASan: timed out at 600 s in its 200-iteration build under load
    set_tests_properties(runner_profile PROPERTIES TIMEOUT 1800)
  endif()
  add_test(NAME profile_memory_script
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_profile_memory.sh ${CMAKE_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/bin)
  set_tests_properties(profile_memory_script PROPERTIES LABELS slow TIMEOUT 900)
else()
  pb_missing_tool_test(runner_profile go golang-go)
  pb_missing_tool_test(profile_memory_script go golang-go)
  set_tests_properties(profile_memory_script PROPERTIES LABELS slow)
endif()
