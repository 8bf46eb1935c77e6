// The stateful proxy of sipd's Core (RFC 3261 16): routing initial
// requests through the router to registered contacts, forking, CANCEL,
// the best response, loose routing inside dialogs.
#include <algorithm>
#include <optional>

#include "auth/encoding.h"
#include "core.h"
#include "core/ascii.h"
#include "log/log.h"
#include "sip/rewrite.h"

namespace parley::sipd {

namespace {

constexpr std::uint32_t kDefaultMaxForwards = 70;  // RFC 3261 16.6 step 3
constexpr std::size_t kMaxBranches = 32;           // contacts rung at once for one request
// How long the directory's answer "this domain is (not) ours" stands: a
// domain added or removed takes effect for callers within this time.
constexpr auto kDomainMemory = std::chrono::seconds(60);
// Domains remembered at once; From headers name any domain they like, so
// past this the memory starts afresh rather than grow.
constexpr std::size_t kMaxDomainsRemembered = 4096;

bool dialog_creating(std::string_view method) {
  return method == "INVITE" || method == "SUBSCRIBE" || method == "REFER";
}

int answer_status(const schema::Answer& answer) {
  switch (answer.outcome()) {
    case schema::OUTCOME_UNKNOWN_USER:
    case schema::OUTCOME_MAILBOX_MOVED: return 404;
    case schema::OUTCOME_RELAY_DENIED:
    case schema::OUTCOME_POLICY_REJECTED:
    case schema::OUTCOME_MAILBOX_DISABLED: return 403;
    case schema::OUTCOME_ROUTING_LOOP: return 482;
    case schema::OUTCOME_MISCONFIGURED: return 500;
    default: return 503;
  }
}

}  // namespace

// A 6xx wins; otherwise the lowest class; 503 is passed on as 500
// (step 6: it would make the client try elsewhere).
bool better(int candidate, int best) {
  if (best == 0) return true;
  if (best >= 600) return false;
  if (candidate >= 600) return true;
  return candidate / 100 < best / 100;
}

// --- dispatch ----------------------------------------------------------

void Core::handle_request(sip::TransactionId id, const Flow& flow) {
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) return;
  const sip::Message& request = txn->request();
  const std::string_view method = request.method();
  if (method == "CANCEL") return;  // handle_cancel answers it
  if (request.request_uri().scheme == sip::Scheme::other) {
    respond(id, 416, reason_phrase(416));
    return;
  }
  if (request.max_forwards() && *request.max_forwards() == 0) {
    respond(id, 483, reason_phrase(483));
    return;
  }
  const auto routes = own_routes(request, flow);
  if (request.to().tag().has_value()) {
    if (method == "SUBSCRIBE" && resubscribe(id)) return;  // a subscription of ours (presence.cpp)
    if (app_request(id)) return;                           // a call the server answered (apps.cpp)
    forward_in_dialog(id, flow);
    return;
  }
  if (request.routes().size() > routes.count && method != "REGISTER") {
    // A route set preloaded by the client that leads elsewhere would make
    // this server a relay for anyone (RFC 3261 16.4 lets a proxy refuse).
    respond(id, 403, "Preloaded Route Refused");
    return;
  }
  if (method == "REGISTER") {
    asio::co_spawn(io_, handle_register(id, flow), asio::detached);
    return;
  }
  if (request.request_uri().user.empty() && is_us(request.request_uri().host, request.request_uri().port)) {
    // Addressed to the server itself: OPTIONS is a ping (RFC 3261 11).
    if (method == "OPTIONS") {
      respond(id, 200, reason_phrase(200),
              {{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, INFO, UPDATE, REFER, PRACK, "
                         "SUBSCRIBE, NOTIFY, PUBLISH"},
               {"Accept", "application/sdp"}});
    } else {
      respond(id, 404, reason_phrase(404));
    }
    return;
  }
  asio::co_spawn(io_, route_initial(id, flow), asio::detached);
}

void Core::end_call(std::map<std::string, CallRecord>::iterator c, std::chrono::steady_clock::time_point now,
                    std::string_view reason) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - c->second.answered_at);
  log::info("sip.call.end", "call ended", {{"sid", c->second.sid}, {"call_id", c->first}, {"from", c->second.caller},
                                           {"to", c->second.callee}, {"elapsed_ms", elapsed.count()}, {"reason", reason}});
  const sip::DialogState ended{.id = c->second.sid, .call_id = c->first, .local_tag = {}, .remote_tag = {},
                               .initiator = false, .state = "terminated", .remote = {}};
  const CallRecord call = c->second;
  if (relays_.contains(c->first)) release_relay(c->first, call.sid);
  calls_.erase(c);
  dialogs_changed(call.caller, call.callee, &ended);
}

void Core::expire_calls(std::chrono::steady_clock::time_point now) {
  for (auto c = calls_.begin(); c != calls_.end();) {
    auto next = std::next(c);
    if (now - c->second.answered_at >= settings().max_call) {
      cseq_shifts_.erase(c->first);  // a trunk call's CSeq raise, kept for its BYE
      end_call(c, now, "timeout");
    }
    c = next;
  }
}

awaitable<std::optional<bool>> Core::local_domain(std::string address) {
  const std::string domain = ascii_lower(address.substr(address.rfind('@') + 1));
  const auto at = now();
  if (auto it = domains_.find(domain); it != domains_.end() && it->second.second > at) co_return it->second.first;
  schema::ResolveRequest who;
  who.add_addresses(address);
  auto alive = alive_;
  auto resolved = co_await backend_.resolve(std::move(who));
  if (!*alive || !resolved || resolved->results_size() != 1) co_return std::nullopt;
  const bool ours = resolved->results(0).kind() != schema::Resolution::KIND_NOT_LOCAL;
  if (domains_.size() >= kMaxDomainsRemembered) domains_.clear();
  domains_[domain] = {ours, now() + kDomainMemory};
  co_return ours;
}

