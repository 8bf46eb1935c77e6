// local-delivery's mailbox counts: mailbox_status() against a store (bad
// requests refused, unknown accounts and mailboxes at zero, counts after
// deliveries, flag changes and expunges), and the running service over
// ipc: a delivery's "mailbox changed" event carries the counts, and the
// "status" endpoint answers them, refusing a malformed request and still
// answering the next.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipc/contracts/events.h"
#include "ipc/contracts/local_delivery.h"
#include "ipc/ipc.h"
#include "procs/local-delivery/delivery.h"
#include "procs/local-delivery/settings.h"
#include "procs/local-delivery/status.h"
#include "store/store.h"
#include "tests/support/result_assert.h"
#include "tests/support/run.h"
#include "tests/support/session_rig.h"
#include "tests/support/temp_dir.h"

namespace parley::local {
namespace {

using namespace std::chrono_literals;
using testkit::Fails;
using testkit::Ok;

constexpr std::string_view kDemo = "demo@example.test";

schema::MailboxStatusRequest request(std::string account, std::string mailbox = {}) {
  schema::MailboxStatusRequest r;
  r.set_account(std::move(account));
  r.set_mailbox(std::move(mailbox));
  r.set_sid("sip-test");
  return r;
}

class StatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::Options options;
    options.durable = false;
    options.map_size = std::size_t{1} << 28;
    auto opened = store::Store::open(dir_.file("store/index"), options);
    ASSERT_TRUE(Ok(opened));
    store_.emplace(std::move(opened.value()));
  }

  store::Placed deliver(int n) {
    body_ = "Subject: " + std::to_string(n) + "\r\n\r\nhello\r\n";
    store::NewMessage m;
    m.account = std::string(kDemo);
    m.body = body_;
    auto placed = store_->deliver(m, "queue-" + std::to_string(n));
    EXPECT_TRUE(Ok(placed));
    return placed.ok() ? placed.value() : store::Placed{};
  }

  // (messages, unseen) as the handler answers them.
  std::pair<std::uint32_t, std::uint32_t> counts(std::string account, std::string mailbox = {}) {
    auto reply = mailbox_status(*store_, request(std::move(account), std::move(mailbox)));
    EXPECT_TRUE(Ok(reply));
    if (!reply) return {UINT32_MAX, UINT32_MAX};
    return {reply->messages(), reply->unseen()};
  }

  testkit::TempDir dir_{"parley-local-status-test"};
  std::optional<store::Store> store_;
  std::string body_;
};

TEST_F(StatusTest, MalformedRequestsAreRefused) {
  deliver(1);
  const std::string long_account = std::string(store::kMaxAccount, 'a') + "@example.test";
  const std::string long_mailbox(store::kMaxMailboxName + 1, 'm');
  const struct {
    const char* what;
    std::string account;
    std::string mailbox;
  } cases[] = {
      {"empty account", "", ""},
      {"no domain", "demo", ""},
      {"nothing before @", "@example.test", ""},
      {"nothing after @", "demo@", ""},
      {"the public namespace", "#public", ""},
      {"an ACL identifier", "anyone", ""},
      {"account too long", long_account, ""},
      {"line break in account", "demo\r\n@example.test", ""},
      {"NUL in account", std::string("demo\0@example.test", 18), ""},
      {"not UTF-8", "d\xff" "emo@example.test", ""},
      {"mailbox too long", std::string(kDemo), long_mailbox},
      {"control character in mailbox", std::string(kDemo), "IN\x01" "BOX"},
  };
  for (const auto& c : cases) {
    auto reply = mailbox_status(*store_, request(c.account, c.mailbox));
    EXPECT_TRUE(Fails(reply, Errc::invalid)) << c.what;
  }
  // Nothing above disturbed the store or the next request.
  EXPECT_EQ(counts(std::string(kDemo)), std::make_pair(1u, 1u));
}

TEST_F(StatusTest, UnknownAccountOrMailboxHasNothingWaiting) {
  EXPECT_EQ(counts("nobody@example.test"), std::make_pair(0u, 0u));
  deliver(1);
  EXPECT_EQ(counts(std::string(kDemo), "No such folder"), std::make_pair(0u, 0u));
  EXPECT_EQ(counts(std::string(kDemo), "Sent"), std::make_pair(0u, 0u));  // created empty on first delivery
  EXPECT_EQ(counts("other@example.test"), std::make_pair(0u, 0u));
}

