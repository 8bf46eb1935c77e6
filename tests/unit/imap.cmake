# parley_imap: command reader and grammar, mailbox names, response encoding.
parley_unit_test(imap_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/imap_test.cpp LIBS parley_imap)
