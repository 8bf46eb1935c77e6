// The echo process's ipc service "echo" (test-only), used by relay:
// raw bytes both ways.
#pragma once

#include <string>

#include "ipc/contract.h"

namespace parley::testkit {

// The payload, returned as it came.
inline constexpr ipc::Method<std::string, std::string> kEchoSay{"echo.say"};
// The echo process's pid, in decimal.
inline constexpr ipc::Method<std::string, std::string> kEchoPid{"echo.pid"};

}  // namespace parley::testkit
