# parley_sip: URIs, the message parser and serializer, responses, the
# stream framer, the RFC 4475 torture tests. The tables seed
# tests/fuzz/corpus/sip_message_fuzz/ and sip_uri_fuzz/.
parley_unit_test(sip_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_test.cpp LIBS parley_sip)
# PIDF parsed (valid, truncated, malformed, hostile), built, aggregated;
# dialog-info and message-summary built. Its documents seed
# tests/fuzz/corpus/pidf_fuzz/.
parley_unit_test(sip_presence_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_presence_test.cpp LIBS parley_sip)
