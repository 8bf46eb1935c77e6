# The front-end skeleton: line reader, listener server, datagram listener.
parley_unit_test(front_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/front_test.cpp LIBS parley_front parley_test_support)
