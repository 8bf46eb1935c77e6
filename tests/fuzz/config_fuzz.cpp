// Config::parse on arbitrary bytes: must never crash or throw. When the
// input is accepted, to_toml() must be accepted again and give the same
// text (the round trip the supervisor relies on to hand processes their
// sections).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto config = parley::config::Config::parse(text, "fuzz");
  if (!config) return 0;
  const std::string once = config->to_toml();
  const auto again = parley::config::Config::parse(once, "fuzz-again");
  if (!again || again->to_toml() != once) std::abort();
  return 0;
}
