# imapd: the parsed-message cache (procs/imapd/server.h).
parley_unit_test(imapd_cache_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/imapd_cache_test.cpp LIBS parley_imapd_lib)
# imapd: replies on mailbox names and rights (store/access.h), pinned.
parley_unit_test(imapd_access_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/imapd_access_test.cpp LIBS parley_imapd_lib parley_test_support)
