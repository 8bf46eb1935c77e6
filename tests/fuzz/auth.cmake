# parley_auth: the SCRAM-SHA-256 server exchange, the SASL PLAIN parser and
# Digest credentials and nonces.
parley_fuzz_target(scram_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/scram_fuzz.cpp LIBS parley_auth)
parley_fuzz_target(sasl_plain_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/sasl_plain_fuzz.cpp LIBS parley_auth)
parley_fuzz_target(digest_credentials_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/digest_credentials_fuzz.cpp LIBS parley_auth)
parley_fuzz_target(digest_challenge_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/digest_challenge_fuzz.cpp LIBS parley_auth)
