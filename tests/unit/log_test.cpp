// Tests for the process logger: exact lines in both formats (format_line
// with a fixed time and pid), escaping of every kind of hostile value, and
// the real logger writing to a file (reopen, levels, concurrent writers,
// JSON validity checked by tests/unit/check_json_log.py).
//
// Not tested here, because it is a compile error by design: a key missing
// from kKeys, e.g. log::info("e", "m", {{"no_such_key", 1}}), does not
// compile (Key's constructor is consteval).
#include "log/log.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace parley::log {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr std::int64_t kT = 1795341600123;  // 2026-11-22T10:00:00.123Z

std::string json(std::string_view event, std::string_view msg, Fields fields = {}) {
  return format_line(Format::json, "smtpd", 812, kT, Level::info, event, msg, fields);
}

std::string human(std::string_view event, std::string_view msg, Fields fields = {}) {
  return format_line(Format::human, "smtpd", 812, kT, Level::info, event, msg, fields);
}

// --- Exact lines -----------------------------------------------------------

TEST(LogFormat, JsonLine) {
  EXPECT_EQ(json("smtp.auth.ok", "authenticated", {{"peer", "198.51.100.7:51234"}, {"user", "alice@example.com"}}),
            R"({"ts":"2026-11-22T10:00:00.123Z","level":"info","proc":"smtpd","pid":812,)"
            R"("event":"smtp.auth.ok","msg":"authenticated","peer":"198.51.100.7:51234","user":"alice@example.com"})");
}

TEST(LogFormat, HumanLine) {
  EXPECT_EQ(human("smtp.auth.ok", "authenticated",
                  {{"peer", "198.51.100.7:51234"}, {"sid", "smtp-00012f"}, {"user", "alice@example.com"}}),
            "2026-11-22T10:00:00.123Z info smtpd[812] smtp-00012f smtp.auth.ok: authenticated "
            "peer=198.51.100.7:51234 user=alice@example.com");
}

TEST(LogFormat, NoFieldsAndEmptyMessage) {
  EXPECT_EQ(json("daemon.start", ""),
            R"({"ts":"2026-11-22T10:00:00.123Z","level":"info","proc":"smtpd","pid":812,)"
            R"("event":"daemon.start","msg":""})");
  EXPECT_EQ(human("daemon.start", ""), "2026-11-22T10:00:00.123Z info smtpd[812] daemon.start:");
}

