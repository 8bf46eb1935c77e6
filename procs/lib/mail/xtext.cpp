#include "mail/xtext.h"

namespace parley::mail {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_xchar(char c) { return c >= '!' && c <= '~' && c != '+' && c != '='; }

}  // namespace

Result<std::string> xtext_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      if (text.size() - i < 3) return fail(Errc::syntax, "xtext: '+' without two hex digits");
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return fail(Errc::syntax, "xtext: '+' not followed by two hex digits");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (is_xchar(c)) {
      out += c;
    } else {
      return fail(Errc::syntax, "xtext: character outside xchar");
    }
  }
  return out;
}

std::string xtext_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (is_xchar(c)) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '+';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

}  // namespace parley::mail
