// Building a log line: the JSON and human formats, their escaping, and the
// level and format names. Pure functions; no I/O.
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>

#include "log/log.h"

namespace parley::log {

namespace {

constexpr std::array<std::string_view, 7> kLevelNames = {"trace", "debug", "info", "warn",
                                                         "error", "critical", "off"};
constexpr std::string_view kHex = "0123456789abcdef";

// One step through UTF-8 (RFC 3629): how many bytes from s[i] form a valid
// sequence, or, when invalid, the length of its maximal subpart (the bytes
// that could still have begun a valid sequence), which becomes one U+FFFD.
// Rejects overlong forms, surrogates and code points above U+10FFFF.
struct Utf8Step {
  size_t len;
  bool valid;
};

Utf8Step utf8_step(std::string_view s, size_t i) {
  auto lead = static_cast<unsigned char>(s[i]);
  size_t need;
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    need = 1;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    need = 2;
    if (lead == 0xe0) lo = 0xa0;  // overlong
    if (lead == 0xed) hi = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    need = 3;
    if (lead == 0xf0) lo = 0x90;  // overlong
    if (lead == 0xf4) hi = 0x8f;  // above U+10FFFF
  } else {
    return {1, false};
  }
  for (size_t n = 1; n <= need; ++n) {
    if (i + n >= s.size()) return {n, false};
    auto c = static_cast<unsigned char>(s[i + n]);
    if (c < lo || c > hi) return {n, false};
    lo = 0x80;
    hi = 0xbf;
  }
  return {need + 1, true};
}

// A byte that needs no escaping in either format (printable ASCII, minus
// the quote and backslash).
bool plain_ascii(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

void append_hex_byte(std::string& out, std::string_view prefix, unsigned char c) {
  out += prefix;
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

template <class T>
void append_number(std::string& out, T v) {
  std::array<char, 32> buf;
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec == std::errc()) out.append(buf.data(), end);
}

void append_padded(std::string& out, unsigned v, int width) {
  std::array<char, 12> buf;
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < static_cast<int>(buf.size()));
  for (int i = n; i < width; ++i) out += '0';
  while (n > 0) out += buf[--n];
}

// RFC 3339 UTC with milliseconds: 2026-11-22T10:00:00.123Z.
void append_timestamp(std::string& out, std::int64_t unix_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds{unix_ms}};
  sys_days day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss<milliseconds> hms{tp - day};
  append_padded(out, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  out += '-';
  append_padded(out, static_cast<unsigned>(ymd.month()), 2);
  out += '-';
  append_padded(out, static_cast<unsigned>(ymd.day()), 2);
  out += 'T';
  append_padded(out, static_cast<unsigned>(hms.hours().count()), 2);
  out += ':';
  append_padded(out, static_cast<unsigned>(hms.minutes().count()), 2);
  out += ':';
  append_padded(out, static_cast<unsigned>(hms.seconds().count()), 2);
  out += '.';
  append_padded(out, static_cast<unsigned>(hms.subseconds().count()), 3);
  out += 'Z';
}

// JSON (RFC 8259): short escapes where they exist, \u00XX for the other
// control bytes and DEL, U+FFFD for invalid UTF-8, so that every line is
// valid JSON and valid UTF-8 whatever the caller passed.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    size_t run = i;
    while (run < s.size() && plain_ascii(static_cast<unsigned char>(s[run]))) ++run;
    out.append(s.substr(i, run - i));
    i = run;
    if (i == s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default: append_hex_byte(out, "\\u00", c); break;
      }
      ++i;
      continue;
    }
    Utf8Step step = utf8_step(s, i);
    if (step.valid) {
      out.append(s.substr(i, step.len));
    } else {
      out += "\\ufffd";
    }
    i += step.len;
  }
  out += '"';
}

// Human: a byte is escaped when it could break the line or the terminal:
// control bytes, DEL, C1 controls (U+0080..U+009F) and invalid UTF-8 become
// \xNN per byte; the backslash (and the quote inside quotes) is doubled.
bool human_escaped(std::string_view s, size_t i, size_t* len) {
  auto c = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (c < 0x80) return c < 0x20 || c == 0x7f || c == '\\';
  Utf8Step step = utf8_step(s, i);
  *len = step.len;
  bool c1 = step.valid && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0;
  return !step.valid || c1;
}

void append_human_text(std::string& out, std::string_view s, bool quoted) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      out += quoted ? "\\\"" : "\"";
      ++i;
      continue;
    }
    size_t len;
    if (!human_escaped(s, i, &len)) {
      out.append(s.substr(i, len));
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      for (size_t k = 0; k < len; ++k) append_hex_byte(out, "\\x", static_cast<unsigned char>(s[i + k]));
    }
    i += len;
  }
}

