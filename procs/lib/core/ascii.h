// ASCII case mapping for protocol keywords, domains and rule patterns
// (RFC 5321 and friends compare these case-insensitively in ASCII only;
// bytes >= 0x80 are left alone), and the check for one line of printable
// ASCII text.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace parley {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

inline std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Every byte printable ASCII (0x20..0x7e): no controls, no line breaks, no
// 8-bit bytes. True for "".
inline bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace parley
