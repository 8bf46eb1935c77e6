# imapd: the parsed-message cache (procs/imapd/server.h).
parley_unit_test(imapd_cache_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/imapd_cache_test.cpp LIBS parley_imapd_lib)
