# parley_sip: URIs, the message parser and serializer, responses, the
# stream framer, the RFC 4475 torture tests. The tables seed
# tests/fuzz/corpus/sip_message_fuzz/ and sip_uri_fuzz/.
parley_unit_test(sip_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_test.cpp LIBS parley_sip)
