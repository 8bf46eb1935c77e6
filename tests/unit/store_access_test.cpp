// store/access.h: client names resolved for a viewer (own, ~OWNER/,
// #public/, "~me/x" = "x", INBOX in any case, malformed names, ".." and
// nested prefixes that must not lead elsewhere) and back; a viewer's rights
// (owner, grantee, anyone, authenticated, negative entries, public
// administrators, unknown owners), each right on its own, and the checks
// readers make on them (find, open, may_create, the flag checks), with
// their typed errors. Each test opens a store in a fresh temp directory,
// not durable.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "store/access.h"
#include "store/store.h"
#include "tests/support/result_assert.h"
#include "tests/support/temp_dir.h"

namespace parley::store {
namespace {

using testkit::Fails;
using testkit::Ok;

constexpr std::string_view kDemo = "demo@example.test";
constexpr std::string_view kAlice = "alice@example.test";
constexpr std::string_view kBob = "bob@example.test";

const Viewer kDemoViewer{std::string(kDemo), false};
const Viewer kAdminViewer{std::string(kDemo), true};
const Viewer kBobViewer{std::string(kBob), false};

// ---- names ----

struct NameCase {
  std::string_view client;  // as demo writes it
  std::string_view owner, name, resolved_client;
};

const NameCase kNames[] = {
    // One's own: passed on as written (the store normalizes INBOX and levels itself).
    {"INBOX", kDemo, "INBOX", "INBOX"},
    {"Lists/dev", kDemo, "Lists/dev", "Lists/dev"},
    {"inbox/x", kDemo, "inbox/x", "inbox/x"},
    // "#public" alone, "~" inside a name, a case-changed prefix: ordinary names.
    {"#public", kDemo, "#public", "#public"},
    {"a/~b/c", kDemo, "a/~b/c", "a/~b/c"},
    {"#PUBLIC/x", kDemo, "#PUBLIC/x", "#PUBLIC/x"},
    // Other users': the owner in any case, the client's spelling kept; INBOX
    // case-insensitive at the first level only.
    {"~alice@example.test/Lists/dev", kAlice, "Lists/dev", "~alice@example.test/Lists/dev"},
    {"~Alice@Example.TEST/INBOX", kAlice, "INBOX", "~Alice@Example.TEST/INBOX"},
    {"~alice@example.test/inbox", kAlice, "INBOX", "~alice@example.test/inbox"},
    {"~alice@example.test/InBox/x", kAlice, "INBOX/x", "~alice@example.test/InBox/x"},
    {"~alice@example.test/inboxes", kAlice, "inboxes", "~alice@example.test/inboxes"},
    {"~alice@example.test/x/inbox", kAlice, "x/inbox", "~alice@example.test/x/inbox"},
    // "~me/x" is "x".
    {"~demo@example.test/x", kDemo, "x", "x"},
    {"~DEMO@example.test/inbox/y", kDemo, "INBOX/y", "INBOX/y"},
    // Public.
    {"#public/News", kPublicAccount, "News", "#public/News"},
    {"#public/News/2026", kPublicAccount, "News/2026", "#public/News/2026"},
    {"#public/inbox", kPublicAccount, "INBOX", "#public/inbox"},
    // Traversal: names are keys; ".." and a second prefix stay inside the
    // first owner's namespace, an owner ".." is just an unknown account.
    {"~alice@example.test/../bob@example.test/INBOX", kAlice, "../bob@example.test/INBOX",
     "~alice@example.test/../bob@example.test/INBOX"},
    {"~alice@example.test/~bob@example.test/INBOX", kAlice, "~bob@example.test/INBOX",
     "~alice@example.test/~bob@example.test/INBOX"},
    {"~../bob@example.test/INBOX", "..", "bob@example.test/INBOX", "~../bob@example.test/INBOX"},
    {"#public/../alice@example.test/INBOX", kPublicAccount, "../alice@example.test/INBOX",
     "#public/../alice@example.test/INBOX"},
    {"#public/~alice@example.test/INBOX", kPublicAccount, "~alice@example.test/INBOX",
     "#public/~alice@example.test/INBOX"},
    {"../~alice@example.test/INBOX", kDemo, "../~alice@example.test/INBOX", "../~alice@example.test/INBOX"},
};

TEST(AccessNames, Resolve) {
  for (const auto& c : kNames) {
    auto r = resolve(kDemoViewer, c.client);
    ASSERT_TRUE(Ok(r)) << c.client;
    EXPECT_EQ(r->owner, c.owner) << c.client;
    EXPECT_EQ(r->name, c.name) << c.client;
    EXPECT_EQ(r->client, c.resolved_client) << c.client;
    EXPECT_EQ(r->personal(), c.owner == kDemo) << c.client;
  }
}

TEST(AccessNames, TildeWithoutOwnerOrMailboxDoesNotParse) {
  for (const char* bad : {"~", "~/", "~/x", "~alice@example.test", "~alice@example.test/"}) {
    EXPECT_TRUE(Fails(resolve(kDemoViewer, bad), Errc::syntax)) << bad;
  }
}

TEST(AccessNames, ListedNamesGoBackToTheSameMailbox) {
  // Whose name it is depends on who looks.
  EXPECT_EQ(ref_for(kDemoViewer, std::string(kDemo), "Lists/dev").client, "Lists/dev");
  EXPECT_EQ(ref_for(kDemoViewer, std::string(kAlice), "Lists/dev").client, "~alice@example.test/Lists/dev");
  EXPECT_EQ(ref_for(kDemoViewer, std::string(kPublicAccount), "News").client, "#public/News");
  const Viewer alice{std::string(kAlice), false};
  EXPECT_EQ(ref_for(alice, std::string(kAlice), "Lists/dev").client, "Lists/dev");
  EXPECT_EQ(ref_for(alice, std::string(kDemo), "INBOX").client, "~demo@example.test/INBOX");
  const std::pair<std::string_view, std::string_view> boxes[] = {
      {kDemo, "INBOX"},  {kDemo, "a/b"}, {kAlice, "INBOX"}, {kAlice, "INBOX/x"}, {kAlice, "a/b"}, {kPublicAccount, "News"},
      {kPublicAccount, "News/x"}};
  for (const auto& [owner, name] : boxes) {
    MailboxRef ref = ref_for(kDemoViewer, std::string(owner), std::string(name));
    EXPECT_EQ(ref.owner, owner);
    EXPECT_EQ(ref.name, name);
    auto back = resolve(kDemoViewer, ref.client);
    ASSERT_TRUE(Ok(back)) << ref.client;
    EXPECT_EQ(back->owner, owner);
    EXPECT_EQ(back->name, name);
    EXPECT_EQ(back->client, ref.client);
    EXPECT_EQ(back->personal(), owner == kDemo);
  }
}

TEST(AccessNames, ViewerOfPublicAdmins) {
  const std::vector<std::string> admins = {"root@example.test", std::string(kDemo)};
  EXPECT_TRUE(viewer_of(std::string(kDemo), admins).public_admin);
  EXPECT_EQ(viewer_of(std::string(kDemo), admins).account, kDemo);
  EXPECT_FALSE(viewer_of(std::string(kAlice), admins).public_admin);
  EXPECT_FALSE(viewer_of(std::string(kDemo), {}).public_admin);
}

// ---- rights ----

// Checks on rights alone.
TEST(AccessChecks, ModifyingNeedsAnyChangingRight) {
  EXPECT_FALSE(may_modify(""));
  EXPECT_FALSE(may_modify("lrpkxa"));
  for (char c : {right::seen, right::write, right::insert, right::delete_message, right::expunge}) {
    EXPECT_TRUE(may_modify(std::string("lr") + c)) << c;
  }
}

TEST(AccessChecks, FlagsByRight) {
  const Flags seen{kSeen, {}};
  const Flags deleted{kDeleted, {}};
  const Flags flagged{kFlagged, {}};
  const Flags keyword{0, {"$Label1"}};
  const Flags seen_and_deleted{kSeen | kDeleted, {}};
  EXPECT_TRUE(may_change_flags("s", seen, false));
  EXPECT_FALSE(may_change_flags("wt", seen, false));
  EXPECT_TRUE(may_change_flags("t", deleted, false));
  EXPECT_FALSE(may_change_flags("sw", deleted, false));
  EXPECT_TRUE(may_change_flags("w", flagged, false));
  EXPECT_FALSE(may_change_flags("st", flagged, false));
  EXPECT_TRUE(may_change_flags("w", keyword, false));
  EXPECT_FALSE(may_change_flags("st", keyword, false));
  EXPECT_TRUE(may_change_flags("st", seen_and_deleted, false));
  EXPECT_FALSE(may_change_flags("s", seen_and_deleted, false));
  EXPECT_TRUE(may_change_flags("", Flags{}, false));
  // Replacing needs one of s, w, t, whatever the flags.
  for (std::string_view r : {"s", "w", "t"}) EXPECT_TRUE(may_change_flags(r, flagged, true)) << r;
  EXPECT_FALSE(may_change_flags("lrikxea", Flags{}, true));
}

TEST(AccessChecks, MovingOutNeedsExpungeAndDelete) {
  EXPECT_TRUE(may_move_out("te"));
  EXPECT_FALSE(may_move_out("lrswikxa"));
  EXPECT_FALSE(may_move_out("t"));
  EXPECT_FALSE(may_move_out("e"));
}

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.durable = false;
    auto opened = Store::open(dir_.file("store/index"), o);
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
    auto s = st().snapshot();
    ASSERT_TRUE(Ok(s));
    snap_.emplace(std::move(s.value()));
  }
  void TearDown() override {
    snap_.reset();
    store_.reset();
  }
  Store& st() { return *store_; }
  const Snapshot& snap() { return *snap_; }
  // A fresh snapshot, after changes made in the test.
  void reread() {
    snap_.reset();
    auto s = st().snapshot();
    ASSERT_TRUE(Ok(s));
    snap_.emplace(std::move(s.value()));
  }
  void acl(std::string_view owner, std::string_view mailbox, std::string_view identifier, std::string_view rights) {
    ASSERT_TRUE(st().set_acl(owner, mailbox, identifier, rights).ok()) << mailbox;
  }
  std::uint64_t id(std::string_view owner, std::string_view name) {
    auto box = st().mailbox(owner, name);
    EXPECT_TRUE(Ok(box)) << name;
    return box ? box->id : 0;
  }
  std::string rights_of(const Viewer& v, std::string_view owner, std::string_view name) {
    return rights(snap(), v, owner, id(owner, name));
  }
  Result<Found> read(std::string_view name, const Viewer& v = kDemoViewer) { return open(snap(), v, name, right::read); }
  bool may(std::string_view name, const Viewer& v = kDemoViewer) {
    auto ref = resolve(v, name);
    EXPECT_TRUE(Ok(ref)) << name;
    return ref && may_create(st(), v, *ref);
  }

