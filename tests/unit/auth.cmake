# parley_auth: argon2id, SCRAM-SHA-256, PLAIN, Digest, randomness.
# The test plays the SCRAM client itself, so it needs OpenSSL too.
find_package(OpenSSL REQUIRED)
parley_unit_test(auth_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/auth_test.cpp LIBS parley_auth OpenSSL::Crypto)
parley_unit_test(auth_digest_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/auth_digest_test.cpp LIBS parley_auth)
