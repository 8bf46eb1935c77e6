# parley_smtp: the command parser and the DATA reader.
parley_fuzz_target(smtp_command_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/smtp_command_fuzz.cpp LIBS parley_smtp)
parley_fuzz_target(smtp_data_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/smtp_data_fuzz.cpp LIBS parley_smtp)
parley_fuzz_target(smtp_reply_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/smtp_reply_fuzz.cpp LIBS parley_smtp)
