// Listen specs: how parley.conf names a socket parleyd binds for a process,
//   NAME=PROTO:HOST:PORT      e.g. "smtp=tcp:0.0.0.0:25", "sip=udp:[::1]:5060"
// NAME is what the process asks for ("listen:smtp"); PROTO is tcp or udp;
// HOST is a numeric IPv4 address, a bracketed numeric IPv6 address, or "*"
// (all IPv4 addresses; "[::]" is all IPv6 ones). No host names: binding
// must not depend on DNS at start-up. PORT is 1..65535, decimal, no leading
// zeros.
//   NAME=unix:PATH            e.g. "local=unix:/run/parley/submit.sock"
// a Unix stream socket (parleyd removes a stale socket file, binds, and
// lets every local user connect: mode 0666); PATH is at most 107 bytes
// (sun_path), printable, relative to parleyd's working directory when not
// absolute.
//
// Pure: depends on core only, so it can be unit-tested and fuzzed alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::config {

// Long enough for any sensible socket name; short enough for a log field.
constexpr std::size_t kMaxListenName = 64;
// The longest spec that can be valid: name, "=", proto, ":[", the longest
// IPv6 text (INET6_ADDRSTRLEN - 1 = 45), "]:", 5 port digits.
// A unix spec: name, "=", "unix:", a path of up to 107 bytes.
constexpr std::size_t kMaxUnixPath = 107;
constexpr std::size_t kMaxListenSpec = kMaxListenName + 1 + 5 + kMaxUnixPath;

struct ListenSpec {
  enum class Proto { tcp, udp, unix_stream };

  std::string name;
  Proto proto = Proto::tcp;
  // Canonical numeric text without brackets ("0.0.0.0", "::1"), or "*";
  // for unix_stream, the socket's path.
  std::string host;
  std::uint16_t port = 0;  // 0 for unix_stream

  bool operator==(const ListenSpec&) const = default;
};

// Parses one spec. Every malformation, including a spec longer than
// kMaxListenSpec, is Errc::syntax with a detail that says what is wrong,
// without repeating the whole spec (the caller adds it with its context).
[[nodiscard]] Result<ListenSpec> parse_listen(std::string_view spec);

// The canonical spec text; parse_listen(to_string(s)) gives back s.
std::string to_string(const ListenSpec& spec);
std::string_view to_string(ListenSpec::Proto proto);

}  // namespace parley::config
