// parley_hours (procs/lib/hours): the working hours parser, table-driven
// with the malformed cases and their errors; time zones from TZif bytes
// made here (the footer rule in both hemispheres, malformed files) and from
// the system's tz database (DST changes in Europe, America, Australia).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "hours/time_zone.h"
#include "hours/working_hours.h"
#include "tests/support/result_assert.h"
#include "tests/support/temp_dir.h"

namespace parley::hours {
namespace {

using testkit::Fails;
using testkit::Ok;

// --- working hours -----------------------------------------------------

TEST(WorkingHours, ValidTexts) {
  struct Case {
    std::string text;
    std::vector<Span> spans;
  };
  const Case cases[] = {
      {"Mon-Fri 09:00-17:30", {{0, 4, 540, 1050}}},
      {"mon-FRI 09:00-17:30", {{0, 4, 540, 1050}}},
      {"Sat 10:00-13:00", {{5, 5, 600, 780}}},
      {"Mon-Fri 08:00-12:00 13:00-17:00", {{0, 4, 480, 720}, {0, 4, 780, 1020}}},
      {"Mon-Fri 09:00-17:30, Sat 10:00-13:00", {{0, 4, 540, 1050}, {5, 5, 600, 780}}},
      {"Mon-Fri 09:00-17:30,Sat 10:00-13:00", {{0, 4, 540, 1050}, {5, 5, 600, 780}}},
      {"Fri-Mon 00:00-24:00", {{4, 0, 0, 1440}}},
      {"Sun 23:59-24:00", {{6, 6, 1439, 1440}}},
      {"  Mon  09:00-10:00 ", {{0, 0, 540, 600}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto parsed = parse_working_hours(c.text);
    ASSERT_TRUE(Ok(parsed));
    EXPECT_EQ(parsed->spans, c.spans);
  }
}

TEST(WorkingHours, MalformedTexts) {
  struct Case {
    std::string text;
    Errc code;
    std::string says;  // part of the detail
  };
  const Case cases[] = {
      {"", Errc::syntax, "empty"},
      {"Mon-Fri", Errc::syntax, "no time range"},
      {"09:00-17:30", Errc::syntax, "not a day"},
      {"Mon-Fri 9:00-17:30", Errc::syntax, "'9:00' is not a time HH:MM"},
      {"Mon-Fri 09:00", Errc::syntax, "not a time range"},
      {"Mon-Fri 09:00-", Errc::syntax, "not a time"},
      {"Mon-Fri 17:30-09:00", Errc::syntax, "does not end after it starts"},
      {"Mon-Fri 09:00-09:00", Errc::syntax, "does not end after it starts"},
      {"Mon-Fri 24:00-24:00", Errc::syntax, "not a time of day"},
      {"Mon-Fri 09:60-10:00", Errc::syntax, "not a time of day"},
      {"Mon-Fri 25:00-26:00", Errc::syntax, "not a time of day"},
      {"Mon-Fri 09:00-24:01", Errc::syntax, "not a time of day"},
      {"Monday 09:00-10:00", Errc::syntax, "not a day"},
      {"Mon-Fri-Sat 09:00-10:00", Errc::syntax, "not a day"},
      {"Mon- 09:00-10:00", Errc::syntax, "not a day"},
      {"Mon-Fri 09:00-17:30,", Errc::syntax, "empty part"},
      {",Mon 09:00-10:00", Errc::syntax, "empty part"},
      {"Mon-Fri 09:00-17:30,, Sat 10:00-11:00", Errc::syntax, "empty part"},
      {"Mon-Fri 09.00-17.30", Errc::syntax, "unexpected character"},
      {"Mon-Fri\t09:00-17:30", Errc::syntax, "unexpected character"},
      {"Mon-Fri 09:00-17:30; Sat 10:00-11:00", Errc::syntax, "unexpected character"},
      {"Mon-Fri 09:00-17:30\n", Errc::syntax, "unexpected character"},
      {std::string("Mon\0 09:00-10:00", 16), Errc::syntax, "unexpected character"},
      {"Mon-Fri 0900-1730", Errc::syntax, "not a time"},
      {"Mon-Fri 09:00--17:30", Errc::syntax, "not a time"},
      {std::string(257, 'M'), Errc::limit, "256"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto parsed = parse_working_hours(c.text);
    ASSERT_TRUE(Fails(parsed, c.code));
    EXPECT_NE(parsed.error().detail.find(c.says), std::string::npos) << parsed.error().detail;
  }
}

TEST(WorkingHours, HoldsAtTheEdges) {
  auto h = parse_working_hours("Mon-Fri 09:00-17:30, Sat-Sun 10:00-12:00, Sun-Mon 23:00-24:00");
  ASSERT_TRUE(Ok(h));
  EXPECT_FALSE(h->holds(0, 539));  // Monday 08:59
  EXPECT_TRUE(h->holds(0, 540));   // 09:00
  EXPECT_TRUE(h->holds(4, 1049));  // Friday 17:29
  EXPECT_FALSE(h->holds(4, 1050)); // 17:30: the end is not in
  EXPECT_TRUE(h->holds(5, 600));
  EXPECT_FALSE(h->holds(5, 1400));
  EXPECT_TRUE(h->holds(6, 1439));  // the wrapping range: Sunday and Monday
  EXPECT_TRUE(h->holds(0, 1439));
  EXPECT_FALSE(h->holds(1, 1439));
}

// --- time zones --------------------------------------------------------

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put64(std::string& out, std::int64_t v) {
  put32(out, static_cast<std::uint32_t>(static_cast<std::uint64_t>(v) >> 32));
  put32(out, static_cast<std::uint32_t>(v));
}

// A version 2 TZif file: `transitions` (UTC second, type index) over the
// types' offsets, and the footer.
std::string tzif(const std::vector<std::pair<std::int64_t, int>>& transitions, const std::vector<std::int32_t>& offsets,
                 const std::string& footer) {
  auto header = [&](std::string& out, std::uint32_t timecnt) {
    out += "TZif2";
    out += std::string(15, '\0');
    for (std::uint32_t v : {0u, 0u, 0u, timecnt, static_cast<std::uint32_t>(offsets.size()), 4u}) put32(out, v);
  };
  std::string out;
  header(out, 0);
  for (auto o : offsets) {  // version 1 block: no transitions
    put32(out, static_cast<std::uint32_t>(o));
    out += std::string("\0\0", 2);
  }
  out += std::string("ZZZ\0", 4);
  header(out, static_cast<std::uint32_t>(transitions.size()));
  for (auto [t, type] : transitions) put64(out, t);
  for (auto [t, type] : transitions) out.push_back(static_cast<char>(type));
  for (auto o : offsets) {
    put32(out, static_cast<std::uint32_t>(o));
    out += std::string("\0\0", 2);
  }
  out += std::string("ZZZ\0", 4);
  return out + "\n" + footer + "\n";
}

constexpr std::int64_t kBerlinSpring2026 = 1774746000;  // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST
constexpr std::int64_t kBerlinAutumn2026 = 1792890000;  // 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET
constexpr std::int64_t kSydneyAutumn2026 = 1775318400;  // 2026-04-04 16:00 UTC: 03:00 AEDT becomes 02:00 AEST
constexpr std::int64_t kSydneySpring2026 = 1791043200;  // 2026-10-03 16:00 UTC: 02:00 AEST becomes 03:00 AEDT

TEST(TimeZone, CivilDays) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2026, 12, 7), 1796601600 / 86400);
  EXPECT_EQ(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);  // 2000 is a leap year
  EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);  // 1900 is not
  for (std::int64_t d : {std::int64_t{-800000}, std::int64_t{-1}, std::int64_t{0}, std::int64_t{20429}, std::int64_t{900000}}) {
    std::int64_t y = 0;
    int m = 0, day = 0;
    civil_from_days(d, y, m, day);
    EXPECT_EQ(days_from_civil(y, m, day), d);
  }
}

TEST(TimeZone, FooterRuleNorthAndSouth) {
  auto berlin = parse_tzif(tzif({}, {3600}, "CET-1CEST,M3.5.0,M10.5.0/3"));
  ASSERT_TRUE(Ok(berlin));
  EXPECT_EQ(berlin->offset_at(kBerlinSpring2026 - 1), 3600);
  EXPECT_EQ(berlin->offset_at(kBerlinSpring2026), 7200);
  EXPECT_EQ(berlin->offset_at(kBerlinAutumn2026 - 1), 7200);
  EXPECT_EQ(berlin->offset_at(kBerlinAutumn2026), 3600);
  EXPECT_EQ(berlin->offset_at(1796601600), 3600);  // December

  auto sydney = parse_tzif(tzif({}, {36000}, "AEST-10AEDT,M10.1.0,M4.1.0/3"));
  ASSERT_TRUE(Ok(sydney));
  EXPECT_EQ(sydney->offset_at(kSydneyAutumn2026 - 1), 39600);
  EXPECT_EQ(sydney->offset_at(kSydneyAutumn2026), 36000);
  EXPECT_EQ(sydney->offset_at(kSydneySpring2026 - 1), 36000);
  EXPECT_EQ(sydney->offset_at(kSydneySpring2026), 39600);
  EXPECT_EQ(sydney->offset_at(1796601600), 39600);  // December is summer

  auto fixed = parse_tzif(tzif({}, {0}, "<+0530>-5:30"));
  ASSERT_TRUE(Ok(fixed));
  EXPECT_EQ(fixed->offset_at(kBerlinSpring2026), 5 * 3600 + 1800);
}

TEST(TimeZone, TransitionsThenFooter) {
  // Before the first transition type 0; between, the transition's type;
  // after the last, the footer.
  auto zone = parse_tzif(tzif({{1000, 1}, {2000, 0}}, {-3600, 7200}, "UTC0"));
  ASSERT_TRUE(Ok(zone));
  EXPECT_EQ(zone->offset_at(999), -3600);
  EXPECT_EQ(zone->offset_at(1000), 7200);
  EXPECT_EQ(zone->offset_at(1999), 7200);
  EXPECT_EQ(zone->offset_at(2000), 0);
  // An empty footer: the last transition's type stays.
  auto last = parse_tzif(tzif({{1000, 1}}, {-3600, 7200}, ""));
  ASSERT_TRUE(Ok(last));
  EXPECT_EQ(last->offset_at(5000), 7200);
}

TEST(TimeZone, LocalTimeOverDaylightChanges) {
  auto berlin = parse_tzif(tzif({}, {3600}, "CET-1CEST,M3.5.0,M10.5.0/3"));
  ASSERT_TRUE(Ok(berlin));
  // Sunday 01:59 CET, then Sunday 03:00 CEST: 02:xx never happens.
  auto before = local_time(*berlin, kBerlinSpring2026 - 60);
  EXPECT_EQ(before.weekday, 6);
  EXPECT_EQ(before.minute, 1 * 60 + 59);
  auto after = local_time(*berlin, kBerlinSpring2026);
  EXPECT_EQ(after.weekday, 6);
  EXPECT_EQ(after.minute, 3 * 60);
  // Autumn: 02:59 CEST, then 02:00 CET again.
  EXPECT_EQ(local_time(*berlin, kBerlinAutumn2026 - 60).minute, 2 * 60 + 59);
  EXPECT_EQ(local_time(*berlin, kBerlinAutumn2026).minute, 2 * 60);
  // Midnight: Sunday 23:59 local is Sunday; a minute on it is Monday 00:00.
  const std::int64_t monday = days_from_civil(2026, 12, 7) * 86400 - 3600;  // Monday 00:00 CET
  EXPECT_EQ(local_time(*berlin, monday - 60).weekday, 6);
  EXPECT_EQ(local_time(*berlin, monday - 60).minute, 1439);
  EXPECT_EQ(local_time(*berlin, monday).weekday, 0);
  EXPECT_EQ(local_time(*berlin, monday).minute, 0);
  // Before 1970 too.
  EXPECT_EQ(local_time(TimeZone{}, -1).weekday, 2);  // 1969-12-31 was a Wednesday
  EXPECT_EQ(local_time(TimeZone{}, -1).minute, 1439);
}

TEST(TimeZone, SystemDatabase) {
  // The server's tz database (tzdata, installed by scripts/setup).
  ZoneCache zones;
  auto berlin = zones.get("Europe/Berlin");
  ASSERT_TRUE(Ok(berlin));
  EXPECT_EQ((*berlin)->offset_at(kBerlinSpring2026 - 1), 3600);
  EXPECT_EQ((*berlin)->offset_at(kBerlinSpring2026), 7200);
  EXPECT_EQ((*berlin)->offset_at(kBerlinAutumn2026 - 1), 7200);
  EXPECT_EQ((*berlin)->offset_at(kBerlinAutumn2026), 3600);
  EXPECT_EQ((*berlin)->offset_at(2216250000 - 1), 3600);  // 2040: past a fat file's transitions, the footer
  EXPECT_EQ((*berlin)->offset_at(2216250000), 7200);
  auto sydney = zones.get("Australia/Sydney");
  ASSERT_TRUE(Ok(sydney));
  EXPECT_EQ((*sydney)->offset_at(kSydneyAutumn2026 - 1), 39600);
  EXPECT_EQ((*sydney)->offset_at(kSydneyAutumn2026), 36000);
  auto new_york = zones.get("America/New_York");
  ASSERT_TRUE(Ok(new_york));
  EXPECT_EQ((*new_york)->offset_at(1772953200 - 1), -5 * 3600);  // 2026-03-08 02:00 EST
  EXPECT_EQ((*new_york)->offset_at(1772953200), -4 * 3600);
  auto utc = zones.get("UTC");
  ASSERT_TRUE(Ok(utc));
  EXPECT_EQ((*utc)->offset_at(kBerlinSpring2026), 0);
  EXPECT_EQ(zones.get("Europe/Berlin")->get(), berlin->get());  // kept
  EXPECT_TRUE(Fails(zones.get("Mars/Olympus_Mons"), Errc::not_found));
  EXPECT_TRUE(Fails(zones.get("../../etc/passwd"), Errc::syntax));
}

TEST(TimeZone, LocalZoneFile) {
  testkit::TempDir dir("parley-hours-test");
  // No local zone file: UTC.
  auto none = load_zone("", kZoneDirectory, dir.file("localtime"));
  ASSERT_TRUE(Ok(none));
  EXPECT_EQ(none->offset_at(kBerlinSpring2026), 0);
  {
    std::ofstream out(dir.file("localtime"), std::ios::binary);
    out << tzif({}, {3600}, "CET-1CEST,M3.5.0,M10.5.0/3");
  }
  auto local = load_zone("", kZoneDirectory, dir.file("localtime"));
  ASSERT_TRUE(Ok(local));
  EXPECT_EQ(local->offset_at(kBerlinSpring2026), 7200);
  {
    std::ofstream out(dir.file("localtime"), std::ios::binary);
    out << "not a zone";
  }
  EXPECT_TRUE(Fails(load_zone("", kZoneDirectory, dir.file("localtime")), Errc::syntax));
}

TEST(TimeZone, MalformedFiles) {
  const std::string good = tzif({{1000, 1}}, {0, 3600}, "UTC0");
  ASSERT_TRUE(Ok(parse_tzif(good)));
  // Every truncation fails cleanly.
  for (std::size_t n = 0; n + 1 < good.size(); ++n) {
    SCOPED_TRACE(n);
    EXPECT_FALSE(parse_tzif(good.substr(0, n)).ok());
  }
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_TRUE(Fails(parse_tzif(bad_magic), Errc::syntax));
  std::string bad_version = good;
  bad_version[4] = '9';
  EXPECT_TRUE(Fails(parse_tzif(bad_version), Errc::syntax));
  EXPECT_TRUE(Fails(parse_tzif(tzif({{1000, 2}}, {0, 3600}, "UTC0")), Errc::syntax));  // type out of range
  EXPECT_TRUE(Fails(parse_tzif(tzif({{2000, 0}, {1000, 1}}, {0, 3600}, "UTC0")), Errc::syntax));  // not ascending
  EXPECT_TRUE(Fails(parse_tzif(tzif({}, {}, "UTC0")), Errc::syntax));                          // no types
  EXPECT_TRUE(Fails(parse_tzif(tzif({}, {100 * 3600}, "UTC0")), Errc::syntax));                // offset out of range
  EXPECT_TRUE(Fails(parse_tzif(std::string(kMaxZoneFile + 1, 'T')), Errc::limit));
  std::string no_footer = good.substr(0, good.size() - 6);
  EXPECT_TRUE(Fails(parse_tzif(no_footer), Errc::syntax));
  // A footer this reader cannot follow is left out: the last transition stays.
  auto odd = parse_tzif(tzif({{1000, 1}}, {0, 3600}, "garbage"));
  ASSERT_TRUE(Ok(odd));
  EXPECT_EQ(odd->offset_at(99999), 3600);
}

TEST(TimeZone, PosixRules) {
  for (const char* good : {"UTC0", "CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0", "<-03>3", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
                           "IST-2IDT,M3.4.4/26,M10.5.0", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "XXX3YYY,J60/2,300/4:30:15"}) {
    SCOPED_TRACE(good);
    EXPECT_TRUE(Ok(parse_posix_rule(good)));
  }
  for (const char* bad : {"", "U0", "UTC", "UTC25", "CET-1CEST", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
                          "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J365", "CET-1CEST,366,1",
                          "CET-1CEST,M3.5.0/168,M10.5.0", "<+1>1", "<+0100-1", "UTC0x", "CET-1:60"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(Fails(parse_posix_rule(bad), Errc::syntax));
  }
}

TEST(TimeZone, ZoneNames) {
  for (const char* good : {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+1", "Etc/GMT-14"}) {
    EXPECT_TRUE(Ok(check_zone_name(good))) << good;
  }
  for (const char* bad : {"", "/etc/passwd", "Europe//Berlin", "Europe/", "../x", "a/./b", "Europe/Berlin\n", "Europe Berlin",
                          "Europe\\Berlin"}) {
    EXPECT_FALSE(check_zone_name(bad).ok()) << bad;
  }
  EXPECT_TRUE(Fails(check_zone_name(std::string(65, 'a')), Errc::limit));
}

}  // namespace
}  // namespace parley::hours
