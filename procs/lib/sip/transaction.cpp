#include "sip/transaction.h"

#include <algorithm>
#include <utility>

#include "core/ascii.h"

namespace parley::sip {

std::string_view timer_name(Timer timer) {
  static constexpr std::string_view kNames[] = {"A", "B", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M"};
  return kNames[static_cast<int>(timer)];
}

std::string_view state_name(TransactionState state) {
  switch (state) {
    case TransactionState::calling: return "calling";
    case TransactionState::trying: return "trying";
    case TransactionState::proceeding: return "proceeding";
    case TransactionState::completed: return "completed";
    case TransactionState::confirmed: return "confirmed";
    case TransactionState::accepted: return "accepted";
    case TransactionState::terminated: return "terminated";
  }
  return "?";
}

namespace {

std::optional<std::string_view> rfc3261_branch(const Message& m) {
  const auto branch = m.vias().front().branch();
  if (!branch || !branch->starts_with(kMagicCookie)) return std::nullopt;
  return branch;
}

// The lines an ACK or CANCEL copies from the INVITE: the top Via only (the
// first value of the first Via line), then Route lines as they were.
void append_top_via_and_routes(std::string& out, const Message& request) {
  out.append("Via: ").append(request.values("Via").front()).append("\r\n");
  for (const auto& h : request.headers()) {
    if (ascii_lower(h.name) == "route") out.append("Route: ").append(h.value).append("\r\n");
  }
}

// The ACK for a non-2xx final response (RFC 3261 17.1.1.3) and the CANCEL
// of an INVITE (9.1) are alike: the INVITE's Request-URI, top Via, Route
// headers, From, Call-ID and CSeq number, with `method`, and `to`.
Result<Message> request_like_invite(std::string_view method, const Message& invite, std::string_view to) {
  std::string out(method);
  out.append(" ").append(invite.request_uri_text()).append(" SIP/2.0\r\n");
  append_top_via_and_routes(out, invite);
  out.append("Max-Forwards: 70\r\n");
  out.append("From: ").append(*invite.header("From")).append("\r\n");
  out.append("To: ").append(to).append("\r\n");
  out.append("Call-ID: ").append(invite.call_id()).append("\r\n");
  out.append("CSeq: ").append(std::to_string(invite.cseq().number)).append(" ").append(method).append("\r\n");
  out.append("Content-Length: 0\r\n\r\n");
  auto made = parse_message(std::move(out));
  if (!made) return Error{Errc::invalid, std::string(method) + " does not parse: " + made.error().detail};
  return made;
}

}  // namespace

Result<Message> make_ack(const Message& invite, const Message& response) {
  if (!invite.is_request() || invite.method() != "INVITE") return fail(Errc::invalid, "not an INVITE");
  if (response.is_request() || response.status() < 300) return fail(Errc::invalid, "not a 300-699 response");
  return request_like_invite("ACK", invite, *response.header("To"));
}

std::optional<TransactionKey> client_key(const Message& m) {
  const auto branch = rfc3261_branch(m);
  if (!branch) return std::nullopt;
  return TransactionKey{.server = false, .branch = std::string(*branch), .sent_by = {},
                        .method = std::string(m.cseq().method)};
}

std::optional<TransactionKey> server_key(const Message& request) {
  const auto branch = rfc3261_branch(request);
  if (!branch) return std::nullopt;
  const Via& via = request.vias().front();
  const std::uint16_t port = via.port.value_or(ascii_lower(via.transport) == "tls" ? 5061 : 5060);
  std::string method(request.method());
  if (method == "ACK") method = "INVITE";
  return TransactionKey{.server = true, .branch = std::string(*branch),
                        .sent_by = ascii_lower(via.host) + ":" + std::to_string(port), .method = std::move(method)};
}

void Transaction::arm(std::vector<Action>& out, Timer timer, TimePoint at) {
  armed_[timer] = at;
  out.push_back({.kind = Action::Kind::arm, .wire = {}, .timer = timer, .at = at});
}

void Transaction::cancel(std::vector<Action>& out, Timer timer) {
  if (armed_.erase(timer) == 0) return;
  out.push_back({.kind = Action::Kind::cancel, .wire = {}, .timer = timer, .at = {}});
}

void Transaction::send(std::vector<Action>& out, const std::string& wire) {
  out.push_back({.kind = Action::Kind::send, .wire = wire, .timer = {}, .at = {}});
}

void Transaction::terminate(std::vector<Action>& out) {
  while (!armed_.empty()) cancel(out, armed_.begin()->first);
  state_ = TransactionState::terminated;
  out.push_back({.kind = Action::Kind::terminated, .wire = {}, .timer = {}, .at = {}});
}

namespace {

Status check_request(const Message& request) {
  if (!request.is_request()) return fail(Errc::invalid, "not a request");
  if (request.method() == "ACK") return fail(Errc::invalid, "an ACK has no transaction");
  if (!rfc3261_branch(request)) return fail(Errc::invalid, "no RFC 3261 branch");
  return {};
}

}  // namespace

Result<Transaction> Transaction::client(Message request, bool reliable, const TimerSettings& settings, TimePoint now,
                                        std::vector<Action>& actions) {
  if (auto ok = check_request(request); !ok) return ok.error();
  Transaction t;
  t.reliable_ = reliable;
  t.settings_ = settings;
  t.request_wire_ = request.serialize();
  t.request_ = std::make_unique<Message>(std::move(request));
  t.interval_ = settings.t1;
  t.send(actions, t.request_wire_);
  if (t.request_->method() == "INVITE") {
    t.kind_ = TransactionKind::invite_client;
    t.state_ = TransactionState::calling;
    if (!reliable) t.arm(actions, Timer::A, now + t.interval_);
    t.arm(actions, Timer::B, now + 64 * settings.t1);
  } else {
    t.kind_ = TransactionKind::non_invite_client;
    t.state_ = TransactionState::trying;
    if (!reliable) t.arm(actions, Timer::E, now + t.interval_);
    t.arm(actions, Timer::F, now + 64 * settings.t1);
  }
  return t;
}

Result<Transaction> Transaction::server(Message request, bool reliable, const TimerSettings& settings,
                                        TimePoint /*now*/, std::vector<Action>& actions) {
  if (auto ok = check_request(request); !ok) return ok.error();
  Transaction t;
  t.reliable_ = reliable;
  t.settings_ = settings;
  t.request_ = std::make_unique<Message>(std::move(request));  // a server never sends its request: no wire copy
  t.interval_ = settings.t1;
  if (t.request_->method() == "INVITE") {
    t.kind_ = TransactionKind::invite_server;
    t.state_ = TransactionState::proceeding;
    // 17.2.1: the server transaction answers 100 itself, so that the
    // client stops retransmitting whatever the TU takes.
    auto trying = make_response(*t.request_, 100, "Trying", "");
    if (!trying) return trying.error();
    t.response_wire_ = trying->serialize();
    t.send(actions, t.response_wire_);
  } else {
    t.kind_ = TransactionKind::non_invite_server;
    t.state_ = TransactionState::trying;
  }
  actions.push_back({.kind = Action::Kind::to_tu, .wire = {}, .timer = {}, .at = {}});
  return t;
}

std::vector<Action> Transaction::on_response(const Message& response, TimePoint now) {
  std::vector<Action> out;
  if (!is_client() || response.is_request()) return out;
  const int status = response.status();
  const auto to_tu = [&out] { out.push_back({.kind = Action::Kind::to_tu, .wire = {}, .timer = {}, .at = {}}); };
  if (kind_ == TransactionKind::invite_client) {
    switch (state_) {
      case TransactionState::calling:
      case TransactionState::proceeding:
        cancel(out, Timer::A);
        cancel(out, Timer::B);
        to_tu();
        if (status < 200) {
          state_ = TransactionState::proceeding;
        } else if (status < 300) {
          // RFC 6026 7.2: the TU acknowledges 2xx itself; Accepted absorbs
          // nothing but passes further 2xx (other forks) up.
          state_ = TransactionState::accepted;
          arm(out, Timer::M, now + 64 * settings_.t1);
        } else {
          auto ack = make_ack(*request_, response);
          if (ack) {
            ack_wire_ = ack->serialize();
            send(out, ack_wire_);
          }
          state_ = TransactionState::completed;
          if (reliable_) {
            terminate(out);
          } else {
            arm(out, Timer::D, now + kTimerD);
          }
        }
        break;
      case TransactionState::completed:
        if (status >= 300 && !ack_wire_.empty()) send(out, ack_wire_);
        break;
      case TransactionState::accepted:
        if (status >= 200 && status < 300) to_tu();
        break;
      default: break;
    }
    return out;
  }
  // Non-INVITE client (17.1.2.2).
  if (state_ != TransactionState::trying && state_ != TransactionState::proceeding) return out;
  to_tu();
  if (status < 200) {
    state_ = TransactionState::proceeding;
    return out;
  }
  cancel(out, Timer::E);
  cancel(out, Timer::F);
  state_ = TransactionState::completed;
  if (reliable_) {
    terminate(out);
  } else {
    arm(out, Timer::K, now + settings_.t4);
  }
  return out;
}

std::vector<Action> Transaction::on_request(const Message& request, TimePoint now) {
  std::vector<Action> out;
  if (is_client() || !request.is_request()) return out;
  const bool ack = request.method() == "ACK";
  if (kind_ == TransactionKind::invite_server) {
    if (ack) {
      if (state_ == TransactionState::completed) {
        cancel(out, Timer::G);
        cancel(out, Timer::H);
        state_ = TransactionState::confirmed;
        if (reliable_) {
          terminate(out);
        } else {
          arm(out, Timer::I, now + settings_.t4);
        }
      } else if (state_ == TransactionState::accepted) {
        // RFC 6026 8.7: the ACK for a 2xx goes to the TU.
        out.push_back({.kind = Action::Kind::to_tu, .wire = {}, .timer = {}, .at = {}});
      }
      return out;
    }
    // A retransmitted INVITE: Proceeding and Completed resend the last
    // response; Accepted absorbs it (RFC 6026 8.7), as does Confirmed.
    if (state_ == TransactionState::proceeding || state_ == TransactionState::completed) {
      send(out, response_wire_);
    }
    return out;
  }
  // Non-INVITE server (17.2.2): Trying absorbs, the others resend; a
  // resent final response keeps Completed another T4.
  if (ack) return out;
  if (state_ == TransactionState::proceeding || state_ == TransactionState::completed) send(out, response_wire_);
  if (state_ == TransactionState::completed && armed_.contains(Timer::J)) {
    arm(out, Timer::J, std::min(now + settings_.t4, absorb_until_));
  }
  return out;
}

Result<std::vector<Action>> Transaction::send_response(const Message& response, TimePoint now) {
  if (is_client()) return fail(Errc::invalid, "a client transaction sends no response");
  if (response.is_request()) return fail(Errc::invalid, "not a response");
  if (!request_) return fail(Errc::invalid, "final response sent already");
  if (response.cseq().number != request_->cseq().number || response.cseq().method != request_->cseq().method) {
    return fail(Errc::invalid, "CSeq does not match the request");
  }
  const int status = response.status();
  std::vector<Action> out;
  if (kind_ == TransactionKind::invite_server) {
    if (state_ == TransactionState::accepted) {
      // RFC 6026 8.5: the TU retransmits its 2xx through the transaction.
      if (status < 200 || status >= 300) return fail(Errc::invalid, "only 2xx after a 2xx");
      send(out, response.serialize());
      return out;
    }
    if (state_ != TransactionState::proceeding) return fail(Errc::invalid, "final response sent already");
    response_wire_ = response.serialize();
    send(out, response_wire_);
    if (status < 200) return out;
    if (status < 300) {
      state_ = TransactionState::accepted;
      arm(out, Timer::L, now + 64 * settings_.t1);
      return out;
    }
    state_ = TransactionState::completed;
    if (!reliable_) arm(out, Timer::G, now + interval_);
    arm(out, Timer::H, now + 64 * settings_.t1);
    return out;
  }
  if (state_ != TransactionState::trying && state_ != TransactionState::proceeding) {
    return fail(Errc::invalid, "final response sent already");
  }
  response_wire_ = response.serialize();
  send(out, response_wire_);
  if (status < 200) {
    state_ = TransactionState::proceeding;
    return out;
  }
  state_ = TransactionState::completed;
  if (reliable_) {
    terminate(out);
  } else {
    // Completed only absorbs retransmissions with response_wire_: the
    // request, the bulk of a transaction, goes now. Timer J is T4 after
    // each answer rather than RFC 3261's fixed 64*T1 (see transaction.h).
    request_.reset();
    absorb_until_ = now + 64 * settings_.t1;
    arm(out, Timer::J, std::min(now + settings_.t4, absorb_until_));
  }
  return out;
}

std::vector<Action> Transaction::on_timer(Timer timer, TimePoint now) {
  std::vector<Action> out;
  if (!armed_.contains(timer)) return out;
  armed_.erase(timer);
  switch (timer) {
    case Timer::A:  // 17.1.1.2: doubles without bound; B ends it
      send(out, request_wire_);
      interval_ *= 2;
      arm(out, Timer::A, now + interval_);
      break;
    case Timer::E:  // 17.1.2.2: doubles up to T2 in Trying, T2 in Proceeding
      send(out, request_wire_);
      interval_ = state_ == TransactionState::proceeding ? settings_.t2 : std::min(interval_ * 2, settings_.t2);
      arm(out, Timer::E, now + interval_);
      break;
    case Timer::G:  // 17.2.1: doubles up to T2
      send(out, response_wire_);
      interval_ = std::min(interval_ * 2, settings_.t2);
      arm(out, Timer::G, now + interval_);
      break;
    case Timer::B:
    case Timer::F:
    case Timer::H:
      out.push_back({.kind = Action::Kind::timeout, .wire = {}, .timer = timer, .at = {}});
      terminate(out);
      break;
    case Timer::D:
    case Timer::I:
    case Timer::J:
    case Timer::K:
    case Timer::L:
    case Timer::M: terminate(out); break;
  }
  return out;
}

std::vector<Action> Transaction::on_transport_error(TimePoint /*now*/) {
  std::vector<Action> out;
  if (state_ == TransactionState::terminated) return out;
  out.push_back({.kind = Action::Kind::transport_error, .wire = {}, .timer = {}, .at = {}});
  terminate(out);
  return out;
}

Result<Message> Transaction::make_cancel() const {
  if (kind_ != TransactionKind::invite_client) return fail(Errc::invalid, "not an INVITE client transaction");
  return request_like_invite("CANCEL", *request_, *request_->header("To"));
}

// ---- TransactionTable ----

Result<TransactionTable::Update> TransactionTable::insert(TransactionKey key, Result<Transaction> txn,
                                                          std::vector<Action> actions) {
  if (!txn) return txn.error();
  const TransactionId id = next_id_++;
  Update update{.id = id, .actions = std::move(actions)};
  by_key_.emplace(key, id);
  by_id_.emplace(id, Entry{.key = std::move(key), .txn = std::move(*txn)});
  reap(id, update.actions);
  return update;
}

Result<TransactionTable::Update> TransactionTable::start_client(Message request, bool reliable, TimePoint now) {
  if (by_id_.size() >= max_) return fail(Errc::limit, "transaction table full");
  auto key = client_key(request);
  if (!key) return fail(Errc::invalid, "no RFC 3261 branch");
  if (by_key_.contains(*key)) return fail(Errc::exists, "a transaction has this branch and method");
  std::vector<Action> actions;
  auto txn = Transaction::client(std::move(request), reliable, settings_, now, actions);
  return insert(std::move(*key), std::move(txn), std::move(actions));
}

Result<TransactionTable::Update> TransactionTable::start_server(Message request, bool reliable, TimePoint now) {
  if (by_id_.size() >= max_) return fail(Errc::limit, "transaction table full");
  auto key = server_key(request);
  if (!key) return fail(Errc::invalid, "no RFC 3261 branch");
  if (by_key_.contains(*key)) return fail(Errc::exists, "a transaction matches this request");
  std::vector<Action> actions;
  auto txn = Transaction::server(std::move(request), reliable, settings_, now, actions);
  return insert(std::move(*key), std::move(txn), std::move(actions));
}

TransactionTable::Incoming TransactionTable::receive(const Message& message, TimePoint now) {
  using Kind = Incoming::Kind;
  if (!message.is_request()) {
    const auto key = client_key(message);
    const auto it = key ? by_key_.find(*key) : by_key_.end();
    if (it == by_key_.end()) return {.kind = Kind::stray_response, .update = {}};
    Update update{.id = it->second, .actions = by_id_.at(it->second).txn.on_response(message, now)};
    reap(update.id, update.actions);
    return {.kind = Kind::matched, .update = std::move(update)};
  }
  const auto key = server_key(message);
  if (!key) return {.kind = Kind::refused, .update = {}};
  const auto it = by_key_.find(*key);
  if (it == by_key_.end()) return {.kind = Kind::new_request, .update = {}};
  Update update{.id = it->second, .actions = by_id_.at(it->second).txn.on_request(message, now)};
  reap(update.id, update.actions);
  return {.kind = Kind::matched, .update = std::move(update)};
}

Result<TransactionTable::Update> TransactionTable::send_response(TransactionId id, const Message& response,
                                                                 TimePoint now) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return fail(Errc::not_found, "no such transaction");
  auto actions = it->second.txn.send_response(response, now);
  if (!actions) return actions.error();
  Update update{.id = id, .actions = std::move(*actions)};
  reap(id, update.actions);
  return update;
}

TransactionTable::Update TransactionTable::on_timer(TransactionId id, Timer timer, TimePoint now) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return {.id = id, .actions = {}};
  Update update{.id = id, .actions = it->second.txn.on_timer(timer, now)};
  reap(id, update.actions);
  return update;
}

TransactionTable::Update TransactionTable::on_transport_error(TransactionId id, TimePoint now) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return {.id = id, .actions = {}};
  Update update{.id = id, .actions = it->second.txn.on_transport_error(now)};
  reap(id, update.actions);
  return update;
}

const Transaction* TransactionTable::cancel_target(const Message& cancel, TransactionId* id) const {
  if (!cancel.is_request() || cancel.method() != "CANCEL") return nullptr;
  auto key = server_key(cancel);
  if (!key) return nullptr;
  key->method = "INVITE";
  const auto it = by_key_.find(*key);
  if (it == by_key_.end()) return nullptr;
  if (id != nullptr) *id = it->second;
  return &by_id_.at(it->second).txn;
}

const Transaction* TransactionTable::find(TransactionId id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() || !it->second.txn.has_request() ? nullptr : &it->second.txn;
}

void TransactionTable::reap(TransactionId id, const std::vector<Action>& actions) {
  const bool over =
      std::any_of(actions.begin(), actions.end(), [](const Action& a) { return a.kind == Action::Kind::terminated; });
  if (!over) return;
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_key_.erase(it->second.key);
  by_id_.erase(it);
}

}  // namespace parley::sip