TEST(LogFormat, Timestamps) {
  auto ts = [](std::int64_t ms) {
    return format_line(Format::human, "p", 1, ms, Level::info, "e", "", {}).substr(0, 24);
  };
  EXPECT_EQ(ts(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(ts(951868799999), "2000-02-29T23:59:59.999Z");
  EXPECT_EQ(ts(kT), "2026-11-22T10:00:00.123Z");
  EXPECT_EQ(ts(kT + std::int64_t{86'400'000} * 40 + 7), "2027-01-01T10:00:00.130Z");
}

TEST(LogFormat, LevelsInLines) {
  const std::pair<Level, std::string_view> cases[] = {
      {Level::trace, "trace"}, {Level::debug, "debug"}, {Level::info, "info"},
      {Level::warn, "warn"},   {Level::error, "error"}, {Level::critical, "critical"},
  };
  for (auto [level, name] : cases) {
    EXPECT_THAT(format_line(Format::json, "p", 1, 0, level, "e", "m", {}),
                HasSubstr(R"("level":")" + std::string(name) + R"(")"));
    EXPECT_EQ(format_line(Format::human, "p", 1, 0, level, "e", "m", {}),
              "1970-01-01T00:00:00.000Z " + std::string(name) + " p[1] e: m");
  }
}

// --- sid -------------------------------------------------------------------

TEST(LogFormat, SidComesRightAfterPid) {
  EXPECT_EQ(json("smtp.rcpt.rejected", "no such user", {{"rcpt", "bob@x"}, {"sid", "smtp-1"}, {"reply", 550}}),
            R"({"ts":"2026-11-22T10:00:00.123Z","level":"info","proc":"smtpd","pid":812,"sid":"smtp-1",)"
            R"("event":"smtp.rcpt.rejected","msg":"no such user","rcpt":"bob@x","reply":550})");
  EXPECT_EQ(human("smtp.rcpt.rejected", "no such user", {{"rcpt", "bob@x"}, {"sid", "smtp-1"}, {"reply", 550}}),
            "2026-11-22T10:00:00.123Z info smtpd[812] smtp-1 smtp.rcpt.rejected: no such user rcpt=bob@x reply=550");
}

TEST(LogFormat, RepeatedKeysAreAllKept) {
  // The first sid leads; a second one stays where it was given.
  EXPECT_EQ(json("e", "m", {{"sid", "a"}, {"user", "u1"}, {"sid", "b"}, {"user", "u2"}}),
            R"({"ts":"2026-11-22T10:00:00.123Z","level":"info","proc":"smtpd","pid":812,"sid":"a",)"
            R"("event":"e","msg":"m","user":"u1","sid":"b","user":"u2"})");
  EXPECT_EQ(human("e", "m", {{"sid", "a"}, {"user", "u1"}, {"sid", "b"}, {"user", "u2"}}),
            "2026-11-22T10:00:00.123Z info smtpd[812] a e: m user=u1 sid=b user=u2");
}

TEST(LogFormat, SidNeedingQuotes) {
  EXPECT_THAT(human("e", "m", {{"sid", "a b"}}), HasSubstr(R"(smtpd[812] "a b" e: m)"));
  EXPECT_THAT(json("e", "m", {{"sid", 42}}), HasSubstr(R"("pid":812,"sid":42,"event")"));
}

// --- Field types -----------------------------------------------------------

TEST(LogFormat, FieldTypes) {
  const std::string s = "owned";
  Fields fields = {
      {"count", 0},
      {"bytes", -5},
      {"elapsed_ms", std::numeric_limits<long long>::min()},
      {"uid", std::numeric_limits<unsigned long long>::max()},
      {"restarts", 3u},
      {"delay_ms", 1.5},
      {"value", 0.1},
      {"line", 1e21},
      {"generation", -0.25},
      {"key", std::nan("")},
      {"reason", std::numeric_limits<double>::infinity()},
      {"status", -std::numeric_limits<double>::infinity()},
      {"user", true},
      {"domain", false},
      {"path", s},
      {"file", std::string_view("view")},
  };
  EXPECT_EQ(json("e", "m", fields),
            R"({"ts":"2026-11-22T10:00:00.123Z","level":"info","proc":"smtpd","pid":812,"event":"e","msg":"m",)"
            R"("count":0,"bytes":-5,"elapsed_ms":-9223372036854775808,"uid":18446744073709551615,"restarts":3,)"
            R"("delay_ms":1.5,"value":0.1,"line":1e+21,"generation":-0.25,"key":null,"reason":null,"status":null,)"
            R"("user":true,"domain":false,"path":"owned","file":"view"})");
  EXPECT_EQ(human("e", "m", fields),
            "2026-11-22T10:00:00.123Z info smtpd[812] e: m count=0 bytes=-5 elapsed_ms=-9223372036854775808 "
            "uid=18446744073709551615 restarts=3 delay_ms=1.5 value=0.1 line=1e+21 generation=-0.25 key=nan "
            "reason=inf status=-inf user=true domain=false path=owned file=view");
}

// --- Escaping --------------------------------------------------------------

struct EscapeCase {
  std::string in;
  std::string json;   // inside the JSON quotes
  std::string human;  // the whole human value, quotes included
};

// Every class of hostile value, in both formats.
const EscapeCase kEscapes[] = {
    {"plain", "plain", "plain"},
    {"", "", R"("")"},
    {"a b", "a b", R"("a b")"},
    {R"(say "hi")", R"(say \"hi\")", R"("say \"hi\"")"},
    {"a=b", "a=b", R"("a=b")"},
    {R"(C:\dir)", R"(C:\\dir)", R"("C:\\dir")"},
    {"a\nb", R"(a\nb)", R"("a\nb")"},
    {"\r\t", R"(\r\t)", R"("\r\t")"},
    {"\b\f", R"(\b\f)", R"("\x08\x0c")"},
    {std::string("a\0b", 3), R"(a\u0000b)", R"("a\x00b")"},
    {"\x01\x1f", R"(\u0001\u001f)", R"("\x01\x1f")"},
    {"\x1b[31mred", R"(\u001b[31mred)", R"("\x1b[31mred")"},
    {"\x7f", R"(\u007f)", R"("\x7f")"},
    // Valid UTF-8 passes through: 2, 3 and 4 byte sequences.
    {"caf\xc3\xa9", "caf\xc3\xa9", "caf\xc3\xa9"},
    {"\xe2\x82\xac\xf0\x9f\x93\xa7", "\xe2\x82\xac\xf0\x9f\x93\xa7", "\xe2\x82\xac\xf0\x9f\x93\xa7"},
    {"\xc2\x80", "\xc2\x80", R"("\xc2\x80")"},  // C1 control: fine in JSON, escaped for terminals
    {"\xef\xbf\xbf", "\xef\xbf\xbf", "\xef\xbf\xbf"},
    // Invalid UTF-8: one U+FFFD per maximal subpart (JSON), raw bytes as \xNN (human).
    {"\xff", R"(\ufffd)", R"("\xff")"},
    {"a\x80z", R"(a\ufffdz)", R"("a\x80z")"},
    {"\xc3", R"(\ufffd)", R"("\xc3")"},
    {"\xc3(", R"(\ufffd()", R"("\xc3(")"},
    {"\xe2\x82", R"(\ufffd)", R"("\xe2\x82")"},
    {"\xe2\x82x", R"(\ufffdx)", R"("\xe2\x82x")"},
    {"\xc0\xaf", R"(\ufffd\ufffd)", R"("\xc0\xaf")"},                 // overlong '/'
    {"\xe0\x80\xaf", R"(\ufffd\ufffd\ufffd)", R"("\xe0\x80\xaf")"},   // overlong '/'
    {"\xed\xa0\x80", R"(\ufffd\ufffd\ufffd)", R"("\xed\xa0\x80")"},   // surrogate
    {"\xf4\x90\x80\x80", R"(\ufffd\ufffd\ufffd\ufffd)", R"("\xf4\x90\x80\x80")"},  // > U+10FFFF
    {"\xf0\x9f\x93", R"(\ufffd)", R"("\xf0\x9f\x93")"},               // truncated 4-byte
};

TEST(LogEscape, JsonStringValues) {
  const std::string head =
      R"({"ts":"2026-11-22T10:00:00.123Z","level":"info","proc":"smtpd","pid":812,"event":"e","msg":"m","user":")";
  for (const auto& c : kEscapes) {
    SCOPED_TRACE(testing::PrintToString(c.in));
    EXPECT_EQ(json("e", "m", {{"user", c.in}}), head + c.json + R"("})");
  }
}

TEST(LogEscape, JsonEventMessageAndProc) {
  for (const auto& c : kEscapes) {
    SCOPED_TRACE(testing::PrintToString(c.in));
    EXPECT_EQ(format_line(Format::json, c.in, 1, 0, Level::info, c.in, c.in, {}),
              R"({"ts":"1970-01-01T00:00:00.000Z","level":"info","proc":")" + c.json + R"(","pid":1,"event":")" +
                  c.json + R"(","msg":")" + c.json + R"("})");
  }
}

