# parley_addr: the mailbox parser; parley_tsv: the import table parser.
parley_fuzz_target(address_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/address_fuzz.cpp LIBS parley_addr)
parley_fuzz_target(tsv_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/tsv_fuzz.cpp LIBS parley_tsv)
