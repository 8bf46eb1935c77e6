# parley_auth: the SCRAM-SHA-256 server exchange and the SASL PLAIN parser.
parley_fuzz_target(scram_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/scram_fuzz.cpp LIBS parley_auth)
parley_fuzz_target(sasl_plain_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/sasl_plain_fuzz.cpp LIBS parley_auth)
