# media: the RTP/RTCP relay (procs/media/relay.h) with real sockets on
# loopback.
parley_unit_test(media_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/media_test.cpp LIBS parley_media_lib)
