# tests/harness/stats.cmake: test_stats, the statistics module against scipy/statsmodels
# reference values (produced by scripts/stats_reference.py and pasted into the test).
add_executable(test_stats ${CMAKE_CURRENT_LIST_DIR}/test_stats.c)
target_include_directories(test_stats PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_stats PRIVATE pb_stats ${CMOCKA_LIBRARIES})
add_test(NAME test_stats COMMAND test_stats)
# allocation fault injection: the test wraps malloc/calloc of pb_stats and of itself
target_link_options(test_stats PRIVATE -Wl,--wrap=malloc,--wrap=calloc)
