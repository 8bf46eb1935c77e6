# media: the RTP/RTCP relay (procs/media/relay.h) with real sockets on
# loopback.
parley_unit_test(media_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/media_test.cpp LIBS parley_media_lib)
# media's voicemail application and its mail (pure).
parley_unit_test(media_voicemail_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/media_voicemail_test.cpp LIBS parley_media_lib)
# media's applications with real sockets: a voicemail call over RTP.
parley_unit_test(media_apps_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/media_apps_test.cpp LIBS parley_media_lib)
