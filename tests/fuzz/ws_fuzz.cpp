// Fuzzes the WebSocket handshake parser and frame decoder (procs/lib/ws):
// the input is what a client sends, a handshake and then frames, fed in
// chunks the first byte chooses. A crash, a sanitizer report, or a
// message beyond the decoder's limit is a finding.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ws/ws.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley;
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t consumed = 0;
  auto handshake = ws::parse_handshake(input, consumed);
  if (handshake.ok() && *handshake) input.remove_prefix(consumed);
  constexpr std::size_t kMax = 4096;
  ws::Decoder decoder(kMax);
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    decoder.feed(input.substr(at, chunk));
    for (;;) {
      auto m = decoder.next();
      if (!m.ok() || !*m) break;
      if ((*m)->payload.size() > kMax) std::abort();
    }
  }
  return 0;
}
