# ipc_bench: round-trip latency and throughput of ipc/ request/reply, a
# Server and a Client in two processes over ipc://. Run by hand.
add_executable(ipc_bench ${CMAKE_CURRENT_LIST_DIR}/ipc_bench.cpp)
target_link_libraries(ipc_bench PRIVATE parley_ipc)
