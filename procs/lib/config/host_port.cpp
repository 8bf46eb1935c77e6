#include "config/host_port.h"

#include <charconv>

#include "config/quoted.h"

namespace parley::config {
namespace {

constexpr std::uint32_t kMaxPort = 65535;

}  // namespace

Result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty()) return fail(Errc::syntax, "missing port after \":\"");
  for (const char c : text) {
    if (c < '0' || c > '9') return fail(Errc::syntax, "port " + quoted(text) + " is not a decimal number");
  }
  // Leading zeros would make two spellings of one port; keep one.
  if (text.size() > 1 && text.front() == '0') {
    return fail(Errc::syntax, "port " + quoted(text) + " has a leading zero");
  }
  std::uint32_t port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port < 1 || port > kMaxPort) {
    return fail(Errc::syntax, "port " + quoted(text) + " is outside 1..65535");
  }
  return static_cast<std::uint16_t>(port);
}

Result<HostPort> parse_host_port(std::string_view text) {
  HostPort out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail(Errc::syntax, "missing \"]\" after the IPv6 address");
    if (close == 1) return fail(Errc::syntax, "empty IPv6 address in \"[]\"");
    out.host = text.substr(1, close - 1);
    const auto after = text.substr(close + 1);
    if (after.empty()) return fail(Errc::syntax, "missing \":PORT\" after the host");
    if (after.front() != ':') return fail(Errc::syntax, "expected \":PORT\" after \"]\", got " + quoted(after));
    port_text = after.substr(1);
  } else {
    const auto last = text.rfind(':');
    if (last == std::string_view::npos) return fail(Errc::syntax, "missing \":PORT\" after the host");
    const auto host = text.substr(0, last);
    if (host.empty()) return fail(Errc::syntax, "missing host");
    if (host.find(':') != std::string_view::npos) {
      return fail(Errc::syntax, "IPv6 address " + quoted(host) + " must be in brackets");
    }
    out.host = host;
    port_text = text.substr(last + 1);
  }
  auto port = parse_port(port_text);
  if (!port) return port.error();
  out.port = *port;
  return out;
}

}  // namespace parley::config
