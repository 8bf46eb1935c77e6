# sipd's flow names and flow tokens (a token comes back in a Route header
# from the network).
parley_fuzz_target(flow_token_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/flow_token_fuzz.cpp LIBS parley_sipd_lib)
# sipd.trunks entries (configuration text: the parser must refuse junk
# with a clear error, never crash).
parley_fuzz_target(sip_trunk_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_trunk_fuzz.cpp LIBS parley_sipd_lib)
