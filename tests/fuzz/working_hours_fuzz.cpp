// The working hours parser (hours/working_hours.h) on arbitrary bytes;
// what it accepts is asked about every minute of the week. Never crashes.
#include <cstdint>
#include <string_view>

#include "hours/working_hours.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto hours = parley::hours::parse_working_hours(text);
  if (!hours) return 0;
  for (int day = 0; day < 7; ++day) {
    for (int minute = 0; minute < parley::hours::kMinutesPerDay; minute += 7) (void)hours->holds(day, minute);
  }
  return 0;
}
