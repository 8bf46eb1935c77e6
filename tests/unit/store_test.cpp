// store::Store: delivery and read-back, UIDs, dedup, quota, default
// mailboxes, flags and modseq, expunge with vanished UIDs and body
// reference counts, copy and move, rename with children, delete, two
// openers (one process and two), snapshots beside writers, bad input;
// ACLs (RFC 4314): entries, effective rights, grants, rename and delete,
// the public namespace, a store written before ACLs existed.
// Each test opens a store in a fresh temp directory, not durable (no
// fsync), on an injected clock.
#include <gtest/gtest.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "tests/support/result_assert.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace parley::store {
namespace {

using testkit::Fails;
using testkit::Ok;

namespace fs = std::filesystem;

constexpr std::string_view kDemo = "demo@example.test";
constexpr std::string_view kOther = "other@example.test";
constexpr std::string_view kThird = "third@example.test";

std::vector<std::uint32_t> uids_of(const std::vector<Message>& messages) {
  std::vector<std::uint32_t> out;
  for (const auto& m : messages) out.push_back(m.uid);
  return out;
}

std::string body_text(int n) {
  return "Subject: test " + std::to_string(n) + "\r\n\r\nBody number " + std::to_string(n) + ".\r\n";
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open(index_dir(), options());
    ASSERT_TRUE(Ok(opened));
    store_.emplace(std::move(opened.value()));
  }

  void TearDown() override { store_.reset(); }

  std::string index_dir() const { return dir_.file("store/index"); }
  std::string bodies_dir() const { return dir_.file("store/bodies"); }

  Options options() {
    Options o;
    o.durable = false;
    o.clock = [this] { return now_ms_; };
    return o;
  }

  Store& store() { return *store_; }

  // Closes the store, lets `edit` change its LMDB environment directly (as
  // another program would), and opens it again.
  void reopen_after(const std::function<void(MDB_txn*)>& edit) {
    store_.reset();
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_set_maxdbs(env, 16), 0);
    ASSERT_EQ(mdb_env_open(env, index_dir().c_str(), MDB_NOTLS, 0660), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    edit(txn);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    auto opened = Store::open(index_dir(), options());
    ASSERT_TRUE(Ok(opened));
    store_.emplace(std::move(opened.value()));
  }

  std::vector<AclEntry> acl(std::string_view owner, std::uint64_t id) {
    auto r = store().acl(owner, id);
    EXPECT_TRUE(Ok(r));
    return r.ok() ? r.value() : std::vector<AclEntry>{};
  }

  // granted(user) as "owner:mailbox:rights" strings.
  std::vector<std::string> grants(std::string_view user) {
    auto r = store().granted(user);
    EXPECT_TRUE(Ok(r)) << user;
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& g : *r) out.push_back(g.owner + ":" + g.mailbox.name + ":" + g.rights);
    }
    return out;
  }

  Placed deliver(int n, std::string dedup_key = {}, std::string mailbox = "INBOX") {
    body_ = body_text(n);
    NewMessage m;
    m.account = std::string(kDemo);
    m.mailbox = std::move(mailbox);
    m.body = body_;
    if (dedup_key.empty()) dedup_key = "queue-" + std::to_string(n) + "/" + std::string(kDemo);
    auto r = store().deliver(m, dedup_key);
    EXPECT_TRUE(Ok(r));
    return r.ok() ? r.value() : Placed{};
  }

  Mailbox mailbox(std::string_view name) {
    auto r = store().mailbox(kDemo, name);
    EXPECT_TRUE(Ok(r)) << name;
    return r.ok() ? r.value() : Mailbox{};
  }

  std::vector<Message> messages(std::uint64_t id) {
    auto r = store().messages(kDemo, id);
    EXPECT_TRUE(Ok(r));
    return r.ok() ? r.value() : std::vector<Message>{};
  }

  Quota quota() {
    auto r = store().quota(kDemo);
    EXPECT_TRUE(Ok(r));
    return r.ok() ? r.value() : Quota{};
  }

  // Body files present (temp files included).
  std::size_t body_files() const {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(bodies_dir())) n += e.is_regular_file() ? 1 : 0;
    return n;
  }

  testkit::TempDir dir_{"parley-store-test"};
  std::int64_t now_ms_ = 1'700'000'000'000;
  std::optional<Store> store_;
  std::string body_;
};

TEST_F(StoreTest, DeliverListReadBack) {
  const Placed first = deliver(1);
  const Placed second = deliver(2);
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(first.mailbox, "INBOX");
  EXPECT_EQ(first.uid, 1u);
  EXPECT_EQ(second.uid, 2u);
  EXPECT_EQ(first.mailbox_id, second.mailbox_id);
  EXPECT_GT(second.modseq, first.modseq);
  EXPECT_NE(first.body_id, second.body_id);

  const Mailbox inbox = mailbox("INBOX");
  EXPECT_EQ(inbox.id, first.mailbox_id);
  EXPECT_EQ(inbox.uidvalidity, first.uidvalidity);
  EXPECT_EQ(inbox.uidnext, 3u);
  EXPECT_EQ(inbox.messages, 2u);
  EXPECT_EQ(inbox.unseen, 2u);
  EXPECT_EQ(inbox.size, body_text(1).size() + body_text(2).size());
  EXPECT_EQ(inbox.highestmodseq, second.modseq);

  const auto list = messages(inbox.id);
  ASSERT_EQ(uids_of(list), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(list[0].size, body_text(1).size());
  EXPECT_EQ(list[0].internal_date_ms, now_ms_);
  EXPECT_EQ(list[0].flags, Flags{});
  auto body = store().read_body(list[1].body_id);
  ASSERT_TRUE(Ok(body));
  EXPECT_EQ(*body, body_text(2));

  // From a UID on, and a limit.
  auto from2 = store().messages(kDemo, inbox.id, 2);
  ASSERT_TRUE(Ok(from2));
  EXPECT_EQ(uids_of(*from2), (std::vector<std::uint32_t>{2}));
  auto limited = store().messages(kDemo, inbox.id, 1, 1);
  ASSERT_TRUE(Ok(limited));
  EXPECT_EQ(uids_of(*limited), (std::vector<std::uint32_t>{1}));

  // Files: sharded by the id's first two digits, group-readable, the shard
  // setgid so the store group carries over.
  const std::string path = store().body_path(first.body_id);
  EXPECT_EQ(path, bodies_dir() + "/" + first.body_id.substr(0, 2) + "/" + first.body_id);
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(::stat(fs::path(path).parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 02770u);
  EXPECT_EQ(body_files(), 2u);

  EXPECT_EQ(quota().bytes, inbox.size);
  EXPECT_EQ(quota().messages, 2u);
}

TEST_F(StoreTest, AppendKeepsFlagsAndDate) {
  ASSERT_TRUE(Ok(store().ensure_account(kDemo)));
  const std::string body = body_text(7);
  NewMessage m;
  m.account = std::string(kDemo);
  m.mailbox = "Drafts";
  m.body = body;
  m.flags = {kDraft | kSeen, {"$Label1"}};
  m.internal_date_ms = 1'600'000'000'000;
  auto placed = store().append(m);
  ASSERT_TRUE(Ok(placed));
  const Mailbox drafts = mailbox("Drafts");
  EXPECT_EQ(drafts.unseen, 0u);
  const auto list = messages(drafts.id);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].flags, (Flags{kDraft | kSeen, {"$Label1"}}));
  EXPECT_EQ(list[0].internal_date_ms, 1'600'000'000'000);

  // A missing mailbox: refused, unless asked to create it.
  m.mailbox = "Lists/parley";
  EXPECT_TRUE(Fails(store().append(m), Errc::not_found));
  EXPECT_EQ(body_files(), 1u);
  m.create_mailbox = true;
  ASSERT_TRUE(Ok(store().append(m)));
  EXPECT_EQ(mailbox("Lists/parley").messages, 1u);
}

