// Event notifications of sipd's Core: sipd is the notifier (RFC 6665) for
// the accounts of its domains.
//   - presence (RFC 3856): the account's devices' published documents
//     (PUBLISH, RFC 3903) aggregated as PIDF (RFC 3863); an account that
//     publishes nothing is "open" while a device is registered;
//   - dialog (RFC 4235): the account's calls as the proxy sees them;
//   - message-summary (RFC 3842): its INBOX's counts, for itself only.
// Watchers of the watched account's own domain are allowed; others wait
// (Subscription-State: pending, no body) until the account allows them
// (sip::PresenceRules, `parleyctl sip allow`).
#include <algorithm>

#include "auth/encoding.h"
#include "core.h"
#include "core/ascii.h"
#include "log/log.h"

namespace parley::sipd {

namespace {

constexpr std::string_view kAllowEvents = "presence, dialog, message-summary";
constexpr std::size_t kMaxPublicationsPerAccount = 16;  // devices publishing at once
constexpr std::size_t kMaxPublications = 100000;
constexpr std::size_t kMaxRouteSet = 16;
constexpr std::size_t kMaxEndedDialogs = 16;  // ended calls remembered for a watcher's next NOTIFY

std::string_view package_name(EventPackage p) {
  switch (p) {
    case EventPackage::presence: return "presence";
    case EventPackage::dialog: return "dialog";
    case EventPackage::message_summary: return "message-summary";
  }
  return "presence";
}

// The Event header (RFC 6665 8.2.1): its package and its id parameter.
struct EventHeader {
  std::optional<EventPackage> package;
  std::string name;  // as sent, lower case
  std::string id;
};

EventHeader parse_event(std::optional<std::string_view> value) {
  EventHeader out;
  if (!value) return out;
  std::string_view v = *value;
  const auto semicolon = v.find(';');
  std::string_view name = v.substr(0, semicolon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  out.name = ascii_lower(name);
  if (out.name == "presence") out.package = EventPackage::presence;
  if (out.name == "dialog") out.package = EventPackage::dialog;
  if (out.name == "message-summary") out.package = EventPackage::message_summary;
  if (semicolon == std::string_view::npos) return out;
  for (std::string_view rest = v.substr(semicolon + 1); !rest.empty();) {
    const auto next = rest.find(';');
    std::string_view param = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
    while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
    if (ascii_lower(param.substr(0, 3)) == "id=") {
      std::string id(param.substr(3));
      // Only a token is echoed back (it goes into our headers).
      if (!id.empty() && id.size() <= 64 && id.find_first_of(" \t\r\n;,\"<>") == std::string::npos) out.id = id;
    }
  }
  return out;
}

std::string_view package_type(EventPackage p) {
  switch (p) {
    case EventPackage::presence: return sip::kPidfType;
    case EventPackage::dialog: return sip::kDialogInfoType;
    case EventPackage::message_summary: return sip::kMessageSummaryType;
  }
  return sip::kPidfType;
}

// Whether the subscriber takes the package's body (RFC 6665 4.2.1.1):
// no Accept means the package's default, which is ours.
bool accepts(const sip::Message& request, EventPackage p) {
  const auto offered = request.values("Accept");
  if (offered.empty()) return true;
  for (auto v : offered) {
    std::string type = ascii_lower(v.substr(0, v.find(';')));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.erase(0, 1);
    if (type == package_type(p) || type == "*/*" || type == "application/*") return true;
  }
  return false;
}

std::string lower_domain(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string{} : ascii_lower(address.substr(at + 1));
}

}  // namespace

std::string Core::local_tag(sip::TransactionId id) {
  return auth::hex_encode(auth::hmac_sha256(options_.key, sids_[id]).substr(0, 6));
}

std::string Core::own_contact(const Flow& flow) const {
  auto local = transport_.local(flow.kind);
  if (!local) local = transport_.local(Flow::Kind::udp);
  std::string host = local ? local->host : settings().hostname;
  std::uint16_t port = local ? local->port : 5060;
  std::string out = "<sip:" + host + ":" + std::to_string(port);
  if (flow.kind != Flow::Kind::udp) out += ";transport=" + std::string(uri_transport(flow.kind));
  return out + ">";
}

// --- requests ----------------------------------------------------------

awaitable<void> Core::serve_event(sip::TransactionId id, Flow flow, std::string account, std::string subscriber) {
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) co_return;
  account = ascii_lower(account);
  subscriber = ascii_lower(subscriber);
  if (txn->request().method() == "PUBLISH") {
    publish(id, account, subscriber);
    co_return;
  }
  co_await subscribe(id, std::move(flow), std::move(account), std::move(subscriber));
}

awaitable<void> Core::subscribe(sip::TransactionId id, Flow flow, std::string account, std::string subscriber) {
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) co_return;
  const sip::Message& request = txn->request();
  const std::string sid = sids_[id];
  const EventHeader event = parse_event(request.header("Event"));
  if (!event.package) {
    log::info("sip.subscribe.bad_event", "event package not served", {{"sid", sid}, {"value", event.name}});
    respond(id, 489, "Bad Event", {{"Allow-Events", std::string(kAllowEvents)}});
    co_return;
  }
  if (request.contacts().size() != 1) {
    respond(id, 400, "Contact Required");
    co_return;
  }
  if (!accepts(request, *event.package)) {
    respond(id, 406, "Not Acceptable", {{"Accept", std::string(package_type(*event.package))}});
    co_return;
  }
  // The watcher: the authenticated account, or the From address of a
  // subscriber of another domain (which proves nothing: it only ever gets
  // what the watched account allowed).
  std::string watcher = subscriber.empty() ? ascii_lower(address_of(request.from().uri)) : subscriber;
  if (watcher.empty()) {
    respond(id, 403, reason_phrase(403));
    co_return;
  }
  bool pending = false;
  if (*event.package == EventPackage::message_summary) {
    // A mailbox's counts are the account's own business.
    if (subscriber != account) {
      log::info("sip.subscribe.forbidden", "message-summary of another account",
                {{"sid", sid}, {"user", watcher}, {"account", account}});
      respond(id, 403, reason_phrase(403));
      co_return;
    }
  } else if (subscriber.empty() || lower_domain(subscriber) != lower_domain(account)) {
    auto allowed = rules_ != nullptr ? rules_->allowed(account, watcher) : Result<bool>(false);
    pending = !allowed || !*allowed;
  }
  const auto& s_ = settings();
  std::uint32_t expires = request.expires().value_or(s_.subscribe_default_expires);
  if (expires > 0 && expires < s_.subscribe_min_expires) {
    respond(id, 423, reason_phrase(423), {{"Min-Expires", std::to_string(s_.subscribe_min_expires)}});
    co_return;
  }
  expires = std::min(expires, s_.subscribe_max_expires);
  const std::size_t of_account = subscriptions_of_.count(account);
  if (subscriptions_.size() >= s_.max_subscriptions) {
    log::warn("sip.subscribe.limit", "subscription table full", {{"sid", sid}});
    respond(id, 503, reason_phrase(503), {{"Retry-After", "60"}});
    co_return;
  }
  if (of_account >= s_.max_subscriptions_per_account) {
    log::info("sip.subscribe.limit", "too many watchers of one account", {{"sid", sid}, {"account", account}});
    respond(id, 403, "Too Many Subscriptions");
    co_return;
  }
  if (request.record_routes().size() > kMaxRouteSet) {
    respond(id, 400, "Route Set Too Long");
    co_return;
  }

