// Zone files (hours/time_zone.h) on arbitrary bytes: parse_tzif, and the
// zone it accepts asked for offsets around its transitions and far away;
// the input as a TZ string (parse_posix_rule) too. Never crashes.
#include <cstdint>
#include <limits>
#include <string_view>

#include "hours/time_zone.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)parley::hours::parse_posix_rule(bytes);
  auto zone = parley::hours::parse_tzif(bytes);
  if (!zone) return 0;
  for (std::int64_t t : {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1} << 40, std::int64_t{-1}, std::int64_t{0},
                         std::int64_t{1774746000}, std::int64_t{4102444800}, std::int64_t{1} << 40,
                         std::numeric_limits<std::int64_t>::max()}) {
    (void)parley::hours::local_time(*zone, t);
  }
  return 0;
}
