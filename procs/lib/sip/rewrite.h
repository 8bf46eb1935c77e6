// The edits a proxy makes to a message it passes on (RFC 3261 16.6, 16.7):
// a new Request-URI, its own Via and Record-Route on top, Route entries
// taken off the top, Max-Forwards decremented; for a response, its own Via
// taken off. Pure: the result is new wire text, written from the parsed
// message (header lines as received, in order), which the caller parses
// again when it needs a Message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sip/message.h"

namespace parley::sip {

struct Rewrite {
  std::optional<std::string> request_uri;  // requests: replaces the Request-URI
  std::vector<std::string> prepend;        // whole header lines ("Via: ..."), put first, in order
  std::size_t drop_vias = 0;               // Via values taken off the top
  std::size_t drop_routes = 0;             // Route values taken off the top
  std::optional<std::uint32_t> max_forwards;  // replaces (or adds) Max-Forwards
  std::vector<std::string> append;         // whole header lines put after the others
  std::vector<std::string> remove;         // header names (long form) left out entirely
  std::optional<std::string> body;         // replaces the body (an SDP with the media relay's address)
};

// The message with the edits made. Content-Length is written anew for the
// body (a datagram may have had none; a stream needs one).
std::string rewrite(const Message& message, const Rewrite& edits);

}  // namespace parley::sip
