# parley_addr: mailbox parsing and normalization; parley_tsv: import/export tables.
parley_unit_test(addr_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/addr_test.cpp LIBS parley_addr)
parley_unit_test(tsv_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/tsv_test.cpp LIBS parley_tsv)
