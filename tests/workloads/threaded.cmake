# tests/workloads/threaded.cmake: the label "threaded" (the TSan subset, `ctest -L
# threaded`) on the kernels' concurrent paths: concurrent hashing, concurrent tar, and the
# composite build that uses both.
foreach(_t workloads.checksum_concurrent workloads.tar workloads.build)
  set_property(TEST ${_t} APPEND PROPERTY LABELS threaded)
endforeach()
