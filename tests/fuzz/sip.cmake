# parley_sip: the message parser with the stream framer, and URIs.
parley_fuzz_target(sip_message_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_message_fuzz.cpp LIBS parley_sip)
parley_fuzz_target(sip_uri_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_uri_fuzz.cpp LIBS parley_sip)
# The registrar (apply_register) on whatever parses as a request.
parley_fuzz_target(sip_registrar_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_registrar_fuzz.cpp LIBS parley_sip)
# PIDF documents (PUBLISH bodies) through expat, built back.
parley_fuzz_target(pidf_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/pidf_fuzz.cpp LIBS parley_sip)
