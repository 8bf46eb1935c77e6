// queue::Queue: queue ids (format, uniqueness), a batch added and read back
// (entry, body, "seen"), update, remove (entry and body file), scan order,
// prune_seen, sweep_orphans (orphan bodies and leftover ".tmp" files by
// age, bodies with an entry kept), and a second Queue on the same
// directory. Each test uses a fresh temp directory, not durable (no fsync).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "queue/queue.h"
#include "tests/support/result_assert.h"
#include "tests/support/temp_dir.h"

namespace parley::queue {
namespace {

using testkit::Fails;
using testkit::Ok;

namespace fs = std::filesystem;

// Fixed, valid ids whose last two digits (the spool shard) differ.
constexpr std::string_view kId1 = "65a0000000000000aa01";
constexpr std::string_view kId2 = "65a0000000000000bb02";
constexpr std::string_view kId3 = "65a0000000000000cc03";
constexpr std::string_view kUnknown = "65a0000000000000dd04";
const std::string kBinary("bin\0ary\r\n\xff\x00", 11);  // NULs and a high byte

schema::QueueEntry make_entry(std::string_view id, std::vector<std::string> rcpts) {
  schema::QueueEntry e;
  auto* env = e.mutable_envelope();
  env->set_message_id(std::string(id));
  env->set_return_path("sender@example.org");
  for (auto& r : rcpts) env->add_recipients()->set_address(std::move(r));
  e.set_created_unix_ms(1700000000000);
  return e;
}

NewMessage make_message(std::string_view id, std::string body) {
  return NewMessage{make_entry(id, {"a@example.com", "b@example.net"}), std::move(body)};
}

std::vector<std::string> scan_ids(const Queue& q) {
  std::vector<std::string> ids;
  auto s = q.scan([&ids](const schema::QueueEntry& e) {
    ids.push_back(e.envelope().message_id());
    return true;
  });
  EXPECT_TRUE(Ok(s));
  return ids;
}

void write_file(const std::string& path, std::string_view content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
  ASSERT_TRUE(fs::exists(path)) << path;
}

// Sets a file's mtime (and atime) to `age` ago.
void age_file(const std::string& path, std::chrono::seconds age) {
  struct timespec times[2];
  times[0].tv_sec = std::time(nullptr) - static_cast<std::time_t>(age.count());
  times[0].tv_nsec = 0;
  times[1] = times[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

class QueueTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void TearDown() override { q_.reset(); }

  void reopen() {
    q_.reset();
    auto opened = Queue::open(dir_.path(), Queue::Options{.durable = false});
    ASSERT_TRUE(Ok(opened));
    q_ = std::move(opened.value());
  }

  void add_three() {
    std::vector<NewMessage> batch;
    batch.push_back(make_message(kId1, "Subject: one\r\n\r\nfirst\r\n"));
    batch.push_back(make_message(kId2, kBinary));
    batch.push_back(make_message(kId3, ""));
    ASSERT_TRUE(Ok(q_->add(batch)));
  }

  testkit::TempDir dir_{"parley-queue-test"};
  std::unique_ptr<Queue> q_;
};

TEST(QueueId, Valid) {
  struct Case {
    std::string_view id;
    bool valid;
  };
  const Case cases[] = {
      {"0123456789abcdef0123", true},
      {"65a0000000000000aa01", true},
      {"ffffffffffffffffffff", true},
      {"0123456789ABCDEF0123", false},   // uppercase
      {"0123456789abcdef012", false},    // 19
      {"0123456789abcdef01234", false},  // 21
      {"0123456789abcdef012g", false},   // not hex
      {"0123456789abcdef012/", false},
      {"../../../../etc/pass", false},
      {std::string_view("0123456789abcdef012\0", 20), false},  // NUL inside
      {"", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.id));
    EXPECT_EQ(valid_id(c.id), c.valid);
  }
  // The NUL case above must really be 20 bytes long to mean anything.
  EXPECT_EQ(cases[9].id.size(), 20u);
}

TEST(QueueId, NewIdsAreValidUniqueAndStartWithTheTime) {
  const auto before = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    std::string id = new_id();
    ASSERT_TRUE(valid_id(id)) << id;
    ids.insert(std::move(id));
  }
  const auto after = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_EQ(ids.size(), 10000u);
  for (const auto& id : ids) {
    const long long secs = std::strtoll(id.substr(0, 8).c_str(), nullptr, 16);
    ASSERT_GE(secs, before & 0xffffffffLL) << id;
    ASSERT_LE(secs, after & 0xffffffffLL) << id;
  }
}

TEST_F(QueueTest, AddBatchThenGetBodySeen) {
  EXPECT_FALSE(q_->seen(kId1));
  add_three();

  for (auto id : {kId1, kId2, kId3}) {
    SCOPED_TRACE(std::string(id));
    auto e = q_->get(id);
    ASSERT_TRUE(Ok(e));
    EXPECT_EQ(e->SerializeAsString(), make_entry(id, {"a@example.com", "b@example.net"}).SerializeAsString());
    EXPECT_TRUE(q_->seen(id));
    // The body sits in spool/<last two digits>/<id>, no temporary left.
    const std::string path = q_->body_path(id);
    EXPECT_EQ(path, dir_.path() + "/spool/" + std::string(id.substr(18)) + "/" + std::string(id));
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".tmp"));
  }
  auto b1 = q_->body(kId1);
  ASSERT_TRUE(Ok(b1));
  EXPECT_EQ(*b1, "Subject: one\r\n\r\nfirst\r\n");
  auto b2 = q_->body(kId2);
  ASSERT_TRUE(Ok(b2));
  EXPECT_EQ(*b2, kBinary);
  auto b3 = q_->body(kId3);
  ASSERT_TRUE(Ok(b3));
  EXPECT_EQ(*b3, "");

  EXPECT_FALSE(q_->seen(kUnknown));
  EXPECT_TRUE(Fails(q_->get(kUnknown), Errc::not_found));
  EXPECT_TRUE(Fails(q_->body(kUnknown), Errc::not_found));
}

