# tests/allocators/race.cmake: race mode (PB_POOL_RACE=1) leaves every kernel's result
# unchanged, end to end through pb-glibc (tests/allocators/test_bufpool_race.sh).
add_test(NAME allocators.bufpool_race
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_bufpool_race.sh ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(allocators.bufpool_race PROPERTIES LABELS pool TIMEOUT 300)