awaitable<void> Core::route_initial(sip::TransactionId id, Flow flow) {
  Waiting waiting(waiting_);
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) co_return;
  const std::string sid = sids_[id];
  const std::string from = address_of(txn->request().from().uri);
  std::string target = address_of(txn->request().request_uri());
  // A call in through a trunk: to the address its number maps to.
  if (auto did = trunk_call_target(txn->request())) target = std::move(*did);
  auto alive = alive_;

  // Who is calling: a caller claiming one of our domains must prove it
  // (407) before anything about the target is looked up, so that a scanner
  // trying extension after extension learns nothing.
  std::string caller_account;
  if (!from.empty()) {
    auto local = co_await local_domain(from);
    if (!*alive) co_return;
    if (!local) {
      respond(id, 503, reason_phrase(503), {{"Retry-After", "10"}});
      co_return;
    }
    if (*local) {
      const std::string realm = from.substr(from.rfind('@') + 1);
      AuthDetails details;
      details.identity = from;
      auto account = co_await authenticate(id, flow, realm, true, &details);
      if (!*alive || !account) co_return;
      if (!details.identity_ok) {
        log::info("sip.request.forbidden", "From is not the authenticated account",
                  {{"sid", sid}, {"user", *account}, {"from", from}});
        respond(id, 403, "From Does Not Match Account");
        co_return;
      }
      caller_account = *account;
    }
  }
  txn = transactions_.find(id);
  if (txn == nullptr) co_return;
  if (target.empty()) {
    respond(id, 404, reason_phrase(404));
    co_return;
  }
  const sip::Message& request = txn->request();
  schema::RouteSignalRequest ask;
  ask.set_address(target);
  ask.set_media(backend_.media_available());
  auto* signal = ask.mutable_signal();
  signal->set_sid(sid);
  signal->set_is_request(true);
  signal->set_method(std::string(request.method()));
  signal->set_request_uri(std::string(request.request_uri_text()));
  signal->set_from_uri(std::string(request.from().uri_text));
  signal->set_call_id(std::string(request.call_id()));
  signal->set_auth_user(caller_account);
  signal->mutable_received_from()->set_address(flow.peer());
  auto plan = co_await backend_.route(std::move(ask));
  if (!*alive) co_return;
  txn = transactions_.find(id);
  if (txn == nullptr) co_return;
  if (!plan) {
    log::warn("sip.route.unavailable", plan.error().detail, {{"sid", sid}});
    respond(id, 503, reason_phrase(503), {{"Retry-After", "10"}});
    co_return;
  }
  if (txn->request().method() == "SUBSCRIBE" || txn->request().method() == "PUBLISH") {
    // Events of an account of ours are this server's to notify
    // (presence.cpp); a refusal of the router is answered below.
    std::string account;
    bool refused = false;
    for (const auto& t : plan->targets()) {
      refused = refused || t.kind() == schema::SignalTarget::KIND_REJECT;
      if (account.empty() && t.kind() == schema::SignalTarget::KIND_REGISTERED) account = t.account();
    }
    if (!refused && !account.empty()) {
      co_await serve_event(id, flow, account, caller_account);
      co_return;
    }
  }
  auto p = std::make_unique<Proxied>();
  p->server = id;
  p->sid = sid;
  p->invite = txn->request().method() == "INVITE";
  p->initial = true;
  p->caller = from;
  p->callee = target;
  p->started = options_.wall_now();
  p->plan = std::move(plan.value());
  Proxied& proxied = *p;
  proxied_[id] = std::move(p);
  drop_media_targets(proxied);
  for (const auto& t : proxied.plan.targets()) {
    if (t.kind() == schema::SignalTarget::KIND_REJECT) {
      const int status = answer_status(t.reject());
      log::info("sip.route.rejected", "refused by the router", {{"sid", sid}, {"to", target}, {"status", status}});
      final_answered(proxied, status);
      respond(id, status, reason_phrase(status));
      co_return;
    }
  }
  if (proxied.invite) {
    log::info("sip.call.start", "call", {{"sid", sid}, {"call_id", txn->request().call_id()}, {"from", from}, {"to", target}});
    dialogs_changed(from, target, nullptr);
    co_await relay_offer(id, flow);
    if (!*alive) co_return;
    // A CANCEL may have ended it meanwhile.
    txn = transactions_.find(id);
    if (txn == nullptr || !proxied_.contains(id) || proxied.final_sent) co_return;
  }
  std::size_t started = start_targets(proxied, proxied.plan.targets());
  if (started == 0 && proxied.plan.on_unregistered_size() > 0) {
    proxied.forwarded = true;
    started = start_targets(proxied, proxied.plan.on_unregistered());
  }
  if (started == 0 && proxied.plan.targets_size() > 0 && txn->request().method() == "MESSAGE" && store_message(proxied)) {
    co_return;
  }
  if (started == 0) {
    final_answered(proxied, 480);
    respond(id, 480, reason_phrase(480));
    co_return;
  }
  if (proxied.invite) start_timer_c(proxied);
}

