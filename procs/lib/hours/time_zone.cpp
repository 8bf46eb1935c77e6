#include "time_zone.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

namespace parley::hours {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
// RFC 8536 3.2: UT offsets should lie within -89999..93599 seconds; a
// little beyond is tolerated, far beyond is a broken file.
constexpr std::int32_t kMaxOffset = 26 * 3600;
// RFC 8536 3.3.1: a rule's time of day ranges over -167..167 hours.
constexpr std::int32_t kMaxRuleTime = 167 * 3600;
constexpr std::uint32_t kMaxLeapRecords = 1024;
constexpr std::size_t kHeaderSize = 44;

Error syntax(std::string detail) { return fail(Errc::syntax, std::move(detail)); }

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool leap_year(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

// Reads big-endian integers off a byte range, remembering overruns.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool take(std::size_t n, std::string_view& out) {
    if (data_.size() - at_ < n) return false;
    out = data_.substr(at_, n);
    at_ += n;
    return true;
  }
  bool u32(std::uint32_t& out) {
    std::string_view b;
    if (!take(4, b)) return false;
    out = 0;
    for (unsigned char c : b) out = (out << 8) | c;
    return true;
  }
  bool i64(std::int64_t& out) {
    std::string_view b;
    if (!take(8, b)) return false;
    std::uint64_t v = 0;
    for (unsigned char c : b) v = (v << 8) | c;
    out = static_cast<std::int64_t>(v);
    return true;
  }
  bool i32(std::int32_t& out) {
    std::uint32_t v = 0;
    if (!u32(v)) return false;
    out = static_cast<std::int32_t>(v);
    return true;
  }
  std::size_t left() const { return data_.size() - at_; }
  std::string_view rest() const { return data_.substr(at_); }

 private:
  std::string_view data_;
  std::size_t at_ = 0;
};

struct Header {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

Result<Header> read_header(Reader& in) {
  std::string_view fixed;
  if (!in.take(20, fixed)) return syntax("short header");
  if (fixed.substr(0, 4) != "TZif") return syntax("not a TZif file");
  Header h;
  h.version = fixed[4];
  if (h.version != 0 && h.version != '2' && h.version != '3' && h.version != '4') return syntax("unknown TZif version");
  if (!in.u32(h.isutcnt) || !in.u32(h.isstdcnt) || !in.u32(h.leapcnt) || !in.u32(h.timecnt) || !in.u32(h.typecnt) ||
      !in.u32(h.charcnt)) {
    return syntax("short header");
  }
  if (h.timecnt > kMaxTransitions || h.typecnt > kMaxTimeTypes || h.leapcnt > kMaxLeapRecords ||
      h.charcnt > kMaxZoneFile) {
    return fail(Errc::limit, "zone file counts over the limits");
  }
  if (h.typecnt == 0) return syntax("no local time types");
  if ((h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt)) {
    return syntax("indicator counts differ from the type count");
  }
  return h;
}

// --- POSIX TZ strings --------------------------------------------------

class RuleParser {
 public:
  explicit RuleParser(std::string_view text) : s_(text) {}

  Result<PosixRule> parse() {
    PosixRule rule;
    if (!name()) return syntax("bad standard time name");
    auto standard = offset(24 * 3600);
    if (!standard) return standard.error();
    rule.standard = -*standard;
    if (done()) return rule;
    if (!name()) return syntax("bad daylight time name");
    std::int32_t daylight = rule.standard + 3600;
    if (!done() && peek() != ',') {
      auto d = offset(24 * 3600);
      if (!d) return d.error();
      daylight = -*d;
    }
    rule.daylight = daylight;
    if (done()) return syntax("daylight time without its rule");
    if (!eat(',')) return syntax("expected ',' before the rule");
    auto start = date();
    if (!start) return start.error();
    if (!eat(',')) return syntax("expected ',' between the rule's dates");
    auto end = date();
    if (!end) return end.error();
    if (!done()) return syntax("trailing characters after the rule");
    rule.start = *start;
    rule.end = *end;
    return rule;
  }

