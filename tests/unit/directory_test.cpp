// directory::Store: resolution (accounts, case, IDN, +detail, aliases,
// extensions, domain aliases, forwarders, groups, unknown-address policy),
// the one address space per domain, rename, settings inheritance, bulk
// import and first run. Each test opens a Store in a fresh temp directory
// with '+' as the detail separator. No password hashing: credentials are
// empty records.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "settings.h"
#include "store.h"
#include "tests/support/result_assert.h"
#include "tests/support/temp_dir.h"

namespace parley::directory {
namespace {

using testkit::Fails;
using testkit::Ok;

using ::testing::UnorderedElementsAreArray;
using Kind = schema::Resolution::Kind;

constexpr Kind kAccount = schema::Resolution::KIND_ACCOUNT;
constexpr Kind kForward = schema::Resolution::KIND_FORWARD;
constexpr Kind kGroup = schema::Resolution::KIND_GROUP;
constexpr Kind kReject = schema::Resolution::KIND_UNKNOWN_REJECT;
constexpr Kind kDiscard = schema::Resolution::KIND_UNKNOWN_DISCARD;
constexpr Kind kNotLocal = schema::Resolution::KIND_NOT_LOCAL;

// Mirrors kMaxGroupDepth in store.cpp: a member at this nesting depth is
// still delivered, one level deeper it is not.
constexpr int kGroupDepth = 16;

std::vector<std::string> targets_of(const schema::Resolution& r) {
  return {r.targets().begin(), r.targets().end()};
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open(dir_.file("db"), '+');
    ASSERT_TRUE(Ok(opened));
    store_ = std::move(opened.value());
  }

  void TearDown() override {
    store_.reset();
  }

  Store& store() { return *store_; }

  void add_account(const std::string& address) { ASSERT_TRUE(Ok(store().add_account(address, "", {}))); }

  // A directory with one of everything, used by the resolution and
  // uniqueness tables.
  void populate() {
    ASSERT_TRUE(Ok(store().add_domain("example.com")));
    ASSERT_TRUE(Ok(store().add_domain_alias("example.com", "example.net")));
    ASSERT_TRUE(Ok(store().add_domain("Bücher.Example")));
    ASSERT_TRUE(Ok(store().add_domain("discard.example")));
    ASSERT_TRUE(Ok(store().set_domain("discard.example", "unknown", "discard")));
    ASSERT_TRUE(Ok(store().add_domain("catchall.example")));
    ASSERT_TRUE(Ok(store().set_domain("catchall.example", "unknown", "forward:Postmaster@Elsewhere.org")));

    for (const char* a : {"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com",
                          "a@example.com", "hans@bücher.example", "gone@catchall.example"}) {
      add_account(a);
    }
    ASSERT_TRUE(Ok(store().add_account_alias("alice@example.com", "al@example.com")));
    ASSERT_TRUE(Ok(store().add_account_alias("alice@example.com", "323")));
    ASSERT_TRUE(Ok(store().add_account_alias("dave@example.com", "dv@example.com")));
    ASSERT_TRUE(Ok(store().add_account_alias("dave@example.com", "400")));
    ASSERT_TRUE(Ok(store().set_account("dave@example.com", "disabled", "yes")));
    ASSERT_TRUE(Ok(store().set_account("gone@catchall.example", "disabled", "yes")));

    // "a+b" exists as a forwarder: it wins over "a" with detail "b".
    ASSERT_TRUE(Ok(store().add_forwarder("a+b@example.com", "ab@elsewhere.org")));
    ASSERT_TRUE(Ok(store().add_forwarder("fwd@example.com", "Someone@Elsewhere.org")));

    // team ⊃ sub ⊃ team (a cycle), bob in both, alice three ways, an
    // external member, an unknown local member, a forwarder member.
    ASSERT_TRUE(Ok(store().add_group("team@example.com")));
    ASSERT_TRUE(Ok(store().add_group("sub@example.com")));
    for (const char* m : {"alice@example.com", "bob@example.com", "sub@example.com", "outside@elsewhere.org",
                          "ghost@example.com", "al@example.com", "ALICE@example.net"}) {
      ASSERT_TRUE(Ok(store().add_group_member("team@example.com", m))) << m;
    }
    for (const char* m : {"bob@example.com", "carol@example.net", "team@example.com", "fwd@example.com"}) {
      ASSERT_TRUE(Ok(store().add_group_member("sub@example.com", m))) << m;
    }
    ASSERT_TRUE(Ok(store().add_group("cyc1@example.com")));
    ASSERT_TRUE(Ok(store().add_group("cyc2@example.com")));
    ASSERT_TRUE(Ok(store().add_group_member("cyc1@example.com", "cyc2@example.com")));
    ASSERT_TRUE(Ok(store().add_group_member("cyc1@example.com", "alice@example.com")));
    ASSERT_TRUE(Ok(store().add_group_member("cyc2@example.com", "cyc1@example.com")));
    ASSERT_TRUE(Ok(store().add_group_member("cyc2@example.com", "bob@example.com")));
    ASSERT_TRUE(Ok(store().add_group("empty@example.com")));
  }

  void expect_resolves_to(const std::string& address, const std::string& account, const std::string& detail = "") {
    auto r = store().resolve(address);
    EXPECT_EQ(r.kind(), kAccount) << address << ": " << r.ShortDebugString();
    EXPECT_EQ(r.account(), account) << address;
    EXPECT_EQ(r.detail(), detail) << address;
  }

  void expect_unknown(const std::string& address) {
    EXPECT_EQ(store().resolve(address).kind(), kReject) << address;
  }

