# parley_ws: the WebSocket handshake and frame decoder (fed whole and one
# byte at a time), malformed handshakes and frames, the encoder.
parley_unit_test(ws_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/ws_test.cpp LIBS parley_ws parley_auth)
