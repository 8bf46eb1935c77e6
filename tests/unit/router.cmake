# router: the rules table (parse_rules, match_rule, parse_refusal), the
# verdicts (verdicts.h) and the postmaster helpers (postmaster.h); pure,
# no I/O.
parley_unit_test(router_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/router_test.cpp LIBS parley_router_lib)
