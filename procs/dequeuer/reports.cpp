// Delivery status notifications (RFC 3464): what the sender is owed once
// recipients fail, are delayed, or (when NOTIFY=SUCCESS asked) are
// delivered. A report is a new message from the null sender, queued
// through the router like any other; its queue id is derived from the
// original's id and the recipients it covers, so a report re-sent after a
// crash is recognised by the router and not queued twice.
#include "dequeuer.h"
#include "ipc/contracts/router.h"
#include "log/log.h"
#include "mail/dsn.h"
#include "smtp/client.h"

namespace parley::dequeuer {
namespace {

using namespace std::chrono_literals;
constexpr auto kRouterTimeout = 60s;

bool wants_failure(std::uint32_t n) { return n == schema::NOTIFY_DEFAULT || (n & schema::NOTIFY_FAILURE) != 0; }
bool wants_success(std::uint32_t n) { return n != schema::NOTIFY_NEVER && (n & schema::NOTIFY_SUCCESS) != 0; }
bool wants_delay(std::uint32_t n) { return n == schema::NOTIFY_DEFAULT || (n & schema::NOTIFY_DELAY) != 0; }

// FNV-1a, 64 bits: stable across builds and machines, unlike std::hash.
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string report_id(const std::string& original, std::string_view kind, const std::vector<const schema::Recipient*>& rcpts) {
  std::string key = original + "|" + std::string(kind);
  for (const auto* r : rcpts) key += "|" + r->resolved();
  char tail[16];
  std::snprintf(tail, sizeof tail, "%012llx", static_cast<unsigned long long>(fnv1a(key) & 0xffffffffffffULL));
  return original.substr(0, 8) + tail;
}

// The enhanced status code in a stored reply ("550 5.1.1 ..." -> "5.1.1").
std::string status_of(const std::string& reply, const std::string& fallback) {
  std::string wire = reply + "\r\n";
  auto parsed = smtp::parse_reply(wire);
  std::string status = parsed && parsed.value() ? parsed.value()->enhanced() : "";
  return status.empty() ? fallback : status;
}

}  // namespace

Dequeuer::DueReports Dequeuer::due_reports(schema::QueueEntry& entry) const {
  DueReports due;
  auto& env = *entry.mutable_envelope();
  auto& rcpts = *env.mutable_recipients();
  // Never a report to the null sender (RFC 5321 4.5.5): no loops of reports.
  const bool nobody = env.return_path().empty();
  const auto arrival = Clock::time_point(std::chrono::milliseconds(env.received_unix_ms()));
  const bool late = settings_->delay_warning.count() > 0 && Clock::now() - arrival >= settings_->delay_warning;
  for (int i = 0; i < rcpts.size(); ++i) {
    auto& r = rcpts[i];
    if (r.state() == schema::RCPT_FAILED && !r.dsn_sent()) {
      if (!nobody && wants_failure(r.notify())) due.failed.push_back(i);
      else r.set_dsn_sent(true);
    } else if (r.state() == schema::RCPT_DELIVERED && !r.dsn_sent()) {
      if (!nobody && wants_success(r.notify())) due.delivered.push_back(i);
      else r.set_dsn_sent(true);
    } else if (!nobody && r.state() == schema::RCPT_DEFERRED && !r.delay_notified() && late && wants_delay(r.notify())) {
      due.delayed.push_back(i);
    }
  }
  return due;
}

awaitable<bool> Dequeuer::send_reports(schema::QueueEntry& entry, const std::string& body, const DueReports& due) {
  auto& env = *entry.mutable_envelope();
  auto settings = settings_;
  auto& rcpts = *env.mutable_recipients();
  const auto now = Clock::now();
  const auto arrival = Clock::time_point(std::chrono::milliseconds(env.received_unix_ms()));
  auto pick = [&rcpts](const std::vector<int>& idx) {
    std::vector<schema::Recipient*> out;
    for (int i : idx) out.push_back(&rcpts[i]);
    return out;
  };
  std::vector<schema::Recipient*> failed = pick(due.failed), delivered = pick(due.delivered), delayed = pick(due.delayed);

  bool all_sent = true;
  auto send = [&](std::vector<schema::Recipient*>& group, std::string_view kind) -> awaitable<bool> {
    if (group.empty()) co_return true;
    mail::Dsn dsn;
    dsn.reporting_mta = settings->hostname;
    dsn.from = "MAILER-DAEMON@" + settings->hostname;
    dsn.to = env.return_path();
    dsn.envid = env.envid();
    dsn.queue_id = env.message_id();
    dsn.arrival = arrival;
    dsn.original = body;
    // Only failures carry the whole message back, and only if RET allows.
    dsn.headers_only = kind != "failed" || env.ret() == schema::Envelope::RET_HDRS;
    dsn.utf8 = env.smtputf8();
    dsn.now = now;
    std::vector<const schema::Recipient*> covered;
    for (auto* r : group) {
      covered.push_back(r);
      mail::DsnRecipient d;
      d.original_recipient = r->orcpt().empty() ? "rfc822;" + r->address() : r->orcpt();
      d.final_recipient = r->resolved().empty() ? r->address() : r->resolved();
      d.action = std::string(kind);
      if (kind == "delivered" && !r->local()) d.action = "relayed";  // handed to a server that may not report
      std::string fallback = kind == "failed" ? "5.0.0" : (kind == "delayed" ? "4.0.0" : "2.0.0");
      d.status = status_of(r->last_reply(), fallback);
      if (kind == "failed" && d.status[0] != '5') d.status = "5.4.7";  // gave up: delivery time expired
      d.remote_mta = r->remote_mta();
      d.diagnostic = r->last_reply();
      d.last_attempt = now;
      if (kind == "delayed") d.will_retry_until = arrival + settings->max_queue_time;
      dsn.recipients.push_back(std::move(d));
    }
    std::string message = mail::build_dsn(dsn);

    schema::EnqueueRequest req;
    auto* out = req.mutable_envelope();
    out->set_message_id(report_id(env.message_id(), kind, covered));
    out->set_return_path("");
    auto* to = out->add_recipients();
    to->set_address(env.return_path());
    to->set_notify(schema::NOTIFY_NEVER);
    out->mutable_client()->set_listener("dsn");
    out->set_sid(env.sid());
    out->set_smtputf8(env.smtputf8());
    out->set_size(message.size());
    out->set_received_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    req.set_body(std::move(message));
    ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kRouterTimeout), env.sid());
    auto answer = co_await router_.call(contracts::kRouterEnqueue, req, opts);
    if (!answer || answer->answer().outcome() != schema::OUTCOME_ACCEPTED) {
      const std::string error = answer ? schema::Outcome_Name(answer->answer().outcome()) : answer.error().detail;
      log::warn("queue.report.deferred", "could not queue a delivery report",
                {{"sid", env.sid()}, {"queue_id", env.message_id()}, {"reason", kind}, {"error", error}});
      co_return false;
    }
    log::info("queue.report.queued", "delivery report queued",
              {{"sid", env.sid()}, {"queue_id", env.message_id()}, {"reason", kind}, {"address", env.return_path()},
               {"msg_id", out->message_id()}, {"count", group.size()}});
    for (auto* r : group) {
      if (kind == "delayed") r->set_delay_notified(true);
      else r->set_dsn_sent(true);
    }
    co_return true;
  };
  const std::string_view kinds[] = {"failed", "delivered", "delayed"};
  std::vector<schema::Recipient*>* groups[] = {&failed, &delivered, &delayed};
  for (int k = 0; k < 3; ++k) {
    std::string_view kind = kinds[k];
    std::vector<schema::Recipient*>& group = *groups[k];
    bool sent = co_await send(group, kind);
    all_sent = all_sent && sent;
  }
  co_return all_sent;
}

}  // namespace parley::dequeuer
