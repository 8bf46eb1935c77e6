#include "config/listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "config/host_port.h"
#include "config/quoted.h"

namespace parley::config {

namespace {

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// inet_pton is the reference for what a numeric address is; inet_ntop
// gives the one canonical spelling (IPv6 "0:0::1" becomes "::1").
Result<std::string> canonical_address(int family, std::string_view text) {
  const char* what = family == AF_INET ? "IPv4" : "IPv6";
  // inet_pton needs a NUL-terminated string; a NUL inside would cut it short.
  if (text.find('\0') != std::string_view::npos) {
    return fail(Errc::syntax, std::string("bad ") + what + " address " + quoted(text));
  }
  const std::string copy(text);
  unsigned char binary[sizeof(in6_addr)];
  if (inet_pton(family, copy.c_str(), binary) != 1) {
    return fail(Errc::syntax, std::string("bad ") + what + " address " + quoted(text));
  }
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(family, binary, out, sizeof out) == nullptr) {
    return fail(Errc::internal, std::string("cannot format ") + what + " address " + quoted(text));
  }
  return std::string(out);
}

}  // namespace

std::string_view to_string(ListenSpec::Proto proto) {
  switch (proto) {
    case ListenSpec::Proto::tcp: return "tcp";
    case ListenSpec::Proto::udp: return "udp";
    case ListenSpec::Proto::unix_stream: return "unix";
  }
  return "?";
}

Result<ListenSpec> parse_listen(std::string_view spec) {
  if (spec.size() > kMaxListenSpec) {
    return fail(Errc::syntax, "longer than " + std::to_string(kMaxListenSpec) + " bytes");
  }
  ListenSpec out;

  const auto eq = spec.find('=');
  if (eq == std::string_view::npos) return fail(Errc::syntax, "missing \"=\" after the name (NAME=PROTO:HOST:PORT)");
  const auto name = spec.substr(0, eq);
  if (name.empty()) return fail(Errc::syntax, "empty name before \"=\"");
  if (name.size() > kMaxListenName) {
    return fail(Errc::syntax, "name longer than " + std::to_string(kMaxListenName) + " bytes");
  }
  for (const char c : name) {
    if (!is_name_char(c)) return fail(Errc::syntax, "name " + quoted(name) + " has characters outside [a-z0-9-]");
  }
  out.name = name;

  auto rest = spec.substr(eq + 1);
  const auto colon = rest.find(':');
  const auto proto = rest.substr(0, colon);
  if (proto == "tcp") {
    out.proto = ListenSpec::Proto::tcp;
  } else if (proto == "udp") {
    out.proto = ListenSpec::Proto::udp;
  } else if (proto == "unix" && colon != std::string_view::npos) {
    out.proto = ListenSpec::Proto::unix_stream;
    const auto path = rest.substr(colon + 1);
    if (path.empty()) return fail(Errc::syntax, "missing socket path after \"unix:\"");
    if (path.size() > kMaxUnixPath) return fail(Errc::syntax, "socket path longer than " + std::to_string(kMaxUnixPath) + " bytes");
    for (const char c : path) {
      if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) return fail(Errc::syntax, "socket path " + quoted(path) + " has a space or control character");
    }
    out.host = std::string(path);
    return out;
  } else {
    return fail(Errc::syntax, "unknown protocol " + quoted(proto) + " (expected tcp, udp or unix)");
  }
  if (colon == std::string_view::npos) return fail(Errc::syntax, "missing \":HOST:PORT\" after the protocol");
  rest = rest.substr(colon + 1);

  // Binding must not depend on DNS: the host is a numeric address, IPv6
  // in brackets, or "*".
  if (rest.rfind(':') == 0) return fail(Errc::syntax, "missing host (use \"*\" or \"[::]\" for all addresses)");
  auto host_port = parse_host_port(rest);
  if (!host_port) return host_port.error();
  const bool bracketed = rest.starts_with('[');
  if (host_port->host == "*" && !bracketed) {
    out.host = "*";
  } else {
    auto host = canonical_address(bracketed ? AF_INET6 : AF_INET, host_port->host);
    if (!host) return host.error();
    out.host = std::move(*host);
  }
  out.port = host_port->port;
  return out;
}

std::string to_string(const ListenSpec& spec) {
  std::string out = spec.name;
  out += '=';
  out += to_string(spec.proto);
  out += ':';
  if (spec.proto == ListenSpec::Proto::unix_stream) return out + spec.host;
  if (spec.host.find(':') != std::string::npos) {
    out += '[' + spec.host + ']';
  } else {
    out += spec.host;
  }
  out += ':';
  out += std::to_string(spec.port);
  return out;
}

}  // namespace parley::config
