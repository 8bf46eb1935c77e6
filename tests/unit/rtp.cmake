# parley_rtp: RTP/RTCP headers, demultiplexing, telephone events, sequence numbers.
parley_unit_test(rtp_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/rtp_test.cpp LIBS parley_rtp)
