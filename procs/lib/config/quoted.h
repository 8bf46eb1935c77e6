// quoted(): user text inside an error detail, in double quotes, with quotes,
// backslashes and non-printable bytes escaped, so a detail stays one
// readable line whatever the config file held. Internal to parley_config.
#pragma once

#include <string>
#include <string_view>

namespace parley::config {

inline std::string quoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;  // UTF-8 passes through: error text is UTF-8 like the file
    }
  }
  out += '"';
  return out;
}

}  // namespace parley::config