  testkit::TempDir dir_{"parley-directory-test"};
  std::unique_ptr<Store> store_;
};

// --- resolution -----------------------------------------------------------

struct ResolveCase {
  std::string address;
  Kind kind;
  std::string account;               // KIND_ACCOUNT
  std::string detail;                // KIND_ACCOUNT
  std::vector<std::string> targets;  // KIND_FORWARD / KIND_GROUP, any order
};

const std::string kIdn = "xn--bcher-kva.example";
const std::vector<std::string> kTeam = {"alice@example.com", "bob@example.com", "carol@example.com",
                                        "someone@elsewhere.org", "outside@elsewhere.org"};

const ResolveCase kResolve[] = {
    // Accounts, case-insensitively.
    {"alice@example.com", kAccount, "alice@example.com", "", {}},
    {"ALICE@EXAMPLE.COM", kAccount, "alice@example.com", "", {}},
    {"Alice@Example.Com.", kAccount, "alice@example.com", "", {}},
    // IDN: U-label, A-label and upper case all name one domain.
    {"hans@bücher.example", kAccount, "hans@" + kIdn, "", {}},
    {"hans@BÜCHER.example", kAccount, "hans@" + kIdn, "", {}},
    {"hans@xn--bcher-kva.example", kAccount, "hans@" + kIdn, "", {}},
    {"HANS@XN--BCHER-KVA.EXAMPLE", kAccount, "hans@" + kIdn, "", {}},
    // Sub-addressing: the first '+' splits, the detail is lowercased too.
    {"alice+lists@example.com", kAccount, "alice@example.com", "lists", {}},
    {"Alice+Lists@example.com", kAccount, "alice@example.com", "lists", {}},
    {"alice+a+b@example.com", kAccount, "alice@example.com", "a+b", {}},
    {"alice+@example.com", kAccount, "alice@example.com", "", {}},
    // "a+b" is a forwarder of its own: the full local part wins.
    {"a+b@example.com", kForward, "", "", {"ab@elsewhere.org"}},
    {"A+B@EXAMPLE.COM", kForward, "", "", {"ab@elsewhere.org"}},
    {"a+b@example.net", kForward, "", "", {"ab@elsewhere.org"}},
    {"a+c@example.com", kAccount, "a@example.com", "c", {}},
    {"a@example.com", kAccount, "a@example.com", "", {}},
    // Aliases and extensions.
    {"al@example.com", kAccount, "alice@example.com", "", {}},
    {"AL+x@example.com", kAccount, "alice@example.com", "x", {}},
    {"323@example.com", kAccount, "alice@example.com", "", {}},
    {"323+x@example.com", kAccount, "alice@example.com", "x", {}},
    {"324@example.com", kReject, "", "", {}},
    // Domain aliases.
    {"alice@example.net", kAccount, "alice@example.com", "", {}},
    {"ALICE+Lists@Example.Net", kAccount, "alice@example.com", "lists", {}},
    {"al@example.net", kAccount, "alice@example.com", "", {}},
    {"323@example.net", kAccount, "alice@example.com", "", {}},
    // Forwarders: the target as normalized when stored; a detail is dropped.
    {"fwd@example.com", kForward, "", "", {"someone@elsewhere.org"}},
    {"fwd+x@example.com", kForward, "", "", {"someone@elsewhere.org"}},
    // Groups: nested, a cycle, duplicates folded, external members kept,
    // unknown local members dropped.
    {"team@example.com", kGroup, "", "", kTeam},
    {"team+x@example.net", kGroup, "", "", kTeam},
    {"sub@example.com", kGroup, "", "", kTeam},
    {"cyc1@example.com", kGroup, "", "", {"alice@example.com", "bob@example.com"}},
    {"cyc2@example.com", kGroup, "", "", {"alice@example.com", "bob@example.com"}},
    {"empty@example.com", kGroup, "", "", {}},
    // Unknown local parts, per domain policy.
    {"nobody@example.com", kReject, "", "", {}},
    {"nobody+x@example.com", kReject, "", "", {}},
    {"nobody@example.net", kReject, "", "", {}},
    {"nobody@bücher.example", kReject, "", "", {}},
    {"nobody@discard.example", kDiscard, "", "", {}},
    {"nobody+x@discard.example", kDiscard, "", "", {}},
    {"nobody@catchall.example", kForward, "", "", {"postmaster@elsewhere.org"}},
    // A disabled account, its alias and its extension are unknown.
    {"dave@example.com", kReject, "", "", {}},
    {"dave+x@example.com", kReject, "", "", {}},
    {"dv@example.com", kReject, "", "", {}},
    {"400@example.com", kReject, "", "", {}},
    {"gone@catchall.example", kForward, "", "", {"postmaster@elsewhere.org"}},
    // Not ours.
    {"alice@elsewhere.org", kNotLocal, "", "", {}},
    {"alice@sub.example.com", kNotLocal, "", "", {}},
    {"alice@com", kNotLocal, "", "", {}},
    {"alice@[192.0.2.1]", kNotLocal, "", "", {}},
    // Malformed: rejected, never looked up.
    {"", kReject, "", "", {}},
    {"alice", kReject, "", "", {}},
    {"@example.com", kReject, "", "", {}},
    {"alice@", kReject, "", "", {}},
    {"alice@@example.com", kReject, "", "", {}},
    {"a..b@example.com", kReject, "", "", {}},
    {".alice@example.com", kReject, "", "", {}},
    {"alice.@example.com", kReject, "", "", {}},
    {"alice@exa mple.com", kReject, "", "", {}},
    {"alice@-example.com", kReject, "", "", {}},
    {"alice@example..com", kReject, "", "", {}},
    {"alice@xn--zz.example", kReject, "", "", {}},
    {"alice@[tag:x]", kReject, "", "", {}},
    {"\"\"@example.com", kReject, "", "", {}},
    {"<alice@example.com>", kReject, "", "", {}},
    {std::string(65, 'a') + "@example.com", kReject, "", "", {}},
    {std::string("al\0ice@example.com", 18), kReject, "", "", {}},
};

TEST_F(StoreTest, Resolve) {
  populate();
  for (const auto& c : kResolve) {
    SCOPED_TRACE("address: " + c.address);
    auto r = store().resolve(c.address);
    EXPECT_EQ(r.address(), c.address);
    EXPECT_EQ(r.kind(), c.kind) << r.ShortDebugString();
    EXPECT_EQ(r.account(), c.account);
    EXPECT_EQ(r.detail(), c.detail);
    EXPECT_THAT(targets_of(r), UnorderedElementsAreArray(c.targets));
  }
}

// Every malformed address is refused where an address is stored, with
// Errc::syntax (normalize_address folds the parser's codes into one).
TEST_F(StoreTest, MalformedAddressesAreRefused) {
  populate();
  const std::string malformed[] = {
      "",
      "alice",
      "@example.com",
      "alice@",
      "a..b@example.com",
      "alice@exa mple.com",
      "alice@xn--zz.example",
      "\"\"@example.com",
      std::string(65, 'a') + "@example.com",
  };
  for (const auto& m : malformed) {
    SCOPED_TRACE("address: " + m);
    EXPECT_TRUE(Fails(store().add_account(m, "", {}), Errc::syntax));
    EXPECT_TRUE(Fails(store().add_account_alias("alice@example.com", m), Errc::syntax));
    EXPECT_TRUE(Fails(store().add_forwarder(m, "x@elsewhere.org"), Errc::syntax));
    EXPECT_TRUE(Fails(store().add_forwarder("new@example.com", m), Errc::syntax));
    EXPECT_TRUE(Fails(store().add_group(m), Errc::syntax));
    EXPECT_TRUE(Fails(store().add_group_member("team@example.com", m), Errc::syntax));
    EXPECT_TRUE(Fails(store().account(m), Errc::syntax));
  }
  EXPECT_TRUE(Fails(store().add_domain("bad..example"), Errc::syntax));
  EXPECT_TRUE(Fails(store().add_domain(""), Errc::syntax));
  EXPECT_TRUE(Fails(store().add_domain("-bad.example"), Errc::syntax));
  EXPECT_TRUE(Fails(store().add_domain_alias("example.com", "bad..example"), Errc::syntax));
  EXPECT_TRUE(Fails(store().set_domain("example.com", "unknown", "forward:not an address"), Errc::syntax));
  EXPECT_TRUE(Fails(store().set_domain("example.com", "unknown", "forward:"), Errc::syntax));
  // Nothing of that was stored.
  EXPECT_EQ(store().resolve("new@example.com").kind(), kReject);
  auto alice = store().account("alice@example.com");
  ASSERT_TRUE(Ok(alice));
  EXPECT_EQ(alice->aliases_size(), 1);
}

TEST_F(StoreTest, AccountNamesCannotHoldTheSeparator) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  EXPECT_TRUE(Fails(store().add_account("a+b@example.com", "", {}), Errc::invalid));
  EXPECT_TRUE(Fails(store().add_account("+x@example.com", "", {}), Errc::invalid));
  EXPECT_TRUE(Fails(store().add_account("a+@example.com", "", {}), Errc::invalid));
  EXPECT_EQ(store().resolve("a+b@example.com").kind(), kReject);
  // Aliases, forwarders and groups may: they are tried before the split.
  add_account("a@example.com");
  ASSERT_TRUE(Ok(store().add_account_alias("a@example.com", "x+y@example.com")));
  ASSERT_TRUE(Ok(store().add_group("g+h@example.com")));
  ASSERT_TRUE(Ok(store().add_group_member("g+h@example.com", "a@example.com")));
  expect_resolves_to("x+y@example.com", "a@example.com");
  expect_resolves_to("a+y@example.com", "a@example.com", "y");
  auto g = store().resolve("g+h@example.com");
  EXPECT_EQ(g.kind(), kGroup);
  EXPECT_THAT(targets_of(g), UnorderedElementsAreArray({"a@example.com"}));
  // Without the alias, "x+y" is "x" with a detail: unknown.
  ASSERT_TRUE(Ok(store().remove_account_alias("a@example.com", "x+y@example.com")));
  expect_unknown("x+y@example.com");
}