TEST_F(StoreTest, DedupReturnsEarlierDelivery) {
  const Placed first = deliver(1, "Q1/demo@example.test");
  const Placed again = deliver(2, "Q1/demo@example.test");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.uid, first.uid);
  EXPECT_EQ(again.body_id, first.body_id);
  EXPECT_EQ(again.mailbox_id, first.mailbox_id);
  EXPECT_EQ(again.uidvalidity, first.uidvalidity);
  EXPECT_EQ(mailbox("INBOX").messages, 1u);
  EXPECT_EQ(mailbox("INBOX").highestmodseq, first.modseq);
  EXPECT_EQ(body_files(), 1u);
  EXPECT_EQ(quota().messages, 1u);

  // Another recipient of the same queue entry is another delivery.
  EXPECT_FALSE(deliver(1, "Q1/other@example.test").duplicate);

  // Pruned keys are forgotten: only those older than the cutoff go.
  now_ms_ += 60'000;
  deliver(3, "Q3/demo@example.test");
  auto pruned = store().prune_dedup(now_ms_ - 1);
  ASSERT_TRUE(Ok(pruned));
  EXPECT_EQ(*pruned, 2u);
  EXPECT_TRUE(deliver(3, "Q3/demo@example.test").duplicate);
  const Placed fresh = deliver(1, "Q1/demo@example.test");
  EXPECT_FALSE(fresh.duplicate);
  EXPECT_GT(fresh.uid, first.uid);
}

TEST_F(StoreTest, QuotaRefusalWritesNothing) {
  deliver(1);
  const Mailbox before = mailbox("INBOX");
  const Quota used = quota();
  const std::string body = body_text(2);

  NewMessage m;
  m.account = std::string(kDemo);
  m.body = body;
  m.limits.bytes = used.bytes + body.size() - 1;
  EXPECT_TRUE(Fails(store().deliver(m, "Q2/demo"), Errc::limit));
  m.limits = {0, 1};
  EXPECT_TRUE(Fails(store().deliver(m, "Q2/demo"), Errc::limit));
  EXPECT_TRUE(Fails(store().append(m), Errc::limit));

  const Mailbox after = mailbox("INBOX");
  EXPECT_EQ(after.messages, before.messages);
  EXPECT_EQ(after.uidnext, before.uidnext);
  EXPECT_EQ(after.highestmodseq, before.highestmodseq);
  EXPECT_EQ(quota().bytes, used.bytes);
  EXPECT_EQ(quota().messages, used.messages);
  EXPECT_EQ(body_files(), 1u);

  // The refused key was not recorded: it delivers once there is room.
  m.limits = {used.bytes + body.size(), 2};
  auto ok = store().deliver(m, "Q2/demo");
  ASSERT_TRUE(Ok(ok));
  EXPECT_FALSE(ok->duplicate);
}

TEST_F(StoreTest, EnsureAccountIsIdempotentWithSpecialUse) {
  auto created = store().ensure_account(kDemo);
  ASSERT_TRUE(Ok(created));
  EXPECT_TRUE(*created);
  auto list = store().mailboxes(kDemo);
  ASSERT_TRUE(Ok(list));
  auto again = store().ensure_account(kDemo);
  ASSERT_TRUE(Ok(again));
  EXPECT_FALSE(*again);
  auto list2 = store().mailboxes(kDemo);
  ASSERT_TRUE(Ok(list2));
  ASSERT_EQ(list2->size(), list->size());

  std::vector<std::pair<std::string, SpecialUse>> seen;
  std::set<std::uint32_t> uidvalidities;
  std::set<std::uint64_t> ids;
  for (const auto& mb : *list2) {
    seen.emplace_back(mb.name, mb.special_use);
    uidvalidities.insert(mb.uidvalidity);
    ids.insert(mb.id);
    EXPECT_TRUE(mb.subscribed) << mb.name;
    EXPECT_EQ(mb.uidnext, 1u);
    EXPECT_NE(mb.uidvalidity, 0u);
  }
  const std::vector<std::pair<std::string, SpecialUse>> expected{
      {"Archive", SpecialUse::archive}, {"Drafts", SpecialUse::drafts}, {"INBOX", SpecialUse::none},
      {"Junk", SpecialUse::junk},       {"Sent", SpecialUse::sent},     {"Trash", SpecialUse::trash},
  };
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(uidvalidities.size(), 6u);
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(special_use_name(SpecialUse::junk), "\\Junk");

  // INBOX in any case; other names exactly.
  EXPECT_EQ(mailbox("inbox").name, "INBOX");
  EXPECT_EQ(mailbox("InBoX").id, mailbox("INBOX").id);
  EXPECT_TRUE(Fails(store().mailbox(kDemo, "sent"), Errc::not_found));
  EXPECT_TRUE(Fails(store().create_mailbox(kDemo, "Inbox"), Errc::exists));
  EXPECT_TRUE(Fails(store().create_mailbox(kDemo, "Sent"), Errc::exists));
  EXPECT_TRUE(Ok(store().create_mailbox(kDemo, "sent")));

  // Another account is separate.
  auto other = store().mailboxes("other@example.test");
  ASSERT_TRUE(Ok(other));
  EXPECT_TRUE(other->empty());
  EXPECT_TRUE(Fails(store().messages("other@example.test", mailbox("INBOX").id), Errc::not_found));
}

