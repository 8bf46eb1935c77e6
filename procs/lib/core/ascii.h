// ASCII case mapping for protocol keywords, domains and rule patterns
// (RFC 5321 and friends compare these case-insensitively in ASCII only;
// bytes >= 0x80 are left alone).
#pragma once

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

}  // namespace parley
