# ipc: request/reply and pub/sub over ZeroMQ (ipc/). The test drives the
# server with a raw DEALER through ipc/socket.h, so it needs zmq.h too.
parley_unit_test(ipc_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/ipc_test.cpp LIBS parley_ipc parley_testkit PkgConfig::ZMQ)