TEST_F(StoreTest, StoreFlagsBumpsModseq) {
  for (int i = 1; i <= 3; ++i) deliver(i);
  const Mailbox inbox = mailbox("INBOX");

  auto seen = store().store_flags(kDemo, inbox.id, {{1, 2}}, FlagOp::add, {kSeen, {}});
  ASSERT_TRUE(Ok(seen));
  EXPECT_EQ(seen->modseq, inbox.highestmodseq + 1);
  ASSERT_EQ(uids_of(seen->messages), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(seen->messages[0].modseq, seen->modseq);
  Mailbox after = mailbox("INBOX");
  EXPECT_EQ(after.highestmodseq, seen->modseq);
  EXPECT_EQ(after.unseen, 1u);

  // Nothing to change: no write, no new modseq.
  auto same = store().store_flags(kDemo, inbox.id, {{1, 2}}, FlagOp::add, {kSeen, {}});
  ASSERT_TRUE(Ok(same));
  EXPECT_TRUE(same->messages.empty());
  EXPECT_EQ(same->modseq, seen->modseq);
  EXPECT_EQ(mailbox("INBOX").highestmodseq, seen->modseq);

  // Keywords compare without case; "*" covers the rest; UIDs not there are skipped.
  auto kw = store().store_flags(kDemo, inbox.id, {{2, UINT32_MAX}}, FlagOp::add, {kFlagged, {"$Work", "$work"}});
  ASSERT_TRUE(Ok(kw));
  ASSERT_EQ(uids_of(kw->messages), (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(kw->messages[1].flags, (Flags{kFlagged, {"$Work"}}));
  auto removed = store().store_flags(kDemo, inbox.id, {{3, 3}}, FlagOp::remove, {0, {"$WORK"}});
  ASSERT_TRUE(Ok(removed));
  ASSERT_EQ(removed->messages.size(), 1u);
  EXPECT_EQ(removed->messages[0].flags, (Flags{kFlagged, {}}));

  auto replaced = store().store_flags(kDemo, inbox.id, {{1, 1}}, FlagOp::replace, {kAnswered, {"Junk"}});
  ASSERT_TRUE(Ok(replaced));
  const auto list = messages(inbox.id);
  EXPECT_EQ(list[0].flags, (Flags{kAnswered, {"Junk"}}));
  EXPECT_EQ(list[0].modseq, replaced->modseq);
  EXPECT_EQ(list[1].modseq, kw->modseq);
  EXPECT_EQ(list[2].modseq, removed->modseq);
  EXPECT_EQ(mailbox("INBOX").unseen, 2u);  // 1 lost \Seen, 3 never had it

  EXPECT_TRUE(Fails(store().store_flags(kDemo, inbox.id, {{1, 1}}, FlagOp::add, {1u << 9, {}}), Errc::invalid));
  EXPECT_TRUE(Fails(store().store_flags(kDemo, inbox.id, {{1, 1}}, FlagOp::add, {0, {"a b"}}), Errc::invalid));
  EXPECT_TRUE(Fails(store().store_flags(kDemo, inbox.id, {{0, 1}}, FlagOp::add, {kSeen, {}}), Errc::invalid));
  EXPECT_TRUE(Fails(store().store_flags(kDemo, 999, {{1, 1}}, FlagOp::add, {kSeen, {}}), Errc::not_found));
}

TEST_F(StoreTest, ExpungeRecordsVanishedFreesQuotaUnlinksAfterLastCopy) {
  const Placed one = deliver(1);
  const Placed two = deliver(2);
  const Mailbox inbox = mailbox("INBOX");
  const Mailbox archive = mailbox("Archive");
  auto copied = store().copy(kDemo, inbox.id, {{1, 1}}, archive.id);
  ASSERT_TRUE(Ok(copied));
  const std::uint32_t archived_uid = copied->uids.at(0).second;
  const Quota full = quota();
  EXPECT_EQ(full.messages, 3u);

  auto gone = store().expunge(kDemo, inbox.id, {{1, 1}, {7, 9}});
  ASSERT_TRUE(Ok(gone));
  EXPECT_EQ(gone->uids, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(gone->modseq, inbox.highestmodseq + 1);
  EXPECT_TRUE(fs::exists(store().body_path(one.body_id)));  // Archive still has it
  EXPECT_EQ(quota().messages, 2u);
  EXPECT_EQ(quota().bytes, full.bytes - one.size);
  const Mailbox after = mailbox("INBOX");
  EXPECT_EQ(after.messages, 1u);
  EXPECT_EQ(after.unseen, 1u);
  EXPECT_EQ(after.size, two.size);
  EXPECT_EQ(after.highestmodseq, gone->modseq);
  EXPECT_EQ(uids_of(messages(inbox.id)), (std::vector<std::uint32_t>{2}));

  auto snap = store().snapshot();
  ASSERT_TRUE(Ok(snap));
  auto vanished = snap->vanished(kDemo, inbox.id, inbox.highestmodseq);
  ASSERT_TRUE(Ok(vanished));
  EXPECT_EQ(*vanished, (std::vector<std::uint32_t>{1}));
  auto none = snap->vanished(kDemo, inbox.id, gone->modseq);
  ASSERT_TRUE(Ok(none));
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(Ok(store().expunge(kDemo, archive.id, {{archived_uid, archived_uid}})));
  EXPECT_FALSE(fs::exists(store().body_path(one.body_id)));
  EXPECT_TRUE(Fails(store().read_body(one.body_id), Errc::not_found));
  ASSERT_TRUE(Ok(store().expunge(kDemo, inbox.id, {{1, UINT32_MAX}})));
  EXPECT_EQ(quota().bytes, 0u);
  EXPECT_EQ(quota().messages, 0u);
  EXPECT_EQ(body_files(), 0u);
  // UIDs are not reused.
  EXPECT_EQ(deliver(3).uid, 3u);
}

TEST_F(StoreTest, CopySharesBodiesAndMoveKeepsUsage) {
  deliver(1);
  deliver(2);
  ASSERT_TRUE(Ok(store().store_flags(kDemo, mailbox("INBOX").id, {{2, 2}}, FlagOp::add, {kSeen, {"$X"}})));
  const Mailbox inbox = mailbox("INBOX");
  const Mailbox trash = mailbox("Trash");
  const auto originals = messages(inbox.id);

  auto copied = store().copy(kDemo, inbox.id, {{1, 2}}, trash.id);
  ASSERT_TRUE(Ok(copied));
  EXPECT_EQ(copied->uidvalidity, trash.uidvalidity);
  EXPECT_EQ(copied->uids, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 1}, {2, 2}}));
  const auto copies = messages(trash.id);
  ASSERT_EQ(copies.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(copies[i].body_id, originals[i].body_id);
    EXPECT_EQ(copies[i].flags, originals[i].flags);
    EXPECT_EQ(copies[i].internal_date_ms, originals[i].internal_date_ms);
    EXPECT_EQ(copies[i].modseq, copied->modseq);
  }
  EXPECT_EQ(body_files(), 2u);
  EXPECT_EQ(mailbox("Trash").unseen, 1u);
  EXPECT_EQ(mailbox("INBOX").highestmodseq, inbox.highestmodseq);  // the source is untouched
  EXPECT_EQ(quota().messages, 4u);

  // A copy counts against the quota.
  EXPECT_TRUE(Fails(store().copy(kDemo, inbox.id, {{1, 2}}, trash.id, {0, 5}), Errc::limit));
  EXPECT_EQ(mailbox("Trash").messages, 2u);

  // Move: new UIDs in the target, vanished from the source, same usage.
  const Mailbox junk = mailbox("Junk");
  auto moved = store().move(kDemo, inbox.id, {{2, 2}}, junk.id);
  ASSERT_TRUE(Ok(moved));
  EXPECT_EQ(moved->uids, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{2, 1}}));
  EXPECT_EQ(uids_of(messages(inbox.id)), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(messages(junk.id).at(0).body_id, originals[1].body_id);
  EXPECT_EQ(quota().messages, 4u);
  auto vanished = store().snapshot()->vanished(kDemo, inbox.id, inbox.highestmodseq);
  ASSERT_TRUE(Ok(vanished));
  EXPECT_EQ(*vanished, (std::vector<std::uint32_t>{2}));
  // Move within the mailbox itself: a new UID, the old one gone.
  auto inplace = store().move(kDemo, inbox.id, {{1, 1}}, inbox.id);
  ASSERT_TRUE(Ok(inplace));
  EXPECT_EQ(inplace->uids, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 3}}));
  EXPECT_EQ(uids_of(messages(inbox.id)), (std::vector<std::uint32_t>{3}));

  // Copy within the mailbox itself.
  auto self = store().copy(kDemo, inbox.id, {{3, 3}}, inbox.id);
  ASSERT_TRUE(Ok(self));
  EXPECT_EQ(uids_of(messages(inbox.id)), (std::vector<std::uint32_t>{3, 4}));
}

