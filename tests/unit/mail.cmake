# parley_mail: header lookup, dates, Received lines, DSNs, xtext,
# dot-stuffing. The header tables seed tests/fuzz/corpus/mail_headers_fuzz/.
parley_unit_test(mail_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/mail_test.cpp LIBS parley_mail)
