# parley_mime: parse, serialize and resolve sections on arbitrary messages.
parley_fuzz_target(mime_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/mime_fuzz.cpp LIBS parley_mime)
