// store::Store: delivery and read-back, UIDs, dedup, quota, default
// mailboxes, flags and modseq, expunge with vanished UIDs and body
// reference counts, copy and move, rename with children, delete, two
// openers (one process and two), snapshots beside writers, bad input.
// Each test opens a store in a fresh temp directory, not durable (no
// fsync), on an injected clock.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

namespace parley::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDemo = "demo@example.test";

template <class T>
::testing::AssertionResult Ok(const Result<T>& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << errc_name(r.code()) << ": " << r.error().detail;
}

template <class T>
::testing::AssertionResult Fails(const Result<T>& r, Errc code) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded, expected " << errc_name(code);
  if (r.code() != code) {
    return ::testing::AssertionFailure() << "got " << errc_name(r.code()) << " (" << r.error().detail
                                         << "), expected " << errc_name(code);
  }
  return ::testing::AssertionSuccess();
}

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
    std::string tmpl = (fs::temp_directory_path() / "parley-store-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto opened = Store::open(index_dir(), options());
    ASSERT_TRUE(Ok(opened));
    store_.emplace(std::move(opened.value()));
  }

  void TearDown() override {
    store_.reset();
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  std::string index_dir() const { return dir_ + "/store/index"; }
  std::string bodies_dir() const { return dir_ + "/store/bodies"; }

  Options options() {
    Options o;
    o.durable = false;
    o.clock = [this] { return now_ms_; };
    return o;
  }

  Store& store() { return *store_; }

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

  std::string dir_;
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
  EXPECT_TRUE(Fails(store().move(kDemo, inbox.id, {{1, 1}}, inbox.id), Errc::invalid));

  // Copy within the mailbox itself.
  auto self = store().copy(kDemo, inbox.id, {{1, 1}}, inbox.id);
  ASSERT_TRUE(Ok(self));
  EXPECT_EQ(uids_of(messages(inbox.id)), (std::vector<std::uint32_t>{1, 3}));
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
  EXPECT_TRUE(Fails(store().subscribe(kDemo, "Nope"), Errc::not_found));

  ASSERT_TRUE(Ok(store().delete_mailbox(kDemo, "Lists")));
  EXPECT_TRUE(Fails(store().mailbox(kDemo, "Lists"), Errc::not_found));
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

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(to_child[1]);
    auto code = [&]() -> int {
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
    }();
    ::_exit(code);
  }
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
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
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
  o.bodies_dir = dir_ + "/elsewhere/bodies";
  auto durable = Store::open(dir_ + "/durable/index", o);
  ASSERT_TRUE(Ok(durable));
  EXPECT_EQ(durable->bodies_dir(), o.bodies_dir);
  const std::string body = body_text(1);
  NewMessage m;
  m.account = std::string(kDemo);
  m.body = body;
  auto placed = durable->deliver(m, "durable/1");
  ASSERT_TRUE(Ok(placed));
  EXPECT_TRUE(fs::exists(o.bodies_dir + "/" + placed->body_id.substr(0, 2) + "/" + placed->body_id));
  EXPECT_TRUE(fs::exists(dir_ + "/durable/index/data.mdb"));
  struct stat st{};
  ASSERT_EQ(::stat((dir_ + "/durable/index/data.mdb").c_str(), &st), 0);
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

}  // namespace
}  // namespace parley::store
