# sipd's connection and SIP core as scripted dialogs over an in-memory
# stream (tests/support/sipd_rig.h): registrar with digest, answers to bad
# input, proxying to a registered contact (the test's own connection),
# CANCEL, refusals. Flow names and tokens, the proxy's message edits.
parley_unit_test(sipd_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sipd_test.cpp
                 LIBS parley_sipd_lib parley_test_support)
