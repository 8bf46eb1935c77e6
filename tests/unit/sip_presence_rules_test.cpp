// sip::PresenceRules: watchers an account allowed, in LMDB: allowed,
// denied, compared in lower case, kept across reopening; bad names refused.
#include "sip/presence_rules.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/result_assert.h"
#include "tests/support/temp_dir.h"

namespace parley::sip {
namespace {

using testkit::Fails;
using testkit::Ok;

TEST(PresenceRules, AllowDenyAndReopen) {
  testkit::TempDir dir("sip-presence-rules");
  {
    auto rules = PresenceRules::open(dir.file("watchers"));
    ASSERT_TRUE(Ok(rules));
    EXPECT_FALSE(rules->allowed("demo@example.test", "bob@elsewhere.test").value());
    ASSERT_TRUE(Ok(rules->allow("Demo@Example.test", "BOB@elsewhere.test")));
    EXPECT_TRUE(rules->allowed("demo@example.test", "bob@elsewhere.test").value());
    // Per account: another account's watchers are its own.
    EXPECT_FALSE(rules->allowed("demo2@example.test", "bob@elsewhere.test").value());
    ASSERT_TRUE(Ok(rules->allow("demo@example.test", "carol@elsewhere.test")));
  }
  auto rules = PresenceRules::open(dir.file("watchers"));
  ASSERT_TRUE(Ok(rules));
  EXPECT_TRUE(rules->allowed("demo@example.test", "bob@elsewhere.test").value());
  ASSERT_TRUE(Ok(rules->deny("demo@example.test", "bob@elsewhere.test")));
  EXPECT_FALSE(rules->allowed("demo@example.test", "bob@elsewhere.test").value());
  EXPECT_TRUE(rules->allowed("demo@example.test", "carol@elsewhere.test").value());
  EXPECT_TRUE(Fails(rules->deny("demo@example.test", "bob@elsewhere.test"), Errc::not_found));
}

TEST(PresenceRules, RefusesBadNames) {
  testkit::TempDir dir("sip-presence-rules");
  auto rules = PresenceRules::open(dir.file("watchers"));
  ASSERT_TRUE(Ok(rules));
  EXPECT_TRUE(Fails(rules->allow("", "bob@elsewhere.test"), Errc::invalid));
  EXPECT_TRUE(Fails(rules->allow("demo@example.test", ""), Errc::invalid));
  EXPECT_TRUE(Fails(rules->allow("demo@example.test", std::string(400, 'x')), Errc::invalid));
  EXPECT_TRUE(Fails(rules->allowed(std::string("a\0b", 3), "bob@elsewhere.test"), Errc::invalid));
}

}  // namespace
}  // namespace parley::sip
