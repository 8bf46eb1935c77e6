// The skeleton's declaration as `--describe` prints it: settings survive
// the round trip to parleyd, a real program's output parses back to its
// own sections, and a hostile declaration is refused.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "config/common.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "procs/smtpd/settings.h"
#include "schema/control.pb.h"
#include "supervisor/settings.h"

namespace parley::daemon {
namespace {

const config::Integer kCount{.section = "demo", .key = "count", .default_value = -3, .doc = "Unbounded."};
const config::Integer kBounded{
    .section = "demo", .key = "bounded", .default_value = 5, .min = 1, .max = 9, .doc = "Bounded."};
const config::Boolean kOn{.section = "demo", .key = "on", .default_value = true, .doc = "A switch."};
const config::String kMode{.section = "demo", .key = "mode", .default_value = "", .choices = {"", "x"},
                           .doc = "A choice.", .check = config::Check::address};
const config::List kEmpty{.section = "demo", .key = "empty", .doc = "Empty by default.", .check = config::Check::listen};
const config::List kTwo{.section = "demo", .key = "two", .default_value = {"a", "b"}, .doc = "Two."};

Process demo_process() {
  return {.name = "demo",
          .listeners = {"one"},
          .settings = {{.name = "demo", .doc = "Demo.", .keys = {kCount, kBounded, kOn, kMode, kEmpty, kTwo}},
                       {.name = "demo-extra", .doc = "More.", .keys = {}}}};
}

TEST(daemon, DeclarationRoundTrips) {
  const Process process = demo_process();
  schema::ProcessDecl decl;
  ASSERT_TRUE(decl.ParseFromString(declaration(process).SerializeAsString()));
  EXPECT_EQ(decl.name(), "demo");
  ASSERT_EQ(decl.listeners_size(), 1);
  // Bounds only where a key has them.
  EXPECT_FALSE(decl.settings(0).keys(0).has_min());
  EXPECT_EQ(decl.settings(0).keys(1).max(), 9);
  EXPECT_FALSE(decl.settings(0).keys(2).has_max());
  const auto sections = settings_of(decl);
  ASSERT_TRUE(sections.ok()) << sections.error().detail;
  EXPECT_EQ(*sections, process.settings);
}

TEST(daemon, ProcessSchemaHasTheSharedSections) {
  const config::Schema schema = process_schema(demo_process().settings);
  ASSERT_EQ(schema.size(), 4u);
  EXPECT_EQ(schema.front(), config::server_section());
  EXPECT_EQ(schema[1].name, "demo");
  EXPECT_EQ(schema.back(), config::process_section());
}

// The real program: what parleyd reads from `smtpd --describe`.
TEST(daemon, DescribeOutputParsesBack) {
  const std::string command = supervisor::program_dir() + "/smtpd --describe";
  const std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), &::pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0;) out.append(buf, n);
  schema::ProcessDecl decl;
  ASSERT_TRUE(decl.ParseFromString(out));
  EXPECT_EQ(decl.name(), "smtpd");
  const auto sections = settings_of(decl);
  ASSERT_TRUE(sections.ok()) << sections.error().detail;
  EXPECT_EQ(*sections, config::Schema{smtpd::settings_section()});
}

TEST(daemon, HostileDeclarationsAreRefused) {
  struct Case {
    std::string_view name;
    void (*change)(schema::ProcessDecl&);
    std::string_view error;
  };
  const Case cases[] = {
      {"unknown check", [](schema::ProcessDecl& d) { d.mutable_settings(0)->mutable_keys(3)->set_check("shell"); },
       "demo.mode: unknown check \"shell\""},
      {"no default", [](schema::ProcessDecl& d) { d.mutable_settings(0)->mutable_keys(0)->clear_integer(); },
       "demo.count: no default"},
      {"default out of bounds", [](schema::ProcessDecl& d) { d.mutable_settings(0)->mutable_keys(1)->set_integer(10); },
       "demo.bounded: the default is out of bounds"},
      {"bounds on a boolean", [](schema::ProcessDecl& d) { d.mutable_settings(0)->mutable_keys(2)->set_min(0); },
       "demo.on: bounds on a key that is not an integer"},
      {"a shared section", [](schema::ProcessDecl& d) { d.mutable_settings(1)->set_name("server"); },
       "section server: declared by every process"},
      {"a pattern", [](schema::ProcessDecl& d) { d.mutable_settings(1)->set_name("demo.*"); },
       "section demo.*: a pattern"},
      {"a bad name", [](schema::ProcessDecl& d) { d.mutable_settings(1)->set_name("[x]"); },
       "section \"[x]\": bad name"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name));
    schema::ProcessDecl decl = declaration(demo_process());
    c.change(decl);
    const auto sections = settings_of(decl);
    ASSERT_FALSE(sections.ok());
    EXPECT_EQ(sections.error().detail, c.error);
  }
}

}  // namespace
}  // namespace parley::daemon
