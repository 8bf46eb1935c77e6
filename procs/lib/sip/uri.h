// SIP, SIPS and TEL URIs (RFC 3261 19.1 and 25.1, RFC 3966), and any other
// absoluteURI kept opaque (a To header may carry one; a Request-URI with an
// unknown scheme parses, and sipd answers 416). Pure: no I/O, no DNS.
//
// Untrusted input: `text` is a URI as the network peer wrote it, without
// angle brackets. Values are held unescaped; to_string escapes what each
// component does not allow, so parse(to_string(u)) == u.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::sip {

// A URI longer than this is refused (Errc::limit): it fits in a message
// (kMaxHeaderLine) with room to spare.
constexpr std::size_t kMaxUri = 4096;

enum class Scheme { sip, sips, tel, other };

// A uri-parameter (";name=value") or a header ("?name=value"), unescaped.
// Names are kept as written and compared case-insensitively.
struct UriParam {
  std::string name;
  std::string value;
  bool has_value = false;  // ";lr" has none, ";lr=" is a syntax error
  bool operator==(const UriParam&) const = default;
};

struct Uri {
  Scheme scheme = Scheme::sip;
  std::string scheme_name;              // lowercase: "sip", "sips", "tel", "urn", ...
  std::string user;                     // sip/sips: unescaped user; tel: the number as written
  std::optional<std::string> password;  // sip/sips: unescaped
  std::string host;                     // as written; IPv6 references with their brackets
  std::optional<std::uint16_t> port;
  std::vector<UriParam> params;   // sip/sips uri-parameters; tel parameters
  std::vector<UriParam> headers;  // sip/sips only
  std::string opaque;             // Scheme::other: everything after "scheme:"

  // The first parameter of that name (ASCII case-insensitive), or null.
  const UriParam* param(std::string_view name) const;
  bool operator==(const Uri&) const = default;  // component-wise, as parsed (not RFC equivalence)
};

// Errc::syntax: not a URI of RFC 3261's grammar (bad escape, character not
// allowed where it stands, empty host, port above 65535, ...);
// Errc::limit: longer than kMaxUri.
[[nodiscard]] Result<Uri> parse_uri(std::string_view text);

// hostname, IPv4address or IPv6reference ("[...]"), as RFC 3261 25.1 has
// them (Via's sent-by uses it too).
bool valid_host(std::string_view host);

// The URI in its wire form, each component escaped as its grammar requires.
std::string to_string(const Uri& uri);

// RFC 3261 19.1.4: user and password case-sensitive, the rest not; escapes
// compared unescaped; a port only in one never matches; user, ttl, method
// and maddr parameters must match when either has them, other parameters
// only when both have them; headers must all be in both. TEL URIs: the
// numbers without visual separators, and every parameter. Other schemes:
// the scheme and the opaque part, byte for byte.
bool equivalent(const Uri& a, const Uri& b);

}  // namespace parley::sip
