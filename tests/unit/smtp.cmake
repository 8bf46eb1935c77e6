# parley_smtp: command parser, replies, DATA/BDAT readers, dot-stuffing.
parley_unit_test(smtp_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/smtp_test.cpp LIBS parley_smtp)
parley_unit_test(smtp_client_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/smtp_client_test.cpp LIBS parley_smtp)
