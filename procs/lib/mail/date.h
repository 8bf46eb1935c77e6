// RFC 5322 date-time values as found in Date: (and Resent-Date:) fields.
// Pure functions; `value` is only read.
//
// parse_rfc5322_date accepts RFC 5322 3.3 and the obsolete syntax of 4.3,
// plus a few forms common in the wild:
//   [day-of-week [","]] day month year hour ":" minute [":" second] [zone]
// - CFWS (spaces, tabs, line breaks, nested comments with quoted-pairs)
//   may appear before and after every element; after the zone anything
//   is ignored ("+0200 (CEST)", "+0200 CEST").
// - day-of-week: "Mon".."Sun" or the full English name, any case; the
//   comma may be missing; it is not checked against the date.
// - month: "Jan".."Dec" or the full English name, any case.
// - day: 1 or 2 digits, checked against the month and year.
// - year: 2 digits: 00..49 -> 20xx, 50..99 -> 19xx; 3 digits: + 1900
//   (RFC 5322 4.3); 4 digits as written. 5 or more digits: rejected.
// - time: hour, minute, second of 1 or 2 digits; hour <= 23, minute <= 59,
//   second <= 60 (a leap second counts as the next second); no seconds: 0.
// - zone: "+hhmm" / "-hhmm" with hh <= 23, mm <= 59; "UT", "GMT", "UTC"
//   and "Z": +0000; EST/EDT/CST/CDT/MST/MDT/PST/PDT: their offsets
//   (RFC 5322 4.3); any other run of letters (military letters, "CET",
//   ...) and a missing zone mean "-0000" (RFC 5322 4.3: unknown zones are
//   equivalent to -0000), i.e. zone_minutes 0.
// Anything else gives nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace parley::mail {

struct DateTime {
  std::int64_t unix_time = 0;  // the instant, seconds since 1970-01-01 00:00:00 UTC
  int zone_minutes = 0;        // the zone as written: -0800 -> -480; -0000 and unknown zones -> 0
  bool operator==(const DateTime&) const = default;
};

// A Date: field's value (unfolded or not; see above for what is accepted).
std::optional<DateTime> parse_rfc5322_date(std::string_view value);

// Days from 1970-01-01 to year-month-day in the proleptic Gregorian
// calendar (negative before 1970). month must be 1..12; a day outside the
// month counts on from its first day (day 0 is the day before it).
std::int64_t days_from_civil(int year, int month, int day);
// The inverse: the date `days` after 1970-01-01 (month 1..12, day 1..31).
void civil_from_days(std::int64_t days, int& year, int& month, int& day);

}  // namespace parley::mail
