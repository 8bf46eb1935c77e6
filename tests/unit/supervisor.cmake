# parleyd's configuration loading against the shipped programs' declarations.
parley_unit_test(supervisor_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/supervisor_test.cpp LIBS parley_supervisor)
add_dependencies(supervisor_test directory smtpd router dequeuer local-delivery imapd)
