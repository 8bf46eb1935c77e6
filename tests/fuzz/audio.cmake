# parley_audio: uploaded audio files (untrusted bytes through libsndfile and
# libsamplerate) and the jitter buffer under arbitrary packet sequences.
parley_fuzz_target(wav_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/wav_fuzz.cpp LIBS parley_audio)
parley_fuzz_target(jitter_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/jitter_fuzz.cpp LIBS parley_audio)