  testkit::TempDir dir_{"parley-access-test"};
  std::optional<Store> store_;
  std::optional<Snapshot> snap_;
};

TEST_F(AccessTest, NamesTheStoreRefusesParseButAreInvalidWhenUsed) {
  // Empty levels, wildcards, a reserved owner, ACL names as owners.
  for (const char* bad : {"a//b", "/a", "a/", "~alice@example.test//x", "#public/", "#public//x", "Wo*", "x%",
                          "~#team/x", "~anyone/INBOX", "~authenticated/INBOX"}) {
    auto ref = resolve(kDemoViewer, bad);
    ASSERT_TRUE(Ok(ref)) << bad;
    EXPECT_TRUE(Fails(find(snap(), kDemoViewer, *ref), Errc::invalid)) << bad;
    EXPECT_TRUE(Fails(read(bad), Errc::invalid)) << bad;
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
  EXPECT_EQ(rights_of(kBobViewer, kAlice, "Denied"), "lrw");
  EXPECT_EQ(rights_of(kBobViewer, kAlice, "Shared"), "");
  EXPECT_EQ(rights_of(kDemoViewer, kAlice, "Private"), "");
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
  EXPECT_EQ(rights(snap(), kDemoViewer, kAlice, 999999), "");
  EXPECT_EQ(rights(snap(), kDemoViewer, "#team", id(kAlice, "Anyone")), "");
  EXPECT_EQ(rights(snap(), kDemoViewer, "nobody@example.test", id(kAlice, "Anyone")), "");
}

TEST_F(AccessTest, UnknownOwnersAndTraversalFindNothing) {
  for (const char* name : {"~nobody@example.test/INBOX", "~../bob@example.test/INBOX",
                           "~alice@example.test/../bob@example.test/INBOX", "~alice@example.test/~bob@example.test/INBOX",
                           "#public/../alice@example.test/INBOX", "#public/~alice@example.test/Shared",
                           "~alice@example.test/Shared/../Private"}) {
    auto ref = resolve(kDemoViewer, name);
    ASSERT_TRUE(Ok(ref)) << name;
    EXPECT_TRUE(Fails(find(snap(), kDemoViewer, *ref), Errc::not_found)) << name;
    EXPECT_TRUE(Fails(read(name), Errc::not_found)) << name;
    EXPECT_FALSE(may(std::string(name) + "/x")) << name;
  }
  // Nor does an unknown viewer get rights on someone else's mailboxes.
  const Viewer nobody{"nobody@example.test", false};
  EXPECT_TRUE(Fails(read("~alice@example.test/Shared", nobody), Errc::not_found));
  EXPECT_TRUE(Ok(read("~alice@example.test/Anyone", nobody)));
}

// Each right on its own: with "l" and that letter only, open() grants that
// right and refuses every other; without "l" nothing is there at all.
TEST_F(AccessTest, EachRight) {
  for (char letter : kAllRights) {
    if (letter == right::lookup) continue;
    const std::string box = std::string("Only-") + letter;
    ASSERT_TRUE(Ok(st().create_mailbox(kAlice, box)));
    acl(kAlice, box, kDemo, std::string("l") + letter);
  }
  ASSERT_TRUE(Ok(st().create_mailbox(kAlice, "Only-l")));
  acl(kAlice, "Only-l", kDemo, "l");
  reread();
  for (char letter : kAllRights) {
    const std::string name = std::string("~alice@example.test/Only-") + letter;
    for (char asked : kAllRights) {
      auto got = open(snap(), kDemoViewer, name, asked);
      if (asked == letter || asked == right::lookup) {
        ASSERT_TRUE(Ok(got)) << name << " " << asked;
        EXPECT_EQ(got->rights, letter == right::lookup ? "l" : std::string("l") + letter);
      } else {
        EXPECT_TRUE(Fails(got, Errc::denied)) << name << " " << asked;
      }
    }
  }
  // The letters as RFC 4314 2.1 names them, in the store's order.
  EXPECT_EQ((std::string{right::lookup, right::read, right::seen, right::write, right::insert, right::post,
                         right::create, right::delete_mailbox, right::delete_message, right::expunge,
                         right::administer}),
            kAllRights);
}

TEST_F(AccessTest, FindGivesTheMailboxAndTheViewersRights) {
  auto ref = resolve(kDemoViewer, "~alice@example.test/Shared/dev");
  ASSERT_TRUE(Ok(ref));
  auto f = find(snap(), kDemoViewer, *ref);
  ASSERT_TRUE(Ok(f));
  EXPECT_EQ(f->ref.owner, kAlice);
  EXPECT_EQ(f->ref.name, "Shared/dev");
  EXPECT_EQ(f->ref.client, "~alice@example.test/Shared/dev");
  EXPECT_EQ(f->box.name, "Shared/dev");
  EXPECT_EQ(f->box.id, id(kAlice, "Shared/dev"));
  EXPECT_EQ(f->rights, "lrswi");
  // Unchecked: a mailbox the viewer has no right on is found too, by the
  // store as by a snapshot.
  auto priv = find(st(), kDemoViewer, *resolve(kDemoViewer, "~alice@example.test/Private"));
  ASSERT_TRUE(Ok(priv));
  EXPECT_EQ(priv->rights, "");
  auto own = find(st(), kDemoViewer, *resolve(kDemoViewer, "~demo@example.test/inbox"));
  ASSERT_TRUE(Ok(own));
  EXPECT_EQ(own->ref.client, "INBOX");
  EXPECT_EQ(own->rights, kAllRights);
  EXPECT_TRUE(Fails(find(st(), kDemoViewer, *resolve(kDemoViewer, "~alice@example.test/Nope")), Errc::not_found));
}

TEST_F(AccessTest, OpenHidesWhatTheViewerMayNotSee) {
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
  EXPECT_TRUE(Fails(open(snap(), kDemoViewer, "~alice@example.test/Shared", right::insert), Errc::denied));
  EXPECT_TRUE(Ok(open(snap(), kDemoViewer, "~alice@example.test/Authed", right::insert)));
  EXPECT_TRUE(Fails(open(snap(), kDemoViewer, "#public/News", right::administer), Errc::denied));
  // A public administrator sees and administers every public mailbox.
  EXPECT_TRUE(Ok(read("#public/Staff", kAdminViewer)));
  EXPECT_TRUE(Ok(open(snap(), kAdminViewer, "#public/News", right::administer)));
  EXPECT_TRUE(Fails(read("~alice@example.test/Private", kAdminViewer), Errc::not_found));
  // A name that does not parse.
  EXPECT_TRUE(Fails(read("~/x"), Errc::syntax));
}

TEST_F(AccessTest, CreatingNeedsKOnTheParentElsewhere) {
  EXPECT_TRUE(may("New"));
  EXPECT_TRUE(may("New/deeper"));
  EXPECT_TRUE(may("~demo@example.test/New"));
  EXPECT_TRUE(may("~alice@example.test/Kids/new"));
  EXPECT_FALSE(may("~alice@example.test/Kids/a/b"));  // the parent must exist
  EXPECT_FALSE(may("~alice@example.test/Top"));       // nothing above to hold "k"
  EXPECT_FALSE(may("~alice@example.test/Shared/x"));  // "lrs" only
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
