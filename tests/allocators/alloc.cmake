# test_alloc_contract_<backend>: the allocation contract (alloc.h, alloc_backend.h), built
# once per backend and run as its own CTest test (libuv style).
foreach(b IN LISTS PB_BACKENDS)
  add_executable(test_alloc_contract_${b} ${CMAKE_CURRENT_LIST_DIR}/test_alloc_contract.c)
  # every malloc/free in the test must reach the front end (no builtin pairing-away)
  target_compile_options(test_alloc_contract_${b} PRIVATE -fno-builtin)
  target_include_directories(test_alloc_contract_${b} PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(test_alloc_contract_${b} PRIVATE ${CMOCKA_LIBRARIES}
                        OpenSSL::Crypto Threads::Threads)
  pb_link_backend(test_alloc_contract_${b} ${b})
  add_test(NAME test_alloc_contract_${b} COMMAND test_alloc_contract_${b})
endforeach()
# sanitizer mode: the edge cases (bad alignments, overflowing sizes) are the sanitizer's;
# allocator_may_return_null=1 makes them return NULL as the contract expects instead of
# aborting with a report
if(PB_FRONT_SANITIZER)
  foreach(b IN LISTS PB_BACKENDS)
    set_tests_properties(test_alloc_contract_${b} PROPERTIES ENVIRONMENT_MODIFICATION
      "ASAN_OPTIONS=string_append::allocator_may_return_null=1;TSAN_OPTIONS=string_append::allocator_may_return_null=1")
  endforeach()
endif()
