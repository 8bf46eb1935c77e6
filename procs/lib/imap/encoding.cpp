#include "imap/encoding.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "core/utf8.h"
#include "imap/types.h"
#include "mail/date.h"

namespace parley::imap {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

// Decodes one UTF-8 sequence at s[i] (already checked by utf8_length).
std::uint32_t utf8_decode(std::string_view s, std::size_t i, std::size_t len) {
  const auto b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i + k])); };
  if (len == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (len == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

// Decodes the base64 run between "&" and "-" into UTF-8.
bool decode_run(std::string_view run, std::string& out) {
  std::uint32_t bits = 0;
  int nbits = 0;
  std::vector<std::uint16_t> units;
  for (char c : run) {
    const int v = b64_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push_back(static_cast<std::uint16_t>((bits >> nbits) & 0xFFFF));
    }
  }
  // RFC 2152: leftover bits must be zero and fewer than 6 + what a unit needs.
  if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0) return false;
  if (units.empty()) return false;
  for (std::size_t i = 0; i < units.size(); ++i) {
    std::uint32_t u = units[i];
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 >= units.size() || units[i + 1] < 0xDC00 || units[i + 1] > 0xDFFF) return false;
      u = 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return false;
    } else if (u >= 0x20 && u <= 0x7E) {
      return false;  // printable ASCII must represent itself (RFC 3501 5.1.3)
    }
    if (u < 0x20 || u == 0x7F) return false;
    append_utf8(out, u);
  }
  return true;
}

void encode_run(const std::vector<std::uint16_t>& units, std::string& out) {
  out += '&';
  std::uint32_t bits = 0;
  int nbits = 0;
  for (std::uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kB64[(bits >> nbits) & 0x3F];
    }
    bits &= (1u << nbits) - 1;
  }
  if (nbits > 0) out += kB64[(bits << (6 - nbits)) & 0x3F];
  out += '-';
}

bool atom_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7F) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}

}  // namespace

Result<std::string> decode_mailbox(std::string_view name, bool utf8, bool normalize_inbox) {
  std::string out;
  if (utf8) {
    if (!valid_utf8(name)) return fail(Errc::syntax, "mailbox name is not UTF-8");
    for (char c : name) {
      if (is_control(static_cast<unsigned char>(c))) return fail(Errc::syntax, "control character in mailbox name");
    }
    out.assign(name);
  } else {
    out.reserve(name.size());
    bool last_was_run = false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const auto c = static_cast<unsigned char>(name[i]);
      if (c >= 0x80) return fail(Errc::syntax, "8-bit mailbox name without UTF-8");
      if (is_control(c)) return fail(Errc::syntax, "control character in mailbox name");
      if (c != '&') {
        out += static_cast<char>(c);
        last_was_run = false;
        continue;
      }
      const std::size_t end = name.find('-', i + 1);
      if (end == std::string_view::npos) return fail(Errc::syntax, "unterminated modified UTF-7");
      if (end == i + 1) {
        out += '&';
        i = end;
        last_was_run = false;
        continue;
      }
      if (last_was_run) return fail(Errc::syntax, "adjacent modified UTF-7 runs");
      if (!decode_run(name.substr(i + 1, end - i - 1), out)) return fail(Errc::syntax, "bad modified UTF-7");
      i = end;
      last_was_run = true;
    }
  }
  if (normalize_inbox && iequals(out, "INBOX")) out = "INBOX";
  return out;
}

std::string encode_mailbox(std::string_view name, bool utf8) {
  if (utf8) return std::string(name);
  std::string out;
  std::vector<std::uint16_t> units;
  const auto flush = [&] {
    if (!units.empty()) encode_run(units, out);
    units.clear();
  };
  for (std::size_t i = 0; i < name.size();) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c <= 0x7E) {
      flush();
      out += c == '&' ? "&-" : std::string(1, static_cast<char>(c));
      ++i;
      continue;
    }
    std::uint32_t cp = 0xFFFD;
    std::size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if (const std::size_t l = utf8_length(name, i); l != 0) {
      cp = utf8_decode(name, i, l);
      len = l;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      units.push_back(static_cast<std::uint16_t>(cp));
    }
    i += len;
  }
  flush();
  return out;
}

