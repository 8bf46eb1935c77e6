// Dot-stuffing: a message's text as the two protocols that end it with a
// line holding a lone "." send it, SMTP's DATA (RFC 5321 4.5.2) and POP3's
// RETR and TOP (RFC 1939 3). Tolerant of whatever a stored message holds:
//   - a line ends at LF, with or without a CR before it, and goes out
//     ending in CRLF; a last line without a line end gets one;
//   - a line starting with "." gets another in front, so a lone "." goes
//     out as ".." and cannot end the message early;
//   - nothing else changes: a CR not before an LF, NUL and 8-bit octets
//     pass through (smtp::dot_stuff refuses or drops them first).
// The result does not include the final ".\r\n". Pure.
#pragma once

#include <string>
#include <string_view>

namespace parley::mail {

std::string dot_stuff(std::string_view text);

}  // namespace parley::mail