TEST_F(StoreTest, RenameWithChildren) {
  ASSERT_TRUE(Ok(store().ensure_account(kDemo)));
  for (const char* name : {"Work", "Work/A", "Work/A/B", "Workshop"}) {
    ASSERT_TRUE(Ok(store().create_mailbox(kDemo, name))) << name;
  }
  const Mailbox work = mailbox("Work");
  const Mailbox work_a_b = mailbox("Work/A/B");
  deliver(1, {}, "Work/A/B");

  ASSERT_TRUE(Ok(store().rename_mailbox(kDemo, "Work", "Projects/2026")));
  EXPECT_TRUE(Fails(store().mailbox(kDemo, "Work"), Errc::not_found));
  EXPECT_TRUE(Fails(store().mailbox(kDemo, "Work/A"), Errc::not_found));
  EXPECT_EQ(mailbox("Projects/2026").id, work.id);
  EXPECT_EQ(mailbox("Projects/2026").uidvalidity, work.uidvalidity);
  const Mailbox moved = mailbox("Projects/2026/A/B");
  EXPECT_EQ(moved.id, work_a_b.id);
  EXPECT_EQ(moved.messages, 1u);
  EXPECT_TRUE(Ok(store().mailbox(kDemo, "Projects/2026/A")));
  EXPECT_TRUE(Ok(store().mailbox(kDemo, "Workshop")));  // a sibling, not a child

  EXPECT_TRUE(Fails(store().rename_mailbox(kDemo, "Workshop", "Sent"), Errc::exists));
  EXPECT_TRUE(Fails(store().rename_mailbox(kDemo, "Workshop", "Workshop/Inner"), Errc::invalid));
  EXPECT_TRUE(Fails(store().rename_mailbox(kDemo, "Nope", "Other"), Errc::not_found));
  // A child's new name that is taken stops the whole rename.
  ASSERT_TRUE(Ok(store().create_mailbox(kDemo, "Old/A")));
  EXPECT_TRUE(Fails(store().rename_mailbox(kDemo, "Projects/2026", "Old"), Errc::exists));
  EXPECT_TRUE(Ok(store().mailbox(kDemo, "Projects/2026/A/B")));

  // INBOX: its messages move, an empty INBOX with a new UIDVALIDITY stays.
  ASSERT_TRUE(Ok(store().create_mailbox(kDemo, "INBOX/Sub")));
  deliver(2);
  const Mailbox inbox = mailbox("INBOX");
  now_ms_ += 1000;
  ASSERT_TRUE(Ok(store().rename_mailbox(kDemo, "inbox", "Saved")));
  EXPECT_EQ(mailbox("Saved").id, inbox.id);
  EXPECT_EQ(mailbox("Saved").messages, 1u);
  const Mailbox fresh = mailbox("INBOX");
  EXPECT_NE(fresh.id, inbox.id);
  EXPECT_NE(fresh.uidvalidity, inbox.uidvalidity);
  EXPECT_EQ(fresh.messages, 0u);
  EXPECT_TRUE(Ok(store().mailbox(kDemo, "INBOX/Sub")));
  EXPECT_EQ(deliver(3).mailbox_id, fresh.id);
}

