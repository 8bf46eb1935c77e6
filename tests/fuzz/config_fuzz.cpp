// Config::parse on arbitrary bytes: must never crash or throw. When the
// input is accepted, to_toml() must be accepted again and give the same
// text (the round trip the supervisor relies on to hand processes their
// sections).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/common.h"
#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::config;
  // The sections every process has: a fixed one and a pattern.
  const Schema schema = {server_section(), process_section()};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto config = Config::parse(text, "fuzz", schema);
  if (!config) return 0;
  const std::string once = config->to_toml();
  const auto again = Config::parse(once, "fuzz-again", schema);
  if (!again || again->to_toml() != once) std::abort();
  return 0;
}
