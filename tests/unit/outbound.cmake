# parley_dequeuer_lib: the outbound SMTP client (connection reuse, RSET,
# idle expiry, per-recipient outcomes, PIPELINING, 421 greeting) against a
# scripted SMTP server and a tiny DNS responder on loopback.
parley_unit_test(outbound_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/outbound_test.cpp LIBS parley_dequeuer_lib parley_testkit)
