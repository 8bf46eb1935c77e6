// Content decoding: charsets into UTF-8 (us-ascii, utf-8, iso-8859-1,
// windows-1252), base64 (RFC 2045 6.8), quoted-printable (RFC 2045 6.7)
// and RFC 2047 encoded words.
#include <algorithm>
#include <cstdint>

#include "core/utf8.h"
#include "mime/internal.h"

namespace parley::mime {
namespace detail {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Windows-1252 0x80..0x9F (the rest is ISO-8859-1); 0 where undefined.
constexpr char16_t kCp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  //
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,       //
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  //
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

enum class Charset { unknown, ascii, utf8, latin1, cp1252 };

Charset charset_of(std::string_view name) {
  const std::string n = lower(trim(name));
  if (n == "us-ascii" || n == "ascii" || n == "ansi_x3.4-1968" || n == "iso646-us") return Charset::ascii;
  if (n == "utf-8" || n == "utf8") return Charset::utf8;
  if (n == "iso-8859-1" || n == "iso8859-1" || n == "iso_8859-1" || n == "latin1" || n == "l1" ||
      n == "iso-ir-100" || n == "cp819") {
    return Charset::latin1;
  }
  if (n == "windows-1252" || n == "cp1252" || n == "x-cp1252") return Charset::cp1252;
  return Charset::unknown;
}

}  // namespace

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      out += bytes[i++];
      continue;
    }
    const std::size_t n = utf8_length(bytes, i);
    if (n == 0) {
      append_utf8(out, kReplacement);
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::optional<std::string> to_utf8(std::string_view bytes, std::string_view charset) {
  const Charset cs = charset_of(charset);
  if (cs == Charset::unknown) return std::nullopt;
  if (cs == Charset::utf8) return sanitize_utf8(bytes);
  std::string out;
  out.reserve(bytes.size());
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x80) {
      out += ch;
    } else if (cs == Charset::ascii) {
      append_utf8(out, kReplacement);
    } else if (cs == Charset::cp1252 && b < 0xA0) {
      const char16_t cp = kCp1252[b - 0x80];
      append_utf8(out, cp ? cp : kReplacement);
    } else {
      append_utf8(out, b);
    }
  }
  return out;
}

std::string base64_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      continue;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string qp_decode(std::string_view in, bool q) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (c == '=') {
      if (i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
        out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
        i += 3;
        continue;
      }
      // A soft line break: "=" then optional trailing WSP, then the line end.
      std::size_t j = i + 1;
      while (j < in.size() && is_wsp(in[j])) ++j;
      if (!q && (j == in.size() || in[j] == '\n' || (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n'))) {
        i = j == in.size() ? j : (in[j] == '\n' ? j + 1 : j + 2);
        continue;
      }
      out += c;
      ++i;
    } else if (q && c == '_') {
      out += ' ';
      ++i;
    } else if (!q && is_wsp(c)) {
      // Trailing whitespace on a line was added in transport (RFC 2045 6.7 (3)).
      std::size_t j = i;
      while (j < in.size() && is_wsp(in[j])) ++j;
      const bool at_eol = j == in.size() || in[j] == '\n' || (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n');
      if (!at_eol) out.append(in.substr(i, j - i));
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace detail

namespace {

using namespace detail;

constexpr std::size_t kMaxCharset = 64;

// Finds encoded words ("=?charset?B|Q?text?=", text without '?' or
// whitespace, RFC 2047 2). The next '?' and whitespace after a point are
// cached: candidates only move forward, so a message full of "=?" stays
// linear.
class WordScanner {
 public:
  explicit WordScanner(std::string_view s) : s_(s) {}

  struct Word {
    std::string charset;
    std::string bytes;
    std::size_t end = 0;
  };

  std::optional<Word> at(std::size_t i) {
    if (s_.substr(i, 2) != "=?") return std::nullopt;
    const std::size_t q1 = s_.substr(0, std::min(s_.size(), i + 2 + kMaxCharset)).find('?', i + 2);
    if (q1 == std::string_view::npos || q1 + 2 >= s_.size() || s_[q1 + 2] != '?') return std::nullopt;
    std::string_view charset = s_.substr(i + 2, q1 - i - 2);
    if (const std::size_t star = charset.find('*'); star != std::string_view::npos) {
      charset = charset.substr(0, star);  // RFC 2231 language suffix
    }
    if (charset.empty() || charset.find_first_of(" \t\r\n") != std::string_view::npos) return std::nullopt;
    const char enc = upper_char(s_[q1 + 1]);
    if (enc != 'B' && enc != 'Q') return std::nullopt;
    const std::size_t text_begin = q1 + 3;
    const std::size_t close = next(next_q_, text_begin, "?");
    if (close == std::string_view::npos || close + 1 >= s_.size() || s_[close + 1] != '=') return std::nullopt;
    if (next(next_ws_, text_begin, " \t\r\n") < close) return std::nullopt;
    if (charset_of(charset) == Charset::unknown) return std::nullopt;
    const std::string_view text = s_.substr(text_begin, close - text_begin);
    Word w;
    w.charset = lower(charset);
    w.bytes = enc == 'B' ? base64_decode(text) : qp_decode(text, true);
    w.end = close + 2;
    return w;
  }

 private:
  struct Cache {
    std::size_t from = std::string_view::npos;  // searched from here
    std::size_t found = 0;
  };

  std::size_t next(Cache& c, std::size_t from, std::string_view chars) {
    if (c.from == std::string_view::npos || from < c.from || (c.found != std::string_view::npos && c.found < from)) {
      c.from = from;
      c.found = s_.find_first_of(chars, from);
    }
    return c.found;
  }

  std::string_view s_;
  Cache next_q_, next_ws_;
};

}  // namespace

std::string decode_words(std::string_view s) {
  std::string out;
  std::string pending;  // bytes of adjacent words in one charset, joined
  std::string pending_charset;
  const auto flush = [&] {
    if (!pending_charset.empty()) out += *to_utf8(pending, pending_charset);
    pending.clear();
    pending_charset.clear();
  };
  WordScanner scanner(s);
  std::size_t pos = 0;
  bool after_word = false;
  while (pos < s.size()) {
    std::size_t at = s.find("=?", pos);
    if (at == std::string_view::npos) at = s.size();
    std::optional<WordScanner::Word> word;
    while (at < s.size() && !(word = scanner.at(at))) {
      at = s.find("=?", at + 1);
      if (at == std::string_view::npos) at = s.size();
    }
    const std::string_view gap = s.substr(pos, at - pos);
    // Whitespace between two encoded words is not displayed (RFC 2047 6.2).
    const bool only_space = gap.find_first_not_of(" \t\r\n") == std::string_view::npos;
    if (!(after_word && word && only_space)) {
      flush();
      out += sanitize_utf8(gap);
    }
    if (!word) break;
    if (word->charset != pending_charset) flush();
    pending_charset = word->charset;
    pending += word->bytes;
    pos = word->end;
    after_word = true;
  }
  flush();
  return out;
}

}  // namespace parley::mime
