// Header blocks: field scanning, unfolding, comments and MIME parameters
// (RFC 5322 2.2, RFC 2045 5.1, RFC 2231).
#include <algorithm>
#include <map>

#include "mime/internal.h"

namespace parley::mime::detail {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower_char(c);
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper_char(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_char(a[i]) != lower_char(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::optional<std::size_t> field_colon(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size()) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == ':' || c <= 32 || c == 127) break;
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::size_t colon = i;
  while (colon < line.size() && is_wsp(line[colon])) ++colon;
  if (colon < line.size() && line[colon] == ':') return colon;
  return std::nullopt;
}

namespace {

// The line at `pos`: its content without the line break, and where the
// next line starts.
struct Line {
  std::string_view text;
  std::size_t next;
};

Line line_at(std::string_view s, std::size_t pos) {
  const std::size_t lf = s.find('\n', pos);
  const std::size_t stop = lf == std::string_view::npos ? s.size() : lf;
  std::string_view text = s.substr(pos, stop - pos);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return {text, lf == std::string_view::npos ? s.size() : lf + 1};
}

}  // namespace

bool FieldReader::next(Field& field) {
  while (pos_ < h_.size() && pos_ < max_) {
    const Line line = line_at(h_, pos_);
    if (line.text.empty()) {
      pos_ = h_.size();
      return false;
    }
    const auto colon = field_colon(line.text);
    if (!colon || is_wsp(line.text.front())) {
      pos_ = line.next;  // junk line, or a continuation of one
      continue;
    }
    field.begin = pos_;
    field.name = trim(line.text.substr(0, line.text.find_first_of(": \t")));
    const std::size_t value_begin = pos_ + *colon + 1;
    std::size_t value_end = pos_ + line.text.size();
    std::size_t next = line.next;
    while (next < h_.size() && is_wsp(h_[next])) {
      const Line cont = line_at(h_, next);
      value_end = next + cont.text.size();
      next = cont.next;
    }
    field.value = h_.substr(value_begin, value_end - value_begin);
    field.end = next;
    pos_ = next;
    return true;
  }
  return false;
}

std::size_t header_length(std::string_view entity) {
  std::size_t pos = 0;
  bool first = true;
  while (pos < entity.size()) {
    const Line line = line_at(entity, pos);
    if (line.text.empty()) return line.next;
    if (first && (is_wsp(line.text.front()) || !field_colon(line.text))) return 0;
    first = false;
    pos = line.next;
  }
  return entity.size();
}

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r' && c != '\n') out += c;
  }
  return std::string(trim(out));
}

std::string strip_comments(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      out += c;
      if (c == '\\' && i + 1 < s.size()) {
        out += s[++i];
      } else if (c == '"') {
        quoted = false;
      }
    } else if (depth > 0) {
      if (c == '\\') {
        ++i;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (--depth == 0) out += ' ';
      }
    } else if (c == '(') {
      depth = 1;
    } else {
      if (c == '"') quoted = true;
      out += c;
    }
  }
  return out;
}

namespace {

struct RawParam {
  std::string base;  // lower case, without "*N*"
  int index = -1;    // continuation number, -1 for none
  bool extended = false;
  std::string value;
};

constexpr int kMaxContinuations = 1000;

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Splits "charset'language'text" of an extended first segment.
void split_extended(std::string_view v, std::string& charset, std::string_view& text) {
  const std::size_t q1 = v.find('\'');
  const std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) {
    text = v;
    return;
  }
  charset = std::string(v.substr(0, q1));
  text = v.substr(q2 + 1);
}

std::string charset_value(const std::string& bytes, const std::string& charset) {
  if (!charset.empty()) {
    if (auto utf8 = to_utf8(bytes, charset)) return *utf8;
  }
  return sanitize_utf8(bytes);
}

}  // namespace

std::vector<Param> parse_params(std::string_view s) {
  std::vector<RawParam> raw;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ';' || is_wsp(s[i]) || s[i] == '\r' || s[i] == '\n')) ++i;
    const std::size_t name_begin = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';' && !is_wsp(s[i])) ++i;
    std::string_view name = s.substr(name_begin, i - name_begin);
    while (i < s.size() && is_wsp(s[i])) ++i;
    if (i >= s.size() || s[i] != '=' || name.empty()) {
      while (i < s.size() && s[i] != ';') ++i;  // no value: skip
      continue;
    }
    ++i;
    while (i < s.size() && is_wsp(s[i])) ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i++];
      }
      if (i < s.size()) ++i;
      while (i < s.size() && s[i] != ';') ++i;  // junk after the quotes
    } else {
      const std::size_t v = i;
      while (i < s.size() && s[i] != ';') ++i;
      value = std::string(trim(s.substr(v, i - v)));
    }
    RawParam p;
    const std::size_t star = name.find('*');
    p.base = lower(name.substr(0, star));
    if (star != std::string_view::npos) {
      std::string_view rest = name.substr(star + 1);
      if (!rest.empty() && rest.back() == '*') {
        p.extended = true;
        rest.remove_suffix(1);
      } else if (rest.empty()) {
        p.extended = true;  // "name*"
      }
      if (!rest.empty()) {
        if (rest.size() > 4 || !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          continue;
        }
        if (rest.size() > 1 && rest[0] == '0') continue;
        p.index = std::stoi(std::string(rest));
      }
    }
    if (p.base.empty()) continue;
    p.value = std::move(value);
    raw.push_back(std::move(p));
  }

  // Combine per base name, in order of first appearance. An extended or
  // continued form wins over a plain one (RFC 2231 aware senders add the
  // plain one for old readers).
  std::vector<Param> out;
  std::vector<std::string> order;
  std::map<std::string, std::vector<const RawParam*>> by_base;
  for (const RawParam& p : raw) {
    auto& list = by_base[p.base];
    if (list.empty()) order.push_back(p.base);
    list.push_back(&p);
  }
  for (const std::string& base : order) {
    const RawParam* plain = nullptr;
    const RawParam* single_ext = nullptr;
    std::map<int, const RawParam*> segments;
    for (const RawParam* pp : by_base[base]) {
      const RawParam& p = *pp;
      if (p.index >= 0) {
        if (p.index < kMaxContinuations) segments.emplace(p.index, &p);
      } else if (p.extended) {
        if (!single_ext) single_ext = &p;
      } else if (!plain) {
        plain = &p;
      }
    }
    Param param{base, {}};
    if (single_ext) {
      std::string charset;
      std::string_view text;
      split_extended(single_ext->value, charset, text);
      param.value = charset_value(percent_decode(text), charset);
    } else if (!segments.empty() && segments.begin()->first == 0) {
      std::string charset;
      std::string bytes;
      int expect = 0;
      for (const auto& [index, seg] : segments) {
        if (index != expect++) break;
        std::string_view text = seg->value;
        if (seg->extended) {
          if (index == 0) split_extended(seg->value, charset, text);
          bytes += percent_decode(text);
        } else {
          bytes += text;
        }
      }
      param.value = charset_value(bytes, charset);
    } else if (plain) {
      param.value = plain->value;
    } else {
      continue;
    }
    out.push_back(std::move(param));
  }
  return out;
}

}  // namespace parley::mime::detail
