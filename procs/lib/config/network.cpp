#include "config/network.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>

namespace parley::config {
namespace {

struct Ip {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
};

std::optional<Ip> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
  std::string s(text);
  Ip ip;
  if (::inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  if (::inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), kMapped, sizeof kMapped) == 0) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    std::memset(ip.bytes.data() + 4, 0, 12);
    return ip;
  }
  ip.v6 = true;
  return ip;
}

bool prefix_equal(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, int bits) {
  int whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<std::size_t>(whole)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

bool Network::contains(std::string_view text) const {
  auto ip = parse_ip(text);
  return ip && ip->v6 == v6 && prefix_equal(ip->bytes, addr, prefix);
}

Result<Network> parse_network(std::string_view text) {
  auto slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return fail(Errc::syntax, "not a numeric IPv4 or IPv6 address");
  Network net;
  net.v6 = ip->v6;
  net.addr = ip->bytes;
  const int width = net.v6 ? 128 : 32;
  net.prefix = width;
  if (slash != std::string_view::npos) {
    std::string_view bits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), net.prefix);
    if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || net.prefix < 0 || net.prefix > width) {
      return fail(Errc::syntax, "prefix length must be 0.." + std::to_string(width));
    }
  }
  std::array<std::uint8_t, 16> zero{};
  auto host_bits = net.addr;
  for (int i = 0; i < 16; ++i) {
    int keep = std::min(8, std::max(0, net.prefix - i * 8));
    host_bits[i] &= static_cast<std::uint8_t>(keep == 8 ? 0 : (0xff >> keep));
  }
  if (host_bits != zero) return fail(Errc::syntax, "address has bits set below the prefix length");
  return net;
}

}  // namespace parley::config