TEST_F(QueueTest, LargeBody) {
  std::string big;
  for (int i = 0; big.size() < 3 * 1024 * 1024; ++i) big += "line " + std::to_string(i) + "\r\n";
  std::vector<NewMessage> batch;
  batch.push_back(make_message(kId1, big));
  ASSERT_TRUE(Ok(q_->add(batch)));
  auto b = q_->body(kId1);
  ASSERT_TRUE(Ok(b));
  EXPECT_TRUE(*b == big) << "body of " << b->size() << " bytes differs from " << big.size();
}

TEST_F(QueueTest, UpdateChangesStateOfAnExistingEntryOnly) {
  add_three();
  auto e = q_->get(kId2);
  ASSERT_TRUE(Ok(e));
  schema::QueueEntry changed = *e;
  auto* r = changed.mutable_envelope()->mutable_recipients(1);
  r->set_state(schema::RCPT_DEFERRED);
  r->set_attempts(3);
  r->set_last_reply("451 4.3.0 try later");
  changed.set_hold(true);
  ASSERT_TRUE(Ok(q_->update(changed)));

  auto got = q_->get(kId2);
  ASSERT_TRUE(Ok(got));
  EXPECT_EQ(got->SerializeAsString(), changed.SerializeAsString());
  EXPECT_EQ(got->envelope().recipients(1).state(), schema::RCPT_DEFERRED);
  EXPECT_TRUE(got->hold());
  // The others are untouched, and so is the body.
  auto other = q_->get(kId1);
  ASSERT_TRUE(Ok(other));
  EXPECT_FALSE(other->hold());
  auto b = q_->body(kId2);
  ASSERT_TRUE(Ok(b));
  EXPECT_EQ(*b, kBinary);

  // An unknown id is not_found and is not created.
  EXPECT_TRUE(Fails(q_->update(make_entry(kUnknown, {"x@example.com"})), Errc::not_found));
  EXPECT_TRUE(Fails(q_->get(kUnknown), Errc::not_found));
  EXPECT_FALSE(q_->seen(kUnknown));
  EXPECT_EQ(scan_ids(*q_), (std::vector<std::string>{std::string(kId1), std::string(kId2), std::string(kId3)}));
}

