# parley_config: the parley.conf loader, the listen-spec and HOST:PORT parsers.
parley_fuzz_target(config_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/config_fuzz.cpp LIBS parley_config)
parley_fuzz_target(listen_spec_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/listen_spec_fuzz.cpp LIBS parley_config)
parley_fuzz_target(host_port_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/host_port_fuzz.cpp LIBS parley_config)
parley_fuzz_target(network_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/network_fuzz.cpp LIBS parley_config)
