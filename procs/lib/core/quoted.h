// Scanning text that may hold quoted strings ("...", with backslash
// escapes), as SMTP paths (RFC 5321 4.1.2), mail headers and SIP headers
// (RFC 3261 25.1) quote them: a delimiter inside quotes is not one.
#pragma once

#include <cstddef>
#include <string_view>

namespace parley {

// The first character of `stops` in `text`, from `from` on, that is not
// inside a quoted string; npos when there is none (an unterminated quote
// runs to the end).
inline std::size_t find_unquoted(std::string_view text, std::string_view stops, std::size_t from = 0) {
  bool quoted = false;
  for (std::size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (stops.find(c) != std::string_view::npos) {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace parley