  Subscription s;
  s.id = next_subscription_++;
  s.package = *event.package;
  s.event = std::string(package_name(s.package)) + (event.id.empty() ? "" : ";id=" + event.id);
  s.account = account;
  s.watcher = watcher;
  s.sid = sid;
  s.pending = pending;
  s.call_id = std::string(request.call_id());
  s.local_tag = local_tag(id);
  s.remote_tag = std::string(request.from().tag().value_or(""));
  s.local_party = std::string(request.header("To").value_or(""));
  s.remote_party = std::string(request.header("From").value_or(""));
  s.remote_target = request.contacts().front().uri_text;
  for (const auto& rr : request.record_routes()) s.route_set.push_back("<" + std::string(rr.uri_text) + ">");
  s.flow = flow;
  s.remote_cseq = request.cseq().number;
  s.expires_at = std::chrono::steady_clock::now() + std::chrono::seconds(expires);
  s.ending = expires == 0;  // a fetch (RFC 6665 4.4.3): one NOTIFY with the state, then the end
  if (s.ending) s.reason = "timeout";
  const std::uint64_t sub_id = s.id;
  const std::string contact = own_contact(flow);
  // 200 whether pending or not: the NOTIFY says which (RFC 6665 deprecates
  // 202 for SUBSCRIBE).
  respond(id, 200, reason_phrase(200), {{"Expires", std::to_string(expires)}, {"Contact", contact}});
  log::info("sip.subscribe.ok", pending ? "subscription pending the account's permission" : "subscribed",
            {{"sid", sid}, {"user", watcher}, {"account", account}, {"value", package_name(s.package)}});
  subscriptions_of_.emplace(s.account, sub_id);
  subscriptions_by_call_.emplace(s.call_id, sub_id);
  subscriptions_.emplace(sub_id, std::move(s));