std::size_t Core::start_targets(Proxied& p, const google::protobuf::RepeatedPtrField<schema::SignalTarget>& targets) {
  if (p.stage_timer) p.stage_timer->cancel();
  p.list = &targets;
  if (targets.empty()) return 0;
  std::uint32_t first = targets[0].stage();
  for (const auto& t : targets) first = std::min(first, t.stage());
  p.stage = first;
  std::size_t started = start_stage(p);
  if (started == 0) return next_stage(p);
  arm_stage_timer(p);
  return started;
}

std::size_t Core::next_stage(Proxied& p) {
  if (p.list == nullptr) return 0;
  for (;;) {
    std::optional<std::uint32_t> next;
    for (const auto& t : *p.list) {
      if (t.stage() > p.stage && (!next || t.stage() < *next)) next = t.stage();
    }
    if (!next) return 0;
    p.stage = *next;
    log::debug("sip.proxy.stage", "next stage", {{"sid", p.sid}, {"count", p.stage}});
    const std::size_t started = start_stage(p);
    if (started > 0) {
      arm_stage_timer(p);
      return started;
    }
  }
}

void Core::arm_stage_timer(Proxied& p) {
  if (!p.invite || p.list == nullptr) return;
  // The stage rings as long as its targets say (the largest), and only
  // when another stage waits after it.
  std::uint32_t seconds = 0;
  bool later = false;
  for (const auto& t : *p.list) {
    if (t.stage() == p.stage) seconds = std::max(seconds, t.stage_seconds());
    later = later || t.stage() > p.stage;
  }
  if (!later || seconds == 0) return;
  if (!p.stage_timer) p.stage_timer = std::make_unique<asio::steady_timer>(io_);
  p.stage_timer->expires_after(std::chrono::seconds(seconds));
  const auto server = p.server;
  p.stage_timer->async_wait([this, alive = alive_, server](boost::system::error_code ec) {
    if (ec || !*alive) return;
    stage_timed_out(server);
  });
}

void Core::stage_timed_out(sip::TransactionId server) {
  auto it = proxied_.find(server);
  if (it == proxied_.end() || it->second->final_sent) return;
  Proxied& p = *it->second;
  // The next stage first: when nothing further can ring, the branches
  // ringing now go on ringing.
  const std::size_t before = p.branches.size();
  if (next_stage(p) == 0) return;
  for (std::size_t i = 0; i < before; ++i) {
    Branch& b = p.branches[i];
    if (b.status != 0 || b.abandoned) continue;
    b.abandoned = true;
    cancel_branch(p, b);
  }
}

void Core::drop_media_targets(Proxied& p) {
  if (backend_.media_available()) return;
  for (auto* list : {p.plan.mutable_targets(), p.plan.mutable_on_busy(), p.plan.mutable_on_no_answer(),
                     p.plan.mutable_on_unregistered()}) {
    const auto before = list->size();
    for (int i = list->size() - 1; i >= 0; --i) {
      if (list->Get(i).kind() == schema::SignalTarget::KIND_MEDIA) list->DeleteSubrange(i, 1);
    }
    if (list->size() != before) {
      log::debug("sip.route.no_media", "media target left out: no media process", {{"sid", p.sid}});
    }
  }
}

std::size_t Core::start_stage(Proxied& p) {
  std::size_t started = 0;
  const auto* txn = transactions_.find(p.server);
  if (txn == nullptr || p.list == nullptr) return 0;
  // A Route to this server the phone preloaded (its outbound proxy) is
  // taken off.
  const std::size_t ours = own_routes(txn->request(), flows_[p.server]).count;
  for (const auto& t : *p.list) {
    if (t.stage() != p.stage) continue;
    if (t.kind() == schema::SignalTarget::KIND_REGISTERED) {
      auto contacts = bindings_.lookup(t.account(), options_.wall_now());
      if (!contacts) {
        log::error("sip.route.bindings", contacts.error().detail, {{"sid", p.sid}, {"account", t.account()}});
        continue;
      }
      for (const auto& b : *contacts) {
        auto flow = parse_flow(b.flow);
        if (!flow) continue;
        if (!transport_.usable(*flow)) {
          // The connection it registered on is gone (a restart, a phone
          // that hung up its TCP connection): reach the contact itself.
          auto contact = sip::parse_uri(b.uri);
          if (!contact) continue;
          flow = next_hop(*contact, std::nullopt);
          if (!flow) continue;
        }
        Leg leg{.account = t.account(), .request_uri = b.uri, .drop_routes = ours, .record_route = true, .flow = *flow};
        if (start_branch(p, leg)) ++started;
      }
    } else if (t.kind() == schema::SignalTarget::KIND_EXTERNAL) {
      auto uri = sip::parse_uri(t.uri());
      if (!uri) continue;
      Leg leg{.account = {}, .request_uri = t.uri(), .drop_routes = ours, .record_route = true, .flow = {}};
      // Through a trunk: the number at the trunk's domain, sent to its proxy.
      std::optional<sip::Uri> trunk_proxy;
      if (!t.trunk().empty()) {
        const Trunk* trunk = settings().trunk(t.trunk());
        if (trunk != nullptr && !uri->user.empty()) {
          if (auto parsed = sip::parse_uri(trunk->proxy)) trunk_proxy = std::move(parsed.value());
        }
        if (!trunk_proxy || trunk_proxy->host.empty()) {
          log::warn("sip.route.no_trunk", "no such trunk", {{"sid", p.sid}, {"account", t.trunk()}});
          continue;
        }
        leg.request_uri = (uri->scheme == sip::Scheme::sips ? "sips:" : "sip:") + uri->user + "@" + trunk->domain;
        leg.trunk = trunk->name;
      }
      const sip::Uri& hop = trunk_proxy ? *trunk_proxy : *uri;
      if (auto named = named_destination(hop)) {
        start_located(p, std::move(leg), std::move(*named));
        ++started;
        continue;
      }
      auto flow = next_hop(hop, std::nullopt);
      if (!flow) {
        log::info("sip.route.unreachable", "no next hop for an external target", {{"sid", p.sid}, {"to", t.uri()}});
        continue;
      }
      leg.flow = *flow;
      if (start_branch(p, leg)) ++started;
    } else if (t.kind() == schema::SignalTarget::KIND_MEDIA) {
      if (start_application(p, t)) ++started;
    }
  }
  return started;
}

