// The client side of the SMTP wire format: server replies (RFC 5321 4.2)
// and EHLO keywords. Pure: no I/O.
//
// Untrusted input: every byte comes from a remote server.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::smtp {

constexpr std::size_t kMaxReplyLine = 512;    // RFC 5321 4.5.3.1.5, CRLF included
constexpr std::size_t kMaxReplyBytes = 65536; // a whole multi-line reply: a limit of ours
constexpr std::size_t kMaxReplyLines = 200;   // a limit of ours

struct ServerReply {
  int code = 0;                    // 200..599
  std::vector<std::string> lines;  // text after "ccc-" / "ccc ", one per line

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
  // "550 5.1.1 No such user" (lines joined by "; "), for logs and DSNs.
  std::string text() const;
  // The enhanced status code of the first line ("5.1.1"), or "" if none.
  std::string enhanced() const;
};

// Takes one complete reply off the front of `buf`.
//   value(reply): complete; consumed from `buf`.
//   value(nullopt): incomplete; feed more.
//   error(Errc::syntax): not a reply (bad code, codes differing between
//     lines, no SP/"-" after the code, bare CR or LF); error(Errc::limit):
//     a line, the reply or its line count too long. The connection is
//     unusable after an error.
[[nodiscard]] Result<std::optional<ServerReply>> parse_reply(std::string& buf);

// EHLO keywords, uppercased, with their parameters: "SIZE 1000" -> {"SIZE", "1000"}.
struct Extensions {
  std::vector<std::pair<std::string, std::string>> items;
  bool has(std::string_view keyword) const;
  std::optional<std::string> param(std::string_view keyword) const;
};
// From a 250 reply to EHLO: every line but the first (the greeting).
Extensions parse_ehlo(const ServerReply& reply);

}  // namespace parley::smtp
