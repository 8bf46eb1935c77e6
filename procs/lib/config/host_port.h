// HOST:PORT, as parley.conf, the router's rules and the queue's records
// spell a host to connect to or an address to bind:
//   HOST:PORT     a host name or an IPv4 address, e.g. "mx.example.net:25"
//   [HOST]:PORT   an IPv6 address, which must be in brackets ("[::1]:25";
//                 "::1:25" would be ambiguous); a name in brackets is taken
//                 too, without them
// PORT is decimal, 1..65535, without sign or leading zeros. What HOST may
// be (a name, a numeric address) is the caller's affair.
//
// Pure: depends on core only, so it can be unit-tested and fuzzed alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::config {

struct HostPort {
  std::string host;  // without the brackets
  std::uint16_t port = 0;

  bool operator==(const HostPort&) const = default;
};

// Every malformation is Errc::syntax with a detail that says what is
// wrong, quoting the offending part (the caller names the whole value).
[[nodiscard]] Result<HostPort> parse_host_port(std::string_view text);

// PORT alone, as above.
[[nodiscard]] Result<std::uint16_t> parse_port(std::string_view text);

}  // namespace parley::config
