# media: the relay's control records from sipd (checked as if sipd were
# compromised).
parley_fuzz_target(media_control_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/media_control_fuzz.cpp LIBS parley_media_lib)
# media: the relay's ports as a whole: datagrams from the caller, the
# callee and a stranger through real loopback sockets.
parley_fuzz_target(media_relay_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/media_relay_fuzz.cpp LIBS parley_media_lib)
# media: an application's call as a whole (AppStart from sipd, then RTP,
# telephone-events and garbage from the caller and a stranger).
parley_fuzz_target(media_app_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/media_app_fuzz.cpp LIBS parley_media_lib)
