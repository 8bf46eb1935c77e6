# parley_hours: the working hours parser (malformed cases with their
# errors), time zones from real TZif files (DST changes in both
# hemispheres, the footer rule past the last transition), malformed zone
# files and TZ strings, zone names.
parley_unit_test(hours_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/hours_test.cpp LIBS parley_hours parley_testkit)