TEST_F(QueueTest, RemoveDeletesEntryAndBody) {
  add_three();
  const std::string path = q_->body_path(kId2);
  ASSERT_TRUE(fs::exists(path));
  ASSERT_TRUE(Ok(q_->remove(kId2)));

  EXPECT_TRUE(Fails(q_->get(kId2), Errc::not_found));
  EXPECT_TRUE(Fails(q_->body(kId2), Errc::not_found));
  EXPECT_FALSE(fs::exists(path));
  // The "seen" mark stays: a late retry of the same message is a repeat.
  EXPECT_TRUE(q_->seen(kId2));
  // The others are still there.
  EXPECT_EQ(scan_ids(*q_), (std::vector<std::string>{std::string(kId1), std::string(kId3)}));
  auto b = q_->body(kId1);
  ASSERT_TRUE(Ok(b));
  EXPECT_EQ(*b, "Subject: one\r\n\r\nfirst\r\n");
}

TEST_F(QueueTest, RemoveWithTheBodyAlreadyGone) {
  add_three();
  ASSERT_TRUE(fs::remove(q_->body_path(kId1)));
  EXPECT_TRUE(Ok(q_->remove(kId1)));
  EXPECT_TRUE(Fails(q_->get(kId1), Errc::not_found));
}

TEST_F(QueueTest, ScanIsInIdOrderAndStops) {
  // Added out of order, in three batches.
  for (auto id : {kId3, kId1, kId2}) {
    std::vector<NewMessage> batch;
    batch.push_back(make_message(id, "body " + std::string(id)));
    ASSERT_TRUE(Ok(q_->add(batch)));
  }
  EXPECT_EQ(scan_ids(*q_), (std::vector<std::string>{std::string(kId1), std::string(kId2), std::string(kId3)}));

  std::vector<std::string> first_two;
  auto s = q_->scan([&first_two](const schema::QueueEntry& e) {
    first_two.push_back(e.envelope().message_id());
    return first_two.size() < 2;
  });
  ASSERT_TRUE(Ok(s));
  EXPECT_EQ(first_two, (std::vector<std::string>{std::string(kId1), std::string(kId2)}));
}

TEST_F(QueueTest, ScanOfAnEmptyQueue) { EXPECT_TRUE(scan_ids(*q_).empty()); }

TEST_F(QueueTest, PruneSeenByAge) {
  add_three();
  // Nothing is an hour old.
  auto none = q_->prune_seen(std::chrono::hours(1));
  ASSERT_TRUE(Ok(none));
  EXPECT_EQ(*none, 0u);
  for (auto id : {kId1, kId2, kId3}) EXPECT_TRUE(q_->seen(id));

  // prune_seen reads the system clock and removes marks strictly older than
  // the age: let the clock move past the millisecond of the add (a spin of
  // at most about a millisecond, no sleep).
  const auto added = std::chrono::system_clock::now();
  while (std::chrono::system_clock::now() - added < std::chrono::milliseconds(2)) {
  }
  auto all = q_->prune_seen(std::chrono::milliseconds(0));
  ASSERT_TRUE(Ok(all));
  EXPECT_EQ(*all, 3u);
  for (auto id : {kId1, kId2, kId3}) EXPECT_FALSE(q_->seen(id));
  // Only the marks: the entries and bodies stay.
  EXPECT_EQ(scan_ids(*q_).size(), 3u);
  EXPECT_TRUE(Ok(q_->body(kId1)));

  auto again = q_->prune_seen(std::chrono::milliseconds(0));
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(*again, 0u);
}