  if (*event.package == EventPackage::message_summary) {
    // The counts the mail store knows now (then its events keep them).
    schema::MailboxStatusRequest ask;
    ask.set_account(account);
    ask.set_mailbox("INBOX");
    ask.set_sid(sid);
    auto alive = alive_;
    auto status = co_await backend_.mailbox_status(std::move(ask));
    if (!*alive) co_return;
    if (status) {
      mailboxes_[account] = {status->messages(), status->unseen()};
    } else {
      log::info("sip.subscribe.counts_unavailable", status.error().detail, {{"sid", sid}, {"account", account}});
    }
  }
  auto it = subscriptions_.find(sub_id);
  if (it == subscriptions_.end()) co_return;
  arm_subscription(it->second);
  send_notify(it->second);
}

bool Core::resubscribe(sip::TransactionId id) {
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) return false;
  const sip::Message& request = txn->request();
  const std::string_view from_tag = request.from().tag().value_or("");
  const std::string_view to_tag = request.to().tag().value_or("");
  Subscription* found = nullptr;
  for (auto [at, end] = subscriptions_by_call_.equal_range(request.call_id()); at != end; ++at) {
    Subscription& s = subscriptions_.at(at->second);
    if (s.remote_tag == from_tag && s.local_tag == to_tag) found = &s;
  }
  if (found == nullptr) return false;
  Subscription& s = *found;
  const EventHeader event = parse_event(request.header("Event"));
  if (!event.package || *event.package != s.package) {
    respond(id, 489, "Bad Event", {{"Allow-Events", std::string(kAllowEvents)}});
    return true;
  }
  if (request.cseq().number <= s.remote_cseq) {
    respond(id, 500, "CSeq Out of Order");  // RFC 3261 12.2.2
    return true;
  }
  s.remote_cseq = request.cseq().number;
  const auto& s_ = settings();
  std::uint32_t expires = request.expires().value_or(s_.subscribe_default_expires);
  if (expires > 0 && expires < s_.subscribe_min_expires) {
    respond(id, 423, reason_phrase(423), {{"Min-Expires", std::to_string(s_.subscribe_min_expires)}});
    return true;
  }
  expires = std::min(expires, s_.subscribe_max_expires);
  if (s.ending) {
    respond(id, 481, reason_phrase(481));
    return true;
  }
  if (request.contacts().size() == 1) s.remote_target = request.contacts().front().uri_text;
  respond(id, 200, reason_phrase(200), {{"Expires", std::to_string(expires)}, {"Contact", own_contact(s.flow)}});
  if (expires == 0) {
    log::info("sip.subscribe.ended", "unsubscribed", {{"sid", s.sid}, {"user", s.watcher}, {"account", s.account}});
    s.ending = true;
    s.reason.clear();
  } else {
    log::debug("sip.subscribe.refreshed", "subscription refreshed",
               {{"sid", s.sid}, {"user", s.watcher}});
    s.expires_at = std::chrono::steady_clock::now() + std::chrono::seconds(expires);
    arm_subscription(s);
  }
  // Every refresh is answered with the state (RFC 6665 4.2.1.2).
  send_notify(s);
  return true;
}

