#include "dequeuer.h"

#include <algorithm>

#include "core/ascii.h"
#include "diagnosis.h"
#include "ipc/contracts/dequeuer.h"
#include "ipc/contracts/local_delivery.h"
#include "log/log.h"
#include "smtp/data.h"

namespace parley::dequeuer {
namespace {

using namespace std::chrono_literals;

constexpr auto kLocalTimeout = 120s;       // a big message to many accounts, each fsync'd
constexpr auto kBusyDomainRetry = 2s;      // a domain at its connection limit: look again soon
constexpr auto kReportRetry = 60s;         // a report could not be queued: try again
constexpr auto kHousekeepingEvery = 1h;
constexpr auto kSeenKept = std::chrono::hours(48);   // longer than any sender retries an enqueue
constexpr auto kOrphanAge = std::chrono::hours(1);   // far longer than a commit takes
constexpr std::size_t kCommitBatch = 256;            // queue changes in one index transaction at most

std::int64_t to_ms(Clock::time_point t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count(); }
Clock::time_point from_ms(std::int64_t ms) { return Clock::time_point(std::chrono::milliseconds(ms)); }

Diagnosis local_failure(bool permanent, std::string detail) {
  schema::Answer a;
  a.set_outcome(schema::OUTCOME_UNAVAILABLE);
  a.set_permanent(permanent);
  a.set_detail(std::move(detail));
  return diagnose(a);
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return ascii_lower(at == std::string_view::npos ? std::string_view{} : address.substr(at + 1));
}


std::shared_ptr<tls::ClientContext> client_tls() {
  tls::ClientOptions options;
  auto ctx = tls::ClientContext::create(options);
  if (!ctx) {
    log::warn("queue.tls.unavailable", "no TLS client context; sending in plain text", {{"error", ctx.error().detail}});
    return nullptr;
  }
  return ctx.value();
}

OutboundOptions outbound_options(const Settings& s) {
  OutboundOptions o;
  o.helo = s.hostname;
  o.starttls = s.starttls;
  o.connect_timeout = s.connect_timeout;
  o.reply_timeout = s.smtp_timeout;
  o.tls = s.starttls ? client_tls() : nullptr;
  return o;
}

dns::Options dns_options(const Settings& s) {
  dns::Options o;
  o.servers = s.dns_servers;
  return o;
}

}  // namespace

Dequeuer::Dequeuer(daemon::Context& ctx, Settings settings, std::unique_ptr<queue::Queue> q)
    : ctx_(ctx),
      settings_(std::make_shared<const Settings>(std::move(settings))),
      queue_(std::move(q)),
      committer_(ctx.io(), *queue_, kCommitBatch),
      resolver_(ctx.io(), dns_options(*settings_)),
      outbound_(std::make_shared<Outbound>(ctx.io(), resolver_, outbound_options(*settings_))),
      service_(ctx.io(), ctx.endpoint("dequeuer")),
      admin_(ctx.io(), ctx.endpoint("admin"), ipc::ServerOptions{.socket_mode = 0600}),
      local_(ctx.io(), ctx.endpoint("local", "local-delivery")),
      router_(ctx.io(), ctx.endpoint("router", "router")),
      wake_(ctx.io(), asio::steady_timer::time_point::max()),
      housekeeping_timer_(ctx.io()) {}

Dequeuer::~Dequeuer() = default;

Status Dequeuer::start() {
  service_.handle(
      contracts::kDequeuerNotify, [this](const ipc::RequestInfo&, schema::QueueNotify n) -> awaitable<Result<schema::QueueNotifyReply>> {
        for (const auto& id : n.queue_ids()) {
          if (queue::valid_id(id)) schedule(id, Clock::now());
        }
        co_return schema::QueueNotifyReply{};
      });
  admin_.handle(
      contracts::kQueueAdmin, [this](const ipc::RequestInfo&, schema::QueueAdminRequest req) -> awaitable<Result<schema::QueueAdminReply>> {
        co_return co_await admin(std::move(req));
      });
  // Everything already queued (after a restart, or queued while down).
  std::size_t found = 0;
  auto scanned = queue_->scan([&](const schema::QueueEntry& e) {
    ++found;
    if (!e.hold()) schedule_entry(e);
    return true;
  });
  if (!scanned) return scanned.error();
  log::info("queue.start.scanned", "queue scanned", {{"count", found}});
  if (auto s = service_.start(); !s) return s;
  if (auto s = admin_.start(); !s) return s;
  asio::co_spawn(ctx_.io(), run_loop(), asio::detached);
  asio::co_spawn(ctx_.io(), housekeeping(), asio::detached);
  return {};
}

awaitable<void> Dequeuer::drain() {
  stopping_ = true;
  service_.stop();
  admin_.stop();
  wake_.cancel();
  housekeeping_timer_.cancel();
  if (active_ > 0) {
    // Deliveries in progress finish (parleyd's stop timeout bounds this).
    idle_ = std::make_unique<asio::steady_timer>(ctx_.io(), asio::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await idle_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  // Connections kept for reuse say QUIT.
  std::shared_ptr<Outbound> outbound = outbound_;
  co_await outbound->close_idle();
}

Status Dequeuer::reload(const config::Config& config) {
  auto fresh = load_settings(config);
  if (!fresh) return fresh.error();
  settings_ = std::make_shared<const Settings>(std::move(fresh.value()));
  // Deliveries in progress keep the old client; new ones use the new one.
  outbound_ = std::make_shared<Outbound>(ctx_.io(), resolver_, outbound_options(*settings_));
  return {};
}

// --- scheduling ------------------------------------------------------------

void Dequeuer::schedule(const std::string& id, Clock::time_point when) {
  if (running_.contains(id)) {
    again_.insert(id);
    return;
  }
  if (auto it = scheduled_.find(id); it != scheduled_.end()) {
    if (it->second <= when) return;
    auto range = due_.equal_range(it->second);
    for (auto d = range.first; d != range.second; ++d) {
      if (d->second == id) {
        due_.erase(d);
        break;
      }
    }
  }
  scheduled_[id] = when;
  due_.emplace(when, id);
  wake_.cancel();
}

void Dequeuer::schedule_entry(const schema::QueueEntry& e) {
  std::optional<Clock::time_point> next;
  bool reports_owed = false;
  for (const auto& r : e.envelope().recipients()) {
    if (undelivered(r)) {
      auto at = r.next_attempt_unix_ms() == 0 ? Clock::now() : from_ms(r.next_attempt_unix_ms());
      next = next ? std::min(*next, at) : at;
    } else if (!r.dsn_sent()) {
      reports_owed = true;
    }
  }
  if (!next && reports_owed) next = Clock::now();
  if (next) schedule(e.envelope().message_id(), *next);
}

awaitable<void> Dequeuer::run_loop() {
  while (!stopping_) {
    const auto now = Clock::now();
    while (!due_.empty() && due_.begin()->first <= now && active_ < settings_->max_deliveries) {
      std::string id = due_.begin()->second;
      due_.erase(due_.begin());
      scheduled_.erase(id);
      running_.insert(id);
      ++active_;
      asio::co_spawn(ctx_.io(), run_one(id), asio::detached);
    }
    // The system clock drives the schedule; the timer waits in steady time.
    if (due_.empty() || active_ >= settings_->max_deliveries) {
      wake_.expires_at(asio::steady_timer::time_point::max());
    } else {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due_.begin()->first - now);
      wake_.expires_after(std::max(wait, std::chrono::milliseconds(0)));
    }
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

awaitable<void> Dequeuer::run_one(std::string id) {
  bool forced = forced_.erase(id) > 0;
  co_await process(id, forced);
  running_.erase(id);
  --active_;
  if (doomed_.erase(id) > 0) (void)queue_->remove(id);
  if (held_.erase(id) > 0) {
    if (auto e = queue_->get(id)) {
      e->set_hold(true);
      (void)queue_->update(*e);
    }
    again_.erase(id);
  }
  if (again_.erase(id) > 0) {
    if (auto e = queue_->get(id); e && !e->hold()) schedule(id, Clock::now());
  }
  if (stopping_ && active_ == 0 && idle_) idle_->cancel();
  wake_.cancel();
}

awaitable<void> Dequeuer::process(const std::string& id, bool forced) {
  auto got = queue_->get(id);
  if (!got) {
    if (got.code() != Errc::not_found) log::error("queue.entry.unreadable", "cannot read queue entry", {{"queue_id", id}, {"error", got.error().detail}});
    co_return;
  }
  schema::QueueEntry entry = std::move(got.value());
  if (entry.hold()) co_return;
  auto settings = settings_;
  const std::int64_t now = to_ms(Clock::now());

  std::vector<int> local;
  std::map<std::string, std::vector<int>> remote;  // destination -> recipients
  auto& rcpts = *entry.mutable_envelope()->mutable_recipients();
  for (int i = 0; i < rcpts.size(); ++i) {
    const auto& r = rcpts[i];
    if (!undelivered(r) || (!forced && r.next_attempt_unix_ms() > now)) continue;
    if (r.local()) {
      local.push_back(i);
    } else {
      std::string relay = r.relay_host().empty() ? settings->route_for(domain_of(r.resolved())) : r.relay_host();
      remote[domain_of(r.resolved()) + "|" + relay].push_back(i);
    }
  }

  std::string body;
  if (!local.empty() || !remote.empty()) {
    auto read = queue_->body(id);
    if (!read) {
      log::error("queue.body.missing", "message body unreadable", {{"queue_id", id}, {"error", read.error().detail}});
      const Diagnosis lost = local_failure(true, "message body lost in the queue");
      for (int i : local) record(rcpts[i], false, true, lost.reply, "", entry.envelope());
      for (auto& [dest, list] : remote) {
        for (int i : list) record(rcpts[i], false, true, lost.reply, "", entry.envelope());
      }
      local.clear();
      remote.clear();
    } else {
      body = std::move(read.value());
    }
  }

  const std::size_t chunk = settings->max_recipients_per_delivery;
  for (std::size_t start = 0; start < local.size(); start += chunk) {
    std::vector<int> part(local.begin() + static_cast<std::ptrdiff_t>(start),
                          local.begin() + static_cast<std::ptrdiff_t>(std::min(local.size(), start + chunk)));
    co_await deliver_local(entry, part, body);
  }
  bool busy = false;
  for (auto& [dest, list] : remote) {
    std::string domain = dest.substr(0, dest.find('|'));
    if (per_domain_[domain] >= settings->max_per_domain) {
      busy = true;  // not an attempt: the domain has all the connections it may
      continue;
    }
    ++per_domain_[domain];
    for (std::size_t start = 0; start < list.size(); start += chunk) {
      std::vector<int> part(list.begin() + static_cast<std::ptrdiff_t>(start),
                            list.begin() + static_cast<std::ptrdiff_t>(std::min(list.size(), start + chunk)));
      co_await deliver_remote(entry, dest, part, body);
    }
    if (--per_domain_[domain] == 0) per_domain_.erase(domain);
  }

  // Recipients the router refused: their reason, as reports show it.
  for (auto& r : rcpts) {
    if (r.state() == schema::RCPT_FAILED && r.last_reply().empty() && r.has_refusal()) r.set_last_reply(diagnose(r.refusal()).reply);
  }
  const bool final = std::none_of(rcpts.begin(), rcpts.end(), undelivered);
  DueReports due = due_reports(entry);
  if (final && !due.any()) {
    co_await remove_finished(entry);
    co_return;
  }
  // The outcome is durable before any report goes out, so a crash never
  // repeats a remote delivery that succeeded.
  Status recorded = co_await committer_.update(entry);
  if (!recorded) log::error("queue.entry.write_failed", "cannot record delivery state", {{"queue_id", id}, {"error", recorded.error().detail}});
  bool reports_done = true;
  if (due.any()) reports_done = co_await send_reports(entry, body, due);
  if (final && reports_done) {
    co_await remove_finished(entry);
    co_return;
  }
  if (due.any()) {
    Status marked = co_await committer_.update(entry);
    if (!marked) log::error("queue.entry.write_failed", "cannot record report state", {{"queue_id", id}, {"error", marked.error().detail}});
  }
  schedule_entry(entry);
  if (busy) schedule(id, Clock::now() + kBusyDomainRetry);
  if (!reports_done) schedule(id, Clock::now() + kReportRetry);
}

awaitable<void> Dequeuer::remove_finished(const schema::QueueEntry& entry) {
  const std::string& id = entry.envelope().message_id();
  Status removed = co_await committer_.remove(id);
  if (!removed) {
    log::error("queue.entry.remove_failed", "cannot remove finished message", {{"queue_id", id}, {"error", removed.error().detail}});
  } else {
    log::info("queue.message.done", "every recipient done; removed", {{"queue_id", id}, {"sid", entry.envelope().sid()}});
  }
}

void Dequeuer::record(schema::Recipient& r, bool delivered, bool permanent, const std::string& reply, const std::string& mta,
                      const schema::Envelope& env) {
  const auto now = Clock::now();
  r.set_attempts(r.attempts() + 1);
  r.set_last_reply(reply);
  r.set_remote_mta(mta);
  const std::string& sid = env.sid();
  if (delivered) {
    r.set_state(schema::RCPT_DELIVERED);
    log::info("queue.delivery.ok", "delivered", {{"sid", sid}, {"queue_id", env.message_id()}, {"rcpt", r.resolved()}, {"host", mta}, {"reply", reply}});
    return;
  }
  auto age = std::chrono::duration_cast<std::chrono::seconds>(now - from_ms(env.received_unix_ms()));
  if (permanent || age >= settings_->max_queue_time) {
    r.set_state(schema::RCPT_FAILED);
    if (!permanent) r.set_last_reply("expired after " + std::to_string(age.count() / 3600) + " hours; last reply: " + reply);
    log::info("queue.delivery.failed", permanent ? "permanent failure" : "gave up: too long in the queue",
              {{"sid", sid}, {"queue_id", env.message_id()}, {"rcpt", r.resolved()}, {"host", mta}, {"reply", reply}});
    return;
  }
  r.set_state(schema::RCPT_DEFERRED);
  r.set_next_attempt_unix_ms(to_ms(now + settings_->retry_delay(age)));
  log::info("queue.delivery.deferred", "temporary failure; will retry",
            {{"sid", sid}, {"queue_id", env.message_id()}, {"rcpt", r.resolved()}, {"host", mta}, {"reply", reply},
             {"attempts", r.attempts()}});
}

awaitable<void> Dequeuer::deliver_local(schema::QueueEntry& entry, const std::vector<int>& idx, const std::string& body) {
  auto& env = *entry.mutable_envelope();
  schema::LocalDeliverRequest req;
  req.set_queue_id(env.message_id());
  req.set_return_path(env.return_path());
  req.set_sid(env.sid());
  req.set_body(body);
  for (int i : idx) {
    const auto& r = env.recipients(i);
    auto* lr = req.add_recipients();
    lr->set_account(r.resolved());
    lr->set_address(r.address());
    lr->set_detail(r.detail());
  }
  ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kLocalTimeout), env.sid());
  auto answer = co_await local_.call(contracts::kLocalDeliver, req, opts);
  for (int i : idx) {
    auto& r = *env.mutable_recipients(i);
    const schema::LocalResult* res = nullptr;
    if (answer) {
      for (const auto& x : answer->results()) {
        if (x.account() == r.resolved()) res = &x;
      }
    }
    Diagnosis d = res != nullptr ? diagnose(res->answer())
                  : answer       ? local_failure(false, "local delivery gave no answer")
                                 : local_failure(false, "local delivery unavailable");
    record(r, d.delivered, d.permanent, d.reply, "", env);
  }
}

awaitable<void> Dequeuer::deliver_remote(schema::QueueEntry& entry, const std::string& destination, const std::vector<int>& idx,
                                         const std::string& body) {
  auto& env = *entry.mutable_envelope();
  auto bar = destination.find('|');
  std::string domain = destination.substr(0, bar);
  std::string relay = destination.substr(bar + 1);
  OutboundMessage m;
  m.return_path = env.return_path();
  m.body = body;
  m.body_8bit = env.body_8bit();
  m.smtputf8 = env.smtputf8();
  for (int i : idx) m.recipients.push_back(env.recipients(i).resolved());
  // Only with smtpd.allow_nul: the copy sent on goes without them
  // (smtp::dot_stuff drops them), the stored one keeps them.
  if (smtp::has_nul(body)) {
    log::info("queue.body.nul_dropped", "NUL octets dropped from the copy sent by SMTP",
              {{"sid", env.sid()}, {"queue_id", env.message_id()}, {"domain", domain}});
  }
  std::shared_ptr<Outbound> outbound = outbound_;
  auto outcomes = co_await outbound->deliver(domain, relay, m);
  for (std::size_t k = 0; k < idx.size() && k < outcomes.size(); ++k) {
    const auto& o = outcomes[k];
    record(*env.mutable_recipients(idx[k]), o.delivered, o.permanent, o.reply, o.remote_mta, env);
  }
}

awaitable<void> Dequeuer::housekeeping() {
  for (;;) {
    auto pruned = queue_->prune_seen(std::chrono::duration_cast<std::chrono::milliseconds>(kSeenKept));
    std::size_t swept = queue_->sweep_orphans(std::chrono::duration_cast<std::chrono::seconds>(kOrphanAge));
    if (swept > 0) log::warn("queue.spool.swept", "removed message bodies without a queue entry", {{"count", swept}});
    (void)pruned;
    housekeeping_timer_.expires_after(kHousekeepingEvery);
    boost::system::error_code ec;
    co_await housekeeping_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || stopping_) co_return;
  }
}

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  auto settings = load_settings(ctx.config());
  if (!settings) return settings.error();
  auto q = queue::Queue::open(ctx.shared_dir("queue"));
  if (!q) return fail(q.code(), "queue: " + q.error().detail);
  return daemon::launch<Dequeuer>(ctx, std::move(settings.value()), std::move(q.value()));
}

}  // namespace parley::dequeuer