TEST_F(StoreTest, DeleteAndSubscribe) {
  ASSERT_TRUE(Ok(store().create_mailbox(kDemo, "Lists")));
  const Placed p = deliver(1, {}, "Lists");
  ASSERT_TRUE(Ok(store().copy(kDemo, p.mailbox_id, {{1, 1}}, mailbox("INBOX").id)));
  EXPECT_FALSE(mailbox("Lists").subscribed);
  ASSERT_TRUE(Ok(store().subscribe(kDemo, "Lists")));
  EXPECT_TRUE(mailbox("Lists").subscribed);
  ASSERT_TRUE(Ok(store().subscribe(kDemo, "Lists", false)));
  EXPECT_FALSE(mailbox("Lists").subscribed);
  // A name without a mailbox can be subscribed; deleting a subscribed
  // mailbox keeps its subscription, and a new mailbox of that name takes it.
  ASSERT_TRUE(Ok(store().subscribe(kDemo, "Nope")));
  ASSERT_TRUE(Ok(store().subscribe(kDemo, "Lists")));

  ASSERT_TRUE(Ok(store().delete_mailbox(kDemo, "Lists")));
  EXPECT_TRUE(Fails(store().mailbox(kDemo, "Lists"), Errc::not_found));
  {
    auto snap = store().snapshot();
    ASSERT_TRUE(Ok(snap));
    auto orphans = snap->orphan_subscriptions(kDemo);
    ASSERT_TRUE(Ok(orphans));
    EXPECT_EQ(*orphans, (std::vector<std::string>{"Lists", "Nope"}));
  }
  ASSERT_TRUE(Ok(store().create_mailbox(kDemo, "Nope")));
  EXPECT_TRUE(mailbox("Nope").subscribed);
  ASSERT_TRUE(Ok(store().subscribe(kDemo, "Lists", false)));
  {
    auto snap = store().snapshot();
    ASSERT_TRUE(Ok(snap));
    EXPECT_TRUE(snap->orphan_subscriptions(kDemo)->empty());
  }
  EXPECT_TRUE(Fails(store().messages(kDemo, p.mailbox_id), Errc::not_found));
  EXPECT_TRUE(fs::exists(store().body_path(p.body_id)));  // INBOX's copy
  EXPECT_EQ(quota().messages, 1u);
  EXPECT_TRUE(Fails(store().delete_mailbox(kDemo, "INBOX"), Errc::invalid));
  EXPECT_TRUE(Fails(store().delete_mailbox(kDemo, "Lists"), Errc::not_found));

  // The same name again is a new mailbox with a new UIDVALIDITY.
  auto again = store().create_mailbox(kDemo, "Lists");
  ASSERT_TRUE(Ok(again));
  EXPECT_NE(again->id, p.mailbox_id);
  EXPECT_NE(again->uidvalidity, p.uidvalidity);
}

TEST_F(StoreTest, RefusesBadInput) {
  ASSERT_TRUE(Ok(store().ensure_account(kDemo)));
  for (const char* bad : {"", "/a", "a/", "a//b", "a*", "50%", "tab\there"}) {
    EXPECT_TRUE(Fails(store().create_mailbox(kDemo, bad), Errc::invalid)) << bad;
  }
  EXPECT_TRUE(Fails(store().create_mailbox(kDemo, std::string("\xff\xfe")), Errc::invalid));
  EXPECT_TRUE(Fails(store().create_mailbox(kDemo, std::string(kMaxMailboxName + 1, 'x')), Errc::invalid));
  EXPECT_TRUE(Ok(store().create_mailbox(kDemo, "Entwürfe/日本")));
  EXPECT_TRUE(Fails(store().ensure_account(""), Errc::invalid));

  const std::string body = "x";
  NewMessage m;
  m.account = std::string(kDemo);
  m.body = body;
  EXPECT_TRUE(Fails(store().deliver(m, ""), Errc::invalid));
  EXPECT_TRUE(Fails(store().deliver(m, std::string(kMaxDedupKey + 1, 'k')), Errc::invalid));
  m.flags.keywords = {"\\Seen"};
  EXPECT_TRUE(Fails(store().deliver(m, "k"), Errc::invalid));
  EXPECT_TRUE(Fails(store().read_body("../../etc/passwd"), Errc::invalid));
  EXPECT_EQ(store().body_path("../x"), "");
  EXPECT_EQ(body_files(), 0u);
}

TEST_F(StoreTest, TwoStoresInOneProcessShareTheEnvironment) {
  auto other = Store::open(index_dir(), options());
  ASSERT_TRUE(Ok(other));
  const Placed p = deliver(1);
  auto seen = other->mailbox(kDemo, "INBOX");
  ASSERT_TRUE(Ok(seen));
  EXPECT_EQ(seen->messages, 1u);
  auto flagged = other->store_flags(kDemo, p.mailbox_id, {{1, 1}}, FlagOp::add, {kSeen, {}});
  ASSERT_TRUE(Ok(flagged));
  EXPECT_EQ(mailbox("INBOX").unseen, 0u);
  EXPECT_EQ(other->bodies_dir(), store().bodies_dir());
}

// Two processes: a forked child opens the store itself (as local-delivery
// would) and delivers while the parent (as imapd) holds a read snapshot.
// The snapshot does not hold the child up, keeps its view, and a new one
// sees the child's write; then the parent writes and the child sees it.
TEST_F(StoreTest, TwoProcessesSeeEachOthersWrites) {
  ASSERT_TRUE(Ok(store().ensure_account(kDemo)));
  auto snap = store().snapshot();
  ASSERT_TRUE(Ok(snap));
  int to_child[2];
  ASSERT_EQ(::pipe(to_child), 0);

  testkit::Process child = testkit::Process::fork([&]() -> int {
    ::close(to_child[1]);
    Options o;
    o.durable = false;
    auto s = Store::open(index_dir(), o);
    if (!s) return 10;
    const std::string body = body_text(1);
    NewMessage m;
    m.account = std::string(kDemo);
    m.body = body;
    auto placed = s->deliver(m, "child/1");
    if (!placed || placed->uid != 1) return 11;
    char go = 0;
    if (::read(to_child[0], &go, 1) != 1) return 12;
    // The parent's flag change is visible here.
    auto list = s->messages(kDemo, placed->mailbox_id);
    if (!list || list->size() != 1 || (list->at(0).flags.system & kFlagged) == 0) return 13;
    return 0;
  });
  ::close(to_child[0]);

  // The child's delivery has committed once its Store answers the parent;
  // wait by polling the index (no sleep: each poll is a fresh snapshot).
  std::uint32_t seen = 0;
  for (int i = 0; i < 2'000'000 && seen == 0; ++i) {
    auto r = store().mailbox(kDemo, "INBOX");
    ASSERT_TRUE(Ok(r));
    seen = r->messages;
  }
  ASSERT_EQ(seen, 1u);
  auto old_view = snap->mailbox(kDemo, "INBOX");
  ASSERT_TRUE(Ok(old_view));
  EXPECT_EQ(old_view->messages, 0u);

  const Mailbox inbox = mailbox("INBOX");
  ASSERT_TRUE(Ok(store().store_flags(kDemo, inbox.id, {{1, 1}}, FlagOp::add, {kFlagged, {}})));
  auto body = store().read_body(messages(inbox.id).at(0).body_id);
  ASSERT_TRUE(Ok(body));
  EXPECT_EQ(*body, body_text(1));
  ASSERT_EQ(::write(to_child[1], "g", 1), 1);
  ::close(to_child[1]);
  EXPECT_EQ(child.wait(), 0);
}