TEST(LogEscape, HumanValues) {
  const std::string head = "2026-11-22T10:00:00.123Z info smtpd[812] e: m user=";
  for (const auto& c : kEscapes) {
    SCOPED_TRACE(testing::PrintToString(c.in));
    EXPECT_EQ(human("e", "m", {{"user", c.in}}), head + c.human);
  }
}

TEST(LogEscape, HumanMessageIsEscapedButNotQuoted) {
  EXPECT_EQ(human("e", "line one\nline \"two\"\t\\ \x1b \xff"),
            R"(2026-11-22T10:00:00.123Z info smtpd[812] e: line one\nline "two"\t\\ \x1b \xff)");
}

TEST(LogEscape, EveryByteKeepsOneLine) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (Format f : {Format::json, Format::human}) {
    std::string line = format_line(f, all, 1, 0, Level::info, all, all, {{"user", all}, {"sid", all}});
    for (unsigned char c : line) {
      EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "raw control byte " << int{c} << " in " << line;
    }
  }
}

// --- Names -----------------------------------------------------------------

TEST(LogNames, Levels) {
  for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::critical, Level::off}) {
    auto parsed = parse_level(level_name(l));
    ASSERT_TRUE(parsed.ok()) << level_name(l);
    EXPECT_EQ(*parsed, l);
  }
  EXPECT_EQ(level_name(Level::warn), "warn");
  EXPECT_EQ(parse_level("warning").code(), Errc::invalid);
  EXPECT_EQ(parse_level("INFO").code(), Errc::invalid);
  EXPECT_EQ(parse_level("").code(), Errc::invalid);
}

