#include "mail/headers.h"

#include <algorithm>

namespace parley::mail {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// A field as found: its name and the raw text from after the colon to the
// end of its last continuation line, line breaks included.
struct Field {
  std::string_view name;
  std::string_view raw;
};

// Calls f(field) for each field in order until f returns false. Returns
// the offset of the body (see header_end).
template <class F>
std::size_t scan(std::string_view message, F&& f) {
  const std::size_t limit = std::min(message.size(), kMaxHeaderBytes);
  std::optional<Field> current;
  std::size_t current_begin = 0;  // offset of current->raw
  bool go_on = true;
  const auto flush = [&] {
    if (current && go_on) go_on = f(*current);
    current.reset();
  };
  std::size_t pos = 0;
  while (pos < limit && go_on) {
    const std::size_t lf = message.substr(0, limit).find('\n', pos);
    const std::size_t next = lf == std::string_view::npos ? limit : lf + 1;
    std::size_t end = lf == std::string_view::npos ? limit : lf;
    if (end > pos && lf != std::string_view::npos && message[end - 1] == '\r') --end;
    const std::string_view line = message.substr(pos, end - pos);
    if (line.empty()) {
      flush();
      return next;
    }
    if (is_wsp(line[0])) {
      if (current) current->raw = message.substr(current_begin, end - current_begin);
    } else {
      flush();
      const std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view name = line.substr(0, colon);
        while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);  // obs-optional
        // RFC 5322 3.6.8: ftext is printable US-ASCII except ':'.
        const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 127; });
        if (ok) {
          current_begin = pos + colon + 1;
          current = Field{name, message.substr(current_begin, end - current_begin)};
        }
      }
    }
    pos = next;
  }
  flush();
  return message.size();
}

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    if (raw[i] == '\n') continue;
    out += raw[i];
  }
  std::size_t b = 0;
  while (b < out.size() && is_wsp(out[b])) ++b;
  std::size_t e = out.size();
  while (e > b && is_wsp(out[e - 1])) --e;
  return out.substr(b, e - b);
}

}  // namespace

std::optional<std::string> header(std::string_view message, std::string_view name) {
  std::optional<std::string> out;
  scan(message, [&](const Field& field) {
    if (!iequals(field.name, name)) return true;
    out = unfold(field.raw);
    return false;
  });
  return out;
}

std::vector<std::string> headers(std::string_view message, std::string_view name) {
  std::vector<std::string> out;
  scan(message, [&](const Field& field) {
    if (iequals(field.name, name)) out.push_back(unfold(field.raw));
    return true;
  });
  return out;
}

int count_headers(std::string_view message, std::string_view name) {
  int n = 0;
  scan(message, [&](const Field& field) {
    if (iequals(field.name, name)) ++n;
    return true;
  });
  return n;
}

std::size_t header_end(std::string_view message) {
  return scan(message, [](const Field&) { return true; });
}

}  // namespace parley::mail
