// store/access.h: client names resolved for a viewer (own, ~OWNER/,
// #public/, "~me/x" = "x", INBOX in any case, malformed names) and back;
// a viewer's rights (owner, grantee, anyone, authenticated, negative
// entries, public administrators) and the checks readers make on them
// (find, open, may_create), with their typed errors. Each test opens a
// store in a fresh temp directory, not durable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/access.h"
#include "store/store.h"

namespace parley::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDemo = "demo@example.test";
constexpr std::string_view kAlice = "alice@example.test";
constexpr std::string_view kBob = "bob@example.test";

const Viewer kDemoViewer{std::string(kDemo), false};
const Viewer kAdminViewer{std::string(kDemo), true};

::testing::AssertionResult Code(Errc got, Errc want, const std::string& detail) {
  if (got == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << errc_name(got) << " (" << detail << "), expected " << errc_name(want);
}

template <class T>
::testing::AssertionResult Fails(const Result<T>& r, Errc code) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded, expected " << errc_name(code);
  return Code(r.code(), code, r.error().detail);
}

template <class T>
::testing::AssertionResult Ok(const Result<T>& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << errc_name(r.code()) << ": " << r.error().detail;
}

// ---- names ----

struct Resolved {
  std::string owner, name, client;
};

Resolved resolved(const Viewer& v, std::string_view client) {
  auto r = resolve(v, client);
  EXPECT_TRUE(Ok(r)) << client;
  if (!r) return {};
  return {r->owner, r->name, r->client};
}

#define EXPECT_RESOLVES(viewer, client, owner_, name_, client_) \
  do {                                                          \
    Resolved got = resolved(viewer, client);                    \
    EXPECT_EQ(got.owner, owner_) << (client);                   \
    EXPECT_EQ(got.name, name_) << (client);                     \
    EXPECT_EQ(got.client, client_) << (client);                 \
  } while (0)

TEST(AccessNames, OwnMailboxesAreTheViewersAsWritten) {
  EXPECT_RESOLVES(kDemoViewer, "INBOX", kDemo, "INBOX", "INBOX");
  EXPECT_RESOLVES(kDemoViewer, "Lists/dev", kDemo, "Lists/dev", "Lists/dev");
  // The store normalizes one's own names itself (INBOX, levels): passed on as written.
  EXPECT_RESOLVES(kDemoViewer, "inbox/x", kDemo, "inbox/x", "inbox/x");
  // "#public" alone and "~" inside a name are ordinary names.
  EXPECT_RESOLVES(kDemoViewer, "#public", kDemo, "#public", "#public");
  EXPECT_RESOLVES(kDemoViewer, "a/~b/c", kDemo, "a/~b/c", "a/~b/c");
  EXPECT_TRUE(resolve(kDemoViewer, "Lists")->personal());
}

TEST(AccessNames, OtherUsersMailboxesByTilde) {
  EXPECT_RESOLVES(kDemoViewer, "~alice@example.test/Lists/dev", kAlice, "Lists/dev", "~alice@example.test/Lists/dev");
  // The owner is matched case-insensitively; the client keeps its spelling.
  EXPECT_RESOLVES(kDemoViewer, "~Alice@Example.TEST/INBOX", kAlice, "INBOX", "~Alice@Example.TEST/INBOX");
  // INBOX is case-insensitive at the first level only.
  EXPECT_RESOLVES(kDemoViewer, "~alice@example.test/inbox", kAlice, "INBOX", "~alice@example.test/inbox");
  EXPECT_RESOLVES(kDemoViewer, "~alice@example.test/InBox/x", kAlice, "INBOX/x", "~alice@example.test/InBox/x");
  EXPECT_RESOLVES(kDemoViewer, "~alice@example.test/inboxes", kAlice, "inboxes", "~alice@example.test/inboxes");
  EXPECT_RESOLVES(kDemoViewer, "~alice@example.test/x/inbox", kAlice, "x/inbox", "~alice@example.test/x/inbox");
  EXPECT_FALSE(resolve(kDemoViewer, "~alice@example.test/INBOX")->personal());
}