bool Core::start_branch(Proxied& p, const Leg& leg) {
  if (p.branches.size() >= kMaxBranches) return false;
  const auto* txn = transactions_.find(p.server);
  if (txn == nullptr) return false;
  const sip::Message& request = txn->request();
  auto from_it = flows_.find(p.server);
  if (from_it == flows_.end()) return false;
  const Flow from = from_it->second;
  sip::Rewrite edits;
  if (!leg.request_uri.empty()) edits.request_uri = leg.request_uri;
  edits.prepend.push_back("Via: " + via_value(leg.flow.kind, new_branch()));
  // Credentials for this server's realm were used here; they go no
  // further (RFC 3261 22.3).
  if (leg.record_route) edits.remove.push_back("Proxy-Authorization");
  if (leg.record_route && dialog_creating(request.method())) {
    // Two entries, one for each side (RFC 5658): the callee's side on top.
    edits.prepend.push_back("Record-Route: " + record_route(leg.flow));
    edits.prepend.push_back("Record-Route: " + record_route(from));
  }
  edits.drop_routes = leg.drop_routes;
  edits.max_forwards = request.max_forwards().value_or(kDefaultMaxForwards + 1) - 1;
  if (!p.offer_body.empty()) edits.body = p.offer_body;
  if (!leg.credentials.empty()) edits.append.push_back(leg.credentials);
  if (leg.cseq_shift > 0) {
    edits.remove.push_back("CSeq");
    edits.append.push_back("CSeq: " + std::to_string(request.cseq().number + leg.cseq_shift) + " " +
                           std::string(request.cseq().method));
  }
  auto out = sip::parse_message(sip::rewrite(request, edits));
  if (!out) {
    log::warn("sip.proxy.rewrite", out.error().detail, {{"sid", p.sid}});
    return false;
  }
  auto started = transactions_.start_client(std::move(out.value()), leg.flow.reliable(), now());
  if (!started) {
    log::warn("sip.proxy.branch", started.error().detail, {{"sid", p.sid}});
    return false;
  }
  const auto id = started->id;
  flows_[id] = leg.flow;
  sids_[id] = p.sid;
  branch_of_[id] = {p.server, p.branches.size()};
  Branch branch;
  branch.client = id;
  branch.account = leg.account;
  branch.flow = leg.flow;
  branch.leg = leg;
  p.branches.push_back(std::move(branch));
  log::debug("sip.proxy.branch", "forwarded", {{"sid", p.sid}, {"account", leg.account}, {"flow", leg.flow.name()}});
  perform(id, std::move(started->actions), nullptr);
  return true;
}

// --- inside dialogs ----------------------------------------------------

Core::OwnRoutes Core::own_routes(const sip::Message& request, const Flow& from) const {
  OwnRoutes out;
  for (const auto& r : request.routes()) {
    if (!is_us(r.uri.host, r.uri.port)) break;
    ++out.count;
    auto f = parse_flow_token(r.uri.user, options_.key);
    if (!f) continue;
    out.token = true;
    if (!(*f == from)) out.next = f;
  }
  return out;
}

void Core::forward_in_dialog(sip::TransactionId id, const Flow& flow) {
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) return;
  const sip::Message& request = txn->request();
  const auto routes = own_routes(request, flow);
  if (!routes.token) {
    // Only dialogs this proxy record-routed are routed (its flow tokens
    // are signed): anything else would make it an open relay.
    respond(id, routes.count == 0 && request.routes().empty() ? 481 : 403, routes.count == 0 ? reason_phrase(481) : reason_phrase(403));
    return;
  }
  const std::size_t ours = routes.count;
  const sip::Uri& next = request.routes().size() > ours ? request.routes()[ours].uri : request.request_uri();
  auto hop = next_hop(next, request.routes().size() > ours ? std::nullopt : routes.next);
  auto named = hop ? std::nullopt : named_destination(next);
  if (!hop && !named) {
    respond(id, 404, reason_phrase(404));
    return;
  }
  auto p = std::make_unique<Proxied>();
  p->server = id;
  p->sid = sids_[id];
  p->invite = request.method() == "INVITE";
  Proxied& proxied = *p;
  proxied_[id] = std::move(p);
  note_relayed_request(request);
  if (request.method() == "BYE") {
    if (auto c = calls_.find(std::string(request.call_id())); c != calls_.end()) {
      end_call(c, std::chrono::steady_clock::now(), "bye");
    }
  }
  Leg leg{.account = {}, .request_uri = {}, .drop_routes = ours, .record_route = false, .flow = {}};
  // The caller's requests in a dialog whose INVITE's CSeq a trunk raised.
  if (auto shift = cseq_shifts_.find(request.call_id());
      shift != cseq_shifts_.end() && request.from().tag().value_or("") == shift->second.second) {
    leg.cseq_shift = shift->second.first;
  }
  if (request.method() == "BYE") cseq_shifts_.erase(std::string(request.call_id()));
  if (named) {
    start_located(proxied, std::move(leg), std::move(*named));
    return;
  }
  leg.flow = *hop;
  // A new offer in a relayed call (hold, a new address, a session refresh)
  // goes through the relay first.
  if (relays_.contains(request.call_id()) && (request.method() == "INVITE" || request.method() == "UPDATE")) {
    asio::co_spawn(io_, relay_in_dialog(id, std::move(leg)), asio::detached);
    return;
  }
  start_in_dialog(proxied, leg);
}

