# parley_tls: contexts and net::Stream over loopback TCP with certificates
# generated at start (tls_testcert.h, shared with the daemons' tests).
find_package(OpenSSL REQUIRED)
parley_unit_test(tls_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/tls_test.cpp LIBS parley_tls parley_testkit OpenSSL::SSL OpenSSL::Crypto)
