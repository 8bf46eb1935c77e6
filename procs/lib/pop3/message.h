// What TOP sends of a stored message (RFC 1939 7): the header, the empty
// line after it, and the first `lines` lines of the body; the whole
// message when it has no empty line or fewer body lines. Lines end at LF
// (CRLF or a bare LF, as mail::dot_stuff reads them); the header ends at
// the first empty line, however far. Pure: a prefix of `message`.
#pragma once

#include <cstddef>
#include <string_view>

namespace parley::pop3 {

std::string_view top_part(std::string_view message, std::size_t lines);

}  // namespace parley::pop3