void Core::start_in_dialog(Proxied& p, const Leg& leg) {
  if (!start_branch(p, leg)) {
    const auto id = p.server;
    proxied_.erase(id);
    respond(id, 500, reason_phrase(500));
  }
}

void Core::forward_ack(const sip::Message& ack, const Flow& flow) {
  // The ACK for a 2xx is its own transaction-less request (RFC 3261 16.7
  // and 13.2.2.4): forwarded statelessly along the route set.
  const auto routes = own_routes(ack, flow);
  if (!routes.token) return;
  const std::size_t ours = routes.count;
  const sip::Uri& next = ack.routes().size() > ours ? ack.routes()[ours].uri : ack.request_uri();
  auto hop = next_hop(next, ack.routes().size() > ours ? std::nullopt : routes.next);
  sip::Rewrite edits;
  edits.drop_routes = ours;
  edits.max_forwards = ack.max_forwards().value_or(kDefaultMaxForwards + 1) - 1;
  // The ACK of a 2xx carries its INVITE's CSeq: raised as the INVITE was.
  if (auto shift = cseq_shifts_.find(ack.call_id());
      shift != cseq_shifts_.end() && ack.from().tag().value_or("") == shift->second.second) {
    edits.remove.push_back("CSeq");
    edits.append.push_back("CSeq: " + std::to_string(ack.cseq().number + shift->second.first) + " ACK");
  }
  if (!hop) {
    if (auto named = named_destination(next)) {
      asio::co_spawn(io_, forward_ack_located(sip::rewrite(ack, edits), std::move(*named)), asio::detached);
    }
    return;
  }
  edits.prepend.push_back("Via: " + via_value(hop->kind, new_branch()));
  (void)transport_.send(*hop, sip::rewrite(ack, edits));
}

void Core::handle_cancel(sip::Message cancel, const Flow& flow) {
  sip::TransactionId invite = 0;
  const bool known = transactions_.cancel_target(cancel, &invite) != nullptr;
  auto started = transactions_.start_server(std::move(cancel), flow.reliable(), now());
  if (!started) return;
  const auto id = started->id;
  flows_[id] = flow;
  sids_[id] = known && sids_.contains(invite) ? sids_[invite] : options_.next_sid();
  perform(id, std::move(started->actions), nullptr);
  if (!known) {
    respond(id, 481, reason_phrase(481));
    return;
  }
  respond(id, 200, reason_phrase(200));
  auto p = proxied_.find(invite);
  if (p == proxied_.end()) {
    // Not routed yet (waiting for the directory or router): end it now.
    respond(invite, 487, reason_phrase(487));
    return;
  }
  Proxied& proxied = *p->second;
  if (proxied.final_sent) return;
  proxied.cancelled = true;
  cancel_branches(proxied);
  final_answered(proxied, 487);
  respond(invite, 487, reason_phrase(487));
}

// --- responses ---------------------------------------------------------

void Core::on_branch_response(sip::TransactionId client, const sip::Message& received) {
  if (deliveries_.contains(client)) {
    on_delivery_response(client, received.status());
    return;
  }
  if (trunk_registers_.contains(client)) {
    on_trunk_response(client, received);
    return;
  }
  if (notifies_.contains(client)) {
    on_notify_response(client, received.status());
    return;
  }
  if (byes_.contains(client)) return;  // the caller's answer to our BYE (apps.cpp)
  auto at = branch_of_.find(client);
  if (at == branch_of_.end()) return;  // the answer to a CANCEL of ours
  auto p_it = proxied_.find(at->second.first);
  // A branch whose CSeq was raised (a trunk's challenge answered): the
  // caller hears its own number.
  std::optional<sip::Message> lowered;
  if (p_it != proxied_.end() && p_it->second->branches[at->second.second].leg.cseq_shift > 0) {
    const std::uint32_t shift = p_it->second->branches[at->second.second].leg.cseq_shift;
    sip::Rewrite edits;
    edits.remove.push_back("CSeq");
    edits.append.push_back("CSeq: " + std::to_string(received.cseq().number - std::min(shift, received.cseq().number)) +
                           " " + std::string(received.cseq().method));
    auto again = sip::parse_message(sip::rewrite(received, edits));
    if (again) lowered = std::move(again.value());
  }
  const sip::Message& response = lowered ? *lowered : received;
  const auto [server, index] = at->second;
  // A relayed call's answer goes on with the relay's address; the relay
  // may have to be asked first (relay_answer then goes on from here).
  if (response.status() > 100 && response.status() < 300 && relays_.contains(response.call_id())) {
    auto body = relayed_answer(server, index, response);
    if (body) deliver_answer(server, index, response, std::move(*body));
    return;
  }
  deliver_answer(server, index, response);
}

void Core::deliver_answer(sip::TransactionId server, std::size_t index, const sip::Message& response,
                          std::optional<std::string> body) {
  if (body && *body != response.body()) {
    sip::Rewrite edits;
    edits.body = std::move(*body);
    auto with_body = sip::parse_message(sip::rewrite(response, edits));
    if (!with_body) return;
    return deliver_answer(server, index, *with_body);
  }
  auto p_it = proxied_.find(server);
  if (p_it == proxied_.end()) {
    if (response.status() >= 200 && response.status() < 300) forward_response_stateless(response);
    return;
  }
  on_answer(*p_it->second, index, response);
}

