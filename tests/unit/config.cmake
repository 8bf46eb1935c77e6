# parley_config: parley.conf loading, typed keys and schemas, listen specs,
# HOST:PORT. config_test reads with parleyd's own sections and compares
# etc/parley.conf with what the shipped programs, built beside it, describe.
parley_unit_test(config_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/config_test.cpp LIBS parley_config parley_supervisor)
target_compile_definitions(config_test PRIVATE PARLEY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_dependencies(config_test directory smtpd router dequeuer local-delivery imapd)
parley_unit_test(listen_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/listen_test.cpp LIBS parley_config)
parley_unit_test(network_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/network_test.cpp LIBS parley_config)
parley_unit_test(host_port_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/host_port_test.cpp LIBS parley_config)