TEST_F(StatusTest, CountsFollowDeliveriesFlagsAndExpunges) {
  const store::Placed first = deliver(1);
  deliver(2);
  deliver(3);
  EXPECT_EQ(counts(std::string(kDemo)), std::make_pair(3u, 3u));
  EXPECT_EQ(counts(std::string(kDemo), "INBOX"), std::make_pair(3u, 3u));
  EXPECT_EQ(counts(std::string(kDemo), "inbox"), std::make_pair(3u, 3u));  // INBOX in any case (RFC 9051 5.1)

  store::Flags seen;
  seen.system = store::kSeen;
  ASSERT_TRUE(Ok(store_->store_flags(kDemo, first.mailbox_id, {{1, 2}}, store::FlagOp::add, seen)));
  EXPECT_EQ(counts(std::string(kDemo)), std::make_pair(3u, 1u));
  // Another flag leaves the unseen count alone.
  store::Flags flagged;
  flagged.system = store::kFlagged;
  ASSERT_TRUE(Ok(store_->store_flags(kDemo, first.mailbox_id, {{3, 3}}, store::FlagOp::add, flagged)));
  EXPECT_EQ(counts(std::string(kDemo)), std::make_pair(3u, 1u));
  ASSERT_TRUE(Ok(store_->store_flags(kDemo, first.mailbox_id, {{2, 2}}, store::FlagOp::remove, seen)));
  EXPECT_EQ(counts(std::string(kDemo)), std::make_pair(3u, 2u));
  // Expunging an unseen message and a seen one.
  ASSERT_TRUE(Ok(store_->expunge(kDemo, first.mailbox_id, {{1, 2}})));
  EXPECT_EQ(counts(std::string(kDemo)), std::make_pair(1u, 1u));

  auto by_id = mailbox_counts(*store_, kDemo, first.mailbox_id);
  ASSERT_TRUE(Ok(by_id));
  EXPECT_EQ(by_id->messages(), 1u);
  EXPECT_EQ(by_id->unseen(), 1u);
  // Another account's mailbox id is no mailbox of this one.
  auto foreign = mailbox_counts(*store_, "other@example.test", first.mailbox_id);
  ASSERT_TRUE(Ok(foreign));
  EXPECT_EQ(foreign->messages(), 0u);
}

// The process's service on the rig's context: real ipc endpoints in a temp
// directory, the fake directory resolving example.test's accounts.
class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testkit::quiet_logs("local-delivery");
    ctx_ = std::make_unique<testkit::RigContext>(io_, "local-delivery",
                                                 testkit::rig_config(dir_.path(), settings_section()), dir_.path());
    backends_ = std::make_unique<testkit::FakeBackends>(io_, *ctx_);
    std::filesystem::create_directories(ctx_->shared_dir("store") + "/index");
    auto started = start(*ctx_);
    ASSERT_TRUE(Ok(started));
    service_ = std::move(started.value());
  }

  void TearDown() override {
    service_.reset();
    backends_.reset();
  }

  awaitable<Result<schema::LocalDeliverReply>> deliver(ipc::Client& local, int n) {
    schema::LocalDeliverRequest req;
    req.set_queue_id("Q" + std::to_string(n));
    req.set_sid("test-" + std::to_string(n));
    req.set_return_path("sender@example.org");
    req.set_body("Subject: " + std::to_string(n) + "\r\n\r\nhello\r\n");
    req.add_recipients()->set_account(std::string(kDemo));
    co_return co_await local.call(contracts::kLocalDeliver, req);
  }

  asio::io_context io_;
  testkit::TempDir dir_{"parley-local-service-test"};
  std::unique_ptr<testkit::RigContext> ctx_;
  std::unique_ptr<testkit::FakeBackends> backends_;
  std::unique_ptr<daemon::Service> service_;
};

TEST_F(ServiceTest, EventsCarryCountsAndStatusAnswersThem) {
  std::vector<schema::MailboxEvent> events;
  ipc::Subscriber subscriber(io_, ctx_->endpoint("events"));
  subscriber.subscribe(contracts::kMailboxChanged, [&](std::string_view key, schema::MailboxEvent event) {
    EXPECT_EQ(key, event.account());
    events.push_back(std::move(event));
  });
  ASSERT_TRUE(Ok(subscriber.start()));
  ipc::Client local(io_, ctx_->endpoint("local"));
  ipc::Client status(io_, ctx_->endpoint("status"));

  int delivered = testkit::run(io_, [&]() -> awaitable<int> {
    // A subscription reaches the publisher some time after connecting, and
    // events before it are dropped (they are hints): deliver until one is
    // heard; a retry loop on a timer, not a wait for time to pass.
    asio::steady_timer tick(co_await asio::this_coro::executor);
    int n = 0;
    while (events.empty() && n < 200) {
      auto reply = co_await deliver(local, ++n);
      EXPECT_TRUE(Ok(reply));
      tick.expires_after(10ms);
      boost::system::error_code ec;
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return n;
  }());
  ASSERT_FALSE(events.empty());
  // Each delivery adds one unseen message: the event's counts are its UID's.
  const schema::MailboxEvent& first = events.front();
  EXPECT_EQ(first.account(), kDemo);
  EXPECT_EQ(first.mailbox(), "INBOX");
  EXPECT_GT(first.uid(), 0u);
  EXPECT_EQ(first.messages(), first.uid());
  EXPECT_EQ(first.unseen(), first.uid());

  auto answer = testkit::run(io_, status.call(contracts::kMailboxStatus, request(std::string(kDemo), "INBOX")));
  ASSERT_TRUE(Ok(answer));
  EXPECT_EQ(answer->messages(), static_cast<std::uint32_t>(delivered));
  EXPECT_EQ(answer->unseen(), static_cast<std::uint32_t>(delivered));

  // A malformed request is refused; the service answers the next one.
  auto refused = testkit::run(io_, status.call(contracts::kMailboxStatus, request("#public")));
  EXPECT_TRUE(Fails(refused, Errc::invalid));
  auto nobody = testkit::run(io_, status.call(contracts::kMailboxStatus, request("nobody@example.test")));
  ASSERT_TRUE(Ok(nobody));
  EXPECT_EQ(nobody->messages(), 0u);
  EXPECT_EQ(nobody->unseen(), 0u);
}

}  // namespace
}  // namespace parley::local