// A branch's response as the caller will see it (CSeq lowered, the
// relay's address in its SDP).
void Core::on_answer(Proxied& p, std::size_t index, const sip::Message& response) {
  Branch& b = p.branches[index];
  const int status = response.status();
  if (status == 100) return;
  if (status < 200) {
    const bool was_provisional = b.provisional;
    b.provisional = true;
    if (b.cancel_pending) {
      send_cancel(p, b);
      return;
    }
    if (!p.final_sent) {
      forward_response(p, response);
      if (p.invite) start_timer_c(p);
      if (p.invite && p.initial && !was_provisional) dialogs_changed(p.caller, p.callee, nullptr);
    }
    return;
  }
  b.status = status;
  // RFC 3263 4.3: a located server that answers 503 is as good as down.
  if (status == 503 && fail_over(p, index)) return;
  // A trunk asks the call for credentials: given once (RFC 3261 22.3),
  // after the transaction's ACK of the challenge has left.
  if ((status == 401 || status == 407) && !b.leg.trunk.empty() && b.leg.credentials.empty() && !p.final_sent) {
    asio::post(io_, [this, alive = alive_, server = p.server, index, wire = response.serialize()] {
      if (!*alive) return;
      auto it = proxied_.find(server);
      auto challenge = sip::parse_message(wire);
      if (it == proxied_.end() || !challenge) return;
      Proxied& q = *it->second;
      if (answer_trunk_challenge(q, index, *challenge)) return;
      if (!q.branches[index].abandoned && better(challenge->status(), q.best_status)) {
        q.best_status = challenge->status();
        q.best_wire = wire;
      }
      branch_done(q);
    });
    return;
  }
  if (status < 300) {
    const bool first = !p.final_sent;
    forward_response(p, response);  // every 2xx of an INVITE goes on (RFC 3261 16.7 step 5)
    if (first) {
      if (p.invite && p.initial) {
        note_relayed_answer(response, b.flow);
        log::info("sip.call.answer", "answered", {{"sid", p.sid}, {"call_id", response.call_id()}, {"from", p.caller},
                                                  {"to", b.account.empty() ? p.callee : b.account}});
        if (calls_.size() < kMaxCalls) {
          const std::int64_t t = options_.wall_now();
          calls_[std::string(response.call_id())] =
              CallRecord{p.sid, std::string(response.call_id()), p.caller, b.account.empty() ? p.callee : b.account, p.started, t,
                         std::chrono::steady_clock::now()};
        }
        dialogs_changed(p.caller, b.account.empty() ? p.callee : b.account, nullptr);
      }
      cancel_branches(p);
    }
    return;
  }
  if (!b.abandoned && better(status, p.best_status)) {
    p.best_status = status;
    p.best_wire = response.serialize();
  }
  if (status >= 600) cancel_branches(p);
  branch_done(p);
}

void Core::on_branch_failed(sip::TransactionId client, int status) {
  if (auto t = trunk_registers_.find(client); t != trunk_registers_.end()) {
    const std::string name = t->second;
    trunk_registers_.erase(t);
    trunk_failed(name, status, status == 408 ? "the registrar did not answer" : "the registrar is unreachable");
    return;
  }
  if (notifies_.contains(client)) {
    on_notify_response(client, status);
    return;
  }
  if (byes_.contains(client)) return;
  auto at = branch_of_.find(client);
  if (at == branch_of_.end()) return;
  auto p_it = proxied_.find(at->second.first);
  if (p_it == proxied_.end()) return;
  Proxied& p = *p_it->second;
  Branch& b = p.branches[at->second.second];
  if (b.status != 0) return;
  b.status = status;
  if (fail_over(p, at->second.second)) return;
  if (!b.abandoned && better(status, p.best_status)) {
    p.best_status = status;
    p.best_wire.clear();
  }
  branch_done(p);
}

void Core::branch_done(Proxied& p) {
  if (p.final_sent || p.locating > 0) return;
  bool busy = true;
  for (const auto& b : p.branches) {
    if (b.status == 0) return;
    if (!b.abandoned) busy = busy && (b.status == 486 || b.status == 600);
  }
  // Every branch so far failed: the next stage rings, unless a 6xx ended
  // the search (RFC 3261 16.7 step 5 and 6).
  if (p.best_status < 600 && next_stage(p) > 0) return;
  if (busy && !p.forwarded && p.plan.on_busy_size() > 0) {
    p.forwarded = true;
    if (start_targets(p, p.plan.on_busy()) > 0) return;
  }
  if (!p.best_wire.empty()) {
    auto best = sip::parse_message(p.best_wire);
    if (best) {
      if (best->status() == 503) {
        // 503 is not passed on (RFC 3261 16.7 step 6).
        final_answered(p, 500);
        respond(p.server, 500, reason_phrase(500));
        return;
      }
      forward_response(p, *best);
      return;
    }
  }
  const int status = p.best_status == 0 ? 480 : p.best_status;
  final_answered(p, status);
  respond(p.server, status, reason_phrase(status));
}

void Core::forward_response(Proxied& p, const sip::Message& response) {
  sip::Rewrite edits;
  edits.drop_vias = 1;
  auto out = sip::parse_message(sip::rewrite(response, edits));
  if (!out) return;
  if (out->status() >= 200 && !p.final_sent) final_answered(p, out->status());
  auto update = transactions_.send_response(p.server, *out, now());
  if (!update) return;
  perform(update->id, std::move(update->actions), nullptr);
}