// A human value is quoted when a reader could not otherwise tell where it
// ends or what it holds: empty, or holding a space, quote, '=' or anything
// escaped.
bool human_needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '"' || c == '=') return true;
    size_t len;
    if (human_escaped(s, i, &len)) return true;
    i += len;
  }
  return false;
}

void append_json_value(std::string& out, const Field::Value& value) {
  std::visit(
      [&out](auto v) {
        using T = decltype(v);
        if constexpr (std::is_same_v<T, std::string_view>) {
          append_json_string(out, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isfinite(v)) {
            append_number(out, v);
          } else {
            out += "null";
          }
        } else {
          append_number(out, v);
        }
      },
      value);
}

void append_human_value(std::string& out, const Field::Value& value) {
  std::visit(
      [&out](auto v) {
        using T = decltype(v);
        if constexpr (std::is_same_v<T, std::string_view>) {
          if (human_needs_quotes(v)) {
            out += '"';
            append_human_text(out, v, true);
            out += '"';
          } else {
            out += v;
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isnan(v)) {
            out += "nan";
          } else if (std::isinf(v)) {
            out += v < 0 ? "-inf" : "inf";
          } else {
            append_number(out, v);
          }
        } else {
          append_number(out, v);
        }
      },
      value);
}

std::string format_json(std::string_view proc, int pid, std::int64_t unix_ms, Level level,
                        std::string_view event, std::string_view msg, Fields fields, const Field* sid) {
  std::string out;
  out.reserve(96 + proc.size() + event.size() + msg.size() + 24 * fields.size());
  out += "{\"ts\":\"";
  append_timestamp(out, unix_ms);
  out += "\",\"level\":\"";
  out += level_name(level);
  out += "\",\"proc\":";
  append_json_string(out, proc);
  out += ",\"pid\":";
  append_number(out, pid);
  if (sid != nullptr) {
    out += ",\"sid\":";
    append_json_value(out, sid->value);
  }
  out += ",\"event\":";
  append_json_string(out, event);
  out += ",\"msg\":";
  append_json_string(out, msg);
  for (const Field& f : fields) {
    if (&f == sid) continue;
    out += ',';
    append_json_string(out, f.key);
    out += ':';
    append_json_value(out, f.value);
  }
  out += '}';
  return out;
}

std::string format_human(std::string_view proc, int pid, std::int64_t unix_ms, Level level,
                         std::string_view event, std::string_view msg, Fields fields, const Field* sid) {
  std::string out;
  out.reserve(64 + proc.size() + event.size() + msg.size() + 24 * fields.size());
  append_timestamp(out, unix_ms);
  out += ' ';
  out += level_name(level);
  out += ' ';
  append_human_text(out, proc, false);
  out += '[';
  append_number(out, pid);
  out += ']';
  if (sid != nullptr) {
    out += ' ';
    append_human_value(out, sid->value);
  }
  out += ' ';
  append_human_text(out, event, false);
  out += ':';
  if (!msg.empty()) {
    out += ' ';
    append_human_text(out, msg, false);
  }
  for (const Field& f : fields) {
    if (&f == sid) continue;
    out += ' ';
    append_human_text(out, f.key, false);
    out += '=';
    append_human_value(out, f.value);
  }
  return out;
}

}  // namespace

Result<Level> parse_level(std::string_view name) {
  for (size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) return static_cast<Level>(i);
  }
  return fail(Errc::invalid, "unknown log level '" + std::string(name) +
                                 "' (trace, debug, info, warn, error, critical, off)");
}

std::string json_quote(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string_view level_name(Level level) {
  auto i = static_cast<size_t>(level);
  return i < kLevelNames.size() ? kLevelNames[i] : "unknown";
}

Result<Format> parse_format(std::string_view name) {
  if (name == "human") return Format::human;
  if (name == "json") return Format::json;
  return fail(Errc::invalid, "unknown log format '" + std::string(name) + "' (human, json)");
}

std::string format_line(Format format, std::string_view proc, int pid, std::int64_t unix_ms, Level level,
                        std::string_view event, std::string_view msg, Fields fields) {
  // The session id leads: it is what a reader follows across lines.
  const Field* sid = nullptr;
  for (const Field& f : fields) {
    if (f.key == "sid") {
      sid = &f;
      break;
    }
  }
  if (format == Format::json) return format_json(proc, pid, unix_ms, level, event, msg, fields, sid);
  return format_human(proc, pid, unix_ms, level, event, msg, fields, sid);
}

}  // namespace parley::log