TEST(AccessNames, TildeMeIsOnesOwnName) {
  EXPECT_RESOLVES(kDemoViewer, "~demo@example.test/x", kDemo, "x", "x");
  EXPECT_RESOLVES(kDemoViewer, "~DEMO@example.test/inbox/y", kDemo, "INBOX/y", "INBOX/y");
  EXPECT_TRUE(resolve(kDemoViewer, "~demo@example.test/x")->personal());
  EXPECT_EQ(resolve(kDemoViewer, "~demo@example.test/x")->name, resolve(kDemoViewer, "x")->name);
}

TEST(AccessNames, PublicMailboxes) {
  EXPECT_RESOLVES(kDemoViewer, "#public/News", kPublicAccount, "News", "#public/News");
  EXPECT_RESOLVES(kDemoViewer, "#public/News/2026", kPublicAccount, "News/2026", "#public/News/2026");
  EXPECT_RESOLVES(kDemoViewer, "#public/inbox", kPublicAccount, "INBOX", "#public/inbox");
  EXPECT_FALSE(resolve(kDemoViewer, "#public/News")->personal());
  // The prefix is case-sensitive: "#PUBLIC/x" is one's own mailbox.
  EXPECT_RESOLVES(kDemoViewer, "#PUBLIC/x", kDemo, "#PUBLIC/x", "#PUBLIC/x");
}

TEST(AccessNames, TildeWithoutOwnerOrMailboxDoesNotParse) {
  for (const char* bad : {"~", "~/", "~/x", "~alice@example.test", "~alice@example.test/"}) {
    EXPECT_TRUE(Fails(resolve(kDemoViewer, bad), Errc::syntax)) << bad;
  }
}

TEST(AccessNames, ClientNamesGoBackToTheSameMailbox) {
  EXPECT_EQ(client_name(kDemoViewer, kDemo, "Lists/dev"), "Lists/dev");
  EXPECT_EQ(client_name(kDemoViewer, kAlice, "Lists/dev"), "~alice@example.test/Lists/dev");
  EXPECT_EQ(client_name(kDemoViewer, kPublicAccount, "News"), "#public/News");
  // Whose name it is depends on who looks.
  const Viewer alice{std::string(kAlice), false};
  EXPECT_EQ(client_name(alice, kAlice, "Lists/dev"), "Lists/dev");
  EXPECT_EQ(client_name(alice, kDemo, "INBOX"), "~demo@example.test/INBOX");
  for (const auto& [owner, name] : std::vector<std::pair<std::string_view, std::string_view>>{
           {kDemo, "INBOX"}, {kDemo, "a/b"}, {kAlice, "INBOX"}, {kAlice, "INBOX/x"}, {kAlice, "a/b"},
           {kPublicAccount, "News"}, {kPublicAccount, "News/x"}}) {
    MailboxRef ref = ref_for(kDemoViewer, std::string(owner), std::string(name));
    EXPECT_EQ(ref.client, client_name(kDemoViewer, owner, name));
    auto back = resolve(kDemoViewer, ref.client);
    ASSERT_TRUE(Ok(back));
    EXPECT_EQ(back->owner, owner);
    EXPECT_EQ(back->name, name);
    EXPECT_EQ(back->client, ref.client);
    EXPECT_EQ(back->personal(), owner == kDemo);
  }
  EXPECT_EQ(std::string(kOtherUsersPrefix), "~");
  EXPECT_EQ(std::string(kPublicPrefix), std::string(kPublicAccount) + "/");
}

TEST(AccessNames, ViewerOfPublicAdmins) {
  const std::vector<std::string> admins = {"root@example.test", std::string(kDemo)};
  EXPECT_TRUE(viewer_of(std::string(kDemo), admins).public_admin);
  EXPECT_EQ(viewer_of(std::string(kDemo), admins).account, kDemo);
  EXPECT_FALSE(viewer_of(std::string(kAlice), admins).public_admin);
  EXPECT_FALSE(viewer_of(std::string(kDemo), {}).public_admin);
}

