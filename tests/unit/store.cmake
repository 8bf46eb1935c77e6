# parley_store: delivery, dedup, quota, flags, expunge, copy, rename, two
# openers, snapshots; each test in a fresh temp directory.
parley_unit_test(store_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/store_test.cpp LIBS parley_store)
