# log: the process logger (procs/lib/log). The JSON test runs
# check_json_log.py from the source tree, so it needs python3.
parley_unit_test(log_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/log_test.cpp LIBS parley_log parley_testkit)
target_compile_definitions(log_test PRIVATE PARLEY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
