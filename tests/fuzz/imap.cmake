# parley_imap: the command reader (framing, literals, resync) and grammar.
parley_fuzz_target(imap_command_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/imap_command_fuzz.cpp LIBS parley_imap)
