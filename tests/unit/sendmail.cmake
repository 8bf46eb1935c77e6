# sendmail: options, the message read from standard input, recipients from
# the header (-t), the added header fields, dot-stuffing, and the SMTP
# exchange against a scripted smtpd on a socket pair, failures included.
parley_unit_test(sendmail_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sendmail_test.cpp LIBS parley_sendmail_lib parley_testkit)
