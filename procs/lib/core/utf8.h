// UTF-8 well-formedness (RFC 3629 section 4): no overlong forms, no
// surrogates, nothing above U+10FFFF. One implementation for the parsers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley {

// The length of the well-formed sequence that starts at s[i] (a byte >=
// 0x80), or 0 when none does.
std::size_t utf8_length(std::string_view s, std::size_t i);

// Every byte of `s` is ASCII or part of a well-formed sequence.
bool valid_utf8(std::string_view s);

// Appends the UTF-8 form of code point `cp` (at most U+10FFFF; the caller
// keeps surrogates out).
void append_utf8(std::string& out, char32_t cp);

}  // namespace parley