void Core::final_answered(Proxied& p, int status) {
  if (p.final_sent) return;
  p.final_sent = true;
  if (p.timer_c) p.timer_c->cancel();
  if (p.stage_timer) p.stage_timer->cancel();
  if (p.invite && p.initial && status >= 300) {
    const auto* txn = transactions_.find(p.server);
    if (txn != nullptr) cseq_shifts_.erase(std::string(txn->request().call_id()));
    if (txn != nullptr && relays_.contains(txn->request().call_id())) release_relay(std::string(txn->request().call_id()), p.sid);
    log::info("sip.call.end", "call not answered",
              {{"sid", p.sid}, {"call_id", txn ? txn->request().call_id() : std::string_view{}}, {"from", p.caller},
               {"to", p.callee}, {"status", status}, {"reason", reason_phrase(status)}});
    const sip::DialogState ended{.id = p.sid, .call_id = txn ? std::string(txn->request().call_id()) : p.sid,
                                 .local_tag = {}, .remote_tag = {}, .initiator = false, .state = "terminated",
                                 .remote = {}};
    dialogs_changed(p.caller, p.callee, &ended);
  }
}

void Core::cancel_branches(Proxied& p) {
  if (p.stage_timer) p.stage_timer->cancel();
  for (auto& b : p.branches) cancel_branch(p, b);
}

void Core::cancel_branch(Proxied& p, Branch& b) {
  if (b.status != 0 || !p.invite) return;
  if (b.provisional) {
    send_cancel(p, b);
  } else {
    b.cancel_pending = true;
  }
}

void Core::send_cancel(Proxied& p, Branch& b) {
  b.cancel_pending = false;
  const auto* txn = transactions_.find(b.client);
  if (txn == nullptr) return;
  auto cancel = txn->make_cancel();
  if (!cancel) return;
  auto started = transactions_.start_client(std::move(cancel.value()), b.flow.reliable(), now());
  if (!started) return;
  flows_[started->id] = b.flow;
  sids_[started->id] = p.sid;
  perform(started->id, std::move(started->actions), nullptr);
}

void Core::forward_response_stateless(const sip::Message& response) {
  const auto& vias = response.vias();
  if (vias.size() < 2 || !is_us(vias[0].host, vias[0].port)) return;
  const auto& next = vias[1];
  Flow::Kind kind = Flow::Kind::udp;
  for (auto k : {Flow::Kind::tcp, Flow::Kind::tls, Flow::Kind::ws, Flow::Kind::wss}) {
    if (ascii_iequal(next.transport, via_transport(k))) kind = k;
  }
  std::string host(next.received().value_or(next.host));
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::uint16_t port = next.rport().value_or(next.port.value_or(kind == Flow::Kind::tls ? 5061 : 5060));
  auto flow = transport_.flow_to(kind, host, port);
  if (!flow) return;
  sip::Rewrite edits;
  edits.drop_vias = 1;
  (void)transport_.send(*flow, sip::rewrite(response, edits));
}

void Core::end_proxied(sip::TransactionId server) {
  auto p = proxied_.find(server);
  if (p == proxied_.end()) return;
  if (p->second->timer_c) p->second->timer_c->cancel();
  if (p->second->stage_timer) p->second->stage_timer->cancel();
  proxied_.erase(p);
}

void Core::start_timer_c(Proxied& p) {
  if (!p.timer_c) p.timer_c = std::make_unique<asio::steady_timer>(io_);
  auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(settings().invite_timeout);
  if (!p.forwarded && p.plan.on_no_answer_size() > 0 && p.plan.no_answer_seconds() > 0) {
    wait = std::chrono::seconds(p.plan.no_answer_seconds());
  }
  p.timer_c->expires_after(wait);
  const auto server = p.server;
  p.timer_c->async_wait([this, alive = alive_, server](boost::system::error_code ec) {
    if (ec || !*alive) return;
    auto it = proxied_.find(server);
    if (it == proxied_.end() || it->second->final_sent) return;
    Proxied& q = *it->second;
    cancel_branches(q);
    for (auto& b : q.branches) b.abandoned = b.abandoned || b.status == 0;
    if (!q.forwarded && q.plan.on_no_answer_size() > 0) {
      q.forwarded = true;
      if (start_targets(q, q.plan.on_no_answer()) > 0) {
        start_timer_c(q);
        return;
      }
    }
    final_answered(q, 408);
    respond(server, 408, reason_phrase(408));
  });
}

// --- where to ----------------------------------------------------------

std::optional<Flow> Core::next_hop(const sip::Uri& uri, const std::optional<Flow>& token_flow) {
  if (token_flow) return token_flow;
  if (uri.scheme != sip::Scheme::sip && uri.scheme != sip::Scheme::sips) return std::nullopt;
  Flow::Kind kind = uri.scheme == sip::Scheme::sips ? Flow::Kind::tls : Flow::Kind::udp;
  if (const auto* t = uri.param("transport")) {
    for (auto k : {Flow::Kind::udp, Flow::Kind::tcp, Flow::Kind::tls, Flow::Kind::ws, Flow::Kind::wss}) {
      if (ascii_iequal(t->value, uri_transport(k))) kind = k;
    }
  }
  std::string host = uri.host;
  if (const auto* maddr = uri.param("maddr")) host = maddr->value;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;  // a name: RFC 3263 location is the external-call step's
  const std::uint16_t port = uri.port.value_or(kind == Flow::Kind::tls ? 5061 : 5060);
  auto flow = transport_.flow_to(kind, host, port);
  if (!flow) return std::nullopt;
  return *flow;
}

