# parley_audio: G.711 against the standard's values and over the whole
# 16-bit range, WAV files (ours, sox's, espeak-ng's, garbage), tones and
# levels, and the jitter buffer's reordering, loss, duplicates, wrap-around,
# late packets and restarts.
parley_unit_test(audio_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/audio_test.cpp ${CMAKE_CURRENT_LIST_DIR}/audio_wav_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/audio_jitter_test.cpp
  LIBS parley_audio parley_testkit)
