# parley_sdp: the SDP parser, writer, attribute helpers and edits.
parley_unit_test(sdp_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sdp_test.cpp LIBS parley_sdp)
