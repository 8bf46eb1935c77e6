# parley_sdp: the SDP parser and writer (SIP bodies, untrusted).
parley_fuzz_target(sdp_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/sdp_fuzz.cpp LIBS parley_sdp)
