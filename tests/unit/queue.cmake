# parley_queue: ids, add/get/body/seen, update, remove, scan order, prune
# and orphan sweeps, reopening; each test in a fresh temp directory.
parley_unit_test(queue_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/queue_test.cpp LIBS parley_queue parley_testkit)