void Core::arm_subscription(Subscription& s) {
  if (!s.timer) s.timer = std::make_unique<asio::steady_timer>(io_);
  s.timer->expires_at(s.expires_at);
  const std::uint64_t sub_id = s.id;
  s.timer->async_wait([this, alive = alive_, sub_id](boost::system::error_code ec) {
    if (ec || !*alive) return;
    auto it = subscriptions_.find(sub_id);
    if (it == subscriptions_.end() || it->second.ending) return;
    log::info("sip.subscribe.expired", "subscription expired", {{"sid", it->second.sid}, {"user", it->second.watcher}});
    it->second.ending = true;
    it->second.reason = "timeout";
    send_notify(it->second);
  });
}

// --- NOTIFY ------------------------------------------------------------

std::string Core::notify_body(Subscription& s, std::string& content_type) {
  content_type.clear();
  if (s.pending) return {};
  switch (s.package) {
    case EventPackage::presence:
      content_type = sip::kPidfType;
      return sip::build_pidf(presence_of(s.account));
    case EventPackage::dialog:
      content_type = sip::kDialogInfoType;
    {
      // Calls that ended since the last NOTIFY are shown once, terminated.
      auto dialogs = dialogs_of(s.account);
      for (auto& d : s.ended) dialogs.push_back(std::move(d));
      s.ended.clear();
      return sip::build_dialog_info("sip:" + s.account, s.version++, dialogs);
    }
    case EventPackage::message_summary: {
      auto counts = mailboxes_.find(s.account);
      if (counts == mailboxes_.end()) return {};  // not known yet: an empty NOTIFY (RFC 6665 4.2.2)
      content_type = sip::kMessageSummaryType;
      return sip::build_message_summary("sip:" + s.account, counts->second.first, counts->second.second);
    }
  }
  return {};
}

void Core::send_notify(Subscription& s) {
  if (s.in_flight) {
    s.again = true;
    return;
  }
  std::string content_type;
  std::string body = notify_body(s, content_type);
  std::string state;
  if (s.ending) {
    state = "terminated";
    if (!s.reason.empty()) state += ";reason=" + s.reason;
  } else {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(s.expires_at - std::chrono::steady_clock::now());
    state = std::string(s.pending ? "pending" : "active") + ";expires=" + std::to_string(std::max<std::int64_t>(left.count(), 0));
  }
  // The flow the SUBSCRIBE came on reaches the subscriber (or the proxy
  // before it); a closed connection: the first route or the contact.
  std::optional<Flow> flow = s.flow;
  if (!transport_.usable(s.flow)) {
    auto next = sip::parse_uri(s.route_set.empty() ? s.remote_target : s.route_set.front().substr(1, s.route_set.front().size() - 2));
    flow = next ? next_hop(*next, std::nullopt) : std::nullopt;
  }
  if (!flow) {
    end_subscription(s.id, "subscriber unreachable");
    return;
  }
  std::string wire = "NOTIFY " + s.remote_target + " SIP/2.0\r\nVia: " + via_value(flow->kind, new_branch()) +
                     "\r\nMax-Forwards: 70\r\n";
  for (const auto& r : s.route_set) wire += "Route: " + r + "\r\n";
  wire += "From: " + s.local_party + ";tag=" + s.local_tag + "\r\nTo: " + s.remote_party + "\r\nCall-ID: " + s.call_id +
          "\r\nCSeq: " + std::to_string(++s.local_cseq) + " NOTIFY\r\nContact: " + own_contact(*flow) +
          "\r\nEvent: " + s.event + "\r\nSubscription-State: " + state + "\r\n";
  if (!content_type.empty()) wire += "Content-Type: " + content_type + "\r\n";
  wire += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  auto request = sip::parse_message(std::move(wire));
  if (!request) {
    log::error("sip.notify.unsendable", request.error().detail, {{"sid", s.sid}});
    end_subscription(s.id, "notify unsendable");
    return;
  }
  auto started = transactions_.start_client(std::move(request.value()), flow->reliable(), now());
  if (!started) {
    log::warn("sip.notify.not_sent", started.error().detail, {{"sid", s.sid}});
    if (s.ending) end_subscription(s.id, "notify not sent");
    return;
  }
  const auto client = started->id;
  flows_[client] = *flow;
  sids_[client] = s.sid;
  notifies_[client] = s.id;
  s.in_flight = true;
  log::debug("sip.notify.sent", state, {{"sid", s.sid}, {"user", s.watcher}, {"value", package_name(s.package)}});
  perform(client, std::move(started->actions), nullptr);
}

