#include "delivery.h"

#include "ipc/ipc.h"
#include "ipc/contracts/directory.h"
#include "ipc/contracts/events.h"
#include "ipc/contracts/local_delivery.h"
#include "log/log.h"
#include "schema/directory.pb.h"
#include "schema/envelope.pb.h"
#include "schema/store.pb.h"
#include "settings.h"
#include "status.h"
#include "store/store.h"

namespace parley::local {
namespace {

using namespace std::chrono_literals;

constexpr int kMaxRecipients = 1000;               // per request; the dequeuer sends at most max_recipients_per_delivery
constexpr std::size_t kMaxBody = 64 * 1024 * 1024;  // ipc::kMaxMessageBytes
constexpr auto kPruneEvery = 1h;
constexpr auto kDirectoryTimeout = 10s;

schema::Answer answer(schema::Outcome outcome, bool permanent, std::string detail = {}) {
  schema::Answer a;
  a.set_outcome(outcome);
  a.set_permanent(permanent);
  a.set_detail(std::move(detail));
  return a;
}

// A header field value from another process: no line breaks, bounded.
std::string header_safe(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 512)) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return out;
}

class Delivery final : public daemon::Service {
 public:
  Delivery(daemon::Context& ctx, store::Store st)
      : ctx_(ctx),
        store_(std::move(st)),
        server_(ctx.io(), ctx.endpoint("local")),
        status_(ctx.io(), ctx.endpoint("status")),
        directory_(ctx.io(), ctx.endpoint("directory", "directory")),
        events_(ctx.io(), ctx.endpoint("events")),
        prune_timer_(ctx.io()) {
    dedup_days_ = load_settings(ctx.config()).dedup_days;
  }

  Status start() {
    server_.handle(
        contracts::kLocalDeliver, [this](const ipc::RequestInfo&, schema::LocalDeliverRequest req) -> awaitable<Result<schema::LocalDeliverReply>> {
          co_return co_await deliver(req);
        });
    status_.handle(contracts::kMailboxStatus,
                   [this](const ipc::RequestInfo& info, schema::MailboxStatusRequest req)
                       -> awaitable<Result<schema::MailboxStatusReply>> { co_return status(info, req); });
    if (auto s = events_.start(); !s) return s;
    if (auto s = status_.start(); !s) return s;
    if (auto s = server_.start(); !s) return s;
    asio::co_spawn(ctx_.io(), housekeeping(), asio::detached);
    return {};
  }

  awaitable<void> drain() override {
    server_.stop();
    status_.stop();
    prune_timer_.cancel();
    co_return;
  }

  Status reload(const config::Config& config) override {
    dedup_days_ = load_settings(config).dedup_days;
    return {};
  }

