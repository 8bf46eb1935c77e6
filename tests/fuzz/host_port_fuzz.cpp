// parse_host_port on arbitrary bytes: must never crash. An accepted value,
// written back as HOST:PORT (in brackets where the host needs them: a ":"
// in it, or a "[" first), parses to the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/host_port.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parley::config::parse_host_port(text);
  if (!parsed) return 0;
  const bool brackets = parsed->host.find(':') != std::string::npos || parsed->host.starts_with('[');
  const std::string host = brackets ? "[" + parsed->host + "]" : parsed->host;
  const auto again = parley::config::parse_host_port(host + ":" + std::to_string(parsed->port));
  if (!again || *again != *parsed) std::abort();
  return 0;
}
