# router: the rule table parser and matcher.
parley_fuzz_target(router_rules_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/router_rules_fuzz.cpp LIBS parley_router_lib)
# router: the gateway rules (router.sip_gateways) and the number matcher.
parley_fuzz_target(router_gateways_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/router_gateways_fuzz.cpp LIBS parley_router_lib)
