# router: the rules table (parse_rules, match_rule, parse_refusal), the
# verdicts (verdicts.h) and the postmaster helpers (postmaster.h); pure,
# no I/O.
parley_unit_test(router_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/router_test.cpp LIBS parley_router_lib)
# router.route_signal (signal.h) against a real directory Store standing in
# for directory.resolve, and check_route_signal.
parley_unit_test(router_signal_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/router_signal_test.cpp
                 LIBS parley_router_lib parley_directory_lib parley_testkit)
# router.sip_gateways (gateways.h): the rule parser and number matcher; pure.
parley_unit_test(router_gateways_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/router_gateways_test.cpp LIBS parley_router_lib)
