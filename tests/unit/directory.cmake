# parley_directory_lib: the directory's store (resolution, uniqueness,
# rename, settings inheritance, bulk import, first run) over a temp LMDB.
parley_unit_test(directory_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/directory_test.cpp LIBS parley_directory_lib parley_testkit)
# The test includes the process's own headers as "store.h", "settings.h".
target_include_directories(directory_test PRIVATE ${CMAKE_SOURCE_DIR}/procs/directory)
# The authenticator and its credentials cache (cheap argon2id, an injected clock).
parley_unit_test(directory_auth_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/credentials_cache_test.cpp
                 ${CMAKE_CURRENT_LIST_DIR}/authenticator_test.cpp LIBS parley_directory_lib parley_testkit)
target_include_directories(directory_auth_test PRIVATE ${CMAKE_SOURCE_DIR}/procs/directory)
