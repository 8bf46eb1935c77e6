// Client networks in parley.conf ("192.0.2.0/24", "2001:db8::/32", a bare
// address meaning the one host), and membership tests against a peer
// address. Pure: depends on core and libc's inet_pton only.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace parley::config {

struct Network {
  bool v6 = false;
  std::array<std::uint8_t, 16> addr{};  // IPv4 in the first 4 bytes
  int prefix = 0;                       // bits

  // `ip` is numeric text ("198.51.100.7", "::1"); an IPv4-mapped IPv6
  // address ("::ffff:192.0.2.1", what a dual-stack listener reports)
  // counts as the IPv4 address.
  bool contains(std::string_view ip) const;
};

// Errc::syntax with a detail for anything else: host names, a prefix
// beyond 32/128, host bits set below the prefix ("192.0.2.1/24").
Result<Network> parse_network(std::string_view text);

}  // namespace parley::config
