# parley_sip's registrar (RFC 3261 10.3, RFC 5626): REGISTERs applied to
# bindings with an injected clock, refusals, q order; parley_sip_bindings:
# the same through LMDB, kept across reopening, swept, listed; each test in
# a fresh temp directory.
parley_unit_test(sip_registrar_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_registrar_test.cpp
                 LIBS parley_sip parley_sip_bindings parley_testkit)
# parley_sip_bindings' presence rules (who may watch whom) in LMDB.
parley_unit_test(sip_presence_rules_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_presence_rules_test.cpp
                 LIBS parley_sip_bindings parley_testkit)
