// parley_config: loading, validation errors (exact text with file:line),
// typed accessors, schemas (consistency, merging), to_toml round trips,
// and the shipped etc/parley.conf. The file's sections are parleyd's own
// (supervisor::base_schema(): [server], [supervisor], [process.*]).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "config/common.h"
#include "config/config.h"
#include "supervisor/settings.h"

namespace parley::config {
namespace {

constexpr std::string_view kSource = "test.conf";

Config parse_ok(std::string_view text) {
  auto config = Config::parse(text, kSource, supervisor::base_schema());
  if (!config) ADD_FAILURE() << config.error().detail;
  return config ? std::move(config).value() : Config::parse("", kSource, supervisor::base_schema()).value();
}

// Reads a key named at run time, as the tables below need: a typed key
// made on the spot. "process.smtpd" is the instance smtpd of "process.*".
Value read(const Config& config, std::string_view section, std::string_view key, const Value& like) {
  std::string pattern(section);
  std::string_view instance;
  if (const auto dot = section.find('.'); dot != std::string_view::npos) {
    pattern = std::string(section.substr(0, dot)) + ".*";
    instance = section.substr(dot + 1);
  }
  auto get = [&](const auto& typed) -> Value {
    if (instance.empty()) return config.get(typed);
    return config.get(typed, instance);
  };
  switch (like.index()) {
    case 0: return get(Boolean{.section = pattern, .key = key});
    case 1: return get(Integer{.section = pattern, .key = key});
    case 2: return get(String{.section = pattern, .key = key});
    default: return get(List{.section = pattern, .key = key});
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
    const auto config = Config::parse(c.text, kSource, supervisor::base_schema());
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

// Typed keys of a section of the tests' own.
const Integer kDemoCount{.section = "demo", .key = "count", .default_value = 3, .min = 1, .max = 10, .doc = "A count."};
const Boolean kDemoOn{.section = "demo", .key = "on", .default_value = true, .doc = "A switch."};
const String kDemoMode{
    .section = "demo", .key = "mode", .default_value = "a", .choices = {"a", "b"}, .doc = "A choice."};
const List kDemoNets{.section = "demo", .key = "nets", .default_value = {"::1/128"}, .doc = "Networks.",
                     .check = Check::cidr};
const Integer kDemoUndeclared{.section = "demo", .key = "undeclared", .doc = "Not in the section."};

SectionDecl demo_section() {
  return {.name = "demo", .doc = "A demo.", .keys = {kDemoCount, kDemoOn, kDemoMode, kDemoNets}};
}

Schema demo_schema() { return {server_section(), demo_section(), process_section()}; }

TEST(config, TypedAccessors) {
  static_assert(std::is_same_v<decltype(std::declval<Config>().get(kDemoCount)), std::int64_t>);
  static_assert(std::is_same_v<decltype(std::declval<Config>().get(kDemoOn)), bool>);
  static_assert(std::is_same_v<decltype(std::declval<Config>().get(kDemoMode)), const std::string&>);
  static_assert(std::is_same_v<decltype(std::declval<Config>().get(kDemoNets)), const std::vector<std::string>&>);

  const auto defaults = Config::parse("", kSource, demo_schema());
  ASSERT_TRUE(defaults.ok()) << defaults.error().detail;
  EXPECT_EQ(defaults->get(kDemoCount), 3);
  EXPECT_TRUE(defaults->get(kDemoOn));
  EXPECT_EQ(defaults->get(kDemoMode), "a");
  EXPECT_EQ(defaults->get(kDemoNets), (Strings{"::1/128"}));
  EXPECT_EQ(defaults->get(kLogLevel), "info");

  const auto set = Config::parse(
      "[demo]\ncount = 10\non = false\nmode = \"b\"\nnets = [\"192.0.2.0/24\"]\n[process.x]\nuser = \"u\"\n", kSource,
      demo_schema());
  ASSERT_TRUE(set.ok()) << set.error().detail;
  EXPECT_EQ(set->get(kDemoCount), 10);
  EXPECT_FALSE(set->get(kDemoOn));
  EXPECT_EQ(set->get(kDemoMode), "b");
  EXPECT_EQ(set->get(kDemoNets), (Strings{"192.0.2.0/24"}));
  EXPECT_EQ(set->get(kProcessUser, "x"), "u");
  EXPECT_EQ(set->get(kProcessSeccomp, "x"), "enforce");

  const auto bad = Config::parse("[demo]\ncount = 11\nnets = [\"nope\"]\nextra = 1\n", kSource, demo_schema());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().detail,
            "test.conf:2: demo.count: 11 is above the maximum 10\n"
            "test.conf:3: demo.nets: \"nope\": " + run_check(Check::cidr, "nope").error().detail + "\n"
            "test.conf:4: demo.extra: unknown key");
}

TEST(config, UnknownSectionsSkipped) {
  const auto config = Config::parse("[demo]\ncount = 2\n[server]\nhostname = \"h\"\n", kSource,
                                    supervisor::base_schema(), Unknown::skip);
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->get(kHostname), "h");
  EXPECT_FALSE(config->has_section("demo"));
  // Known sections are still checked whole.
  const auto bad = Config::parse("[demo]\n[server]\nhostnme = \"h\"\n", kSource, supervisor::base_schema(),
                                 Unknown::skip);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().detail, "test.conf:3: server.hostnme: unknown key");
}

TEST(config, MisuseIsALogicError) {
  const Config config = parse_ok("[process.smtpd]\n");
  EXPECT_THROW((void)config.get(String{.section = "server", .key = "no_such_key"}), std::logic_error);
  EXPECT_THROW((void)config.get(String{.section = "nosection", .key = "hostname"}), std::logic_error);
  EXPECT_THROW((void)config.get(Integer{.section = "server", .key = "hostname"}), std::logic_error);
  EXPECT_THROW((void)config.get(Boolean{.section = "process.*", .key = "args"}, "smtpd"), std::logic_error);
  EXPECT_THROW((void)config.get(kDemoCount), std::logic_error);  // a section this config does not declare
  EXPECT_THROW((void)config.get(kProcessEnabled, "imapd"), std::logic_error);  // not in this config
  EXPECT_THROW((void)config.get(kProcessEnabled), std::logic_error);           // a pattern needs an instance
  EXPECT_THROW((void)config.get(kHostname, "smtpd"), std::logic_error);        // a fixed section has none
  EXPECT_THROW((void)config.instances("nope"), std::logic_error);
  EXPECT_THROW((void)config.to_toml({"process.imapd"}, config.schema()), std::logic_error);
  EXPECT_NO_THROW((void)config.get(kProcessEnabled, "smtpd"));

  const auto demo = Config::parse("", kSource, demo_schema());
  ASSERT_TRUE(demo.ok());
  EXPECT_THROW((void)demo->get(kDemoUndeclared), std::logic_error);  // declared, but not in the section
}

// Every key of every section in `a` has the same value in `b`.
void expect_same_values(const Config& a, const Config& b) {
  std::vector<std::string> sections;
  for (const auto& section : a.schema()) {
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
    for (const auto& decl_section_entry : a.schema()) {
      if (decl_section_entry.name != decl_section) continue;
      for (const auto& decl : decl_section_entry.keys) {
        SCOPED_TRACE(section + "." + decl.key);
        EXPECT_EQ(read(a, section, decl.key, decl.default_value), read(b, section, decl.key, decl.default_value));
      }
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
  EXPECT_EQ(again.get(kHostname),
            "quote\" backslash\\ tab\t nl\n ctl\x01 del\x7f caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(config, ToTomlOfSomeSections) {
  const Config config = parse_ok(kRich);
  const std::string text = config.to_toml({"server", "process.directory"}, config.schema());
  EXPECT_EQ(text.find("[supervisor]"), std::string::npos);
  EXPECT_EQ(text.find("[process.smtpd]"), std::string::npos);
  const Config part = parse_ok(text);
  EXPECT_EQ(part.instances("process"), (Strings{"directory"}));
  EXPECT_EQ(part.get(kProcessUser, "directory"), "parley-dir");
  EXPECT_EQ(part.get(kLogFormat), "json");
  EXPECT_EQ(read(part, "supervisor", "stop_timeout_ms", Value{std::int64_t{}}), Value{std::int64_t{10000}});  // left out: default
  // Every key is written, defaults too, in declaration order.
  EXPECT_EQ(config.to_toml({"process.directory"}, config.schema()),
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

TEST(config, ToTomlWritesTheKeysOfTheGivenSchema) {
  // How parleyd hands a process its part: only the keys the process declares.
  Schema wide = demo_schema();
  ASSERT_TRUE(merge(wide, SectionDecl{.name = "demo", .doc = "", .keys = {kDemoUndeclared}}).ok());
  const auto config = Config::parse("[demo]\nundeclared = 5\ncount = 4\n", kSource, wide);
  ASSERT_TRUE(config.ok()) << config.error().detail;
  const std::string text = config->to_toml({"demo"}, demo_schema());
  EXPECT_EQ(text, "[demo]\ncount = 4\non = true\nmode = \"a\"\nnets = [\"::1/128\"]\n");
  const auto part = Config::parse(text, kSource, demo_schema());
  ASSERT_TRUE(part.ok()) << part.error().detail;
  EXPECT_EQ(part->get(kDemoCount), 4);
}

// Every key parleyd and the shipped programs (built beside this test)
// declare.
Schema shipped_schema() {
  auto schema = supervisor::shipped_schema(supervisor::program_dir());
  if (!schema) ADD_FAILURE() << schema.error().detail;
  return schema ? std::move(schema).value() : supervisor::base_schema();
}

TEST(config, SchemasAreConsistent) {
  EXPECT_TRUE(check_schema(supervisor::base_schema()).ok());
  EXPECT_TRUE(check_schema(demo_schema()).ok());
  const Status shipped = check_schema(shipped_schema());
  EXPECT_TRUE(shipped.ok()) << shipped.error().detail;
}

TEST(config, InconsistentSchemas) {
  struct Case {
    std::string_view name;
    Schema schema;
    std::string_view error;
  };
  const KeyDecl count = kDemoCount;
  auto with = [&](auto change) {
    SectionDecl section = demo_section();
    change(section);
    return Schema{section};
  };
  const Case cases[] = {
      {"bad section name", {SectionDecl{.name = "Demo", .doc = "d", .keys = {}}}, "section \"Demo\": bad name"},
      {"no section doc", {SectionDecl{.name = "demo", .doc = "", .keys = {}}}, "section demo: no doc"},
      {"section twice", {demo_section(), demo_section()}, "section demo: declared twice"},
      {"key twice", with([&](SectionDecl& s) { s.keys.push_back(count); }), "demo.count: declared twice"},
      {"key of another section", with([&](SectionDecl& s) { s.keys[0].section = "other"; }),
       "demo.count: declared for section \"other\""},
      {"key not snake_case", with([&](SectionDecl& s) { s.keys[0].key = "Count"; }),
       "demo.Count: the key is not snake_case"},
      {"no key doc", with([&](SectionDecl& s) { s.keys[0].doc.clear(); }), "demo.count: no doc"},
      {"default of another type", with([&](SectionDecl& s) { s.keys[0].default_value = true; }),
       "demo.count: the default is not an integer"},
      {"default out of bounds", with([&](SectionDecl& s) { s.keys[0].default_value = std::int64_t{11}; }),
       "demo.count: the default is out of bounds"},
      {"bounds on a string", with([&](SectionDecl& s) { s.keys[2].min = 0; }),
       "demo.mode: bounds on a key that is not an integer"},
      {"default not a choice", with([&](SectionDecl& s) { s.keys[2].default_value = std::string("c"); }),
       "demo.mode: the default is not one of the choices"},
      {"choices on a list", with([&](SectionDecl& s) { s.keys[3].choices = {"x"}; }),
       "demo.nets: choices on a key that is not a string"},
      {"check on a boolean", with([&](SectionDecl& s) { s.keys[1].check = Check::cidr; }),
       "demo.on: a check on a key that is not a string or list"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name));
    const Status status = check_schema(c.schema);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().detail, c.error);
  }
}

TEST(config, MergeAddsKeysAndRefusesConflicts) {
  Schema schema = {demo_section()};
  ASSERT_TRUE(merge(schema, demo_section()).ok());  // the same again: two instances of one program
  EXPECT_EQ(schema, Schema{demo_section()});
  ASSERT_TRUE(merge(schema, SectionDecl{.name = "demo", .doc = "other doc", .keys = {kDemoUndeclared}}).ok());
  ASSERT_EQ(schema.size(), 1u);
  EXPECT_EQ(schema[0].doc, "A demo.");
  EXPECT_EQ(schema[0].keys.back().key, "undeclared");
  ASSERT_TRUE(merge(schema, server_section()).ok());
  EXPECT_EQ(schema.size(), 2u);
  KeyDecl changed = kDemoCount;
  changed.max = 20;
  const Status conflict = merge(schema, SectionDecl{.name = "demo", .doc = "d", .keys = {changed}});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().detail, "demo.count: declared twice, differently");
}

TEST(config, CheckNames) {
  for (const Check check : {Check::none, Check::cidr, Check::certificate, Check::route, Check::rule, Check::user,
                            Check::group, Check::address, Check::listen}) {
    EXPECT_EQ(check_from_name(check_name(check)), check) << check_name(check);
  }
  EXPECT_EQ(check_from_name("nope"), std::nullopt);
  EXPECT_TRUE(run_check(Check::route, "example.net=192.0.2.7:25").ok());
  EXPECT_FALSE(run_check(Check::route, "example.net").ok());
}

TEST(config, DefaultFileHasEveryDefault) {
  const Schema schema = shipped_schema();
  const std::string text = default_file_text(schema);
  const auto config = Config::parse(text, "default", schema);
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_TRUE(config->instances("process").empty());
  for (const auto& section : schema) {
    for (const auto& decl : section.keys) {
      if (decl.section.ends_with(".*")) {
        // Pattern keys are documented in the commented-out example block.
        EXPECT_NE(text.find("\n# " + decl.key + " = "), std::string::npos) << decl.key;
        continue;
      }
      SCOPED_TRACE(decl.section + "." + decl.key);
      // Written out, not just defaulted: the file shows every key.
      EXPECT_NE(text.find("\n" + decl.key + " = "), std::string::npos);
      EXPECT_EQ(read(*config, decl.section, decl.key, decl.default_value), decl.default_value);
    }
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
  const std::string file = default_file_text(supervisor::base_schema());
  for (const auto& decl : process_section().keys) {
    const std::string line = "\n# " + decl.key + " = ";
    const auto at = file.find(line);
    ASSERT_NE(at, std::string::npos);
    const auto end = file.find('\n', at + 1);
    text += file.substr(at + 3, end - at - 3) + "\n";
  }
  const Config config = parse_ok(text);
  EXPECT_EQ(config.instances("process"), (Strings{"example"}));
}

// What `parleyd --default-config` prints: the shipped programs beside this
// test (build/bin) describe their keys.
TEST(config, ShippedFileIsTheDefaultText) {
  const std::string path = std::string(PARLEY_SOURCE_DIR) + "/etc/parley.conf";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::ostringstream shipped;
  shipped << in.rdbuf();
  const auto text = supervisor::default_file_text(supervisor::program_dir());
  ASSERT_TRUE(text.ok()) << text.error().detail;
  EXPECT_TRUE(shipped.str() == *text)
      << "etc/parley.conf differs from parleyd --default-config; regenerate with: "
         "parleyd --default-config > etc/parley.conf";
  const auto loaded = supervisor::load(path);
  EXPECT_TRUE(loaded.ok()) << loaded.error().detail;
}

TEST(config, LoadFile) {
  const std::string path = testing::TempDir() + "/config_test_load.conf";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "[server]\n\nhostname = 7\n";
  }
  const auto bad = Config::load_file(path, supervisor::base_schema());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().detail, path + ":3: server.hostname: expected a string, got an integer");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "[server]\nhostname = \"h\"\n";
  }
  const auto good = Config::load_file(path, supervisor::base_schema());
  ASSERT_TRUE(good.ok()) << good.error().detail;
  EXPECT_EQ(good->get(kHostname), "h");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << std::string(kMaxFileBytes + 1, '#');
  }
  const auto big = Config::load_file(path, supervisor::base_schema());
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.code(), Errc::limit);
  std::remove(path.c_str());

  const auto missing = Config::load_file(path, supervisor::base_schema());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), Errc::io);
  EXPECT_EQ(missing.error().detail, path + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace parley::config