void Core::on_notify_response(sip::TransactionId client, int status) {
  if (status < 200) return;
  auto n = notifies_.find(client);
  if (n == notifies_.end()) return;
  const std::uint64_t sub_id = n->second;
  notifies_.erase(n);
  auto it = subscriptions_.find(sub_id);
  if (it == subscriptions_.end()) return;
  Subscription& s = it->second;
  s.in_flight = false;
  if (status >= 300) {
    // 481: the subscriber forgot the subscription; a timeout or a dead
    // connection: it is gone (RFC 6665 4.2.2).
    log::info("sip.notify.failed", "subscription ended by the subscriber's answer",
              {{"sid", s.sid}, {"user", s.watcher}, {"status", status}});
    end_subscription(sub_id, "notify refused");
    return;
  }
  if (s.ending) {
    end_subscription(sub_id, "terminated");
    return;
  }
  if (s.again) {
    s.again = false;
    send_notify(s);
  }
}

void Core::end_subscription(std::uint64_t id, std::string_view why) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  if (it->second.timer) it->second.timer->cancel();
  log::debug("sip.subscribe.removed", why, {{"sid", it->second.sid}, {"user", it->second.watcher}});
  auto unindex = [id](auto& index, const std::string& key) {
    for (auto [at, end] = index.equal_range(key); at != end; ++at) {
      if (at->second == id) {
        index.erase(at);
        return;
      }
    }
  };
  unindex(subscriptions_of_, it->second.account);
  unindex(subscriptions_by_call_, it->second.call_id);
  subscriptions_.erase(it);
}

void Core::for_subscriptions_to(std::string_view account, const std::function<void(Subscription&)>& act) {
  std::vector<std::uint64_t> ids;
  for (auto [at, end] = subscriptions_of_.equal_range(account); at != end; ++at) ids.push_back(at->second);
  for (auto id : ids) {
    if (auto it = subscriptions_.find(id); it != subscriptions_.end()) act(it->second);
  }
}

// --- state changes -----------------------------------------------------

void Core::presence_changed(const std::string& account) {
  for_subscriptions_to(ascii_lower(account), [&](Subscription& s) {
    if (s.package == EventPackage::presence && !s.pending && !s.ending) send_notify(s);
  });
}

void Core::mailbox_changed(const std::string& account, std::uint32_t messages, std::uint32_t unseen) {
  const std::string key = ascii_lower(account);
  // Every delivery and every mail read reaches here: counts are kept only
  // while someone watches the account (a new subscription asks
  // local-delivery first), so the table stays the size of the watchers.
  bool watched = false;
  for_subscriptions_to(key, [&](Subscription& s) { watched = watched || s.package == EventPackage::message_summary; });
  if (!watched) {
    mailboxes_.erase(key);
    return;
  }
  const std::pair<std::uint32_t, std::uint32_t> counts{messages, unseen};
  // imapd announces every change its sessions make (a \Flagged, a message
  // of the INBOX copied elsewhere): the same counts again are no news.
  auto [known, added] = mailboxes_.try_emplace(key, counts);
  if (!added && known->second == counts) return;
  known->second = counts;
  for_subscriptions_to(key, [&](Subscription& s) {
    if (s.package == EventPackage::message_summary && !s.ending) send_notify(s);
  });
}

sip::Presence Core::presence_of(const std::string& account) {
  std::vector<sip::Presence> documents;
  const auto t = std::chrono::steady_clock::now();
  for (const auto& [etag, p] : publications_) {
    if (p.account == account && p.expires_at > t) documents.push_back(p.document);
  }
  if (documents.empty()) {
    // Nothing published: registered is available (RFC 3856 6.6 leaves
    // the composition to the server).
    auto contacts = bindings_.lookup(account, options_.wall_now());
    sip::Presence registered;
    registered.tuples.push_back(sip::PresenceTuple{.id = "registration", .open = contacts && !contacts->empty(),
                                                   .contact = "sip:" + account, .notes = {}});
    documents.push_back(std::move(registered));
  }
  return sip::aggregate("pres:" + account, documents);
}