TEST(LogNames, Formats) {
  EXPECT_EQ(*parse_format("human"), Format::human);
  EXPECT_EQ(*parse_format("json"), Format::json);
  EXPECT_EQ(parse_format("text").code(), Errc::invalid);
}

// --- The real logger -------------------------------------------------------

// The file's lines; fails the test when the last line is not complete.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  std::vector<std::string> lines;
  if (data.empty()) return lines;
  EXPECT_EQ(data.back(), '\n') << "torn last line in " << path;
  size_t start = 0;
  for (size_t nl; (nl = data.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(data.substr(start, nl - start));
  }
  return lines;
}

Options file_options(const std::string& path, Format format = Format::json, Level level = Level::trace) {
  return Options{.proc = "logtest", .format = format, .target = Target::file, .path = path, .level = level};
}

TEST(LogWriter, BeforeInitWritesHumanToStderr) {
  // A death test runs in a fresh process, where init() has not been called.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        error("test.early", "before init", {{"path", "/x y"}});
        std::exit(0);
      },
      testing::ExitedWithCode(0),
      R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z error parley\[[0-9]+\] )"
      R"(test\.early: before init path="/x y")");
}

TEST(LogWriter, InitFailures) {
  testkit::TempDir dir("parley-log-test");
  auto missing = init(file_options(dir.file("no/such/dir/x.log")));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), Errc::io);
  EXPECT_THAT(missing.error().detail, HasSubstr("no/such/dir/x.log"));
  EXPECT_EQ(init(file_options("")).code(), Errc::invalid);
  EXPECT_EQ(init(Options{.proc = ""}).code(), Errc::invalid);
}

TEST(LogWriter, FileGetsOneLinePerEventWithMode0640) {
  testkit::TempDir dir("parley-log-test");
  const std::string path = dir.file("logtest.log");
  ASSERT_TRUE(init(file_options(path, Format::human)).ok());
  info("test.one", "first", {{"sid", "t-1"}, {"user", "a b"}});
  warn("test.two", "second\nhalf");
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  std::string pid = std::to_string(::getpid());
  EXPECT_THAT(lines[0], MatchesRegex(R"(20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8}\.[0-9]{3}Z info logtest\[)" +
                                     pid + R"(\] t-1 test\.one: first user="a b")"));
  EXPECT_THAT(lines[1], HasSubstr(" warn logtest[" + pid + R"(] test.two: second\nhalf)"));

  mode_t mask = ::umask(0);
  ::umask(mask);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640 & ~mask);
}

TEST(LogWriter, ReopenAfterRename) {
  testkit::TempDir dir("parley-log-test");
  const std::string path = dir.file("logtest.log");
  const std::string rotated = dir.file("logtest.log.1");
  ASSERT_TRUE(init(file_options(path)).ok());
  info("test.before", "before rotation");
  ASSERT_EQ(std::rename(path.c_str(), rotated.c_str()), 0);
  info("test.between", "still the old file");
  ASSERT_TRUE(reopen().ok());
  info("test.after", "after rotation");

  auto old_lines = read_lines(rotated);
  auto new_lines = read_lines(path);
  ASSERT_EQ(old_lines.size(), 2u);
  EXPECT_THAT(old_lines[0], HasSubstr(R"("event":"test.before")"));
  EXPECT_THAT(old_lines[1], HasSubstr(R"("event":"test.between")"));
  ASSERT_EQ(new_lines.size(), 1u);
  EXPECT_THAT(new_lines[0], HasSubstr(R"("event":"test.after")"));
}

