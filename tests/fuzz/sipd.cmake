# sipd's flow names and flow tokens (a token comes back in a Route header
# from the network).
parley_fuzz_target(flow_token_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/flow_token_fuzz.cpp LIBS parley_sipd_lib)
