// parleyd's loading of parley.conf: the sections of the programs it knows
// (learnt from their --describe, the shipped programs built beside this
// test) are checked as parleyd's own are, with file:line; a key or section
// no program declares is refused.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "supervisor/settings.h"
#include "supervisor/sockets.h"

namespace parley::supervisor {
namespace {

class SupervisorLoad : public ::testing::Test {
 protected:
  Result<Loaded> load_text(const std::string& text) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << text;
    return load(path_);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // One file per process: ctest runs this program's tests in parallel.
  const std::string path_ = ::testing::TempDir() + "/supervisor_test." + std::to_string(::getpid()) + ".conf";
};

TEST_F(SupervisorLoad, ProgramSectionsAreChecked) {
  struct Case {
    std::string_view text;
    std::string error;  // after "PATH:"
  };
  const Case cases[] = {
      {"[smtpd]\nmax_recipients = 5\nno_such_key = 1\n", "3: smtpd.no_such_key: unknown key"},
      {"[nosuch]\nx = 1\n", "1: nosuch: unknown section"},
      {"[smtpd]\nmax_recipients = 0\n", "2: smtpd.max_recipients: 0 is below the minimum 1"},
      {"[smtpd]\nrelay_networks = [\"nope\"]\n", "2: smtpd.relay_networks: \"nope\": "},
      {"[router]\nmax_hops = \"many\"\n", "2: router.max_hops: expected an integer, got a string"},
      // Every error at once, parleyd's own and the programs'.
      {"[supervisor]\ncrash_loop_count = 0\n[imapd]\nbogus = true\n",
       "2: supervisor.crash_loop_count: 0 is below the minimum 1\n" + path_ + ":4: imapd.bogus: unknown key"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    const auto loaded = load_text(std::string(c.text));
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(loaded.error().detail.starts_with(path_ + ":" + c.error)) << loaded.error().detail;
  }
}

TEST_F(SupervisorLoad, KnownKeysAreRead) {
  const auto loaded = load_text(
      "[smtpd]\nmax_recipients = 5\n[directory]\nargon2_iterations = 2\nfirst_run_domain = \"example.test\"\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().detail;
  EXPECT_EQ(loaded->config.get(kFirstRunDomain), "example.test");
  EXPECT_TRUE(loaded->settings.processes.empty());
}

TEST_F(SupervisorLoad, ProcessGetsItsOwnKeysOnly) {
  const auto loaded = load_text(
      "[server]\ndata_dir = \"/tmp/x\"\n[process.directory]\nuser = \"nobody\"\n"
      "[directory]\nargon2_iterations = 2\nfirst_run_domain = \"example.test\"\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().detail;
  ASSERT_EQ(loaded->settings.processes.size(), 1u);
  const ProcessSpec& p = loaded->settings.processes[0];
  ASSERT_EQ(p.schema.size(), 3u);
  EXPECT_EQ(p.schema[1].name, "directory");
  const std::string text = loaded->config.to_toml({"directory"}, p.schema);
  EXPECT_NE(text.find("argon2_iterations = 2\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("first_run_domain"), std::string::npos) << text;
}

// What a program may not declare: parleyd's own section, or a key another
// program declares differently.
TEST(SupervisorSchema, ProgramDeclarationsAreChecked) {
  auto program = [](std::string_view name, std::string_view section, std::int64_t max) {
    schema::ProcessDecl decl;
    decl.set_name(std::string(name));
    auto* s = decl.add_settings();
    s->set_name(std::string(section));
    s->set_doc("A section.");
    auto* key = s->add_keys();
    key->set_key("count");
    key->set_integer(1);
    key->set_min(0);
    key->set_max(max);
    key->set_doc("A count.");
    return decl;
  };
  const auto one = file_schema({program("a", "shared", 9)});
  ASSERT_TRUE(one.ok()) << one.error().detail;
  EXPECT_TRUE(file_schema({program("a", "shared", 9), program("b", "shared", 9)}).ok());

  const auto differently = file_schema({program("a", "shared", 9), program("b", "shared", 10)});
  ASSERT_FALSE(differently.ok());
  EXPECT_EQ(differently.error().detail, "process b: shared.count: declared twice, differently");
  const auto parleyds = file_schema({program("a", "supervisor", 9)});
  ASSERT_FALSE(parleyds.ok());
  EXPECT_EQ(parleyds.error().detail, "process a: section supervisor is parleyd's");
}

// A UDP listener gets 4 MiB buffers each way so that a burst of SIP
// requests waits instead of being dropped: past net.core.rmem_max when
// parleyd runs as root, else up to that limit (the kernel reports twice
// what was set).
TEST(SupervisorSockets, DatagramListenersGetLargeBuffers) {
  Sockets sockets;
  config::ListenSpec spec{"sip", config::ListenSpec::Proto::udp, "127.0.0.1", 0};
  auto fd = sockets.get(spec);
  ASSERT_TRUE(fd.ok()) << fd.error().detail;
  long limit = 0;
  std::ifstream("/proc/sys/net/core/rmem_max") >> limit;
  const long wanted = 2L * (4 << 20);
  const long expected = ::geteuid() == 0 ? wanted : std::min(wanted, 2 * limit);
  int size = 0;
  socklen_t len = sizeof size;
  ASSERT_EQ(::getsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &size, &len), 0);
  EXPECT_GE(size, expected);
}

}  // namespace
}  // namespace parley::supervisor
