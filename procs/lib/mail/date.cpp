#include "mail/date.h"

#include <array>
#include <cstddef>

namespace parley::mail {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

struct Name {
  std::string_view abbr;
  std::string_view full;
};

constexpr std::array<Name, 7> kDays = {{
    {"mon", "monday"}, {"tue", "tuesday"}, {"wed", "wednesday"}, {"thu", "thursday"},
    {"fri", "friday"}, {"sat", "saturday"}, {"sun", "sunday"},
}};

constexpr std::array<Name, 12> kMonths = {{
    {"jan", "january"}, {"feb", "february"}, {"mar", "march"}, {"apr", "april"},
    {"may", "may"}, {"jun", "june"}, {"jul", "july"}, {"aug", "august"},
    {"sep", "september"}, {"oct", "october"}, {"nov", "november"}, {"dec", "december"},
}};

struct Zone {
  std::string_view name;
  int minutes;
};

// RFC 5322 4.3 obs-zone, plus "UTC" (RFC 5322 3.3 has no name for it, but
// it is common and unambiguous).
constexpr std::array<Zone, 12> kZones = {{
    {"ut", 0}, {"gmt", 0}, {"utc", 0}, {"z", 0},
    {"edt", -4 * 60}, {"est", -5 * 60}, {"cdt", -5 * 60}, {"cst", -6 * 60},
    {"mdt", -6 * 60}, {"mst", -7 * 60}, {"pdt", -7 * 60}, {"pst", -8 * 60},
}};

// 1..12 for a month name, 0 otherwise.
int month_of(std::string_view word) {
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (iequals(word, kMonths[i].abbr) || iequals(word, kMonths[i].full)) return static_cast<int>(i) + 1;
  }
  return 0;
}

bool is_day_name(std::string_view word) {
  for (const Name& d : kDays) {
    if (iequals(word, d.abbr) || iequals(word, d.full)) return true;
  }
  return false;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr std::array<int, 12> kDaysIn = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDaysIn[static_cast<std::size_t>(m - 1)];
}

// The value of a run of at most 4 digits (callers check lengths first).
int number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

// A cursor over the field value. Tokens are runs of digits or letters and
// single punctuation bytes; CFWS between them is skipped on request.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  // Whitespace, line breaks and comments (nested, with quoted-pairs). An
  // unclosed comment runs to the end of the value.
  void skip_cfws() {
    int depth = 0;
    while (p_ < s_.size()) {
      const char c = s_[p_];
      if (depth > 0) {
        if (c == '\\') {
          p_ += 2;
          continue;
        }
        if (c == '(') ++depth;
        if (c == ')') --depth;
        ++p_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++p_;
      } else if (c == '(') {
        depth = 1;
        ++p_;
      } else {
        return;
      }
    }
    p_ = s_.size();
  }

  bool eof() const { return p_ >= s_.size(); }
  char peek() const { return eof() ? '\0' : s_[p_]; }

  bool consume(char c) {
    if (peek() != c) return false;
    ++p_;
    return true;
  }

  std::string_view digits() { return run(is_digit); }
  std::string_view letters() { return run(is_alpha); }

 private:
  std::string_view run(bool (*pred)(char)) {
    const std::size_t b = p_;
    while (p_ < s_.size() && pred(s_[p_])) ++p_;
    return s_.substr(b, p_ - b);
  }

  std::string_view s_;
  std::size_t p_ = 0;
};

// One or two digits no greater than `max`.
bool small_number(std::string_view digits, int max, int& out) {
  if (digits.empty() || digits.size() > 2) return false;
  out = number(digits);
  return out <= max;
}

}  // namespace

std::int64_t days_from_civil(int year, int month, int day) {
  // H. Hinnant's days_from_civil, in signed arithmetic so any day counts on.
  const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = month > 2 ? month - 3 : month + 9;
  const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t days, int& year, int& month, int& day) {
  // Its inverse, the same way.
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

std::optional<DateTime> parse_rfc5322_date(std::string_view value) {
  Reader r(value);
  r.skip_cfws();

  if (const std::string_view dow = r.letters(); !dow.empty()) {
    if (!is_day_name(dow)) return std::nullopt;
    r.skip_cfws();
    r.consume(',');
    r.skip_cfws();
  }

  int day = 0;
  if (!small_number(r.digits(), 31, day) || day == 0) return std::nullopt;
  r.skip_cfws();
  const int month = month_of(r.letters());
  if (month == 0) return std::nullopt;
  r.skip_cfws();

  const std::string_view y = r.digits();
  if (y.size() < 2 || y.size() > 4) return std::nullopt;
  int year = number(y);
  if (y.size() == 2) {
    year += year < 50 ? 2000 : 1900;  // RFC 5322 4.3
  } else if (y.size() == 3) {
    year += 1900;
  }
  if (day > days_in_month(year, month)) return std::nullopt;
  r.skip_cfws();

  int hour = 0, minute = 0, second = 0;
  if (!small_number(r.digits(), 23, hour)) return std::nullopt;
  r.skip_cfws();
  if (!r.consume(':')) return std::nullopt;
  r.skip_cfws();
  if (!small_number(r.digits(), 59, minute)) return std::nullopt;
  r.skip_cfws();
  if (r.consume(':')) {
    r.skip_cfws();
    if (!small_number(r.digits(), 60, second)) return std::nullopt;
    r.skip_cfws();
  }

  int zone = 0;
  if (const char sign = r.peek(); sign == '+' || sign == '-') {
    r.consume(sign);
    const std::string_view z = r.digits();
    if (z.size() != 4) return std::nullopt;
    const int hh = number(z.substr(0, 2));
    const int mm = number(z.substr(2, 2));
    if (hh > 23 || mm > 59) return std::nullopt;
    zone = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
  } else if (const std::string_view name = r.letters(); !name.empty()) {
    for (const Zone& known : kZones) {
      if (iequals(name, known.name)) zone = known.minutes;
    }
  } else if (!r.eof()) {
    return std::nullopt;  // a zone that is neither numeric nor a name
  }

  DateTime out;
  out.zone_minutes = zone;
  out.unix_time = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                  static_cast<std::int64_t>(zone) * 60;
  return out;
}

}  // namespace parley::mail
