// sdp::parse on arbitrary bytes: must never crash. An accepted description
// must survive serialize: parsing the written text gives the same Session,
// and writing is a fixed point. The attribute helpers run on every
// attribute of an accepted description.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sdp/sdp.h"

namespace {

void helpers(const parley::sdp::Session& s) {
  namespace sdp = parley::sdp;
  for (const auto& m : s.media) {
    for (const auto& f : m.formats) {
      (void)sdp::rtpmap(m, f);
      (void)sdp::fmtp(m, f);
    }
    if (!sdp::connection_for(s, m)) std::abort();  // parse() makes sure of one
    (void)sdp::ptime(m);
    (void)sdp::direction(s, m);
    (void)sdp::rtcp(m);
    (void)sdp::mid(m);
    (void)sdp::candidates(m);
    (void)sdp::cryptos(m);
    (void)sdp::fingerprints(s, m);
    (void)sdp::setup(s, m);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parley::sdp::parse(text);
  if (!parsed) {
    if (parsed.code() != parley::Errc::syntax && parsed.code() != parley::Errc::limit) std::abort();
    return 0;
  }
  helpers(*parsed);
  const std::string written = parley::sdp::serialize(*parsed);
  // CRLF for a bare LF can take the text over the size limit; nothing else grows.
  if (written.size() > parley::sdp::kMaxSize) return 0;
  const auto again = parley::sdp::parse(written);
  if (!again || !(*again == *parsed) || parley::sdp::serialize(*again) != written) std::abort();

  // An edited description still writes text that parses back to it.
  auto edited = *parsed;
  parley::sdp::set_connection_address(edited, "IP4", "192.0.2.1");
  for (auto& m : edited.media) {
    parley::sdp::set_port(m, 40000);
    parley::sdp::set_direction(m, parley::sdp::Direction::sendonly);
    parley::sdp::replace_attribute(m.attributes, "rtcp", "40001");
  }
  parley::sdp::bump_version(edited.origin);
  const std::string edited_text = parley::sdp::serialize(edited);
  if (edited_text.size() > parley::sdp::kMaxSize) return 0;
  // Added attributes may take it over the line limit, nothing else.
  const auto edited_again = parley::sdp::parse(edited_text);
  if (!edited_again) {
    if (edited_again.code() != parley::Errc::limit) std::abort();
    return 0;
  }
  if (!(*edited_again == edited)) std::abort();
  return 0;
}