// A chain g0 ⊃ g1 ⊃ ... ⊃ g(n-1) ⊃ alice puts alice at depth n.
TEST_F(StoreTest, GroupDepthLimit) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  add_account("alice@example.com");
  struct Case {
    int depth;
    bool delivered;
  };
  const Case cases[] = {{1, true}, {kGroupDepth, true}, {kGroupDepth + 1, false}, {kGroupDepth + 5, false}};
  for (const auto& c : cases) {
    SCOPED_TRACE("depth " + std::to_string(c.depth));
    std::string prefix = "d" + std::to_string(c.depth) + "g";
    auto group = [&](int i) { return prefix + std::to_string(i) + "@example.com"; };
    for (int i = 0; i < c.depth; ++i) ASSERT_TRUE(Ok(store().add_group(group(i))));
    for (int i = 0; i + 1 < c.depth; ++i) ASSERT_TRUE(Ok(store().add_group_member(group(i), group(i + 1))));
    ASSERT_TRUE(Ok(store().add_group_member(group(c.depth - 1), "alice@example.com")));
    auto r = store().resolve(group(0));
    EXPECT_EQ(r.kind(), kGroup);
    std::vector<std::string> expected;
    if (c.delivered) expected.push_back("alice@example.com");
    EXPECT_EQ(targets_of(r), expected);
    // The innermost group on its own always reaches alice.
    EXPECT_EQ(targets_of(store().resolve(group(c.depth - 1))), std::vector<std::string>{"alice@example.com"});
  }
}

TEST_F(StoreTest, UnknownPolicyChanges) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  ASSERT_TRUE(Ok(store().add_domain_alias("example.com", "example.org")));
  struct Step {
    std::string value;
    Kind kind;
    std::vector<std::string> targets;
  };
  const Step steps[] = {
      {"discard", kDiscard, {}},
      {"forward:Catch+All@Elsewhere.org", kForward, {"catch+all@elsewhere.org"}},
      {"reject", kReject, {}},
      {"forward:postmaster@example.com", kForward, {"postmaster@example.com"}},
  };
  EXPECT_EQ(store().resolve("nobody@example.com").kind(), kReject);
  for (const auto& s : steps) {
    SCOPED_TRACE("unknown=" + s.value);
    ASSERT_TRUE(Ok(store().set_domain("example.com", "unknown", s.value)));
    for (const char* a : {"nobody@example.com", "Nobody+x@example.org"}) {
      auto r = store().resolve(a);
      EXPECT_EQ(r.kind(), s.kind) << a;
      EXPECT_EQ(targets_of(r), s.targets) << a;
    }
  }
  const std::string bad[] = {"bounce", "", "Reject", "forward"};
  for (const auto& v : bad) {
    EXPECT_TRUE(Fails(store().set_domain("example.com", "unknown", v), Errc::invalid)) << v;
  }
  EXPECT_TRUE(Fails(store().set_domain("nowhere.example", "unknown", "reject"), Errc::not_found));
  // The last good policy stands.
  EXPECT_EQ(targets_of(store().resolve("nobody@example.com")), std::vector<std::string>{"postmaster@example.com"});
}

// resolve() treats a disabled account as unknown; a group should not
// deliver to it either.
TEST_F(StoreTest, GroupSkipsDisabledMembers) {
  populate();
  auto r = store().resolve("cyc1@example.com");  // alice, bob
  ASSERT_EQ(r.kind(), kGroup);
  ASSERT_TRUE(Ok(store().add_group_member("cyc1@example.com", "dave@example.com")));
  r = store().resolve("cyc1@example.com");
  std::vector<std::string> expected = {"alice@example.com", "bob@example.com"};
  if (targets_of(r).size() != expected.size()) {
  }
  EXPECT_THAT(targets_of(r), UnorderedElementsAreArray(expected));
}

// add_group_member accepts "bob+lists@example.com"; expansion should reach
// bob rather than drop the member as unknown.
TEST_F(StoreTest, GroupMemberWithDetail) {
  populate();
  ASSERT_TRUE(Ok(store().add_group("detail@example.com")));
  ASSERT_TRUE(Ok(store().add_group_member("detail@example.com", "bob+lists@example.com")));
  auto r = store().resolve("detail@example.com");
  ASSERT_EQ(r.kind(), kGroup);
  if (r.targets_size() == 0) {
  }
  EXPECT_THAT(targets_of(r), UnorderedElementsAreArray({"bob@example.com"}));
}

// --- uniqueness -------------------------------------------------------------

struct Refusal {
  std::string what;
  std::function<Status(Store&)> op;
  Errc code;
};

template <class T>
Status status_of(const Result<T>& r) {
  if (r.ok()) return {};
  return r.error();
}

const std::vector<Refusal>& refusals() {
  static const std::vector<Refusal> kRefusals = {
      // Aliases against accounts, and the other way round.
      {"alias takes an account", [](Store& s) { return s.add_account_alias("bob@example.com", "alice@example.com"); },
       Errc::exists},
      {"alias takes an account via a domain alias",
       [](Store& s) { return s.add_account_alias("bob@example.com", "Alice@example.net"); }, Errc::exists},
      {"alias takes another account's alias",
       [](Store& s) { return s.add_account_alias("bob@example.com", "al@example.com"); }, Errc::exists},
      {"alias takes a forwarder", [](Store& s) { return s.add_account_alias("bob@example.com", "fwd@example.com"); },
       Errc::exists},
      {"alias takes a group", [](Store& s) { return s.add_account_alias("bob@example.com", "team@example.com"); },
       Errc::exists},
      {"alias takes its own account",
       [](Store& s) { return s.add_account_alias("alice@example.com", "alice@example.com"); }, Errc::exists},
      {"account takes an alias", [](Store& s) { return status_of(s.add_account("al@example.com", "", {})); },
       Errc::exists},
      {"account takes an alias via a domain alias",
       [](Store& s) { return status_of(s.add_account("AL@Example.Net", "", {})); }, Errc::exists},
      {"account exists", [](Store& s) { return status_of(s.add_account("Alice@Example.com", "", {})); },
       Errc::exists},
      // Extensions.
      {"extension clash", [](Store& s) { return s.add_account_alias("bob@example.com", "323"); }, Errc::exists},
      {"account takes an extension", [](Store& s) { return status_of(s.add_account("323@example.com", "", {})); },
       Errc::exists},
      {"alias takes an extension", [](Store& s) { return s.add_account_alias("bob@example.com", "323@example.net"); },
       Errc::exists},
      // Forwarders and groups against everything else.
      {"forwarder takes an account", [](Store& s) { return s.add_forwarder("alice@example.com", "x@elsewhere.org"); },
       Errc::exists},
      {"forwarder takes an alias", [](Store& s) { return s.add_forwarder("al@example.net", "x@elsewhere.org"); },
       Errc::exists},
      {"forwarder takes an extension", [](Store& s) { return s.add_forwarder("323@example.com", "x@elsewhere.org"); },
       Errc::exists},
      {"forwarder takes a group", [](Store& s) { return s.add_forwarder("team@example.com", "x@elsewhere.org"); },
       Errc::exists},
      {"forwarder exists", [](Store& s) { return s.add_forwarder("FWD@example.com", "y@elsewhere.org"); },
       Errc::exists},
      {"group takes an account", [](Store& s) { return s.add_group("alice@example.com"); }, Errc::exists},
      {"group takes a forwarder", [](Store& s) { return s.add_group("fwd@example.com"); }, Errc::exists},
      {"group exists", [](Store& s) { return s.add_group("team@example.net"); }, Errc::exists},
      {"account takes a forwarder", [](Store& s) { return status_of(s.add_account("fwd@example.com", "", {})); },
       Errc::exists},
      {"account takes a group", [](Store& s) { return status_of(s.add_account("team@example.com", "", {})); },
       Errc::exists},
      {"member twice", [](Store& s) { return s.add_group_member("team@example.com", "Alice@example.com"); },
       Errc::exists},
      {"member of a forwarder", [](Store& s) { return s.add_group_member("fwd@example.com", "bob@example.com"); },
       Errc::not_found},
      {"remove a forwarder as a group", [](Store& s) { return s.remove_group("fwd@example.com"); }, Errc::not_found},
      {"remove an account as a forwarder", [](Store& s) { return s.remove_forwarder("alice@example.com"); },
       Errc::not_found},
      // Not one of our domains; no such account.
      {"account in a foreign domain", [](Store& s) { return status_of(s.add_account("x@elsewhere.org", "", {})); },
       Errc::not_found},
      {"alias in a foreign domain",
       [](Store& s) { return s.add_account_alias("bob@example.com", "bob@elsewhere.org"); }, Errc::not_found},
      {"alias of no account", [](Store& s) { return s.add_account_alias("nobody@example.com", "nb@example.com"); },
       Errc::not_found},
      {"group in a foreign domain", [](Store& s) { return s.add_group("g@elsewhere.org"); }, Errc::not_found},
      // Domains.
      {"domain exists", [](Store& s) { return status_of(s.add_domain("EXAMPLE.com")); }, Errc::exists},
      {"domain is an alias", [](Store& s) { return status_of(s.add_domain("example.net")); }, Errc::exists},
      {"alias is a domain", [](Store& s) { return s.add_domain_alias("example.com", "xn--bcher-kva.example"); },
       Errc::exists},
      {"alias exists", [](Store& s) { return s.add_domain_alias("bücher.example", "example.net"); }, Errc::exists},
      {"alias of no domain", [](Store& s) { return s.add_domain_alias("nowhere.example", "other.example"); },
       Errc::not_found},
      {"remove a domain with addresses", [](Store& s) { return s.remove_domain("example.com"); }, Errc::invalid},
      {"remove a domain with one account", [](Store& s) { return s.remove_domain("bücher.example"); },
       Errc::invalid},
      {"remove a domain alias as a domain", [](Store& s) { return s.remove_domain("example.net"); },
       Errc::not_found},
      {"remove no domain", [](Store& s) { return s.remove_domain("nowhere.example"); }, Errc::not_found},
  };
  return kRefusals;
}

