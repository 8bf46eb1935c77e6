// Instant messages (RFC 3428) for accounts with no device registered:
// kept on disk (sip/stored_messages.h) and sent to the first device that
// registers, with their original Date (RFC 3261 20.17).
#include <ctime>

#include "auth/encoding.h"
#include "core.h"
#include "log/log.h"

namespace parley::sipd {

namespace {

// Per account: what a phone's message list holds without the server
// turning into a mailbox.
constexpr sip::StoreLimits kStoreLimits{.max_messages = 100, .max_bytes = 1 << 20};

// RFC 3261 20.17 (RFC 1123 date, GMT).
std::string http_date(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

bool Core::store_message(Proxied& p) {
  const auto* txn = transactions_.find(p.server);
  if (txn == nullptr) return false;
  std::string account;
  for (const auto& t : p.plan.targets()) {
    if (t.kind() == schema::SignalTarget::KIND_REGISTERED) {
      account = t.account();
      break;
    }
  }
  if (account.empty()) return false;
  const sip::Message& request = txn->request();
  sip::StoredMessage m;
  m.from = std::string(request.header("From").value_or(""));
  m.content_type = std::string(request.header("Content-Type").value_or("text/plain"));
  m.body = std::string(request.body());
  m.date = request.header("Date") ? std::string(*request.header("Date")) : http_date(options_.wall_now());
  auto stored = messages_.store(account, std::move(m), kStoreLimits);
  if (!stored) {
    log::info("sip.message.not_stored", stored.error().detail, {{"sid", p.sid}, {"account", account}});
    return false;
  }
  log::info("sip.message.stored", "kept for the account's next registration",
            {{"sid", p.sid}, {"account", account}, {"from", p.caller}, {"bytes", request.body().size()}});
  final_answered(p, 202);
  respond(p.server, 202, reason_phrase(202));
  return true;
}

void Core::deliver_stored(const std::string& account, const Flow& flow, const std::string& contact) {
  auto pending = messages_.pending(account);
  if (!pending) {
    log::error("sip.message.unreadable", pending.error().detail, {{"account", account}});
    return;
  }
  for (const auto& m : *pending) {
    if (std::any_of(deliveries_.begin(), deliveries_.end(),
                    [&](const auto& d) { return d.second.first == account && d.second.second == m.id; })) {
      continue;  // on its way already
    }
    std::string wire = "MESSAGE " + contact + " SIP/2.0\r\nVia: " + via_value(flow.kind, new_branch()) +
                       "\r\nMax-Forwards: 70\r\nFrom: " + m.from + "\r\nTo: <sip:" + account + ">\r\nCall-ID: " +
                       auth::hex_encode(auth::random_bytes(12)) + "@" + settings().hostname +
                       "\r\nCSeq: 1 MESSAGE\r\nDate: " + m.date + "\r\nContent-Type: " + m.content_type +
                       "\r\nContent-Length: " + std::to_string(m.body.size()) + "\r\n\r\n" + m.body;
    auto request = sip::parse_message(std::move(wire));
    if (!request) {
      log::error("sip.message.unsendable", request.error().detail, {{"account", account}});
      continue;
    }
    auto started = transactions_.start_client(std::move(request.value()), flow.reliable(), now());
    if (!started) continue;
    const auto id = started->id;
    flows_[id] = flow;
    sids_[id] = options_.next_sid();
    deliveries_[id] = {account, m.id};
    perform(id, std::move(started->actions), nullptr);
  }
}

void Core::on_delivery_response(sip::TransactionId client, int status) {
  if (status < 200) return;
  auto it = deliveries_.find(client);
  if (it == deliveries_.end()) return;
  const auto [account, message] = it->second;
  deliveries_.erase(it);
  if (status >= 300) {
    log::info("sip.message.refused", "a stored message was refused; kept", {{"account", account}, {"status", status}});
    return;
  }
  if (auto removed = messages_.remove(account, message); !removed && removed.code() != Errc::not_found) {
    log::error("sip.message.remove_failed", removed.error().detail, {{"account", account}});
  }
  log::info("sip.message.delivered", "stored message delivered", {{"sid", sids_[client]}, {"account", account}});
}

}  // namespace parley::sipd
