# parley_mime: part trees, envelopes, BODYSTRUCTURE text, sections, BINARY.
# The message tables seed tests/fuzz/corpus/mime_fuzz/.
parley_unit_test(mime_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/mime_test.cpp LIBS parley_mime)
