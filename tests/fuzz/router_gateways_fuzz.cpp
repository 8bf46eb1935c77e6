// Gateway rules (router.sip_gateways) on arbitrary bytes: the input's lines are
// rules, the last line a SIP user part to match. Never crashes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "procs/router/gateways.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  if (lines.empty()) return 0;
  std::string address = lines.back();
  lines.pop_back();
  auto rules = parley::router::parse_gateways(lines);
  if (!rules) return 0;
  (void)parley::router::match_gateway(rules.value(), address);
  return 0;
}