TEST(LogWriter, ReopenFailureKeepsOldFile) {
  testkit::TempDir dir("parley-log-test");
  const std::string sub = dir.file("sub");
  std::filesystem::create_directory(sub);
  const std::string path = sub + "/logtest.log";
  const std::string moved = dir.file("logtest.log");
  ASSERT_TRUE(init(file_options(path)).ok());
  ASSERT_EQ(std::rename(path.c_str(), moved.c_str()), 0);
  std::filesystem::remove(sub);
  EXPECT_EQ(reopen().code(), Errc::io);
  info("test.after", "still written");
  EXPECT_EQ(read_lines(moved).size(), 1u);
}

TEST(LogWriter, ReopenWithoutFileIsNoop) {
  ASSERT_TRUE(init(Options{.proc = "logtest", .target = Target::stderr_}).ok());
  EXPECT_TRUE(reopen().ok());
}

TEST(LogWriter, LevelFilteringAndSetLevel) {
  testkit::TempDir dir("parley-log-test");
  const std::string path = dir.file("logtest.log");
  ASSERT_TRUE(init(file_options(path, Format::json, Level::warn)).ok());
  EXPECT_EQ(level(), Level::warn);
  EXPECT_FALSE(enabled(Level::info));
  EXPECT_TRUE(enabled(Level::warn));
  EXPECT_FALSE(enabled(Level::off));
  trace("test.a", "dropped");
  debug("test.b", "dropped");
  info("test.c", "dropped");
  warn("test.d", "kept");
  error("test.e", "kept");
  critical("test.f", "kept");

  set_level(Level::debug);
  EXPECT_EQ(level(), Level::debug);
  trace("test.g", "dropped");
  debug("test.h", "kept");

  set_level(Level::off);
  EXPECT_FALSE(enabled(Level::critical));
  critical("test.i", "dropped");
  write(Level::off, "test.j", "never written");

  set_level(Level::trace);
  trace("test.k", "kept");

  auto lines = read_lines(path);
  std::vector<std::string> events;
  for (const auto& l : lines) {
    auto at = l.find(R"("event":")");
    ASSERT_NE(at, std::string::npos) << l;
    events.push_back(l.substr(at + 9, 6));
  }
  EXPECT_EQ(events, (std::vector<std::string>{"test.d", "test.e", "test.f", "test.h", "test.k"}));
}

