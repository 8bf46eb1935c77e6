# parley_config: parley.conf loading and declarations, listen specs, HOST:PORT.
parley_unit_test(config_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/config_test.cpp LIBS parley_config)
# The test compares etc/parley.conf with default_file_text().
target_compile_definitions(config_test PRIVATE PARLEY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
parley_unit_test(listen_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/listen_test.cpp LIBS parley_config)
parley_unit_test(network_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/network_test.cpp LIBS parley_config)
parley_unit_test(host_port_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/host_port_test.cpp LIBS parley_config)
