// parse_network on arbitrary bytes (parley.conf's relay networks): never
// crashes; an accepted network contains its own address and tests any text
// as an address without crashing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/network.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto net = parley::config::parse_network(text);
  if (!net) return 0;
  if (!net->contains(text.substr(0, text.find('/')))) std::abort();
  (void)net->contains(text);
  return 0;
}