// ---- rights ----

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "parley-access-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    Options o;
    o.durable = false;
    auto opened = Store::open(dir_ + "/store/index", o);
    ASSERT_TRUE(Ok(opened));
    store_.emplace(std::move(opened.value()));
    // alice's mailboxes, each with its ACL; public ones.
    for (std::string_view account : {kDemo, kAlice, kBob}) ASSERT_TRUE(Ok(st().ensure_account(account)));
    for (const char* name : {"Shared", "Shared/dev", "Anyone", "Authed", "Denied", "DropBox", "Private", "Kids",
                             "ReadOnly"}) {
      ASSERT_TRUE(Ok(st().create_mailbox(kAlice, name)));
    }
    for (const char* name : {"News", "Staff"}) ASSERT_TRUE(Ok(st().create_mailbox(kPublicAccount, name)));
    acl(kAlice, "Shared", kDemo, "lrs");
    acl(kAlice, "Shared/dev", kDemo, "lrswi");
    acl(kAlice, "Anyone", "anyone", "lr");
    acl(kAlice, "Authed", "authenticated", "lri");
    acl(kAlice, "Denied", "anyone", "lrw");
    acl(kAlice, "Denied", "-demo@example.test", "r");
    acl(kAlice, "DropBox", kDemo, "i");
    acl(kAlice, "Kids", kDemo, "lk");
    acl(kAlice, "ReadOnly", kDemo, "r");
    acl(kPublicAccount, "News", "anyone", "lr");
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Store& st() { return *store_; }
  void acl(std::string_view owner, std::string_view mailbox, std::string_view identifier, std::string_view rights) {
    ASSERT_TRUE(st().set_acl(owner, mailbox, identifier, rights).ok()) << mailbox;
  }
  std::uint64_t id(std::string_view owner, std::string_view name) {
    auto box = st().mailbox(owner, name);
    EXPECT_TRUE(Ok(box)) << name;
    return box ? box->id : 0;
  }
  std::string rights_of(const Viewer& v, std::string_view owner, std::string_view name) {
    return rights(st(), v, owner, id(owner, name));
  }
  Snapshot snap() {
    auto s = st().snapshot();
    EXPECT_TRUE(Ok(s));
    return std::move(s.value());
  }

  std::string dir_;
  std::optional<Store> store_;
};

TEST_F(AccessTest, NamesTheStoreRefusesParseButAreInvalidWhenUsed) {
  // Empty levels, wildcards, a reserved owner, ACL names as owners.
  for (const char* bad : {"a//b", "/a", "a/", "~alice@example.test//x", "#public/", "#public//x", "Wo*", "x%",
                          "~#team/x", "~anyone/INBOX", "~authenticated/INBOX"}) {
    ASSERT_TRUE(Ok(resolve(kDemoViewer, bad))) << bad;
    EXPECT_TRUE(Fails(find(st(), kDemoViewer, bad), Errc::invalid)) << bad;
  }
}

TEST_F(AccessTest, OwnerHoldsEveryRight) {
  EXPECT_EQ(rights_of(kDemoViewer, kDemo, "INBOX"), kAllRights);
  const Viewer alice{std::string(kAlice), false};
  EXPECT_EQ(rights_of(alice, kAlice, "Denied"), kAllRights);  // whatever the ACL says
  EXPECT_EQ(rights_of(alice, kAlice, "Private"), kAllRights);
}

TEST_F(AccessTest, GranteeAnyoneAuthenticatedAndNegativeEntries) {
  EXPECT_EQ(rights_of(kDemoViewer, kAlice, "Shared"), "lrs");
  EXPECT_EQ(rights_of(kDemoViewer, kAlice, "Anyone"), "lr");
  EXPECT_EQ(rights_of(kDemoViewer, kAlice, "Authed"), "lri");
  EXPECT_EQ(rights_of(kDemoViewer, kAlice, "Denied"), "lw");  // "-demo" takes r away
  const Viewer bob{std::string(kBob), false};
  EXPECT_EQ(rights_of(bob, kAlice, "Denied"), "lrw");
  EXPECT_EQ(rights_of(bob, kAlice, "Shared"), "");
  EXPECT_EQ(rights_of(kDemoViewer, kAlice, "Private"), "");
  // Snapshot and store agree.
  auto s = snap();
  EXPECT_EQ(rights(s, kDemoViewer, kAlice, id(kAlice, "Shared")), "lrs");
}

