// Compiles the shared precompiled header (core/pch.h) once for the build.
