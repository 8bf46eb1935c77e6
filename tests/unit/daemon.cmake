# parley_daemon: the process declaration and --describe (a real program's
# output, smtpd's, parsed back).
parley_unit_test(daemon_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/daemon_test.cpp
                 LIBS parley_daemon parley_smtpd_lib parley_supervisor)
add_dependencies(daemon_test smtpd)
