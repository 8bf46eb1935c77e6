# parley_store: delivery, dedup, quota, flags, expunge, copy, rename, two
# openers, snapshots; each test in a fresh temp directory.
parley_unit_test(store_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/store_test.cpp LIBS parley_store parley_testkit)
# store/access.h: client names for a viewer, rights, the readers' checks.
parley_unit_test(store_access_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/store_access_test.cpp LIBS parley_store parley_testkit)
