#include "flow.h"

#include <charconv>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "auth/auth.h"
#include "auth/encoding.h"

namespace parley::sipd {

namespace {

constexpr std::string_view kKinds[] = {"udp", "tcp", "tls", "ws", "wss"};
// Bytes of HMAC kept in a token: 64 bits against forgery is plenty for a
// value that only selects among this server's own flows.
constexpr std::size_t kTokenMacBytes = 8;

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty() || text.size() > 20) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> split(std::string_view text, char sep, std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    auto at = text.find(sep);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + 1);
  }
  parts.push_back(text);
  return parts;
}

}  // namespace

std::string Flow::name() const {
  std::string out(kKinds[static_cast<int>(kind)]);
  out += ':';
  out += std::to_string(reliable() ? connection : socket);
  out += ':';
  out += peer();
  return out;
}

std::string Flow::peer() const {
  std::string host = ip.find(':') == std::string::npos ? ip : "[" + ip + "]";
  return host + ":" + std::to_string(port);
}

std::optional<Flow> parse_flow(std::string_view name) {
  // KIND:N:HOST:PORT, HOST possibly "[v6]"
  auto parts = split(name, ':', 3);
  if (parts.size() != 3) return std::nullopt;
  Flow f;
  bool known = false;
  for (std::size_t i = 0; i < std::size(kKinds); ++i) {
    if (parts[0] == kKinds[i]) {
      f.kind = static_cast<Flow::Kind>(i);
      known = true;
    }
  }
  if (!known) return std::nullopt;
  std::uint64_t n = 0;
  if (!parse_number(parts[1], n)) return std::nullopt;
  if (f.reliable()) {
    f.connection = n;
  } else {
    f.socket = static_cast<std::size_t>(n);
  }
  std::string_view rest = parts[2];
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = rest.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  }
  // A numeric address in its canonical text, as flows are made from
  // received packets: anything else is not a flow of this server's.
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec || address.to_string() != host) return std::nullopt;
  f.ip = std::string(host);
  if (!parse_number(rest.substr(colon + 1), f.port) || f.port == 0) return std::nullopt;
  return f;
}

std::string_view via_transport(Flow::Kind kind) {
  constexpr std::string_view kNames[] = {"UDP", "TCP", "TLS", "WS", "WSS"};
  return kNames[static_cast<int>(kind)];
}

std::string_view uri_transport(Flow::Kind kind) { return kKinds[static_cast<int>(kind)]; }

std::string flow_token(const Flow& flow, std::string_view key) {
  const std::string name = flow.name();
  return auth::hex_encode(name) + "-" + auth::hex_encode(auth::hmac_sha256(key, name).substr(0, kTokenMacBytes));
}

std::optional<Flow> parse_flow_token(std::string_view token, std::string_view key) {
  auto dash = token.find('-');
  if (dash == std::string_view::npos || token.size() > 512) return std::nullopt;
  auto name = auth::hex_decode(token.substr(0, dash));
  if (!name) return std::nullopt;
  const std::string mac = auth::hex_encode(auth::hmac_sha256(key, *name).substr(0, kTokenMacBytes));
  if (mac != token.substr(dash + 1)) return std::nullopt;
  return parse_flow(*name);
}

}  // namespace parley::sipd
