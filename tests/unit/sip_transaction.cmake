# parley_sip transactions: the four RFC 3261 17 state machines with
# RFC 6026's Accepted state, driven by a fake clock; matching, the table,
# ACK and CANCEL built from the INVITE.
parley_unit_test(sip_transaction_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_transaction_test.cpp LIBS parley_sip)
