// parley_config: loading, validation errors (exact text with file:line),
// accessors, to_toml round trips, and the shipped etc/parley.conf.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "config/config.h"

namespace parley::config {
namespace {

constexpr std::string_view kSource = "test.conf";

Config parse_ok(std::string_view text) {
  auto config = Config::parse(text, kSource);
  if (!config) ADD_FAILURE() << config.error().detail;
  return config ? std::move(config).value() : Config::parse("", kSource).value();
}

Value read(const Config& config, std::string_view section, std::string_view key, const Value& like) {
  switch (like.index()) {
    case 0: return config.boolean(section, key);
    case 1: return config.integer(section, key);
    case 2: return config.string(section, key);
    default: return config.list(section, key);
  }
}

using Strings = std::vector<std::string>;

struct ValidCase {
  std::string_view name;
  std::string_view text;
  std::string_view section;
  std::string_view key;
  Value expected;
};

const ValidCase kValid[] = {
    {"empty file: default", "", "server", "log_level", Value{std::string("info")}},
    {"comment only: default", "# nothing\n", "supervisor", "crash_loop_count", Value{std::int64_t{5}}},
    {"string", "[server]\nhostname = \"mx.example.com\"\n", "server", "hostname",
     Value{std::string("mx.example.com")}},
    {"literal string", "[server]\ndata_dir = '/srv/parley'\n", "server", "data_dir",
     Value{std::string("/srv/parley")}},
    {"choice", "[server]\nlog_format = \"json\"\n", "server", "log_format", Value{std::string("json")}},
    {"other keys keep defaults", "[server]\nlog_format = \"json\"\n", "server", "runtime_dir",
     Value{std::string("/run/parley")}},
    {"integer at minimum", "[supervisor]\nstop_timeout_ms = 0\n", "supervisor", "stop_timeout_ms",
     Value{std::int64_t{0}}},
    {"integer at maximum", "[server]\nlow_port_offset = 64000\n", "server", "low_port_offset",
     Value{std::int64_t{64000}}},
    {"integer with underscores", "[supervisor]\nrestart_backoff_max_ms = 3_600_000\n", "supervisor",
     "restart_backoff_max_ms", Value{std::int64_t{3600000}}},
    {"instance boolean", "[process.smtpd]\nenabled = false\n", "process.smtpd", "enabled", Value{false}},
    {"instance default", "[process.smtpd]\n", "process.smtpd", "seccomp", Value{std::string("enforce")}},
    {"instance list", "[process.smtpd]\nargs = [\"-v\", \"--x=1\"]\n", "process.smtpd", "args",
     Value{Strings{"-v", "--x=1"}}},
    {"listen specs", "[process.smtpd]\nlisten = [\"smtp=tcp:*:25\", \"smtps=tcp:[::]:465\"]\n", "process.smtpd",
     "listen", Value{Strings{"smtp=tcp:*:25", "smtps=tcp:[::]:465"}}},
    {"empty choice allowed", "[process.smtpd]\nlog_level = \"\"\n", "process.smtpd", "log_level",
     Value{std::string("")}},
    {"instance log level", "[process.smtpd]\nlog_level = \"trace\"\n", "process.smtpd", "log_level",
     Value{std::string("trace")}},
    {"int64 maximum", "[process.smtpd]\nrlimit_core_bytes = 9223372036854775807\n", "process.smtpd",
     "rlimit_core_bytes", Value{std::int64_t{INT64_MAX}}},
    {"dotted keys at top level", "process.local-delivery.user = \"mail\"\n", "process.local-delivery", "user",
     Value{std::string("mail")}},
    {"inline table", "server = { hostname = \"h\" }\n", "server", "hostname", Value{std::string("h")}},
    {"instance in a [process] table", "[process]\nsmtpd = { enabled = false }\n", "process.smtpd", "enabled",
     Value{false}},
};

TEST(config, ValidCases) {
  for (const auto& c : kValid) {
    SCOPED_TRACE(std::string(c.name));
    const Config config = parse_ok(c.text);
    EXPECT_EQ(read(config, c.section, c.key, c.expected), c.expected);
  }
}

struct MalformedCase {
  std::string_view name;
  std::string_view text;
  Errc code;
  std::string_view error;
};

const MalformedCase kMalformed[] = {
    {"toml syntax", "[server]\nhostname = \"x\"\nlog_level = = 1\n", Errc::syntax,
     "test.conf:3: Error while parsing value: could not determine value type"},
    {"unterminated table header", "\n[server\n", Errc::syntax, "test.conf:2: @@"},
    {"duplicate key", "[server]\nhostname = \"a\"\nhostname = \"b\"\n", Errc::syntax, "test.conf:3: @@"},
    {"unknown section", "[server]\n\n[nope]\nx = 1\n", Errc::invalid, "test.conf:3: nope: unknown section"},
    {"unknown dotted section", "[nope.sub]\n", Errc::invalid, "test.conf:1: nope: unknown section"},
    {"unknown key", "[server]\nhostnme = \"x\"\n", Errc::invalid, "test.conf:2: server.hostnme: unknown key"},
    {"unknown key in instance", "[process.smtpd]\nbinary = \"/x\"\nuserr = \"x\"\n", Errc::invalid,
     "test.conf:3: process.smtpd.userr: unknown key"},
    {"subtable of a fixed section", "[server.tls]\n", Errc::invalid, "test.conf:1: server.tls: unknown key"},
    {"quoted key", "[server]\n\"host name\" = 1\n", Errc::invalid,
     "test.conf:2: server.\"host name\": unknown key"},
    {"string for integer", "[supervisor]\ncrash_loop_count = \"5\"\n", Errc::invalid,
     "test.conf:2: supervisor.crash_loop_count: expected an integer, got a string"},
    {"float for integer", "[supervisor]\nstable_after_s = 1.5\n", Errc::invalid,
     "test.conf:2: supervisor.stable_after_s: expected an integer, got a floating-point number"},
    {"integer for string", "[server]\nhostname = 42\n", Errc::invalid,
     "test.conf:2: server.hostname: expected a string, got an integer"},
    {"string for boolean", "[process.smtpd]\nenabled = \"yes\"\n", Errc::invalid,
     "test.conf:2: process.smtpd.enabled: expected a boolean, got a string"},
    {"string for list", "[process.smtpd]\nargs = \"-v\"\n", Errc::invalid,
     "test.conf:2: process.smtpd.args: expected a list of strings, got a string"},
    {"table for string", "[server.hostname]\n", Errc::invalid,
     "test.conf:1: server.hostname: expected a string, got a table"},
    {"list element not a string", "[process.smtpd]\nargs = [\"-v\", 1]\n", Errc::invalid,
     "test.conf:2: process.smtpd.args: element 2 is an integer, expected a string"},
    {"below minimum", "[supervisor]\ncrash_loop_count = 0\n", Errc::invalid,
     "test.conf:2: supervisor.crash_loop_count: 0 is below the minimum 1"},
    {"negative", "[supervisor]\nstop_timeout_ms = -1\n", Errc::invalid,
     "test.conf:2: supervisor.stop_timeout_ms: -1 is below the minimum 0"},
    {"above maximum", "[server]\nlow_port_offset = 64001\n", Errc::invalid,
     "test.conf:2: server.low_port_offset: 64001 is above the maximum 64000"},
    {"instance above maximum", "[process.imapd]\nrlimit_nofile = 2000000\n", Errc::invalid,
     "test.conf:2: process.imapd.rlimit_nofile: 2000000 is above the maximum 1048576"},
    {"not a choice", "[server]\nlog_target = \"syslog\"\n", Errc::invalid,
     "test.conf:2: server.log_target: \"syslog\" is not one of \"auto\", \"file\", \"stdout\""},
    {"choice is case-sensitive", "[process.smtpd]\nseccomp = \"Off\"\n", Errc::invalid,
     "test.conf:2: process.smtpd.seccomp: \"Off\" is not one of \"enforce\", \"log\", \"off\""},
    {"not a choice, empty allowed", "[process.smtpd]\nlog_level = \"loud\"\n", Errc::invalid,
     "test.conf:2: process.smtpd.log_level: \"loud\" is not one of \"\", \"trace\", \"debug\", \"info\", "
     "\"warn\", \"error\", \"critical\", \"off\""},
    {"empty not a choice", "[server]\nlog_level = \"\"\n", Errc::invalid,
     "test.conf:2: server.log_level: \"\" is not one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", "
     "\"critical\", \"off\""},
    {"upper-case instance name", "[process.Smtpd]\n", Errc::invalid,
     "test.conf:1: process.Smtpd: the name \"Smtpd\" does not match [a-z0-9][a-z0-9-]* (at most 25 bytes)"},
    {"instance name starts with a dash", "[process.-smtpd]\n", Errc::invalid,
     "test.conf:1: process.-smtpd: the name \"-smtpd\" does not match [a-z0-9][a-z0-9-]* (at most 25 bytes)"},
    {"instance name with underscore", "\n[process.local_delivery]\n", Errc::invalid,
     "test.conf:2: process.local_delivery: the name \"local_delivery\" does not match [a-z0-9][a-z0-9-]* "
     "(at most 25 bytes)"},
    {"instance name too long", "[process.abcdefghijklmnopqrstuvwxyz]\n", Errc::invalid,
     "test.conf:1: process.abcdefghijklmnopqrstuvwxyz: the name \"abcdefghijklmnopqrstuvwxyz\" does not match "
     "[a-z0-9][a-z0-9-]* (at most 25 bytes)"},
    {"quoted instance name", "[process.\"a.b\"]\n", Errc::invalid,
     "test.conf:1: process.\"a.b\": the name \"a.b\" does not match [a-z0-9][a-z0-9-]* (at most 25 bytes)"},
    {"section is not a table", "server = 1\n", Errc::invalid,
     "test.conf:1: server: expected a table [server], got an integer"},
    {"pattern is not a table", "process = \"smtpd\"\n", Errc::invalid,
     "test.conf:1: process: expected tables [process.NAME], got a string"},
    {"pattern is an array of tables", "[[process]]\nbinary = \"x\"\n", Errc::invalid,
     "test.conf:1: process: expected tables [process.NAME], got an array"},
    {"instance is not a table", "[process]\nsmtpd = true\n", Errc::invalid,
     "test.conf:2: process.smtpd: expected a table [process.smtpd], got a boolean"},
    {"bad listen spec", "[process.smtpd]\nlisten = [\"smtp=tcp:1.2.3:25\"]\n", Errc::invalid,
     "test.conf:2: process.smtpd.listen: \"smtp=tcp:1.2.3:25\": bad IPv4 address \"1.2.3\""},
    {"bad listen spec on its own line", "[process.smtpd]\nlisten = [\n  \"smtp=tcp:*:25\",\n  \"smtps=tcp:::1:465\",\n]\n",
     Errc::invalid,
     "test.conf:4: process.smtpd.listen: \"smtps=tcp:::1:465\": IPv6 address \"::1\" must be in brackets"},
    {"every problem, in line order",
     "[supervisor]\nstop_timeout_ms = -1\n[server]\nzzz = 1\naaa = 2\n[nope]\n", Errc::invalid,
     "test.conf:2: supervisor.stop_timeout_ms: -1 is below the minimum 0\n"
     "test.conf:4: server.zzz: unknown key\n"
     "test.conf:5: server.aaa: unknown key\n"
     "test.conf:6: nope: unknown section"},
};

TEST(config, MalformedCases) {
  for (const auto& c : kMalformed) {
    SCOPED_TRACE(std::string(c.name));
    const auto config = Config::parse(c.text, kSource);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.code(), c.code);
    // "@@": only the position is fixed; the wording is toml++'s.
    if (c.error.ends_with("@@")) {
      EXPECT_TRUE(config.error().detail.starts_with(c.error.substr(0, c.error.size() - 2)))
          << config.error().detail;
      EXPECT_GT(config.error().detail.size(), c.error.size()) << config.error().detail;
    } else {
      EXPECT_EQ(config.error().detail, c.error);
    }
  }
}

TEST(config, InstancesInFileOrder) {
  const Config config = parse_ok(
      "[process.zeta]\n"
      "[server]\n"
      "[process.alpha]\n"
      "enabled = false\n"
      "[process.mid]\n");
  EXPECT_EQ(config.instances("process"), (Strings{"zeta", "alpha", "mid"}));
  EXPECT_TRUE(config.has_section("process.alpha"));
  EXPECT_FALSE(config.has_section("process.omega"));
  EXPECT_TRUE(config.has_section("server"));
  EXPECT_TRUE(config.has_section("supervisor"));  // fixed: present at its defaults
  EXPECT_TRUE(parse_ok("").instances("process").empty());
}

TEST(config, MisuseIsALogicError) {
  const Config config = parse_ok("[process.smtpd]\n");
  EXPECT_THROW((void)config.string("server", "no_such_key"), std::logic_error);
  EXPECT_THROW((void)config.string("nosection", "hostname"), std::logic_error);
  EXPECT_THROW((void)config.integer("server", "hostname"), std::logic_error);
  EXPECT_THROW((void)config.boolean("process.smtpd", "args"), std::logic_error);
  EXPECT_THROW((void)config.list("process.smtpd", "enabled"), std::logic_error);
  EXPECT_THROW((void)config.boolean("process.imapd", "enabled"), std::logic_error);  // not in this config
  EXPECT_THROW((void)config.boolean("process.*", "enabled"), std::logic_error);
  EXPECT_THROW((void)config.instances("nope"), std::logic_error);
  EXPECT_THROW((void)config.to_toml({"process.imapd"}), std::logic_error);
  EXPECT_NO_THROW((void)config.boolean("process.smtpd", "enabled"));
}

// Every key of every section in `a` has the same value in `b`.
void expect_same_values(const Config& a, const Config& b) {
  std::vector<std::string> sections;
  for (const auto& section : section_declarations()) {
    const std::string_view name = section.name;
    if (!name.ends_with(".*")) {
      sections.emplace_back(name);
      continue;
    }
    const auto prefix = name.substr(0, name.size() - 2);
    ASSERT_EQ(a.instances(prefix), b.instances(prefix));
    for (const auto& instance : a.instances(prefix)) sections.push_back(std::string(prefix) + "." + instance);
  }
  for (const auto& section : sections) {
    const auto dot = section.find('.');
    const std::string decl_section = dot == std::string::npos ? section : section.substr(0, dot) + ".*";
    for (const auto& decl : declarations()) {
      if (decl.section != decl_section) continue;
      SCOPED_TRACE(section + "." + std::string(decl.key));
      EXPECT_EQ(read(a, section, decl.key, decl.default_value), read(b, section, decl.key, decl.default_value));
    }
  }
}

constexpr std::string_view kRich =
    "[server]\n"
    "hostname = \"quote\\\" backslash\\\\ tab\\t nl\\n ctl\\u0001 del\\u007f caf\\u00e9 \\U0001F600\"\n"
    "log_format = 'json'\n"
    "low_port_offset = 1024\n"
    "[supervisor]\n"
    "stop_timeout_ms = 0\n"
    "[process.smtpd]\n"
    "args = [\"--a\", \"\", \"[x]\", \"#not a comment\"]\n"
    "listen = [\"smtp=tcp:*:25\", \"submission=tcp:[::1]:587\"]\n"
    "enabled = false\n"
    "rlimit_core_bytes = 9223372036854775807\n"
    "[process.directory]\n"
    "user = \"parley-dir\"\n";

TEST(config, ToTomlRoundTrips) {
  const Config config = parse_ok(kRich);
  const std::string text = config.to_toml();
  const Config again = parse_ok(text);
  expect_same_values(config, again);
  EXPECT_EQ(again.to_toml(), text);
  EXPECT_EQ(again.instances("process"), (Strings{"smtpd", "directory"}));
  EXPECT_EQ(again.string("server", "hostname"),
            "quote\" backslash\\ tab\t nl\n ctl\x01 del\x7f caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(config, ToTomlOfSomeSections) {
  const Config config = parse_ok(kRich);
  const std::string text = config.to_toml({"server", "process.directory"});
  EXPECT_EQ(text.find("[supervisor]"), std::string::npos);
  EXPECT_EQ(text.find("[process.smtpd]"), std::string::npos);
  const Config part = parse_ok(text);
  EXPECT_EQ(part.instances("process"), (Strings{"directory"}));
  EXPECT_EQ(part.string("process.directory", "user"), "parley-dir");
  EXPECT_EQ(part.string("server", "log_format"), "json");
  EXPECT_EQ(part.integer("supervisor", "stop_timeout_ms"), 10000);  // left out: default
  // Every key is written, defaults too, in declaration order.
  EXPECT_EQ(config.to_toml({"process.directory"}),
            "[process.directory]\n"
            "binary = \"\"\n"
            "args = []\n"
            "enabled = true\n"
            "listen = []\n"
            "user = \"parley-dir\"\n"
            "seccomp = \"enforce\"\n"
            "log_level = \"\"\n"
            "rlimit_nofile = 65536\n"
            "rlimit_core_bytes = 0\n");
}

TEST(config, DeclarationsAreConsistent) {
  for (const auto& decl : declarations()) {
    SCOPED_TRACE(std::string(decl.section) + "." + std::string(decl.key));
    bool section_declared = false;
    for (const auto& section : section_declarations()) section_declared |= section.name == decl.section;
    EXPECT_TRUE(section_declared);
    EXPECT_FALSE(decl.doc.empty());
    EXPECT_EQ(decl.default_value.index(), static_cast<std::size_t>(decl.type));
    if (decl.type == Type::integer) {
      EXPECT_LE(decl.min, decl.max);
      EXPECT_GE(std::get<std::int64_t>(decl.default_value), decl.min);
      EXPECT_LE(std::get<std::int64_t>(decl.default_value), decl.max);
    }
    if (!decl.choices.empty()) {
      ASSERT_EQ(decl.type, Type::string);
      const auto& value = std::get<std::string>(decl.default_value);
      EXPECT_NE(std::find(decl.choices.begin(), decl.choices.end(), value), decl.choices.end());
    }
    int same = 0;
    for (const auto& other : declarations()) same += other.section == decl.section && other.key == decl.key;
    EXPECT_EQ(same, 1);
  }
}

TEST(config, DefaultFileHasEveryDefault) {
  const std::string text = default_file_text();
  const auto config = Config::parse(text, "default");
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_TRUE(config->instances("process").empty());
  for (const auto& decl : declarations()) {
    if (decl.section.ends_with(".*")) {
      // Pattern keys are documented in the commented-out example block.
      EXPECT_NE(text.find("\n# " + std::string(decl.key) + " = "), std::string::npos) << decl.key;
      continue;
    }
    SCOPED_TRACE(std::string(decl.section) + "." + std::string(decl.key));
    // Written out, not just defaulted: the file shows every key.
    EXPECT_NE(text.find("\n" + std::string(decl.key) + " = "), std::string::npos);
    EXPECT_EQ(read(*config, decl.section, decl.key, decl.default_value), decl.default_value);
  }
  for (std::string_view rest = text; !rest.empty();) {
    const auto end = rest.find('\n');
    ASSERT_NE(end, std::string_view::npos) << "the file ends with a newline";
    EXPECT_LE(end, 78u) << rest.substr(0, end);
    rest.remove_prefix(end + 1);
  }
}

TEST(config, UncommentedExampleParses) {
  // Removing "# " from the example block's key lines gives a valid instance.
  std::string text = "[process.example]\n";
  for (const auto& decl : declarations()) {
    if (decl.section != "process.*") continue;
    const std::string line = "\n# " + std::string(decl.key) + " = ";
    const std::string file = default_file_text();
    const auto at = file.find(line);
    ASSERT_NE(at, std::string::npos);
    const auto end = file.find('\n', at + 1);
    text += file.substr(at + 3, end - at - 3) + "\n";
  }
  const Config config = parse_ok(text);
  EXPECT_EQ(config.instances("process"), (Strings{"example"}));
}

TEST(config, ShippedFileIsTheDefaultText) {
  const std::string path = std::string(PARLEY_SOURCE_DIR) + "/etc/parley.conf";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::ostringstream shipped;
  shipped << in.rdbuf();
  EXPECT_TRUE(shipped.str() == default_file_text())
      << "etc/parley.conf differs from default_file_text(); regenerate with: "
         "parleyd --default-config > etc/parley.conf";
  EXPECT_TRUE(Config::load_file(path).ok());
}

TEST(config, LoadFile) {
  const std::string path = testing::TempDir() + "/config_test_load.conf";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "[server]\n\nhostname = 7\n";
  }
  const auto bad = Config::load_file(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().detail, path + ":3: server.hostname: expected a string, got an integer");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "[server]\nhostname = \"h\"\n";
  }
  const auto good = Config::load_file(path);
  ASSERT_TRUE(good.ok()) << good.error().detail;
  EXPECT_EQ(good->string("server", "hostname"), "h");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << std::string(kMaxFileBytes + 1, '#');
  }
  const auto big = Config::load_file(path);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.code(), Errc::limit);
  std::remove(path.c_str());

  const auto missing = Config::load_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), Errc::io);
  EXPECT_EQ(missing.error().detail, path + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace parley::config
