// Working hours: the weekly times when a condition holds, written as an
// administrator types them, e.g. "Mon-Fri 09:00-17:30, Sat 10:00-13:00".
// Pure: no clock, no time zone (time_zone.h turns an instant into the
// weekday and minute this needs).
//
// Grammar (day names in English, any letter case; spaces only where shown,
// one or more):
//   hours = span *( "," [spaces] span )
//   span  = days spaces range *( spaces range )
//   days  = day [ "-" day ]          ; "Fri-Mon" wraps over the week's end
//   day   = Mon / Tue / Wed / Thu / Fri / Sat / Sun
//   range = time "-" time            ; start before end, both in one day
//   time  = HH ":" MM                ; 00:00..23:59, and 24:00 as an end
// A range covers [start, end): "09:00-17:30" holds at 17:29, not at 17:30.
// A time over midnight is two spans: "Fri 22:00-24:00, Sat 00:00-06:00".
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::hours {

// A setting's value, not a document: a week of spans fits in far less.
// It also bounds the ranges: at most 21 fit.
inline constexpr std::size_t kMaxWorkingHoursText = 256;

inline constexpr int kMinutesPerDay = 24 * 60;

// One range on a set of days. Days are 0 = Monday .. 6 = Sunday; minutes
// count from midnight, end exclusive (1440 = 24:00).
struct Span {
  int first_day = 0;
  int last_day = 0;  // may be before first_day: the range wraps (Fri-Mon)
  int start_minute = 0;
  int end_minute = 0;
  bool operator==(const Span&) const = default;
};

struct WorkingHours {
  std::vector<Span> spans;
  // Whether the hours hold on `weekday` (0 = Monday) at `minute` of the day
  // (0..1439).
  bool holds(int weekday, int minute) const;
};

// The hours `text` describes. Errc::syntax with a detail for the
// administrator naming the part that is wrong ("'9:00' is not HH:MM");
// Errc::limit past kMaxWorkingHoursText bytes. An
// empty text is an error too: "no condition" is the caller's to decide.
[[nodiscard]] Result<WorkingHours> parse_working_hours(std::string_view text);

}  // namespace parley::hours