TEST_F(AccessTest, PublicAdminsHoldEveryRightOnPublicMailboxesOnly) {
  EXPECT_EQ(rights_of(kAdminViewer, kPublicAccount, "Staff"), kAllRights);
  EXPECT_EQ(rights_of(kAdminViewer, kPublicAccount, "News"), kAllRights);
  EXPECT_EQ(rights_of(kDemoViewer, kPublicAccount, "Staff"), "");
  EXPECT_EQ(rights_of(kDemoViewer, kPublicAccount, "News"), "lr");
  // Not on other users' mailboxes.
  EXPECT_EQ(rights_of(kAdminViewer, kAlice, "Private"), "");
  EXPECT_EQ(rights_of(kAdminViewer, kAlice, "Shared"), "lrs");
}

TEST_F(AccessTest, RightsThatCannotBeReadAreNone) {
  EXPECT_EQ(rights(st(), kDemoViewer, kAlice, 999999), "");
  EXPECT_EQ(rights(st(), kDemoViewer, "#team", id(kAlice, "Anyone")), "");
}

TEST_F(AccessTest, Predicates) {
  EXPECT_TRUE(may_see("lr"));
  EXPECT_FALSE(may_see("r"));
  EXPECT_TRUE(may_read("lr"));
  EXPECT_FALSE(may_read("l"));
  EXPECT_TRUE(may_insert("i"));
  EXPECT_FALSE(may_insert("lrswpkxtea"));
  EXPECT_TRUE(may_delete("x"));
  EXPECT_FALSE(may_delete("lrswipktea"));
  EXPECT_TRUE(may_administer("a"));
  EXPECT_FALSE(may_administer("lrswipkxte"));
  EXPECT_FALSE(may_see(""));
  for (char c : kAllRights) EXPECT_TRUE(has_right(kAllRights, c));
  EXPECT_EQ(std::string{right::lookup, right::read, right::seen, right::write, right::insert, right::create,
                        right::delete_mailbox, right::delete_message, right::expunge, right::administer},
            "lrswikxtea");
}

TEST_F(AccessTest, FindGivesTheMailboxAndTheViewersRights) {
  auto s = snap();
  auto f = find(s, kDemoViewer, "~alice@example.test/Shared/dev");
  ASSERT_TRUE(Ok(f));
  EXPECT_EQ(f->ref.owner, kAlice);
  EXPECT_EQ(f->ref.name, "Shared/dev");
  EXPECT_EQ(f->ref.client, "~alice@example.test/Shared/dev");
  EXPECT_EQ(f->box.name, "Shared/dev");
  EXPECT_EQ(f->box.id, id(kAlice, "Shared/dev"));
  EXPECT_EQ(f->rights, "lrswi");
  // Unchecked: a mailbox the viewer has no right on is found too.
  auto priv = find(st(), kDemoViewer, "~alice@example.test/Private");
  ASSERT_TRUE(Ok(priv));
  EXPECT_EQ(priv->rights, "");
  auto own = find(st(), kDemoViewer, "~demo@example.test/inbox");
  ASSERT_TRUE(Ok(own));
  EXPECT_EQ(own->ref.client, "INBOX");
  EXPECT_EQ(own->rights, kAllRights);
  EXPECT_TRUE(Fails(find(s, kDemoViewer, "~alice@example.test/Nope"), Errc::not_found));
  EXPECT_TRUE(Fails(find(s, kDemoViewer, "~nobody@example.test/INBOX"), Errc::not_found));
  EXPECT_TRUE(Fails(find(s, kDemoViewer, "~"), Errc::syntax));
  EXPECT_TRUE(Fails(find(s, kDemoViewer, "a//b"), Errc::invalid));
}