TEST_F(StoreTest, SnapshotDoesNotBlockDeliver) {
  deliver(1);
  auto snap = store().snapshot();
  ASSERT_TRUE(Ok(snap));
  const Placed p = deliver(2);
  EXPECT_EQ(p.uid, 2u);
  auto old_view = snap->mailbox(kDemo, "INBOX");
  ASSERT_TRUE(Ok(old_view));
  EXPECT_EQ(old_view->messages, 1u);
  auto old_list = snap->messages(kDemo, old_view->id);
  ASSERT_TRUE(Ok(old_list));
  EXPECT_EQ(old_list->size(), 1u);
  auto old_quota = snap->quota(kDemo);
  ASSERT_TRUE(Ok(old_quota));
  EXPECT_EQ(old_quota->messages, 1u);
  EXPECT_EQ(mailbox("INBOX").messages, 2u);
}

// The default, durable path: fsync of bodies and directories, synchronous
// commits, each file where the layout says.
TEST_F(StoreTest, DurableStoreWithOwnBodiesDir) {
  Options o;
  o.bodies_dir = dir_.file("elsewhere/bodies");
  auto durable = Store::open(dir_.file("durable/index"), o);
  ASSERT_TRUE(Ok(durable));
  EXPECT_EQ(durable->bodies_dir(), o.bodies_dir);
  const std::string body = body_text(1);
  NewMessage m;
  m.account = std::string(kDemo);
  m.body = body;
  auto placed = durable->deliver(m, "durable/1");
  ASSERT_TRUE(Ok(placed));
  EXPECT_TRUE(fs::exists(o.bodies_dir + "/" + placed->body_id.substr(0, 2) + "/" + placed->body_id));
  EXPECT_TRUE(fs::exists(dir_.file("durable/index/data.mdb")));
  struct stat st{};
  ASSERT_EQ(::stat(dir_.file("durable/index/data.mdb").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  ASSERT_TRUE(Ok(durable->expunge(kDemo, placed->mailbox_id, {{1, 1}})));
  EXPECT_FALSE(fs::exists(durable->body_path(placed->body_id)));
}

TEST_F(StoreTest, SweepRemovesOnlyOrphans) {
  const Placed kept = deliver(1);
  const std::string orphan_id(32, 'a');
  const std::string shard = bodies_dir() + "/aa";
  fs::create_directories(shard);
  std::ofstream(shard + "/" + orphan_id) << "orphan";
  std::ofstream(shard + "/.tmp." + orphan_id) << "half";
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  auto none = store().sweep_bodies(wall - 3'600'000);
  ASSERT_TRUE(Ok(none));
  EXPECT_EQ(*none, 0u);
  auto swept = store().sweep_bodies(wall + 60'000);
  ASSERT_TRUE(Ok(swept));
  EXPECT_EQ(*swept, 2u);
  EXPECT_TRUE(fs::exists(store().body_path(kept.body_id)));
  EXPECT_EQ(body_files(), 1u);
}

TEST_F(StoreTest, AclSetReplaceAndRemoveEntries) {
  ASSERT_TRUE(Ok(store().create_mailbox(kDemo, "Shared")));
  const Mailbox shared = mailbox("Shared");
  EXPECT_TRUE(acl(kDemo, shared.id).empty());

  // Letters in any order, repeated: stored once each, in canonical order.
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "rll")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", "ANYONE", "l")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", "-Authenticated", "w")));
  EXPECT_EQ(acl(kDemo, shared.id), (std::vector<AclEntry>{
                                       {"-authenticated", "w"}, {"anyone", "l"}, {std::string(kOther), "lr"}}));

  // Replace, then add and take away (SETACL "+" and "-").
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "aetxkpiwsrl")));
  EXPECT_EQ(acl(kDemo, shared.id).at(2).rights, kAllRights);
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "lrs")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "+wi")));
  EXPECT_EQ(acl(kDemo, shared.id).at(2).rights, "lrswi");
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "-rsx")));
  EXPECT_EQ(acl(kDemo, shared.id).at(2).rights, "lwi");
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "+")));
  EXPECT_EQ(acl(kDemo, shared.id).at(2).rights, "lwi");
  // A new entry through "+"; an entry emptied through "-" goes.
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kThird, "+l")));
  EXPECT_EQ(acl(kDemo, shared.id).size(), 4u);
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kThird, "-lr")));
  EXPECT_EQ(acl(kDemo, shared.id).size(), 3u);

  // "" removes; removing what is not there changes nothing.
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", "-authenticated", "")));
  EXPECT_EQ(acl(kDemo, shared.id), (std::vector<AclEntry>{{"anyone", "l"}}));
  EXPECT_TRUE(grants(kOther) == (std::vector<std::string>{std::string(kDemo) + ":Shared:l"}));

  // Bad letters (the obsolete "c" and "d" included: imapd maps them),
  // identifiers and owners; unknown mailboxes.
  for (const char* bad : {"lrc", "d", "LR", "l r", "0", "++l", "+-l", "l+"}) {
    EXPECT_TRUE(Fails(store().set_acl(kDemo, "Shared", kOther, bad), Errc::invalid)) << bad;
  }
  for (const char* bad : {"", "-", "--other@example.test", "#public", "-#public", "#team", "tab\there"}) {
    EXPECT_TRUE(Fails(store().set_acl(kDemo, "Shared", bad, "l"), Errc::invalid)) << bad;
  }
  EXPECT_TRUE(Fails(store().set_acl(kDemo, "Shared", std::string(kMaxIdentifier + 1, 'x'), "l"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_acl("#team", "Shared", kOther, "l"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_acl(kDemo, "Sh*", kOther, "l"), Errc::invalid));
  EXPECT_TRUE(Fails(store().set_acl(kDemo, "Nope", kOther, "l"), Errc::not_found));
  EXPECT_TRUE(Fails(store().set_acl(kOther, "Shared", kDemo, "l"), Errc::not_found));
  EXPECT_TRUE(Fails(store().acl(kOther, shared.id), Errc::not_found));
  EXPECT_TRUE(Fails(store().acl(kDemo, 999), Errc::not_found));
  EXPECT_TRUE(Fails(store().rights(kOther, kDemo, 999), Errc::not_found));
  EXPECT_EQ(acl(kDemo, shared.id), (std::vector<AclEntry>{{"anyone", "l"}}));
}

TEST(EffectiveRights, OwnerUserAnyoneAuthenticatedAndNegative) {
  const std::string owner = "demo@example.test";
  const std::string user = "other@example.test";
  const std::string third = "third@example.test";
  // No ACL: nothing for others; everything for the owner.
  EXPECT_EQ(effective_rights({}, user, owner), "");
  EXPECT_EQ(effective_rights({}, owner, owner), kAllRights);

  const std::vector<AclEntry> acl{
      {"-anyone", "t"}, {"-" + user, "r"}, {"anyone", "l"}, {"authenticated", "ts"}, {user, "wr"},
  };
  // The union of user, anyone and authenticated, less the negative ones.
  EXPECT_EQ(effective_rights(acl, user, owner), "lsw");
  EXPECT_EQ(effective_rights(acl, third, owner), "ls");
  // The owner keeps every right, even against negative entries.
  const std::vector<AclEntry> deny_all{{"-anyone", std::string(kAllRights)}, {"-" + owner, "lr"}};
  EXPECT_EQ(effective_rights(deny_all, owner, owner), kAllRights);
  EXPECT_EQ(effective_rights(deny_all, user, owner), "");
  // Canonical order whatever the entries' order; another user's entries do not count.
  EXPECT_EQ(effective_rights({{user, "ea"}, {"anyone", "xl"}, {third, "i"}}, user, owner), "lxea");
  EXPECT_EQ(effective_rights({{user, "ea"}, {"-" + third, "l"}}, user, owner), "ea");
}

TEST_F(StoreTest, GrantedShowsOtherAccountsMailboxes) {
  ASSERT_TRUE(Ok(store().ensure_account(kDemo)));
  ASSERT_TRUE(Ok(store().ensure_account(kOther)));
  for (const char* name : {"Shared", "Team", "Peek", "Private"}) ASSERT_TRUE(Ok(store().create_mailbox(kDemo, name)));
  ASSERT_TRUE(Ok(store().create_mailbox(kOther, "Outbox/Public")));

  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "lrs")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Team", "anyone", "lr")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Team", "-" + std::string(kThird), "l")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Team", kThird, "w")));  // no "l": not listed
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Peek", kOther, "r")));   // no "l": not listed
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Peek", "authenticated", "l")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Private", kDemo, "lr")));  // the owner's own: no grant
  ASSERT_TRUE(Ok(store().set_acl(kOther, "Outbox/Public", "anyone", "lrp")));
  ASSERT_TRUE(Ok(store().set_acl(kOther, "INBOX", kDemo, "lrswite")));

  const std::string demo(kDemo);
  const std::string other(kOther);
  // Sorted by owner, then name; the user's own mailboxes never appear.
  EXPECT_EQ(grants(kOther), (std::vector<std::string>{demo + ":Peek:lr", demo + ":Shared:lrs", demo + ":Team:lr"}));
  EXPECT_EQ(grants(kDemo), (std::vector<std::string>{other + ":INBOX:lrswite", other + ":Outbox/Public:lrp"}));
  EXPECT_EQ(grants(kThird), (std::vector<std::string>{demo + ":Peek:l", other + ":Outbox/Public:lrp"}));
  EXPECT_EQ(grants("nobody@example.test"),
            (std::vector<std::string>{demo + ":Peek:l", demo + ":Team:lr", other + ":Outbox/Public:lrp"}));

  auto snap = store().snapshot();
  ASSERT_TRUE(Ok(snap));
  auto granted = snap->granted(kOther);
  ASSERT_TRUE(Ok(granted));
  ASSERT_EQ(granted->size(), 3u);
  EXPECT_EQ(granted->at(1).owner, demo);
  EXPECT_EQ(granted->at(1).mailbox.id, mailbox("Shared").id);
  EXPECT_EQ(granted->at(1).mailbox.uidvalidity, mailbox("Shared").uidvalidity);
  auto rights = snap->rights(kThird, kDemo, mailbox("Team").id);
  ASSERT_TRUE(Ok(rights));
  EXPECT_EQ(*rights, "rw");
  auto own = snap->rights(kDemo, kDemo, mailbox("Team").id);
  ASSERT_TRUE(Ok(own));
  EXPECT_EQ(*own, kAllRights);

  // Only a user that can log in is asked about.
  for (const char* bad : {"", "anyone", "authenticated", "-other@example.test", "#public"}) {
    EXPECT_TRUE(Fails(store().granted(bad), Errc::invalid)) << bad;
  }
}