TEST_F(StoreTest, OneAddressSpacePerDomain) {
  populate();
  for (const auto& r : refusals()) {
    SCOPED_TRACE(r.what);
    EXPECT_TRUE(Fails(r.op(store()), r.code));
  }
  // None of the refused changes left a trace.
  auto bob = store().account("bob@example.com");
  ASSERT_TRUE(Ok(bob));
  EXPECT_EQ(bob->aliases_size(), 0);
  EXPECT_EQ(bob->extensions_size(), 0);
  expect_resolves_to("al@example.com", "alice@example.com");
  expect_resolves_to("323@example.com", "alice@example.com");
  EXPECT_EQ(store().resolve("fwd@example.com").kind(), kForward);
  EXPECT_EQ(store().resolve("team@example.com").kind(), kGroup);
  EXPECT_EQ(store().domains().size(), 4u);
  expect_resolves_to("hans@bücher.example", "hans@" + kIdn);
}

TEST_F(StoreTest, RemoveDomainOnceEmpty) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  ASSERT_TRUE(Ok(store().add_domain_alias("example.com", "example.net")));
  add_account("alice@example.com");
  ASSERT_TRUE(Ok(store().add_forwarder("fwd@example.com", "x@elsewhere.org")));
  EXPECT_TRUE(Fails(store().remove_domain("example.com"), Errc::invalid));
  ASSERT_TRUE(Ok(store().remove_account("alice@example.com")));
  EXPECT_TRUE(Fails(store().remove_domain("example.com"), Errc::invalid));
  ASSERT_TRUE(Ok(store().remove_forwarder("fwd@example.com")));
  ASSERT_TRUE(Ok(store().remove_domain("example.com")));
  EXPECT_TRUE(store().empty());
  // Its alias went with it.
  EXPECT_EQ(store().resolve("alice@example.net").kind(), kNotLocal);
  EXPECT_TRUE(Ok(store().add_domain("example.net")));
}

TEST_F(StoreTest, RemovedAddressesAreFree) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  add_account("alice@example.com");
  ASSERT_TRUE(Ok(store().add_account_alias("alice@example.com", "al@example.com")));
  ASSERT_TRUE(Ok(store().add_account_alias("alice@example.com", "323")));
  ASSERT_TRUE(Ok(store().remove_account("alice@example.com")));
  for (const char* a : {"alice@example.com", "al@example.com", "323@example.com"}) expect_unknown(a);
  add_account("al@example.com");
  ASSERT_TRUE(Ok(store().add_account_alias("al@example.com", "323")));
  expect_resolves_to("323@example.com", "al@example.com");
  EXPECT_TRUE(Fails(store().remove_account("alice@example.com"), Errc::not_found));
  EXPECT_TRUE(Fails(store().remove_account_alias("al@example.com", "324"), Errc::not_found));
}

// --- rename -----------------------------------------------------------------

class RenameTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(Ok(store().add_domain("example.com")));
    ASSERT_TRUE(Ok(store().add_domain_alias("example.com", "example.net")));
    ASSERT_TRUE(Ok(store().add_domain("other.example")));
    add_account("alice@example.com");
    add_account("bob@example.com");
    ASSERT_TRUE(Ok(store().add_account_alias("alice@example.com", "al@example.com")));
    ASSERT_TRUE(Ok(store().add_account_alias("alice@example.com", "alice@other.example")));
    ASSERT_TRUE(Ok(store().add_account_alias("alice@example.com", "323")));
    ASSERT_TRUE(Ok(store().set_account("alice@example.com", "real_name", "Alice A.")));
  }

  void expect_unchanged() {
    expect_resolves_to("alice@example.com", "alice@example.com");
    expect_resolves_to("al@example.com", "alice@example.com");
    expect_resolves_to("alice@other.example", "alice@example.com");
    expect_resolves_to("323@example.com", "alice@example.com");
    expect_resolves_to("bob@example.com", "bob@example.com");
  }
};

TEST_F(RenameTest, AliasesAndExtensionsFollow) {
  ASSERT_TRUE(Ok(store().rename_account("Alice@example.com", "Alicia@example.net")));
  for (const char* a : {"alicia@example.com", "al@example.com", "alice@other.example", "323@example.com",
                        "323@example.net", "alicia+x@example.com"}) {
    auto r = store().resolve(a);
    EXPECT_EQ(r.kind(), kAccount) << a;
    EXPECT_EQ(r.account(), "alicia@example.com") << a;
  }
  expect_unknown("alice@example.com");
  expect_unknown("alice+x@example.com");
  EXPECT_TRUE(Fails(store().account("alice@example.com"), Errc::not_found));
  auto a = store().account("alicia@example.com");
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a->name(), "alicia@example.com");
  EXPECT_EQ(a->real_name(), "Alice A.");
  EXPECT_THAT(std::vector<std::string>(a->aliases().begin(), a->aliases().end()),
              UnorderedElementsAreArray({"al@example.com", "alice@other.example"}));
  EXPECT_EQ(std::vector<std::string>(a->extensions().begin(), a->extensions().end()), std::vector<std::string>{"323"});
  auto login = store().account_for_login("al@example.com");
  ASSERT_TRUE(Ok(login));
  EXPECT_EQ(login->name(), "alicia@example.com");
  // The old name is free again.
  add_account("alice@example.com");
  expect_resolves_to("alice@example.com", "alice@example.com");
}

TEST_F(RenameTest, ToAnotherDomainMovesExtensions) {
  ASSERT_TRUE(Ok(store().rename_account("alice@example.com", "ally@other.example")));
  expect_resolves_to("ally@other.example", "ally@other.example");
  expect_resolves_to("323@other.example", "ally@other.example");
  expect_resolves_to("al@example.com", "ally@other.example");
  expect_resolves_to("alice@other.example", "ally@other.example");
  expect_unknown("323@example.com");
  expect_unknown("alice@example.com");
}

