# parley_pop3: the POP3 command parser, TOP's part of a message.
parley_unit_test(pop3_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/pop3_test.cpp LIBS parley_pop3)
