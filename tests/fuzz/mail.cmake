# parley_mail: header scanning, xtext and DSN building on arbitrary messages.
parley_fuzz_target(mail_headers_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/mail_headers_fuzz.cpp LIBS parley_mail)
# RFC 5322 dates (SEARCH SENT*, SORT DATE) and Message-ID lists (THREAD).
parley_fuzz_target(mail_date_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/mail_date_fuzz.cpp LIBS parley_mail parley_imap)
