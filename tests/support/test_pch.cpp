// Compiles the tests' shared precompiled header (test_pch.h) once.
