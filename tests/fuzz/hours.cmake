# parley_hours: the working hours parser; TZif zone files and their TZ
# string footers.
parley_fuzz_target(working_hours_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/working_hours_fuzz.cpp LIBS parley_hours)
parley_fuzz_target(time_zone_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/time_zone_fuzz.cpp LIBS parley_hours)
