# directory_bench: the directory process under load, started by a real
# parleyd from the same build directory: a bulk import (1,000,000 accounts
# by default), directory.resolve latency and throughput over ipc, and PLAIN
# authentication with the default argon2id parameters. Run by hand; it
# needs the directory, parleyd and parleyctl programs built beside it.
add_executable(directory_bench ${CMAKE_CURRENT_LIST_DIR}/directory_bench.cpp)
target_link_libraries(directory_bench PRIVATE parley_ipc parley_schema parley_config parley_directory_lib)
