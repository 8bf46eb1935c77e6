// parse_listen on arbitrary bytes: must never crash. An accepted spec must
// survive to_string: parsing the canonical text gives the same spec, and
// the canonical text is a fixed point.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/listen.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto spec = parley::config::parse_listen(text);
  if (!spec) return 0;
  const std::string canonical = parley::config::to_string(*spec);
  const auto again = parley::config::parse_listen(canonical);
  if (!again || *again != *spec || parley::config::to_string(*again) != canonical) std::abort();
  return 0;
}