TEST_F(AccessTest, OpenHidesWhatTheViewerMayNotSee) {
  auto s = snap();
  auto read = [&](std::string_view name, const Viewer& v = kDemoViewer) { return open(s, v, name, right::read); };
  ASSERT_TRUE(Ok(read("INBOX")));
  ASSERT_TRUE(Ok(read("~alice@example.test/Shared")));
  ASSERT_TRUE(Ok(read("~alice@example.test/Anyone")));
  ASSERT_TRUE(Ok(read("#public/News")));
  EXPECT_EQ(read("#public/News")->rights, "lr");
  // No "l": not there for this viewer, exactly like a missing mailbox.
  EXPECT_TRUE(Fails(read("~alice@example.test/Private"), Errc::not_found));
  EXPECT_TRUE(Fails(read("~alice@example.test/ReadOnly"), Errc::not_found));
  EXPECT_TRUE(Fails(read("~alice@example.test/DropBox"), Errc::not_found));
  EXPECT_TRUE(Fails(read("~alice@example.test/Nope"), Errc::not_found));
  EXPECT_TRUE(Fails(read("#public/Staff"), Errc::not_found));
  // Seen but without the right asked for.
  EXPECT_TRUE(Fails(read("~alice@example.test/Denied"), Errc::denied));
  EXPECT_TRUE(Fails(read("~alice@example.test/Kids"), Errc::denied));
  EXPECT_TRUE(Fails(open(s, kDemoViewer, "~alice@example.test/Shared", right::insert), Errc::denied));
  EXPECT_TRUE(Ok(open(s, kDemoViewer, "~alice@example.test/Authed", right::insert)));
  EXPECT_TRUE(Fails(open(s, kDemoViewer, "#public/News", right::administer), Errc::denied));
  // A public administrator sees and administers every public mailbox.
  EXPECT_TRUE(Ok(read("#public/Staff", kAdminViewer)));
  EXPECT_TRUE(Ok(open(s, kAdminViewer, "#public/News", right::administer)));
  EXPECT_TRUE(Fails(read("~alice@example.test/Private", kAdminViewer), Errc::not_found));
  // Names that do not parse, or that the store refuses.
  EXPECT_TRUE(Fails(read("~/x"), Errc::syntax));
  EXPECT_TRUE(Fails(read("#public/"), Errc::invalid));
  EXPECT_TRUE(Fails(read("~#team/x"), Errc::invalid));
}

TEST_F(AccessTest, CreatingNeedsKOnTheParentElsewhere) {
  auto s = snap();
  auto may = [&](std::string_view name, const Viewer& v = kDemoViewer) {
    auto ref = resolve(v, name);
    EXPECT_TRUE(Ok(ref)) << name;
    return ref && may_create(s, v, *ref) && may_create(st(), v, *ref);
  };
  EXPECT_TRUE(may("New"));
  EXPECT_TRUE(may("New/deeper"));
  EXPECT_TRUE(may("~demo@example.test/New"));
  EXPECT_TRUE(may("~alice@example.test/Kids/new"));
  EXPECT_FALSE(may("~alice@example.test/Kids/a/b"));    // the parent must exist
  EXPECT_FALSE(may("~alice@example.test/Top"));         // nothing above to hold "k"
  EXPECT_FALSE(may("~alice@example.test/Shared/x"));    // "lrs" only
  EXPECT_FALSE(may("~alice@example.test/Private/x"));
  EXPECT_FALSE(may("#public/Mine"));
  EXPECT_FALSE(may("#public/News/x"));
  EXPECT_TRUE(may("#public/Mine", kAdminViewer));
  EXPECT_TRUE(may("#public/a/b/c", kAdminViewer));
  EXPECT_FALSE(may("~alice@example.test/Top", kAdminViewer));
  EXPECT_FALSE(may("~#team/x"));
}

}  // namespace
}  // namespace parley::store
