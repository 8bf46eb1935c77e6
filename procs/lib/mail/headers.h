// The header block of an RFC 5322 message: from the start up to the first
// empty line (a message without one is all header).
//
// Field names compare case-insensitively; a field's value is unfolded
// (a line break followed by WSP becomes that WSP, RFC 5322 2.2.3) and has
// leading and trailing WSP trimmed. Lines may end in CRLF or a bare LF. A
// line that is neither a field ("name:") nor a continuation is skipped,
// with its continuations. Scanning stops after kMaxHeaderBytes: fields
// past that are not seen. Pure functions; `message` is only read.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::mail {

constexpr std::size_t kMaxHeaderBytes = 1 << 20;  // scanning bound; far above any honest header

// The first field named `name`, unfolded and trimmed.
std::optional<std::string> header(std::string_view message, std::string_view name);

// Every field named `name`, in order.
std::vector<std::string> headers(std::string_view message, std::string_view name);

// How many fields are named `name` ("Received" counts hops, RFC 5321 6.3).
int count_headers(std::string_view message, std::string_view name);

// Offset of the body: just after the empty line ending the header, or
// message.size() when there is none within kMaxHeaderBytes.
std::size_t header_end(std::string_view message);

}  // namespace parley::mail
