# Whole sessions of smtpd, imapd's IMAP and POP3 as scripted dialogs over
# an in-memory stream (tests/support/session_rig.h).
parley_unit_test(session_dialog_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/session_dialog_test.cpp
                 LIBS parley_smtpd_lib parley_imapd_lib parley_test_support)
