# parley_dns: the resolver against a fake authoritative server on loopback.
parley_unit_test(dns_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/dns_test.cpp LIBS parley_dns parley_testkit)