TEST_F(RenameTest, Refused) {
  ASSERT_TRUE(Ok(store().add_account("carol@other.example", "", {})));
  ASSERT_TRUE(Ok(store().add_account_alias("carol@other.example", "323")));
  struct Case {
    std::string from, to;
    Errc code;
  };
  const Case cases[] = {
      {"alice@example.com", "bob@example.com", Errc::exists},
      {"alice@example.com", "al@example.com", Errc::exists},
      {"alice@example.com", "ALICE@example.net", Errc::exists},
      {"alice@example.com", "323@example.com", Errc::exists},
      // 323 is taken in other.example: the whole rename is undone.
      {"alice@example.com", "alice2@other.example", Errc::exists},
      {"alice@example.com", "alice@elsewhere.org", Errc::not_found},
      {"nobody@example.com", "somebody@example.com", Errc::not_found},
      {"al@example.com", "ally@example.com", Errc::not_found},
      {"alice@example.com", "a..b@example.com", Errc::syntax},
      {"a..b@example.com", "alice2@example.com", Errc::syntax},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.from + " -> " + c.to);
    EXPECT_TRUE(Fails(store().rename_account(c.from, c.to), c.code));
  }
  expect_unchanged();
  expect_unknown("alice2@example.com");
  EXPECT_EQ(store().resolve("alice2@other.example").kind(), kReject);
  expect_resolves_to("323@other.example", "carol@other.example");
}

// add_account refuses a name with the separator; rename must too, or the
// account exists under a name add_account would never have given it.
TEST_F(RenameTest, RefusesTheSeparator) {
  auto s = store().rename_account("alice@example.com", "alice+old@example.com");
  if (s.ok()) {
  }
  EXPECT_TRUE(Fails(s, Errc::invalid));
  expect_unchanged();
}

// --- settings ---------------------------------------------------------------

TEST_F(StoreTest, SettingsInheritance) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  ASSERT_TRUE(Ok(store().add_domain("other.example")));
  add_account("alice@example.com");
  add_account("bob@example.com");    // same domain, no class
  add_account("carol@other.example");  // other domain
  ASSERT_TRUE(Ok(store().set_class_of_service("gold", "quota_bytes", "1000")));
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "class_of_service", "gold")));

  const std::string key = "sip_max_registrations";
  struct Step {
    std::string what;
    std::function<Status(Store&)> change;
    std::string alice, alice_source, bob_source, carol_source;
  };
  const Step steps[] = {
      {"nothing set", nullptr, "10", "built-in", "built-in", "built-in"},
      {"server", [&](Store& s) { return s.set_server_default(key, "20"); }, "20", "server", "server", "server"},
      {"domain", [&](Store& s) { return s.set_domain("example.com", key, "30"); }, "30", "domain", "domain",
       "server"},
      {"class", [&](Store& s) { return s.set_class_of_service("gold", key, "40"); }, "40", "class", "domain",
       "server"},
      {"account", [&](Store& s) { return s.set_account("alice@example.com", key, "50"); }, "50", "account", "domain",
       "server"},
      {"account back to default", [&](Store& s) { return s.set_account("alice@example.com", key, "default"); }, "40",
       "class", "domain", "server"},
      {"class back to default", [&](Store& s) { return s.set_class_of_service("gold", key, "default"); }, "30",
       "domain", "domain", "server"},
      {"class again", [&](Store& s) { return s.set_class_of_service("gold", key, "41"); }, "41", "class", "domain",
       "server"},
      {"account leaves the class",
       [&](Store& s) { return s.set_account("alice@example.com", "class_of_service", "default"); }, "30", "domain",
       "domain", "server"},
      {"domain back to default", [&](Store& s) { return s.set_domain("example.com", key, "default"); }, "20",
       "server", "server", "server"},
      {"server back to default", [&](Store& s) { return s.set_server_default(key, "default"); }, "10", "built-in",
       "built-in", "built-in"},
  };
  for (const auto& step : steps) {
    SCOPED_TRACE(step.what);
    if (step.change) {
      ASSERT_TRUE(Ok(step.change(store())));
    }
    auto alice = store().account("alice@example.com");
    auto bob = store().account("bob@example.com");
    auto carol = store().account("carol@other.example");
    ASSERT_TRUE(Ok(alice));
    ASSERT_TRUE(Ok(bob));
    ASSERT_TRUE(Ok(carol));
    EXPECT_EQ(store().effective(*alice, key), std::make_pair(step.alice, step.alice_source));
    EXPECT_EQ(store().effective(*bob, key).second, step.bob_source);
    EXPECT_EQ(store().effective(*carol, key).second, step.carol_source);
    // Other keys are untouched by all this.
    EXPECT_EQ(store().effective(*bob, "language"), std::make_pair(std::string("en"), std::string("built-in")));
  }
  // The class's other key was never touched.
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "class_of_service", "gold")));
  auto alice = store().account("alice@example.com");
  ASSERT_TRUE(Ok(alice));
  EXPECT_EQ(store().effective(*alice, "quota_bytes"), std::make_pair(std::string("1000"), std::string("class")));
  EXPECT_EQ(store().effective(*alice, "no_such_setting"), std::make_pair(std::string(), std::string("built-in")));
}

struct SettingCheck {
  std::string key;
  std::string value;
  bool ok;
  Errc code;  // when !ok
};