 private:
  bool done() const { return at_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[at_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++at_;
    return true;
  }
  static bool alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // An abbreviation: three or more letters, or <...> with letters, digits, + and -.
  bool name() {
    std::size_t n = 0;
    if (eat('<')) {
      while (!done() && (alpha(peek()) || digit(peek()) || peek() == '+' || peek() == '-')) {
        ++at_;
        ++n;
      }
      return eat('>') && n >= 3;
    }
    while (!done() && alpha(peek())) {
      ++at_;
      ++n;
    }
    return n >= 3;
  }

  // Up to `digits` digits as a number (at least one).
  std::optional<int> number(int digits) {
    int v = 0, n = 0;
    while (n < digits && digit(peek())) {
      v = v * 10 + (s_[at_++] - '0');
      ++n;
    }
    if (n == 0) return std::nullopt;
    return v;
  }

  // [+-]hh[:mm[:ss]] in seconds, its magnitude at most `max`.
  Result<std::int32_t> offset(std::int32_t max) {
    int sign = 1;
    if (eat('-')) {
      sign = -1;
    } else {
      (void)eat('+');
    }
    auto h = number(3);
    if (!h) return syntax("expected an offset or time");
    std::int32_t v = *h * 3600;
    if (eat(':')) {
      auto m = number(2);
      if (!m || *m > 59) return syntax("bad minutes");
      v += *m * 60;
      if (eat(':')) {
        auto sec = number(2);
        if (!sec || *sec > 59) return syntax("bad seconds");
        v += *sec;
      }
    }
    if (v > max) return syntax("offset or time out of range");
    return sign * v;
  }

  Result<RuleDate> date() {
    RuleDate d;
    if (eat('M')) {
      d.kind = RuleDate::Kind::month_week_day;
      auto m = number(2);
      if (!m || *m < 1 || *m > 12 || !eat('.')) return syntax("bad month in Mm.w.d");
      auto w = number(1);
      if (!w || *w < 1 || *w > 5 || !eat('.')) return syntax("bad week in Mm.w.d");
      auto wd = number(1);
      if (!wd || *wd > 6) return syntax("bad weekday in Mm.w.d");
      d.month = *m;
      d.week = *w;
      d.weekday = *wd;
    } else if (eat('J')) {
      d.kind = RuleDate::Kind::julian_no_leap;
      auto n = number(3);
      if (!n || *n < 1 || *n > 365) return syntax("bad Jn day");
      d.day = *n;
    } else {
      d.kind = RuleDate::Kind::julian;
      auto n = number(3);
      if (!n || *n > 365) return syntax("bad day number");
      d.day = *n;
    }
    if (eat('/')) {
      auto t = offset(kMaxRuleTime);
      if (!t) return t.error();
      d.time = *t;
    }
    return d;
  }

  std::string_view s_;
  std::size_t at_ = 0;
};

// The UTC second at which `date` happens in `year`, its local time read
// with `offset` (seconds east).
std::int64_t rule_moment(const RuleDate& date, std::int64_t year, std::int32_t offset) {
  std::int64_t day = days_from_civil(year, 1, 1);
  switch (date.kind) {
    case RuleDate::Kind::julian_no_leap:
      day += date.day - 1 + (leap_year(year) && date.day >= 60 ? 1 : 0);
      break;
    case RuleDate::Kind::julian:
      day += date.day;
      break;
    case RuleDate::Kind::month_week_day: {
      const std::int64_t first = days_from_civil(year, date.month, 1);
      const int first_weekday = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 1970-01-01: Thursday; 0 = Sunday
      int d = (date.weekday - first_weekday + 7) % 7 + 7 * (date.week - 1);
      while (d >= days_in_month(year, date.month)) d -= 7;
      day = first + d;
      break;
    }
  }
  return day * kSecondsPerDay + date.time - offset;
}

std::int32_t rule_offset(const PosixRule& rule, std::int64_t utc) {
  if (!rule.daylight) return rule.standard;
  std::int64_t year = 0;
  int month = 0, day = 0;
  civil_from_days(floor_div(utc + rule.standard, kSecondsPerDay), year, month, day);
  const std::int64_t start = rule_moment(rule.start, year, rule.standard);
  const std::int64_t end = rule_moment(rule.end, year, *rule.daylight);
  const bool daylight = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
  return daylight ? *rule.daylight : rule.standard;
}

}  // namespace

std::int64_t days_from_civil(std::int64_t year, int month, int day) {
  // Years counted from March, so that the leap day ends the year; 400-year
  // eras of 146097 days.
  const std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t year_of_era = y - era * 400;
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;  // 719468: 0000-03-01 to 1970-01-01
}

void civil_from_days(std::int64_t days, std::int64_t& year, int& month, int& day) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t day_of_era = z - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
}

Result<PosixRule> parse_posix_rule(std::string_view text) { return RuleParser(text).parse(); }