// --- located servers (RFC 3263) ----------------------------------------

namespace {

Flow::Kind flow_kind(dns::Transport transport) {
  switch (transport) {
    case dns::Transport::tcp: return Flow::Kind::tcp;
    case dns::Transport::tls: return Flow::Kind::tls;
    default: return Flow::Kind::udp;
  }
}

}  // namespace

std::optional<dns::SipDestination> Core::named_destination(const sip::Uri& uri) const {
  if (uri.scheme != sip::Scheme::sip && uri.scheme != sip::Scheme::sips) return std::nullopt;
  std::string host = uri.host;
  if (const auto* maddr = uri.param("maddr")) host = maddr->value;
  if (host.empty() || host.front() == '[') return std::nullopt;
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) return std::nullopt;
  dns::SipDestination to;
  to.host = ascii_lower(host);
  to.port = uri.port;
  if (const auto* t = uri.param("transport")) to.transport = t->value;
  to.sips = uri.scheme == sip::Scheme::sips;
  return to;
}

void Core::start_located(Proxied& p, Leg leg, dns::SipDestination to) {
  ++p.locating;
  asio::co_spawn(io_, locate_leg(p.server, std::move(leg), std::move(to)), asio::detached);
}

awaitable<void> Core::locate_leg(sip::TransactionId server, Leg leg, dns::SipDestination to) {
  Waiting waiting(waiting_);
  auto alive = alive_;
  const std::string host = to.host;
  auto found = co_await backend_.locate(std::move(to));
  if (!*alive) co_return;
  // The request may have been cancelled, answered (timer C) or ended
  // while DNS answered.
  auto it = proxied_.find(server);
  if (it == proxied_.end()) co_return;
  Proxied& p = *it->second;
  --p.locating;
  if (p.final_sent || p.cancelled) co_return;
  bool started = false;
  int status = 503;
  if (!found) {
    log::info("sip.route.unresolved", found.error().detail, {{"sid", p.sid}, {"host", host}});
    if (found.code() == Errc::not_found) status = 404;
  } else {
    log::debug("sip.route.located", "servers located", {{"sid", p.sid}, {"host", host}, {"count", found->size()}});
    started = start_on_targets(p, std::move(leg), std::move(found.value()), host);
  }
  if (started) co_return;
  if (better(status, p.best_status)) {
    p.best_status = status;
    p.best_wire.clear();
  }
  branch_done(p);
}

bool Core::start_on_targets(Proxied& p, Leg leg, std::vector<dns::Target> targets, const std::string& host) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const dns::Target& t = targets[i];
    auto flow = transport_.flow_to_server(flow_kind(t.transport), t.address.to_string(), t.port, host);
    if (!flow) {
      log::debug("sip.route.skipped", flow.error().detail, {{"sid", p.sid}, {"host", host}, {"address", t.address.to_string()}});
      continue;
    }
    leg.flow = *flow;
    if (!start_branch(p, leg)) return false;
    Branch& b = p.branches.back();
    b.fallback.assign(targets.begin() + static_cast<std::ptrdiff_t>(i) + 1, targets.end());
    b.host = host;
    return true;
  }
  return false;
}

bool Core::fail_over(Proxied& p, std::size_t index) {
  Branch& b = p.branches[index];
  if (b.fallback.empty() || b.abandoned || p.final_sent || p.cancelled) return false;
  std::vector<dns::Target> targets = std::move(b.fallback);
  b.fallback.clear();
  const Leg leg = b.leg;
  const std::string host = b.host;
  log::info("sip.route.failover", "server failed; trying the next", {{"sid", p.sid}, {"host", host},
                                                                   {"flow", b.flow.name()}, {"status", b.status}});
  if (!start_on_targets(p, leg, std::move(targets), host)) return false;
  p.branches[index].abandoned = true;  // the reference may have moved
  return true;
}

awaitable<void> Core::forward_ack_located(std::string wire, dns::SipDestination to) {
  auto alive = alive_;
  const std::string host = to.host;
  auto found = co_await backend_.locate(std::move(to));
  if (!*alive || !found || found->empty()) co_return;
  const dns::Target& t = found->front();
  auto flow = transport_.flow_to_server(flow_kind(t.transport), t.address.to_string(), t.port, host);
  if (!flow) co_return;
  auto ack = sip::parse_message(wire);
  if (!ack) co_return;
  sip::Rewrite edits;
  edits.prepend.push_back("Via: " + via_value(flow->kind, new_branch()));
  (void)transport_.send(*flow, sip::rewrite(*ack, edits));
}

std::string Core::via_value(Flow::Kind kind, std::string_view branch) const {
  auto local = transport_.local(kind);
  if (!local) local = transport_.local(Flow::Kind::udp);
  std::string host = local ? local->host : settings().hostname;
  std::uint16_t port = local ? local->port : 5060;
  return "SIP/2.0/" + std::string(via_transport(kind)) + " " + host + ":" + std::to_string(port) +
         ";branch=" + std::string(branch);
}

std::string Core::record_route(const Flow& flow) const {
  auto local = transport_.local(flow.kind);
  if (!local) local = transport_.local(Flow::Kind::udp);
  std::string host = local ? local->host : settings().hostname;
  std::uint16_t port = local ? local->port : 5060;
  std::string out = "<sip:" + flow_token(flow, options_.key) + "@" + host + ":" + std::to_string(port);
  if (flow.kind != Flow::Kind::udp) out += ";transport=" + std::string(uri_transport(flow.kind));
  return out + ";lr>";
}

}  // namespace parley::sipd