const SettingCheck kSettingChecks[] = {
    {"services", "mail,imap,pop,sip,dav,web,submission", true, Errc::internal},
    {"services", "mail", true, Errc::internal},
    {"services", "mail,fax", false, Errc::invalid},
    {"services", "MAIL", false, Errc::invalid},
    {"services", ",mail", false, Errc::invalid},
    {"services", "mail,,imap", false, Errc::invalid},
    {"services", "default", true, Errc::internal},
    {"quota_bytes", "0", true, Errc::internal},
    {"quota_bytes", "1073741824", true, Errc::internal},
    {"quota_bytes", "18446744073709551615", true, Errc::internal},
    {"quota_bytes", "18446744073709551616", false, Errc::invalid},
    {"quota_bytes", "", false, Errc::invalid},
    {"quota_bytes", "-1", false, Errc::invalid},
    {"quota_bytes", "+1", false, Errc::invalid},
    {"quota_bytes", "10 ", false, Errc::invalid},
    {"quota_bytes", "1e9", false, Errc::invalid},
    {"quota_bytes", "lots", false, Errc::invalid},
    {"quota_bytes", "default", true, Errc::internal},
    {"sip_max_registrations", "3", true, Errc::internal},
    {"sip_max_registrations", "three", false, Errc::invalid},
    {"sip_no_answer_s", "20", true, Errc::internal},
    {"sip_no_answer_s", "5", true, Errc::internal},
    {"sip_no_answer_s", "600", true, Errc::internal},
    {"sip_no_answer_s", "4", false, Errc::invalid},
    {"sip_no_answer_s", "601", false, Errc::invalid},
    {"sip_no_answer_s", "0", false, Errc::invalid},
    {"sip_no_answer_s", "", false, Errc::invalid},
    {"sip_no_answer_s", "99999999999999999999999", false, Errc::invalid},
    {"sip_forward_always", "", true, Errc::internal},
    {"sip_forward_always", "bob@example.com", true, Errc::internal},
    {"sip_forward_always", "Bob@Other.Example", true, Errc::internal},
    {"sip_forward_busy", "323", true, Errc::internal},
    {"sip_forward_busy", "0049301234567", true, Errc::internal},
    {"sip_forward_busy", std::string(20, '9'), true, Errc::internal},
    {"sip_forward_busy", std::string(21, '9'), false, Errc::limit},
    {"sip_forward_no_answer", "voicemail", true, Errc::internal},
    {"sip_forward_no_answer", "Voicemail", false, Errc::invalid},
    {"sip_forward_after_hours", "voicemail", true, Errc::internal},
    {"sip_forward_after_hours", "reception@example.com", true, Errc::internal},
    {"sip_forward_after_hours", "800", true, Errc::internal},
    {"sip_forward_after_hours", "sip:reception@example.com", false, Errc::invalid},
    {"sip_working_hours", "", true, Errc::internal},
    {"sip_working_hours", "Mon-Fri 09:00-17:30", true, Errc::internal},
    {"sip_working_hours", "Mon-Fri 08:00-12:00 13:00-17:00, Sat 10:00-13:00", true, Errc::internal},
    {"sip_working_hours", "Mon-Fri 9-17", false, Errc::invalid},
    {"sip_working_hours", "Mon-Fri 17:30-09:00", false, Errc::invalid},
    {"sip_working_hours", "weekdays 09:00-17:30", false, Errc::invalid},
    {"sip_working_hours", "Mon-Fri 09:00-17:30;", false, Errc::invalid},
    {"sip_working_hours", "Mon-Fri", false, Errc::invalid},
    {"sip_working_hours", std::string(257, 'M'), false, Errc::limit},
    {"sip_time_zone", "", true, Errc::internal},
    {"sip_time_zone", "Europe/Berlin", true, Errc::internal},
    {"sip_time_zone", "UTC", true, Errc::internal},
    {"sip_time_zone", "Europe/Nowhere", false, Errc::invalid},
    {"sip_time_zone", "../../etc/passwd", false, Errc::invalid},
    {"sip_time_zone", "/etc/localtime", false, Errc::invalid},
    {"sip_time_zone", "Europe/Berlin ", false, Errc::invalid},
    {"sip_time_zone", std::string(65, 'a'), false, Errc::limit},
    {"sip_forward_no_answer", "bob@", false, Errc::invalid},
    {"sip_forward_no_answer", "@example.com", false, Errc::invalid},
    {"sip_forward_no_answer", "bob@exa mple.com", false, Errc::invalid},
    {"sip_forward_no_answer", "sip:bob@example.com", false, Errc::invalid},  // an address, not a URI
    {"sip_forward_unregistered", "bob example.com", false, Errc::invalid},
    {"sip_forward_unregistered", "default", true, Errc::internal},
    {"sip_forward_unregistered", std::string(300, 'a') + "@example.com", false, Errc::invalid},
    {"language", "de", true, Errc::internal},
    {"language", "a\nb", false, Errc::invalid},
    {"language", std::string("a\x7f", 2), false, Errc::invalid},
    {"language", std::string(256, 'x'), true, Errc::internal},
    {"language", std::string(257, 'x'), false, Errc::limit},
    {"time_zone", "Europe/Berlin", true, Errc::internal},
    {"colour", "blue", false, Errc::invalid},
    {"colour", "default", false, Errc::invalid},
    {"", "1", false, Errc::invalid},
    {"Quota_Bytes", "1", false, Errc::invalid},
};

TEST(SettingsTest, CheckSetting) {
  for (const auto& c : kSettingChecks) {
    SCOPED_TRACE(c.key + "=" + c.value);
    auto s = check_setting(c.key, c.value);
    if (c.ok) {
      EXPECT_TRUE(Ok(s));
    } else {
      EXPECT_TRUE(Fails(s, c.code));
    }
  }
  for (const auto& d : setting_declarations()) {
    SCOPED_TRACE(std::string(d.key));
    EXPECT_EQ(find_setting(d.key), &d);
    EXPECT_TRUE(Ok(check_setting(d.key, d.builtin)));  // every built-in passes its own check
  }
  EXPECT_EQ(find_setting("colour"), nullptr);
}

// Resolution.sip: filled for an account (by its name, alias or extension)
// with the values in force, a bare number qualified with the account's own
// domain; "enabled" follows the services setting; nothing for the other
// kinds.
TEST_F(StoreTest, SipSettingsInResolution) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  ASSERT_TRUE(Ok(store().add_domain("other.example")));
  add_account("alice@example.com");
  add_account("carol@other.example");
  ASSERT_TRUE(Ok(store().add_account_alias("alice@example.com", "323")));
  ASSERT_TRUE(Ok(store().add_account_alias("alice@example.com", "ali@example.com")));
  ASSERT_TRUE(Ok(store().add_forwarder("out@example.com", "x@elsewhere.example")));
  ASSERT_TRUE(Ok(store().add_group("team@example.com")));
  ASSERT_TRUE(Ok(store().add_group_member("team@example.com", "alice@example.com")));

  // Built-in values.
  auto r = store().resolve("alice@example.com");
  ASSERT_EQ(r.kind(), kAccount);
  ASSERT_TRUE(r.has_sip());
  EXPECT_EQ(r.sip().max_registrations(), 10u);
  EXPECT_TRUE(r.sip().enabled());
  EXPECT_EQ(r.sip().forward_always(), "");
  // Voicemail by default: busy, no answer, nothing registered.
  EXPECT_EQ(r.sip().forward_busy(), "voicemail");
  EXPECT_EQ(r.sip().forward_no_answer(), "voicemail");
  EXPECT_EQ(r.sip().no_answer_s(), 20u);
  EXPECT_EQ(r.sip().forward_unregistered(), "voicemail");
  // voicemail=off: every rule to voicemail is as if not set, wherever set.
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "sip_forward_always", "voicemail")));
  ASSERT_TRUE(Ok(store().set_domain("example.com", "voicemail", "off")));
  r = store().resolve("alice@example.com");
  EXPECT_EQ(r.sip().forward_always(), "");
  EXPECT_EQ(r.sip().forward_busy(), "");
  EXPECT_EQ(r.sip().forward_unregistered(), "");
  EXPECT_FALSE(Ok(store().set_domain("example.com", "voicemail", "maybe")));
  ASSERT_TRUE(Ok(store().set_domain("example.com", "voicemail", "default")));
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "sip_forward_always", "default")));

  // Domain defaults, a bare number in them meaning each account's own domain.
  ASSERT_TRUE(Ok(store().set_domain("example.com", "sip_forward_no_answer", "800")));
  ASSERT_TRUE(Ok(store().set_domain("example.com", "sip_no_answer_s", "30")));
  ASSERT_TRUE(Ok(store().set_server_default("sip_forward_unregistered", "900")));
  // The account's own values win.
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "sip_forward_busy", "bob@elsewhere.example")));
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "sip_forward_always", "555")));
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "sip_max_registrations", "3")));
  for (const std::string address : {"alice@example.com", "323@example.com", "ali@example.com", "Alice+x@EXAMPLE.com"}) {
    SCOPED_TRACE(address);
    r = store().resolve(address);
    ASSERT_EQ(r.kind(), kAccount);
    EXPECT_EQ(r.account(), "alice@example.com");
    EXPECT_EQ(r.sip().max_registrations(), 3u);
    EXPECT_TRUE(r.sip().enabled());
    EXPECT_EQ(r.sip().forward_always(), "555@example.com");
    EXPECT_EQ(r.sip().forward_busy(), "bob@elsewhere.example");
    EXPECT_EQ(r.sip().forward_no_answer(), "800@example.com");
    EXPECT_EQ(r.sip().no_answer_s(), 30u);
    EXPECT_EQ(r.sip().forward_unregistered(), "900@example.com");
  }
  // The server default's number is in carol's own domain; example.com's
  // defaults are not hers.
  r = store().resolve("carol@other.example");
  ASSERT_EQ(r.kind(), kAccount);
  EXPECT_EQ(r.sip().forward_unregistered(), "900@other.example");
  EXPECT_EQ(r.sip().forward_no_answer(), "voicemail");  // the built-in value
  EXPECT_EQ(r.sip().no_answer_s(), 20u);

  // Empty at the account turns off what the domain set; "default" inherits again.
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "sip_forward_no_answer", "")));
  EXPECT_EQ(store().resolve("alice@example.com").sip().forward_no_answer(), "");
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "sip_forward_no_answer", "default")));
  EXPECT_EQ(store().resolve("alice@example.com").sip().forward_no_answer(), "800@example.com");

  // No "sip" among the services: still an account (mail goes on), not enabled.
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "services", "mail,imap")));
  r = store().resolve("323@example.com");
  ASSERT_EQ(r.kind(), kAccount);
  EXPECT_FALSE(r.sip().enabled());
  ASSERT_TRUE(Ok(store().set_domain("other.example", "services", "sip")));
  EXPECT_TRUE(store().resolve("carol@other.example").sip().enabled());

  // Bad values are refused at every level and change nothing.
  EXPECT_TRUE(Fails(store().set_account("alice@example.com", "sip_no_answer_s", "2"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_domain("example.com", "sip_forward_busy", "not an address"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_server_default("sip_forward_always", "x@"), Errc::invalid));
  EXPECT_EQ(store().resolve("alice@example.com").sip().no_answer_s(), 30u);

  // Only accounts carry SIP settings.
  for (const std::string address : {"out@example.com", "team@example.com", "nobody@example.com", "x@elsewhere.example"}) {
    SCOPED_TRACE(address);
    EXPECT_FALSE(store().resolve(address).has_sip());
  }
}

// Working hours, their zone and the after-hours destination travel in
// Resolution.sip as set (a bare number qualified); bad values are refused.
TEST_F(StoreTest, WorkingHoursInResolution) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  add_account("alice@example.com");
  auto r = store().resolve("alice@example.com");
  EXPECT_EQ(r.sip().working_hours(), "");
  EXPECT_EQ(r.sip().time_zone(), "");
  EXPECT_EQ(r.sip().forward_after_hours(), "");
  ASSERT_TRUE(Ok(store().set_domain("example.com", "sip_working_hours", "Mon-Fri 09:00-17:30")));
  ASSERT_TRUE(Ok(store().set_domain("example.com", "sip_time_zone", "Europe/Berlin")));
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "sip_forward_after_hours", "800")));
  ASSERT_TRUE(Ok(store().set_account("alice@example.com", "sip_forward_no_answer", "voicemail")));
  r = store().resolve("alice@example.com");
  EXPECT_EQ(r.sip().working_hours(), "Mon-Fri 09:00-17:30");
  EXPECT_EQ(r.sip().time_zone(), "Europe/Berlin");
  EXPECT_EQ(r.sip().forward_after_hours(), "800@example.com");
  EXPECT_EQ(r.sip().forward_no_answer(), "voicemail");  // not qualified: the account's own
  auto bad = store().set_account("alice@example.com", "sip_working_hours", "Mon-Fri 9:00-17:30");
  ASSERT_TRUE(Fails(bad, Errc::invalid));
  EXPECT_NE(bad.error().detail.find("'9:00' is not a time HH:MM"), std::string::npos) << bad.error().detail;
  EXPECT_TRUE(Fails(store().set_account("alice@example.com", "sip_time_zone", "Mars/Olympus"), Errc::invalid));
  EXPECT_EQ(store().resolve("alice@example.com").sip().working_hours(), "Mon-Fri 09:00-17:30");
}

