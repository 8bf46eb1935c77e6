# parley_ws: the WebSocket handshake and frame decoder (client bytes).
parley_fuzz_target(ws_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/ws_fuzz.cpp LIBS parley_ws)
