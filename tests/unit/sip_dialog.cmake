# parley_sip dialogs (RFC 3261 12): UAC and UAS dialogs from INVITE/200
# exchanges with Record-Route, in-dialog requests built and checked,
# early dialogs, target refresh, the table and its bound.
parley_unit_test(sip_dialog_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_dialog_test.cpp LIBS parley_sip)