// A group rings in parallel unless set to ring in turn; the settings
// travel in Resolution.ring and are checked.
TEST_F(StoreTest, GroupRingSettings) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  add_account("alice@example.com");
  ASSERT_TRUE(Ok(store().add_group("team@example.com")));
  ASSERT_TRUE(Ok(store().add_group_member("team@example.com", "alice@example.com")));
  auto r = store().resolve("team@example.com");
  EXPECT_FALSE(r.ring().in_turn());
  EXPECT_EQ(r.ring().seconds(), 20u);
  ASSERT_TRUE(Ok(store().set_group("team@example.com", "sip_ring", "sequential")));
  ASSERT_TRUE(Ok(store().set_group("team@example.com", "sip_ring_s", "15")));
  r = store().resolve("team@example.com");
  EXPECT_TRUE(r.ring().in_turn());
  EXPECT_EQ(r.ring().seconds(), 15u);
  auto ring = store().group_ring("Team@Example.com");
  ASSERT_TRUE(Ok(ring));
  EXPECT_TRUE(ring->in_turn());
  EXPECT_TRUE(Fails(store().set_group("team@example.com", "sip_ring", "random"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_group("team@example.com", "sip_ring_s", "4"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_group("team@example.com", "sip_ring_s", "601"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_group("team@example.com", "sip_ring_s", "ten"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_group("team@example.com", "colour", "blue"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_group("team@example.com", "colour", "default"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_group("alice@example.com", "sip_ring", "sequential"), Errc::not_found));
  EXPECT_TRUE(Fails(store().set_group("nobody@example.com", "sip_ring", "sequential"), Errc::not_found));
  EXPECT_EQ(store().resolve("team@example.com").ring().seconds(), 15u);
  ASSERT_TRUE(Ok(store().set_group("team@example.com", "sip_ring_s", "default")));
  ASSERT_TRUE(Ok(store().set_group("team@example.com", "sip_ring", "parallel")));
  r = store().resolve("team@example.com");
  EXPECT_FALSE(r.ring().in_turn());
  EXPECT_EQ(r.ring().seconds(), 20u);
}

TEST_F(StoreTest, RefusedSettingsChangeNothing) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  add_account("alice@example.com");
  ASSERT_TRUE(Ok(store().set_server_default("quota_bytes", "5")));
  const Refusal cases[] = {
      {"server: unknown key", [](Store& s) { return s.set_server_default("colour", "blue"); }, Errc::invalid},
      {"server: bad value", [](Store& s) { return s.set_server_default("quota_bytes", "lots"); }, Errc::invalid},
      {"domain: unknown key", [](Store& s) { return s.set_domain("example.com", "colour", "blue"); }, Errc::invalid},
      {"domain: bad value", [](Store& s) { return s.set_domain("example.com", "quota_bytes", "-1"); }, Errc::invalid},
      {"domain: none", [](Store& s) { return s.set_domain("nowhere.example", "quota_bytes", "1"); },
       Errc::not_found},
      {"class: unknown key", [](Store& s) { return s.set_class_of_service("gold", "colour", "blue"); },
       Errc::invalid},
      {"class: bad value", [](Store& s) { return s.set_class_of_service("gold", "services", "fax"); },
       Errc::invalid},
      {"class: empty name", [](Store& s) { return s.set_class_of_service("", "quota_bytes", "1"); }, Errc::invalid},
      {"class: long name",
       [](Store& s) { return s.set_class_of_service(std::string(65, 'c'), "quota_bytes", "1"); }, Errc::invalid},
      {"account: unknown key", [](Store& s) { return s.set_account("alice@example.com", "colour", "blue"); },
       Errc::invalid},
      {"account: bad value", [](Store& s) { return s.set_account("alice@example.com", "quota_bytes", "1e3"); },
       Errc::invalid},
      {"account: no such class",
       [](Store& s) { return s.set_account("alice@example.com", "class_of_service", "gold"); }, Errc::not_found},
      {"account: disabled=maybe", [](Store& s) { return s.set_account("alice@example.com", "disabled", "maybe"); },
       Errc::invalid},
      {"account: control characters in real_name",
       [](Store& s) { return s.set_account("alice@example.com", "real_name", "Alice\r\nBcc: x"); }, Errc::invalid},
      {"account: none", [](Store& s) { return s.set_account("nobody@example.com", "quota_bytes", "1"); },
       Errc::not_found},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_TRUE(Fails(c.op(store()), c.code));
  }
  auto alice = store().account("alice@example.com");
  ASSERT_TRUE(Ok(alice));
  EXPECT_EQ(alice->class_of_service(), "");
  EXPECT_EQ(alice->real_name(), "");
  EXPECT_FALSE(alice->disabled());
  EXPECT_EQ(store().effective(*alice, "quota_bytes"), std::make_pair(std::string("5"), std::string("server")));
  EXPECT_EQ(store().effective(*alice, "services").second, "built-in");
}

// --- import -----------------------------------------------------------------

class ImportTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(Ok(store().add_domain("example.com")));
    ASSERT_TRUE(Ok(store().add_domain_alias("example.com", "example.net")));
    ASSERT_TRUE(Ok(store().set_class_of_service("gold", "quota_bytes", "1000")));
    add_account("existing@example.com");
  }

  static ImportRow row(std::size_t line, std::string account) {
    ImportRow r;
    r.line = line;
    r.account = std::move(account);
    return r;
  }

  // Three good rows (lines 2-4) with room for a bad one.
  static std::vector<ImportRow> good_rows() {
    std::vector<ImportRow> rows;
    rows.push_back(row(2, "alice@example.com"));
    rows.back().real_name = "Alice";
    rows.back().aliases = {"al@example.com", "ally@example.net"};  // stored as ally@example.com
    rows.back().extensions = {"323"};
    rows.back().class_of_service = "gold";
    rows.push_back(row(3, "Bob@Example.net"));
    rows.push_back(row(4, "carol@example.com"));
    rows.back().aliases = {"400"};  // digits in the alias column: an extension
    rows.back().disabled = true;
    return rows;
  }
};

TEST_F(ImportTest, GoodBatchIsAllThere) {
  auto n = store().import_accounts(good_rows());
  ASSERT_TRUE(Ok(n));
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(store().accounts("example.com").size(), 4u);
  expect_resolves_to("alice@example.com", "alice@example.com");
  expect_resolves_to("al@example.com", "alice@example.com");
  expect_resolves_to("ally@example.com", "alice@example.com");
  expect_resolves_to("323@example.com", "alice@example.com");
  expect_resolves_to("bob@example.com", "bob@example.com");
  expect_unknown("carol@example.com");  // imported disabled
  expect_unknown("400@example.com");
  auto alice = store().account("alice@example.com");
  ASSERT_TRUE(Ok(alice));
  EXPECT_EQ(alice->real_name(), "Alice");
  EXPECT_EQ(alice->class_of_service(), "gold");
  EXPECT_EQ(store().effective(*alice, "quota_bytes"), std::make_pair(std::string("1000"), std::string("class")));
  auto carol = store().account("carol@example.com");
  ASSERT_TRUE(Ok(carol));
  EXPECT_TRUE(carol->disabled());
  EXPECT_EQ(std::vector<std::string>(carol->extensions().begin(), carol->extensions().end()),
            std::vector<std::string>{"400"});
  // An empty batch is fine too.
  auto none = store().import_accounts({});
  ASSERT_TRUE(Ok(none));
  EXPECT_EQ(*none, 0u);
}

TEST_F(ImportTest, BadRowFailsTheWholeBatch) {
  struct Case {
    std::string what;
    std::function<void(ImportRow&)> spoil;  // applied to the row at line 3
    Errc code;
  };
  const Case cases[] = {
      {"duplicate of an earlier row", [](ImportRow& r) { r.account = "ALICE@example.com"; }, Errc::exists},
      {"duplicate of a stored account", [](ImportRow& r) { r.account = "existing@example.net"; }, Errc::exists},
      {"account on an earlier row's alias", [](ImportRow& r) { r.account = "al@example.com"; }, Errc::exists},
      {"unknown class of service", [](ImportRow& r) { r.class_of_service = "platinum"; }, Errc::not_found},
      {"extension not a number", [](ImportRow& r) { r.extensions = {"32a"}; }, Errc::invalid},
      {"extension with a sign", [](ImportRow& r) { r.extensions = {"-5"}; }, Errc::invalid},
      {"extension of an earlier row", [](ImportRow& r) { r.extensions = {"323"}; }, Errc::exists},
      {"alias of an earlier row", [](ImportRow& r) { r.aliases = {"al@example.net"}; }, Errc::exists},
      {"alias in a foreign domain", [](ImportRow& r) { r.aliases = {"bob@elsewhere.org"}; }, Errc::not_found},
      {"malformed address", [](ImportRow& r) { r.account = "bob..b@example.com"; }, Errc::syntax},
      {"malformed alias", [](ImportRow& r) { r.aliases = {"bob@"}; }, Errc::syntax},
      {"separator in the name", [](ImportRow& r) { r.account = "bob+x@example.com"; }, Errc::invalid},
      {"foreign domain", [](ImportRow& r) { r.account = "bob@elsewhere.org"; }, Errc::not_found},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto rows = good_rows();
    c.spoil(rows[1]);
    auto n = store().import_accounts(rows);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.code(), c.code) << n.error().detail;
    EXPECT_EQ(n.error().detail.rfind("line 3: ", 0), 0u) << n.error().detail;
    // Nothing of the batch is there, not even line 2.
    EXPECT_EQ(store().accounts("").size(), 1u);
    for (const char* a : {"alice@example.com", "al@example.com", "323@example.com", "bob@example.com",
                          "carol@example.com"}) {
      expect_unknown(a);
    }
  }
  // The same batch, unspoiled, then goes in whole.
  ASSERT_TRUE(Ok(store().import_accounts(good_rows())));
  EXPECT_EQ(store().accounts("").size(), 4u);
}

TEST_F(ImportTest, LineNumberIsTheRowsOwn) {
  auto rows = good_rows();
  rows.push_back(row(17, "alice@example.com"));
  auto n = store().import_accounts(rows);
  EXPECT_TRUE(Fails(n, Errc::exists));
  if (!n.ok()) {
    EXPECT_EQ(n.error().detail.rfind("line 17: ", 0), 0u) << n.error().detail;
  }
  EXPECT_EQ(store().accounts("").size(), 1u);
}

// --- first run --------------------------------------------------------------

TEST_F(StoreTest, CreateFirstOnlyWhenEmpty) {
  EXPECT_TRUE(store().empty());
  auto d = store().create_first("Example.COM", {{"admin", {}}, {"Postmaster", {}}});
  ASSERT_TRUE(Ok(d));
  EXPECT_EQ(*d, "example.com");
  EXPECT_FALSE(store().empty());
  expect_resolves_to("admin@example.com", "admin@example.com");
  expect_resolves_to("postmaster@example.com", "postmaster@example.com");
  EXPECT_EQ(store().accounts("example.com").size(), 2u);

  EXPECT_TRUE(Fails(store().create_first("example.com", {}), Errc::exists));
  EXPECT_TRUE(Fails(store().create_first("other.example", {{"admin", {}}}), Errc::exists));
  EXPECT_EQ(store().domains().size(), 1u);
  EXPECT_EQ(store().resolve("admin@other.example").kind(), kNotLocal);
}

TEST_F(StoreTest, CreateFirstAfterAddDomain) {
  ASSERT_TRUE(Ok(store().add_domain("example.com")));
  EXPECT_TRUE(Fails(store().create_first("other.example", {{"admin", {}}}), Errc::exists));
  EXPECT_EQ(store().domains().size(), 1u);
  EXPECT_TRUE(store().accounts("").empty());
}

TEST_F(StoreTest, CreateFirstIsAllOrNothing) {
  struct Case {
    std::string what;
    std::string domain;
    std::vector<std::pair<std::string, schema::Credentials>> accounts;
    Errc code;
  };
  const Case cases[] = {
      {"bad domain", "bad..example", {{"admin", {}}}, Errc::syntax},
      {"separator in a name", "example.com", {{"admin", {}}, {"post+master", {}}}, Errc::invalid},
      {"same account twice", "example.com", {{"admin", {}}, {"ADMIN", {}}}, Errc::exists},
      {"bad local part", "example.com", {{"admin", {}}, {"a..b", {}}}, Errc::syntax},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_TRUE(Fails(store().create_first(c.domain, c.accounts), c.code));
    EXPECT_TRUE(store().empty());
    EXPECT_TRUE(store().domains().empty());
    EXPECT_TRUE(store().accounts("").empty());
  }
  EXPECT_TRUE(Ok(store().create_first("example.com", {{"admin", {}}})));
}

}  // namespace
}  // namespace parley::directory
