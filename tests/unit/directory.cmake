# parley_directory_lib: the directory's store (resolution, uniqueness,
# rename, settings inheritance, bulk import, first run) over a temp LMDB.
parley_unit_test(directory_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/directory_test.cpp LIBS parley_directory_lib)
# The test includes the process's own headers as "store.h", "settings.h".
target_include_directories(directory_test PRIVATE ${CMAKE_SOURCE_DIR}/procs/directory)