Result<TimeZone> parse_tzif(std::string_view data) {
  if (data.size() > kMaxZoneFile) return fail(Errc::limit, "zone file too large");
  Reader in(data);
  auto first = read_header(in);
  if (!first) return first.error();
  Header h = *first;
  std::size_t time_size = 4;
  if (h.version != 0) {
    // Version 2 and later repeat the data with 64-bit times after the
    // version 1 block; only the second is read.
    const std::uint64_t v1 = std::uint64_t{h.timecnt} * 5 + std::uint64_t{h.typecnt} * 6 + h.charcnt +
                             std::uint64_t{h.leapcnt} * 8 + h.isstdcnt + h.isutcnt;
    std::string_view skipped;
    if (v1 > in.left() || !in.take(static_cast<std::size_t>(v1), skipped)) return syntax("short version 1 block");
    auto second = read_header(in);
    if (!second) return second.error();
    h = *second;
    time_size = 8;
  }
  TimeZone zone;
  zone.transitions_.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    std::int64_t t = 0;
    if (time_size == 8) {
      if (!in.i64(t)) return syntax("short transition times");
    } else {
      std::int32_t t32 = 0;
      if (!in.i32(t32)) return syntax("short transition times");
      t = t32;
    }
    if (!zone.transitions_.empty() && t <= zone.transitions_.back()) return syntax("transition times not ascending");
    zone.transitions_.push_back(t);
  }
  std::string_view indices;
  if (!in.take(h.timecnt, indices)) return syntax("short transition types");
  for (unsigned char c : indices) {
    if (c >= h.typecnt) return syntax("transition type out of range");
    zone.transition_types_.push_back(c);
  }
  zone.type_offsets_.clear();
  for (std::uint32_t i = 0; i < h.typecnt; ++i) {
    std::int32_t offset = 0;
    std::string_view flags;
    if (!in.i32(offset) || !in.take(2, flags)) return syntax("short local time types");
    if (offset < -kMaxOffset || offset > kMaxOffset) return syntax("UT offset out of range");
    if (static_cast<unsigned char>(flags[0]) > 1) return syntax("bad isdst flag");
    if (static_cast<unsigned char>(flags[1]) >= h.charcnt && h.charcnt > 0) return syntax("bad designation index");
    zone.type_offsets_.push_back(offset);
  }
  const std::uint64_t rest = std::uint64_t{h.charcnt} + std::uint64_t{h.leapcnt} * (time_size + 4) + h.isstdcnt + h.isutcnt;
  std::string_view skipped;
  if (rest > in.left() || !in.take(static_cast<std::size_t>(rest), skipped)) return syntax("short zone file");
  if (h.version != 0) {
    const std::string_view footer = in.rest();
    if (footer.size() < 2 || footer.front() != '\n') return syntax("no footer");
    const auto end = footer.find('\n', 1);
    if (end == std::string_view::npos) return syntax("unterminated footer");
    const std::string_view text = footer.substr(1, end - 1);
    // An empty footer says nothing about later times; one this reader
    // cannot follow leaves them to the last transition, as version 1 does.
    if (!text.empty()) {
      if (auto rule = parse_posix_rule(text)) zone.footer_ = *rule;
    }
  }
  return zone;
}

std::int32_t TimeZone::offset_at(std::int64_t utc) const {
  // Far beyond any calendar in use; keeps the arithmetic below in range.
  constexpr std::int64_t kLimit = std::int64_t{1} << 40;
  utc = std::clamp(utc, -kLimit, kLimit);
  if (transitions_.empty()) return footer_ ? rule_offset(*footer_, utc) : type_offsets_.front();
  if (utc < transitions_.front()) return type_offsets_.front();  // RFC 8536 3.2: type 0 before the first
  const auto after = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  if (after == transitions_.end() && footer_) return rule_offset(*footer_, utc);
  return type_offsets_[transition_types_[static_cast<std::size_t>(after - transitions_.begin()) - 1]];
}

Status check_zone_name(std::string_view name) {
  if (name.empty()) return syntax("empty zone name");
  if (name.size() > kMaxZoneName) return fail(Errc::limit, "zone name longer than 64 bytes");
  std::size_t start = 0;
  for (;;) {
    const auto slash = name.find('/', start);
    const std::string_view part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return syntax("'" + std::string(name) + "' is not a zone name");
    for (char c : part) {
      const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '+' || c == '.';
      if (!ok) return syntax("'" + std::string(name) + "' is not a zone name (e.g. Europe/Berlin)");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

Result<TimeZone> load_zone(std::string_view name, std::string_view directory, std::string_view local_file) {
  std::string path;
  if (name.empty()) {
    path = std::string(local_file);
  } else {
    if (auto s = check_zone_name(name); !s) return s.error();
    path = std::string(directory) + "/" + std::string(name);
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    if (name.empty()) return TimeZone{};  // no local zone set: the server runs on UTC
    return fail(Errc::not_found, "no time zone '" + std::string(name) + "'");
  }
  std::string data(kMaxZoneFile + 1, '\0');
  file.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (file.bad()) return fail(Errc::io, path + ": " + std::strerror(errno));
  data.resize(static_cast<std::size_t>(file.gcount()));
  auto zone = parse_tzif(data);
  if (!zone) return fail(zone.code(), "time zone '" + std::string(name.empty() ? path : name) + "': " + zone.error().detail);
  return zone;
}

Result<std::shared_ptr<const TimeZone>> ZoneCache::get(std::string_view name) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = zones_.find(name); it != zones_.end()) return it->second;
  }
  auto zone = load_zone(name, directory_, local_file_);
  if (!zone) return zone.error();
  auto shared = std::make_shared<const TimeZone>(std::move(zone.value()));
  std::lock_guard lock(mutex_);
  if (zones_.size() < kMaxZones) zones_.emplace(std::string(name), shared);
  return shared;
}

LocalTime local_time(const TimeZone& zone, std::int64_t utc) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 40;  // as in offset_at
  utc = std::clamp(utc, -kLimit, kLimit);
  const std::int64_t local = utc + zone.offset_at(utc);
  const std::int64_t days = floor_div(local, kSecondsPerDay);
  LocalTime out;
  out.weekday = static_cast<int>(((days + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday (3 with Monday 0)
  out.minute = static_cast<int>((local - days * kSecondsPerDay) / 60);
  return out;
}

}  // namespace parley::hours
