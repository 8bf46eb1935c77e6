// parley::rtp::parse_telephone_event on arbitrary payloads: accepts exactly
// the positive multiples of 4 octets; the event it returns writes back to
// the last 4 octets (R bit cleared) and parses again to itself; the DTMF
// digit mapping is its own inverse.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "rtp/rtp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace rtp = parley::rtp;
  const rtp::Bytes in(data, size);
  if (size > 0) {
    const char c = static_cast<char>(data[0]);
    if (const auto e = rtp::dtmf_event(c)) {
      const char upper = c >= 'a' && c <= 'd' ? static_cast<char>(c - 'a' + 'A') : c;
      if (rtp::dtmf_digit(*e) != upper) std::abort();
    }
  }
  const auto e = rtp::parse_telephone_event(in);
  const bool multiple = size > 0 && size % rtp::kTelephoneEventSize == 0;
  if (!e) {
    if (e.code() != parley::Errc::syntax || multiple) std::abort();
    return 0;
  }
  if (!multiple || e->volume > rtp::kMaxVolume) std::abort();
  std::vector<std::uint8_t> out;
  rtp::write_telephone_event(*e, out);
  if (out.size() != rtp::kTelephoneEventSize) std::abort();
  const std::uint8_t* last = data + size - rtp::kTelephoneEventSize;
  if (out[0] != last[0] || out[1] != (last[1] & 0xbf) || out[2] != last[2] || out[3] != last[3]) std::abort();
  const auto again = rtp::parse_telephone_event(out);
  if (!again || !(*again == *e)) std::abort();
  if (const char d = rtp::dtmf_digit(e->event); d != '\0' && rtp::dtmf_event(d) != e->event) std::abort();
  return 0;
}
