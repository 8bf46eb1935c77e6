# Whole sessions of each front end, driven over an in-memory stream
# (tests/support/session_rig.h): what a parser fuzzer does not reach is
# what the session does with the parser's answers.
parley_fuzz_target(smtp_session_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/smtp_session_fuzz.cpp
                   LIBS parley_smtpd_lib parley_test_support)
parley_fuzz_target(imap_session_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/imap_session_fuzz.cpp
                   LIBS parley_imapd_lib parley_test_support)
parley_fuzz_target(pop3_session_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/pop3_session_fuzz.cpp
                   LIBS parley_imapd_lib parley_test_support)
parley_fuzz_target(sip_session_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/sip_session_fuzz.cpp
                   LIBS parley_sipd_lib parley_test_support)
