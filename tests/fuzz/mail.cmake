# parley_mail: header scanning, xtext and DSN building on arbitrary messages.
parley_fuzz_target(mail_headers_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/mail_headers_fuzz.cpp LIBS parley_mail)