// Many threads (and a level changing under them) must give whole lines.
TEST(LogWriter, ConcurrentThreadsKeepLinesWhole) {
  testkit::TempDir dir("parley-log-test");
  const std::string path = dir.file("logtest.log");
  ASSERT_TRUE(init(file_options(path, Format::json, Level::info)).ok());
  constexpr int kThreads = 4;
  constexpr int kLines = 300;
  const std::string payload(500, 'x');
  std::atomic<bool> stop{false};
  std::thread toggler([&] {
    while (!stop.load()) {
      set_level(Level::debug);
      set_level(Level::info);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i) {
        info("test.thread", payload, {{"count", i}, {"key", t}});
        debug("test.debug", "maybe");
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  toggler.join();

  int info_lines = 0;
  for (const auto& l : read_lines(path)) {
    ASSERT_EQ(l.front(), '{');
    ASSERT_EQ(l.back(), '}');
    if (l.find(R"("event":"test.thread")") != std::string::npos) {
      ++info_lines;
      ASSERT_THAT(l, HasSubstr(R"("msg":")" + payload + R"(","count":)"));
    }
  }
  EXPECT_EQ(info_lines, kThreads * kLines);
}

// Processes sharing the file (O_APPEND, one write per line) do not interleave.
TEST(LogWriter, ConcurrentProcessesKeepLinesWhole) {
  testkit::TempDir dir("parley-log-test");
  const std::string path = dir.file("logtest.log");
  ASSERT_TRUE(init(file_options(path, Format::json, Level::info)).ok());
  constexpr int kChildren = 3;
  constexpr int kLines = 200;
  const std::string payload(1000, 'y');
  std::vector<testkit::Process> children;
  for (int c = 0; c < kChildren; ++c) {
    children.push_back(testkit::Process::fork([&] {
      for (int i = 0; i < kLines; ++i) info("test.process", payload, {{"count", i}});
      return 0;
    }));
  }
  for (int i = 0; i < kLines; ++i) info("test.process", payload, {{"count", i}});
  for (auto& child : children) EXPECT_EQ(child.wait(), 0);
  auto lines = read_lines(path);
  EXPECT_EQ(lines.size(), static_cast<size_t>((kChildren + 1) * kLines));
  const std::string whole = R"("event":"test.process","msg":")" + payload + R"(","count":)";
  for (const auto& l : lines) {
    ASSERT_EQ(l.front(), '{');
    ASSERT_EQ(l.back(), '}');
    ASSERT_THAT(l, HasSubstr(whole));
  }
}

int run_checker(const std::string& file, const std::string& args) {
  std::string cmd = "python3 '" PARLEY_SOURCE_DIR "/tests/unit/check_json_log.py' '" + file + "' " + args;
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(LogWriter, JsonLinesAreValidJson) {
  testkit::TempDir dir("parley-log-test");
  const std::string path = dir.file("logtest.log");
  ASSERT_TRUE(init(file_options(path)).ok());
  int written = 0;
  for (const auto& c : kEscapes) {
    info(c.in.empty() ? "test.empty" : c.in, c.in, {{"sid", c.in}, {"user", c.in}, {"peer", c.in}});
    ++written;
  }
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  trace("test.all", all, {{"user", all}});
  debug("test.types", "numbers", {{"count", -1}, {"bytes", 1e300}, {"delay_ms", std::nan("")}, {"key", true}});
  warn("test.sid", "sid in the middle", {{"user", "u"}, {"sid", 7}});
  error("test.repeat", "repeated key", {{"user", "a"}, {"user", "b"}});
  critical("test.end", "last");
  written += 5;
  EXPECT_EQ(run_checker(path, "--proc logtest --min-lines " + std::to_string(written)), 0);
  EXPECT_EQ(run_checker(path, "--proc other >/dev/null 2>&1"), 1);
  EXPECT_EQ(run_checker(path, "--min-lines " + std::to_string(written + 1) + " >/dev/null 2>&1"), 1);
}

// The checker itself must catch what it is there to catch.
TEST(LogWriter, CheckerRejectsBadLines) {
  testkit::TempDir dir("parley-log-test");
  const std::string good =
      R"({"ts":"2026-11-22T10:00:00.123Z","level":"info","proc":"p","pid":1,"event":"e","msg":"m"})";
  const std::string bad[] = {
      good.substr(0, 40),                                                            // torn
      R"({"ts":"2026-11-22 10:00:00Z","level":"info","proc":"p","pid":1,"event":"e","msg":"m"})",
      R"({"ts":"2026-11-22T10:00:00.123Z","level":"loud","proc":"p","pid":1,"event":"e","msg":"m"})",
      R"({"ts":"2026-11-22T10:00:00.123Z","level":"info","proc":"p","pid":"1","event":"e","msg":"m"})",
      R"({"level":"info","ts":"2026-11-22T10:00:00.123Z","proc":"p","pid":1,"event":"e","msg":"m"})",
      R"({"ts":"2026-11-22T10:00:00.123Z","level":"info","proc":"p","pid":1,"event":"e","msg":NaN})",
      "{\"ts\":\"2026-11-22T10:00:00.123Z\",\"level\":\"info\",\"proc\":\"p\",\"pid\":1,\"event\":\"e\",\"msg\":\"\xff\"}",
      "[1,2]",
  };
  {
    std::ofstream(dir.file("good.log")) << good << '\n' << good << '\n';
  }
  EXPECT_EQ(run_checker(dir.file("good.log"), "--proc p --min-lines 2 >/dev/null"), 0);
  for (const auto& b : bad) {
    SCOPED_TRACE(b);
    {
      std::ofstream(dir.file("bad.log")) << good << '\n' << b << '\n';
    }
    EXPECT_EQ(run_checker(dir.file("bad.log"), ">/dev/null 2>&1"), 1);
  }
  EXPECT_EQ(run_checker(dir.file("missing.log"), "2>/dev/null"), 2);
}

}  // namespace
}  // namespace parley::log