 private:
  awaitable<Result<schema::LocalDeliverReply>> deliver(const schema::LocalDeliverRequest& req) {
    if (req.recipients_size() == 0 || req.recipients_size() > kMaxRecipients) co_return fail(Errc::invalid, "bad recipient count");
    if (req.body().size() > kMaxBody || req.queue_id().empty() || req.queue_id().size() > 64) co_return fail(Errc::invalid, "bad request");
    // Quotas as they are now (an administrator may have raised one while
    // the message waited in the queue).
    schema::ResolveRequest ask;
    for (const auto& rcpt : req.recipients()) ask.add_addresses(rcpt.account());
    ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kDirectoryTimeout), req.sid());
    auto accounts = co_await directory_.call(contracts::kDirectoryResolve, ask, opts);
    if (!accounts || accounts->results_size() != req.recipients_size()) {
      co_return fail(Errc::unavailable, "directory: " + (accounts ? std::string("short reply") : accounts.error().detail));
    }
    schema::LocalDeliverReply reply;
    for (int i = 0; i < req.recipients_size(); ++i) {
      const auto& rcpt = req.recipients(i);
      const auto& account = accounts->results(i);
      auto* result = reply.add_results();
      result->set_account(rcpt.account());
      if (account.kind() != schema::Resolution::KIND_ACCOUNT || account.account() != rcpt.account()) {
        // Deleted or disabled since it was queued: bounce.
        *result->mutable_answer() = answer(schema::OUTCOME_UNKNOWN_USER, true, "No such user (any more)");
        continue;
      }
      // Return-Path and Delivered-To go on top (RFC 5321 4.4; Delivered-To
      // names the account, as Postfix and Dovecot write it, for loop
      // detection by filters).
      std::string message = "Return-Path: <" + header_safe(req.return_path()) + ">\r\nDelivered-To: " +
                            header_safe(rcpt.account()) + "\r\n";
      message += req.body();
      store::NewMessage m;
      m.account = rcpt.account();
      m.body = message;
      m.limits.bytes = account.quota_bytes();
      auto placed = store_.deliver(m, req.queue_id() + "/" + rcpt.account());
      if (!placed) {
        // Over quota is retried: the owner may make room, or the
        // administrator raise the quota. A message the store refuses as
        // invalid never will be taken.
        bool full = placed.code() == Errc::limit;
        *result->mutable_answer() = full ? answer(schema::OUTCOME_OVER_QUOTA, false)
                                         : answer(schema::OUTCOME_UNAVAILABLE, placed.code() == Errc::invalid, "Mail store error");
        log::warn("local.delivery.failed", full ? "over quota" : "store error",
                  {{"sid", req.sid()}, {"queue_id", req.queue_id()}, {"account", rcpt.account()}, {"error", placed.error().detail}});
        continue;
      }
      *result->mutable_answer() = answer(schema::OUTCOME_ACCEPTED, false);
      result->set_uid(placed->uid);
      if (placed->duplicate) {
        log::info("local.delivery.duplicate", "delivered before; not stored again",
                  {{"sid", req.sid()}, {"queue_id", req.queue_id()}, {"account", rcpt.account()}});
        continue;
      }
      log::info("local.delivery.ok", "delivered",
                {{"sid", req.sid()}, {"queue_id", req.queue_id()}, {"account", rcpt.account()}, {"mailbox", placed->mailbox},
                 {"uid", placed->uid}, {"bytes", placed->size}});
      schema::MailboxEvent event;
      event.set_account(rcpt.account());
      event.set_mailbox(placed->mailbox);
      event.set_mailbox_id(placed->mailbox_id);
      event.set_uid(placed->uid);
      event.set_modseq(placed->modseq);
      // The counts for message-summary subscribers (sipd). Read after the
      // commit, so they may already include a later change: they are the
      // mailbox's state, which is what a subscriber shows.
      if (auto counts = mailbox_counts(store_, rcpt.account(), placed->mailbox_id)) {
        event.set_messages(counts->messages());
        event.set_unseen(counts->unseen());
      } else {
        log::warn("local.status.failed", "cannot read the mailbox's counts",
                  {{"sid", req.sid()}, {"account", rcpt.account()}, {"error", counts.error().detail}});
      }
      events_.publish(contracts::kMailboxChanged, rcpt.account(), event, req.sid());
    }
    co_return reply;
  }

  Result<schema::MailboxStatusReply> status(const ipc::RequestInfo& info, const schema::MailboxStatusRequest& req) {
    auto reply = mailbox_status(store_, req);
    if (!reply) {
      // The account may be junk from a compromised caller: bounded in the log.
      log::warn("local.status.refused", "mailbox status not given",
                {{"sid", info.sid}, {"account", req.account().substr(0, store::kMaxAccount)}, {"error", reply.error().detail}});
    }
    return reply;
  }

  awaitable<void> housekeeping() {
    for (;;) {
      prune_timer_.expires_after(kPruneEvery);
      boost::system::error_code ec;
      co_await prune_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      auto pruned = store_.prune_dedup(now - dedup_days_ * 86400 * 1000);
      auto swept = store_.sweep_bodies(now - 86400 * 1000);
      log::debug("local.housekeeping.done", "pruned delivery records",
                 {{"count", pruned ? *pruned : 0}, {"value", swept ? *swept : 0}});
    }
  }

  daemon::Context& ctx_;
  store::Store store_;
  ipc::Server server_;
  ipc::Server status_;  // endpoint "status": read-only counts, for sipd
  ipc::Client directory_;
  ipc::Publisher events_;
  asio::steady_timer prune_timer_;
  std::int64_t dedup_days_ = 7;
};

}  // namespace

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  auto st = store::Store::open(ctx.shared_dir("store") + "/index");
  if (!st) return fail(st.code(), "mail store: " + st.error().detail);
  return daemon::launch<Delivery>(ctx, std::move(st.value()));
}

}  // namespace parley::local
