#include "working_hours.h"

#include <array>
#include <optional>
#include <string>

namespace parley::hours {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool digit(char c) { return c >= '0' && c <= '9'; }

std::string quoted(std::string_view part) { return "'" + std::string(part) + "'"; }

Error syntax(std::string detail) { return fail(Errc::syntax, std::move(detail)); }

std::optional<int> day_of(std::string_view word) {
  if (word.size() != 3) return std::nullopt;
  for (std::size_t i = 0; i < kDays.size(); ++i) {
    if (lower(word[0]) == kDays[i][0] && lower(word[1]) == kDays[i][1] && lower(word[2]) == kDays[i][2]) {
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

// "HH:MM" as minutes since midnight; 24:00 only where `end` allows it.
Result<int> time_of(std::string_view text, bool end) {
  if (text.size() != 5 || !digit(text[0]) || !digit(text[1]) || text[2] != ':' || !digit(text[3]) || !digit(text[4])) {
    return syntax(quoted(text) + " is not a time HH:MM");
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end))) return syntax(quoted(text) + " is not a time of day");
  return h * 60 + m;
}

// Splits `text` at runs of spaces; empty words are not kept.
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

// One span: "Mon-Fri 09:00-12:00 13:00-17:30", its ranges added to `out`.
Status parse_span(std::string_view text, std::vector<Span>& out) {
  const auto parts = words(text);
  if (parts.empty()) return syntax("an empty part between commas");
  const std::string_view days = parts[0];
  const auto dash = days.find('-');
  const auto first = day_of(days.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : day_of(days.substr(dash + 1));
  if (!first || !last) return syntax(quoted(days) + " is not a day or a range of days (Mon, Mon-Fri)");
  if (parts.size() < 2) return syntax(quoted(text) + " has days but no time range");
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view range = parts[i];
    const auto minus = range.find('-');
    if (minus == std::string_view::npos) return syntax(quoted(range) + " is not a time range HH:MM-HH:MM");
    auto start = time_of(range.substr(0, minus), false);
    if (!start) return start.error();
    auto end = time_of(range.substr(minus + 1), true);
    if (!end) return end.error();
    if (*end <= *start) {
      return syntax(quoted(range) + " does not end after it starts (over midnight: two spans, ...-24:00 and 00:00-...)");
    }
    out.push_back(Span{.first_day = *first, .last_day = *last, .start_minute = *start, .end_minute = *end});
  }
  return {};
}

}  // namespace

Result<WorkingHours> parse_working_hours(std::string_view text) {
  if (text.size() > kMaxWorkingHoursText) return fail(Errc::limit, "longer than 256 bytes");
  if (text.empty()) return syntax("empty");
  for (char c : text) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || digit(c) || c == ' ' || c == ',' ||
                         c == '-' || c == ':';
    if (!allowed) return syntax("unexpected character in " + quoted(text) + " (write e.g. Mon-Fri 09:00-17:30)");
  }
  WorkingHours out;
  std::size_t at = 0;
  for (;;) {
    const auto comma = text.find(',', at);
    if (auto s = parse_span(text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at),
                            out.spans);
        !s) {
      return s.error();
    }
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return out;
}

bool WorkingHours::holds(int weekday, int minute) const {
  for (const Span& s : spans) {
    const bool on_day = s.first_day <= s.last_day ? (weekday >= s.first_day && weekday <= s.last_day)
                                                  : (weekday >= s.first_day || weekday <= s.last_day);
    if (on_day && minute >= s.start_minute && minute < s.end_minute) return true;
  }
  return false;
}

}  // namespace parley::hours
