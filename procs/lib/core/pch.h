// The one precompiled header of the build (CMakeLists.txt, parley_pch):
// the standard library, Boost.Asio and protobuf's runtime, which nearly
// every translation unit pulls in and which cost most of its compile time.
// Only headers that do not change with the project's own code belong here,
// and nothing whose meaning depends on a per-target macro.
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <google/protobuf/message.h>

#include "core/asio.h"