std::vector<sip::DialogState> Core::dialogs_of(const std::string& account) const {
  std::vector<sip::DialogState> out;
  for (const auto& [server, p] : proxied_) {
    if (!p->invite || p->final_sent || p->caller.empty()) continue;
    const bool initiator = ascii_lower(p->caller) == account;
    if (!initiator && ascii_lower(p->callee) != account) continue;
    bool early = false;
    for (const auto& b : p->branches) early = early || b.provisional;
    const auto* txn = transactions_.find(server);
    sip::DialogState d;
    d.id = p->sid;
    d.call_id = txn != nullptr ? std::string(txn->request().call_id()) : p->sid;
    d.initiator = initiator;
    d.state = early ? "early" : "trying";
    d.remote = "sip:" + (initiator ? p->callee : p->caller);
    out.push_back(std::move(d));
  }
  for (const auto& [call_id, c] : calls_) {
    const bool initiator = ascii_lower(c.caller) == account;
    if (!initiator && ascii_lower(c.callee) != account) continue;
    out.push_back(sip::DialogState{.id = c.sid, .call_id = call_id, .local_tag = {}, .remote_tag = {},
                                   .initiator = initiator, .state = "confirmed",
                                   .remote = "sip:" + (initiator ? c.callee : c.caller)});
  }
  return out;
}

void Core::dialogs_changed(const std::string& caller, const std::string& callee, const sip::DialogState* ended) {
  const std::string a = ascii_lower(caller), b = ascii_lower(callee);
  auto notify = [&](Subscription& s) {
    if (s.package != EventPackage::dialog || s.pending || s.ending) return;
    if (ended != nullptr && s.ended.size() < kMaxEndedDialogs) {
      sip::DialogState d = *ended;
      d.initiator = s.account == a;
      d.remote = "sip:" + (d.initiator ? b : a);
      s.ended.push_back(std::move(d));
    }
    send_notify(s);
  };
  for_subscriptions_to(a, notify);
  if (b != a) for_subscriptions_to(b, notify);
}

// --- PUBLISH (RFC 3903) ------------------------------------------------

