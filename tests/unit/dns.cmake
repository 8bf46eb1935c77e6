# parley_dns: the resolver against a fake authoritative server on loopback.
parley_unit_test(dns_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/dns_test.cpp LIBS parley_dns parley_testkit)
# RFC 3263 server location, the pure selection from tables of answers.
parley_unit_test(sip_locate_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_locate_test.cpp LIBS parley_dns)
