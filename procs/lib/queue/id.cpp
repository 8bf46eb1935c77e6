#include "queue/id.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "auth/auth.h"
#include "auth/encoding.h"

namespace parley::queue {
namespace {

constexpr std::size_t kIdLength = 20;

}  // namespace

bool valid_id(std::string_view id) {
  return id.size() == kIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string new_id() {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(secs) & 0xffffffffULL);
  return buf + auth::hex_encode(auth::random_bytes(6));
}

}  // namespace parley::queue