void Core::publish(sip::TransactionId id, const std::string& account, const std::string& subscriber) {
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) return;
  const sip::Message& request = txn->request();
  const std::string sid = sids_[id];
  const EventHeader event = parse_event(request.header("Event"));
  if (!event.package || *event.package != EventPackage::presence) {
    respond(id, 489, "Bad Event", {{"Allow-Events", "presence"}});
    return;
  }
  // Only the account itself says where it is.
  if (subscriber != account) {
    log::info("sip.publish.forbidden", "publication for another account",
              {{"sid", sid}, {"user", subscriber}, {"account", account}});
    respond(id, 403, reason_phrase(403));
    return;
  }
  const auto& s_ = settings();
  std::uint32_t expires = request.expires().value_or(s_.subscribe_default_expires);
  if (expires > 0 && expires < s_.subscribe_min_expires) {
    respond(id, 423, reason_phrase(423), {{"Min-Expires", std::to_string(s_.subscribe_min_expires)}});
    return;
  }
  expires = std::min(expires, s_.subscribe_max_expires);
  const auto if_match = request.header("SIP-If-Match");
  const bool has_body = !request.body().empty();
  std::optional<sip::Presence> document;
  if (has_body) {
    const std::string type = ascii_lower(request.header("Content-Type").value_or(""));
    if (type.substr(0, type.find(';')) != sip::kPidfType) {
      respond(id, 415, "Unsupported Media Type", {{"Accept", std::string(sip::kPidfType)}});
      return;
    }
    auto parsed = sip::parse_pidf(request.body());
    if (!parsed) {
      log::info("sip.publish.malformed", parsed.error().detail, {{"sid", sid}, {"user", account}});
      respond(id, 400, "Bad PIDF Document");
      return;
    }
    document = std::move(parsed.value());
  }
  const auto t = std::chrono::steady_clock::now();
  std::string etag;
  if (if_match) {
    auto it = publications_.find(std::string(*if_match));
    if (it == publications_.end() || it->second.account != account || it->second.expires_at <= t) {
      respond(id, 412, "Conditional Request Failed");
      return;
    }
    if (expires == 0) {
      if (it->second.timer) it->second.timer->cancel();
      publications_.erase(it);
      log::info("sip.publish.removed", "publication removed", {{"sid", sid}, {"user", account}});
      respond(id, 200, reason_phrase(200), {{"Expires", "0"}});
      presence_changed(account);
      return;
    }
    // A new entity tag for every successful PUBLISH (RFC 3903 6 step 7).
    Publication p = std::move(it->second);
    publications_.erase(it);
    if (document) p.document = std::move(*document);
    document.reset();
    etag = auth::hex_encode(auth::random_bytes(8));
    p.expires_at = t + std::chrono::seconds(expires);
    publications_.emplace(etag, std::move(p));
  } else {
    if (!document) {
      respond(id, 400, "Missing PIDF Document");
      return;
    }
    if (expires == 0) {
      respond(id, 200, reason_phrase(200), {{"Expires", "0"}});
      return;
    }
    std::size_t of_account = 0;
    for (const auto& [e, p] : publications_) of_account += p.account == account ? 1 : 0;
    if (of_account >= kMaxPublicationsPerAccount || publications_.size() >= kMaxPublications) {
      log::info("sip.publish.limit", "too many publications", {{"sid", sid}, {"user", account}});
      respond(id, 403, "Too Many Publications");
      return;
    }
    etag = auth::hex_encode(auth::random_bytes(8));
    Publication p;
    p.account = account;
    p.document = std::move(*document);
    p.expires_at = t + std::chrono::seconds(expires);
    publications_.emplace(etag, std::move(p));
  }
  Publication& p = publications_.at(etag);
  if (!p.timer) p.timer = std::make_unique<asio::steady_timer>(io_);
  p.timer->expires_at(p.expires_at);
  p.timer->async_wait([this, alive = alive_, etag](boost::system::error_code ec) {
    if (ec || !*alive) return;
    auto it = publications_.find(etag);
    if (it == publications_.end()) return;
    const std::string owner = it->second.account;
    publications_.erase(it);
    log::info("sip.publish.expired", "publication expired", {{"user", owner}});
    presence_changed(owner);
  });
  log::info("sip.publish.ok", if_match ? "publication refreshed" : "published",
            {{"sid", sid}, {"user", account}});
  respond(id, 200, reason_phrase(200), {{"SIP-ETag", etag}, {"Expires", std::to_string(expires)}});
  presence_changed(account);
}

// --- authorization -----------------------------------------------------

Status Core::allow_watcher(const std::string& account, const std::string& watcher) {
  if (rules_ == nullptr) return fail(Errc::unavailable, "no presence rules");
  if (auto s = rules_->allow(account, watcher); !s) return s;
  const std::string a = ascii_lower(account), w = ascii_lower(watcher);
  for_subscriptions_to(a, [&](Subscription& s) {
    if (s.watcher != w || !s.pending || s.ending) return;
    s.pending = false;
    log::info("sip.subscribe.allowed", "pending subscription activated", {{"sid", s.sid}, {"user", w}, {"account", a}});
    send_notify(s);
  });
  return {};
}

Status Core::deny_watcher(const std::string& account, const std::string& watcher) {
  if (rules_ == nullptr) return fail(Errc::unavailable, "no presence rules");
  auto removed = rules_->deny(account, watcher);
  if (!removed && removed.code() != Errc::not_found) return removed;
  const std::string a = ascii_lower(account), w = ascii_lower(watcher);
  // The domain's own watchers need no permission: denying changes nothing for them.
  if (lower_domain(w) == lower_domain(a)) return {};
  for_subscriptions_to(a, [&](Subscription& s) {
    if (s.watcher != w || s.ending || s.package == EventPackage::message_summary) return;
    s.ending = true;
    s.reason = "rejected";
    send_notify(s);
  });
  return {};
}

}  // namespace parley::sipd
