# parley_rtp: RTP and RTCP headers and the port demultiplexer (untrusted
# datagrams), and RFC 4733 telephone-event payloads.
parley_fuzz_target(rtp_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/rtp_fuzz.cpp LIBS parley_rtp)
parley_fuzz_target(telephone_event_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/telephone_event_fuzz.cpp LIBS parley_rtp)