TEST_F(StoreTest, AclFollowsRenameAndGoesWithDelete) {
  ASSERT_TRUE(Ok(store().ensure_account(kDemo)));
  ASSERT_TRUE(Ok(store().create_mailbox(kDemo, "Work")));
  ASSERT_TRUE(Ok(store().create_mailbox(kDemo, "Work/A")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Work", kOther, "lr")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Work/A", kOther, "lrw")));
  const Mailbox work = mailbox("Work");
  const Mailbox work_a = mailbox("Work/A");
  const std::string demo(kDemo);

  // A rename keeps each mailbox's ACL (children included): it goes by id.
  ASSERT_TRUE(Ok(store().rename_mailbox(kDemo, "Work", "Projects")));
  EXPECT_EQ(acl(kDemo, work.id), (std::vector<AclEntry>{{std::string(kOther), "lr"}}));
  EXPECT_EQ(acl(kDemo, work_a.id), (std::vector<AclEntry>{{std::string(kOther), "lrw"}}));
  EXPECT_EQ(grants(kOther), (std::vector<std::string>{demo + ":Projects:lr", demo + ":Projects/A:lrw"}));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Projects", kOther, "+s")));
  EXPECT_EQ(acl(kDemo, work.id).at(0).rights, "lrs");

  // A delete drops it (the child keeps its own); the name again starts bare.
  ASSERT_TRUE(Ok(store().delete_mailbox(kDemo, "Projects")));
  EXPECT_TRUE(Fails(store().acl(kDemo, work.id), Errc::not_found));
  EXPECT_EQ(grants(kOther), (std::vector<std::string>{demo + ":Projects/A:lrw"}));
  auto again = store().create_mailbox(kDemo, "Projects");
  ASSERT_TRUE(Ok(again));
  EXPECT_TRUE(acl(kDemo, again->id).empty());

  // INBOX: the ACL goes with the messages to the new name; the new INBOX has none.
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "INBOX", "anyone", "lr")));
  const Mailbox inbox = mailbox("INBOX");
  ASSERT_TRUE(Ok(store().rename_mailbox(kDemo, "INBOX", "Old")));
  EXPECT_EQ(acl(kDemo, inbox.id), (std::vector<AclEntry>{{"anyone", "lr"}}));
  const Mailbox fresh = mailbox("INBOX");
  EXPECT_NE(fresh.id, inbox.id);
  EXPECT_TRUE(acl(kDemo, fresh.id).empty());
  EXPECT_EQ(grants(kThird), (std::vector<std::string>{demo + ":Old:lr"}));
  ASSERT_TRUE(Ok(store().delete_mailbox(kDemo, "Old")));
  ASSERT_TRUE(Ok(store().delete_mailbox(kDemo, "Projects/A")));
  EXPECT_TRUE(grants(kOther).empty());
  EXPECT_TRUE(grants(kThird).empty());
  // Nothing is left behind: neither entries nor their index.
  reopen_after([](MDB_txn* txn) {
    for (const char* name : {"acl", "acl_grantees"}) {
      MDB_dbi dbi = 0;
      ASSERT_EQ(mdb_dbi_open(txn, name, 0, &dbi), 0);
      MDB_stat st{};
      ASSERT_EQ(mdb_stat(txn, dbi, &st), 0);
      EXPECT_EQ(st.ms_entries, 0u) << name;
    }
  });
}

