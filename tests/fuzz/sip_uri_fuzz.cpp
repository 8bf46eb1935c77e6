// SIP URIs on arbitrary bytes: never crashes; a parsed URI serializes to
// text that parses to the same values and serializes the same again, and
// is equivalent (RFC 3261 19.1.4) to itself both ways.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/uri.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::sip;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto uri = parse_uri(text);
  if (!uri) return 0;
  const std::string wire = to_string(*uri);
  auto again = parse_uri(wire);
  if (!again) {
    // Escaping may take a URI near kMaxUri over it; nothing else may fail.
    if (again.code() != parley::Errc::limit) std::abort();
    return 0;
  }
  if (!(*again == *uri)) std::abort();
  if (to_string(*again) != wire) std::abort();
  if (!equivalent(*uri, *again) || !equivalent(*again, *uri)) std::abort();
  return 0;
}