TEST_F(QueueTest, SweepOrphansByAgeKeepsBodiesWithAnEntry) {
  add_three();
  const std::string kept = q_->body_path(kId1);  // has an entry
  const std::string old_orphan = q_->body_path(kUnknown);
  const std::string old_tmp = q_->body_path("65a0000000000000ee05") + ".tmp";
  const std::string old_tmp_of_entry = q_->body_path(kId2) + ".tmp";  // never a live body
  const std::string new_orphan = q_->body_path("65a0000000000000ff06");
  const std::string new_tmp = q_->body_path("65a00000000000000007") + ".tmp";
  write_file(old_orphan, "orphan");
  write_file(old_tmp, "half written");
  write_file(old_tmp_of_entry, "half written");
  write_file(new_orphan, "orphan");
  write_file(new_tmp, "half written");
  for (const auto& p : {kept, q_->body_path(kId2), q_->body_path(kId3), old_orphan, old_tmp, old_tmp_of_entry}) {
    age_file(p, std::chrono::hours(2));
  }

  EXPECT_EQ(q_->sweep_orphans(std::chrono::hours(1)), 3u);
  EXPECT_FALSE(fs::exists(old_orphan));
  EXPECT_FALSE(fs::exists(old_tmp));
  EXPECT_FALSE(fs::exists(old_tmp_of_entry));
  EXPECT_TRUE(fs::exists(new_orphan));
  EXPECT_TRUE(fs::exists(new_tmp));
  for (auto id : {kId1, kId2, kId3}) {
    SCOPED_TRACE(std::string(id));
    EXPECT_TRUE(fs::exists(q_->body_path(id)));
    EXPECT_TRUE(Ok(q_->body(id)));
  }

  // With no age everything without an entry goes, still not the bodies.
  EXPECT_EQ(q_->sweep_orphans(std::chrono::seconds(0)), 2u);
  EXPECT_FALSE(fs::exists(new_orphan));
  EXPECT_FALSE(fs::exists(new_tmp));
  for (auto id : {kId1, kId2, kId3}) EXPECT_TRUE(fs::exists(q_->body_path(id)));
  EXPECT_EQ(q_->sweep_orphans(std::chrono::seconds(0)), 0u);
}

TEST_F(QueueTest, SweepOrphansOfAnEmptySpool) { EXPECT_EQ(q_->sweep_orphans(std::chrono::seconds(0)), 0u); }

TEST_F(QueueTest, ASecondQueueSeesTheEntries) {
  add_three();
  auto e = q_->get(kId3);
  ASSERT_TRUE(Ok(e));
  e->set_hold(true);
  ASSERT_TRUE(Ok(q_->update(*e)));
  ASSERT_TRUE(Ok(q_->remove(kId1)));

  reopen();
  ASSERT_NE(q_, nullptr);
  EXPECT_EQ(scan_ids(*q_), (std::vector<std::string>{std::string(kId2), std::string(kId3)}));
  auto got = q_->get(kId3);
  ASSERT_TRUE(Ok(got));
  EXPECT_TRUE(got->hold());
  auto b = q_->body(kId2);
  ASSERT_TRUE(Ok(b));
  EXPECT_EQ(*b, kBinary);
  for (auto id : {kId1, kId2, kId3}) EXPECT_TRUE(q_->seen(id));
  EXPECT_TRUE(Fails(q_->get(kId1), Errc::not_found));

  // The reopened queue writes too.
  std::vector<NewMessage> batch;
  batch.push_back(make_message(kUnknown, "late"));
  ASSERT_TRUE(Ok(q_->add(batch)));
  EXPECT_EQ(scan_ids(*q_).size(), 3u);
}

}  // namespace
}  // namespace parley::queue
