// The tests' precompiled header: the build's own (core/pch.h) plus
// GoogleTest and GoogleMock, shared by every test program.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/pch.h"