TEST_F(StoreTest, PublicAccountHoldsPublicMailboxes) {
  auto created = store().ensure_account(kPublicAccount);
  ASSERT_TRUE(Ok(created));
  EXPECT_TRUE(*created);
  auto list = store().mailboxes(kPublicAccount);
  ASSERT_TRUE(Ok(list));
  EXPECT_TRUE(list->empty());  // no INBOX, no special-use folders

  auto news = store().create_mailbox(kPublicAccount, "News");
  ASSERT_TRUE(Ok(news));
  ASSERT_TRUE(Ok(store().create_mailbox(kPublicAccount, "News/Archive")));
  EXPECT_TRUE(Fails(store().create_mailbox(kPublicAccount, "inbox"), Errc::invalid));
  EXPECT_TRUE(Fails(store().rename_mailbox(kPublicAccount, "News/Archive", "INBOX"), Errc::invalid));
  EXPECT_TRUE(Fails(store().rename_mailbox(kPublicAccount, "INBOX", "Old"), Errc::not_found));
  ASSERT_TRUE(Ok(store().set_acl(kPublicAccount, "News", "anyone", "lrs")));
  ASSERT_TRUE(Ok(store().set_acl(kPublicAccount, "News", kDemo, "lrswipkxtea")));

  // A message appended there counts against "#public", not the appender.
  const std::string body = body_text(1);
  NewMessage m;
  m.account = std::string(kPublicAccount);
  m.mailbox = "News";
  m.body = body;
  ASSERT_TRUE(Ok(store().append(m)));
  m.mailbox = "INBOX";
  m.create_mailbox = true;
  EXPECT_TRUE(Fails(store().append(m), Errc::invalid));
  auto used = store().quota(kPublicAccount);
  ASSERT_TRUE(Ok(used));
  EXPECT_EQ(used->messages, 1u);
  EXPECT_EQ(used->bytes, body.size());
  EXPECT_EQ(quota().messages, 0u);

  const std::string pub(kPublicAccount);
  EXPECT_EQ(grants(kOther), (std::vector<std::string>{pub + ":News:lrs"}));
  EXPECT_EQ(grants(kDemo), (std::vector<std::string>{pub + ":News:" + std::string(kAllRights)}));

  // "#public" is the one "#" account; the ACL's special names are no account.
  for (const char* bad : {"#Public", "#shared", "#", "anyone", "Authenticated"}) {
    EXPECT_TRUE(Fails(store().ensure_account(bad), Errc::invalid)) << bad;
  }
  // Rights are not checked here (imapd does): the owner's operations work.
  ASSERT_TRUE(Ok(store().delete_mailbox(kPublicAccount, "News")));
  EXPECT_TRUE(grants(kOther).empty());
}

// A store written before ACLs existed has no "acl" databases: opening it
// creates them and everything else reads as before. A mailbox deleted by a
// writer that knows nothing of ACLs leaves index entries that are skipped.
TEST_F(StoreTest, OpensStoreWrittenBeforeAcls) {
  const Placed p = deliver(1);
  ASSERT_TRUE(Ok(store().create_mailbox(kDemo, "Shared")));
  reopen_after([](MDB_txn* txn) {
    for (const char* name : {"acl", "acl_grantees"}) {
      MDB_dbi dbi = 0;
      ASSERT_EQ(mdb_dbi_open(txn, name, 0, &dbi), 0);
      ASSERT_EQ(mdb_drop(txn, dbi, 1), 0);
    }
    MDB_dbi dbi = 0;
    ASSERT_EQ(mdb_dbi_open(txn, "acl", 0, &dbi), MDB_NOTFOUND);
  });
  EXPECT_EQ(uids_of(messages(p.mailbox_id)), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(quota().messages, 1u);
  EXPECT_TRUE(acl(kDemo, mailbox("Shared").id).empty());
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "Shared", kOther, "lr")));
  ASSERT_TRUE(Ok(store().set_acl(kDemo, "INBOX", kOther, "lr")));
  EXPECT_EQ(grants(kOther).size(), 2u);

  // An older writer's delete: the name and mailbox records go, the ACL stays.
  const std::uint64_t shared_id = mailbox("Shared").id;
  reopen_after([&](MDB_txn* txn) {
    MDB_dbi names = 0;
    MDB_dbi mailboxes = 0;
    ASSERT_EQ(mdb_dbi_open(txn, "names", 0, &names), 0);
    ASSERT_EQ(mdb_dbi_open(txn, "mailboxes", 0, &mailboxes), 0);
    std::string name_key = std::string(kDemo) + '\0' + "Shared";
    std::string id_key(8, '\0');
    for (int i = 0; i < 8; ++i) id_key[static_cast<std::size_t>(i)] = static_cast<char>(shared_id >> (56 - 8 * i));
    MDB_val k{name_key.size(), name_key.data()};
    ASSERT_EQ(mdb_del(txn, names, &k, nullptr), 0);
    MDB_val id{id_key.size(), id_key.data()};
    ASSERT_EQ(mdb_del(txn, mailboxes, &id, nullptr), 0);
  });
  EXPECT_EQ(grants(kOther), (std::vector<std::string>{std::string(kDemo) + ":INBOX:lr"}));
}

}  // namespace
}  // namespace parley::store