std::string encode_string(std::string_view s, bool utf8) {
  bool quotable = s.size() <= 1024;
  if (quotable) {
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == 0 || c == '\r' || c == '\n' || (c >= 0x80 && !utf8)) {
        quotable = false;
        break;
      }
    }
    if (quotable && utf8 && !valid_utf8(s)) quotable = false;
  }
  std::string out;
  if (!quotable) {
    out = "{" + std::to_string(s.size()) + "}\r\n";
    out.append(s);
    return out;
  }
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string encode_astring(std::string_view s, bool utf8) {
  bool atom = !s.empty() && !iequals(s, "NIL");
  for (char c : s) {
    if (!atom) break;
    atom = atom_char(static_cast<unsigned char>(c));
  }
  return atom ? std::string(s) : encode_string(s, utf8);
}

std::string encode_nstring(std::optional<std::string_view> s, bool utf8) {
  return s ? encode_string(*s, utf8) : std::string("NIL");
}

std::string format_mailbox(std::string_view name, bool utf8) { return encode_astring(encode_mailbox(name, utf8), utf8); }

// ---- types.h ----

bool SequenceSet::contains(std::uint32_t n, std::uint32_t max) const {
  if (n == 0) return false;
  for (const Range& r : ranges) {
    std::uint32_t a = r.first == kStar ? max : r.first;
    std::uint32_t b = r.last == kStar ? max : r.last;
    if (a == 0 || b == 0) continue;  // "*" of an empty mailbox
    if (a > b) std::swap(a, b);
    if (n >= a && n <= b) return true;
  }
  return false;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> SequenceSet::intervals(std::uint32_t max) const {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> v;
  v.reserve(ranges.size());
  for (const Range& r : ranges) {
    std::uint32_t a = r.first == kStar ? max : r.first;
    std::uint32_t b = r.last == kStar ? max : r.last;
    if (a == 0 || b == 0) continue;
    if (a > b) std::swap(a, b);
    v.emplace_back(a, b);
  }
  std::sort(v.begin(), v.end());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& iv : v) {
    if (!out.empty() && static_cast<std::uint64_t>(out.back().second) + 1 >= iv.first) {
      out.back().second = std::max(out.back().second, iv.second);
    } else {
      out.push_back(iv);
    }
  }
  return out;
}

std::string format_sequence_set(std::vector<std::uint32_t> numbers) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  std::string out;
  std::size_t i = 0;
  if (!numbers.empty() && numbers[0] == 0) i = 1;
  while (i < numbers.size()) {
    std::size_t j = i;
    while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(numbers[i]);
    if (j > i) out += ':' + std::to_string(numbers[j]);
    i = j + 1;
  }
  return out;
}

std::string format_sequence_set(const SequenceSet& set) {
  if (set.saved) return "$";
  std::string out;
  const auto num = [](std::uint32_t n) { return n == SequenceSet::kStar ? std::string("*") : std::to_string(n); };
  for (const auto& r : set.ranges) {
    if (!out.empty()) out += ',';
    out += num(r.first);
    if (r.first != r.last) out += ':' + num(r.last);
  }
  return out;
}

std::string format_date_time(std::int64_t unix_time, int zone_minutes) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  zone_minutes = std::clamp(zone_minutes, -1439, 1439);
  const std::int64_t local = unix_time + static_cast<std::int64_t>(zone_minutes) * 60;
  std::int64_t days = local / 86400;
  std::int64_t secs = local % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  int y = 0, m = 1, d = 1;
  mail::civil_from_days(days, y, m, d);
  const int az = zone_minutes < 0 ? -zone_minutes : zone_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%02d-%s-%04d %02d:%02d:%02d %c%02d%02d\"", d, kMonths[m - 1], y,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                zone_minutes < 0 ? '-' : '+', az / 60, az % 60);
  return buf;
}

}  // namespace parley::imap
