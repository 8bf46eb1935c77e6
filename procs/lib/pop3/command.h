// POP3 commands as the server receives them (RFC 1939, RFC 2449 CAPA,
// RFC 2595 STLS, RFC 5034 AUTH). Pure: no I/O.
//
// Untrusted input: `line` is one line from the network peer, without its
// CRLF. Keywords are case-insensitive; arguments are separated by one SP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::pop3 {

constexpr std::size_t kMaxCommandLine = 255;  // RFC 2449 4, CRLF included

enum class Verb { user, pass, auth, stls, capa, quit, stat, list, uidl, retr, top, dele, rset, noop, apop };

struct Command {
  Verb verb = Verb::noop;
  std::string text;                   // USER: the name; PASS: the password (may hold spaces)
  std::string mechanism;              // AUTH, uppercased
  std::optional<std::string> initial; // AUTH: the initial response as sent (base64 or "=")
  std::optional<std::uint32_t> msg;   // LIST/UIDL (optional), RETR/TOP/DELE (required): 1-based
  std::uint32_t lines = 0;            // TOP
};

// Errc::invalid: unknown command (reply "-ERR unknown command");
// Errc::syntax: a control character, or missing or malformed arguments (a message number that is
// not a decimal number from 1 to 2^31, TOP without a line count, AUTH
// without a mechanism, arguments where none belong);
// Errc::limit: a line longer than kMaxCommandLine - 2.
[[nodiscard]] Result<Command> parse_command(std::string_view line);

}  // namespace parley::pop3
