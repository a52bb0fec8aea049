# pb-bench-front-<backend>: ns per malloc+free through the counting front end versus
# calling the backend directly (the front end's per-call overhead). The umbrella target
# pb-bench-front builds one per backend.
add_custom_target(pb-bench-front)
foreach(b IN LISTS PB_BACKENDS)
  add_executable(pb-bench-front-${b} ${CMAKE_CURRENT_LIST_DIR}/bench_front.c)
  # keep gcc from pairing malloc/free away: every call must reach the allocator
  target_compile_options(pb-bench-front-${b} PRIVATE -fno-builtin-malloc -fno-builtin-free)
  pb_link_backend(pb-bench-front-${b} ${b})
  add_dependencies(pb-bench-front pb-bench-front-${b})
endforeach()
