# parley_pop3: the POP3 command parser.
parley_fuzz_target(pop3_command_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/pop3_command_fuzz.cpp LIBS parley_pop3)
