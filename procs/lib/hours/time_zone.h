// Time zones from the system's tz database (the TZif files of RFC 8536 in
// /usr/share/zoneinfo), for rules that depend on local time (working
// hours). g++ 12's <chrono> has no time zone database, hence this reader.
//
// parse_tzif reads one file's bytes: untrusted in the sense that a broken
// or hostile file gives an error, never a crash; it is fuzzed
// (tests/fuzz/time_zone_fuzz.cpp). Times after the file's last transition
// follow its footer, a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3").
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::hours {

// Limits of what a zone file may hold: the largest real zones have some
// 240 transitions (fat files reach 2037) and a dozen local time types.
inline constexpr std::size_t kMaxZoneFile = 64 * 1024;
inline constexpr std::uint32_t kMaxTransitions = 4096;
inline constexpr std::uint32_t kMaxTimeTypes = 256;  // RFC 8536 3.1: typecnt fits one byte of index
inline constexpr std::size_t kMaxZoneName = 64;

inline constexpr std::string_view kZoneDirectory = "/usr/share/zoneinfo";
inline constexpr std::string_view kLocalZoneFile = "/etc/localtime";

// A POSIX TZ rule's date: Mm.w.d (month, week 1..5 with 5 the last,
// weekday 0 = Sunday), Jn (1..365, February 29 never counted) or n
// (0..365, counted), and the local time of day in seconds.
struct RuleDate {
  enum class Kind { month_week_day, julian_no_leap, julian } kind = Kind::month_week_day;
  int month = 0, week = 0, weekday = 0, day = 0;
  std::int32_t time = 2 * 3600;
};

// A TZ string: standard offset, and a DST offset with its start and end.
// Offsets are seconds east of UTC (the POSIX text counts west).
struct PosixRule {
  std::int32_t standard = 0;
  std::optional<std::int32_t> daylight;
  RuleDate start, end;
};

class TimeZone {
 public:
  // UTC: no transitions.
  TimeZone() = default;
  // The seconds east of UTC in force at `utc` (seconds since 1970).
  std::int32_t offset_at(std::int64_t utc) const;

 private:
  friend Result<TimeZone> parse_tzif(std::string_view data);
  std::vector<std::int64_t> transitions_;  // ascending
  std::vector<std::uint8_t> transition_types_;
  std::vector<std::int32_t> type_offsets_{0};
  std::optional<PosixRule> footer_;
};

// A TZif file (version 1 to 4). Errc::syntax for anything malformed,
// Errc::limit past the limits above.
[[nodiscard]] Result<TimeZone> parse_tzif(std::string_view data);
// A TZ string as in a TZif footer. Errc::syntax when malformed.
[[nodiscard]] Result<PosixRule> parse_posix_rule(std::string_view text);

// A zone name as the tz database spells it ("Europe/Berlin", "UTC",
// "America/Argentina/Buenos_Aires"): letters, digits, "/", "_", "-", "+",
// no empty, "." or ".." component, at most kMaxZoneName bytes. Only the
// form: whether the zone exists is load_zone's question.
Status check_zone_name(std::string_view name);

// The zone `name` from `directory` (kZoneDirectory); an empty name is the
// server's own zone (`local_file`, kLocalZoneFile; UTC when it is absent).
// Errc::not_found when no such zone, the parse errors otherwise.
Result<TimeZone> load_zone(std::string_view name, std::string_view directory = kZoneDirectory,
                           std::string_view local_file = kLocalZoneFile);

// Zones read once and kept (a process reads a handful). Thread-safe.
// Failures are not kept: a zone installed later is found then.
class ZoneCache {
 public:
  explicit ZoneCache(std::string directory = std::string(kZoneDirectory),
                     std::string local_file = std::string(kLocalZoneFile))
      : directory_(std::move(directory)), local_file_(std::move(local_file)) {}
  Result<std::shared_ptr<const TimeZone>> get(std::string_view name);

 private:
  static constexpr std::size_t kMaxZones = 512;
  std::string directory_, local_file_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> zones_;
};

// A moment as a wall clock in some zone shows it.
struct LocalTime {
  int weekday = 0;  // 0 = Monday
  int minute = 0;   // of the day, 0..1439
};
LocalTime local_time(const TimeZone& zone, std::int64_t utc);

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
std::int64_t days_from_civil(std::int64_t year, int month, int day);
void civil_from_days(std::int64_t days, std::int64_t& year, int& month, int& day);

}  // namespace parley::hours
