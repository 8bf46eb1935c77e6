# parley_imap: command reader and grammar, mailbox names, response encoding.
parley_unit_test(imap_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/imap_test.cpp LIBS parley_imap)
# parley_imap SORT and THREAD (RFC 5256): base subjects, orderings, threads.
parley_unit_test(imap_thread_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/imap_thread_test.cpp LIBS parley_imap)
# parley_imap_search: every SEARCH key against real messages.
parley_unit_test(imap_search_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/imap_search_test.cpp LIBS parley_imap_search)
# parley_imap COMPRESS=DEFLATE streams (RFC 4978): round trips, bombs, corrupt input.
parley_unit_test(imap_compress_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/imap_compress_test.cpp LIBS parley_imap)
