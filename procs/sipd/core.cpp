#include "core.h"

#include "auth/encoding.h"

#include "core/ascii.h"
#include "log/log.h"
#include "sip/rewrite.h"

namespace parley::sipd {

namespace {

// The headers a response copies from its request (RFC 3261 8.2.6.2): with
// these a message the parser refused can still be answered.
constexpr std::string_view kResponseHeaders[] = {"via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"};

}  // namespace

std::string new_branch() { return std::string(sip::kMagicCookie) + auth::hex_encode(auth::random_bytes(10)); }

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Request Entity Too Large";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 423: return "Interval Too Brief";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 500: return "Server Internal Error";
    case 503: return "Service Unavailable";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 603: return "Decline";
    default: return status < 300 ? "OK" : "Error";
  }
}

Core::Core(asio::io_context& io, Transport& transport, Backend& backend, sip::Bindings& bindings,
           sip::StoredMessages& messages, Options options)
    : io_(io),
      transport_(transport),
      backend_(backend),
      bindings_(bindings),
      messages_(messages),
      options_(std::move(options)),
      settings_now_(options_.settings()),
      transactions_({}, settings_now_->max_transactions),
      nonces_(settings_now_->nonce_lifetime),
      wake_(io),
      alive_(std::make_shared<bool>(true)) {
  if (options_.key.empty()) options_.key = auth::random_bytes(32);
}

Core::~Core() { stop(); }

void Core::stop() {
  *alive_ = false;
  timers_.clear();
  armed_.clear();
  wake_.cancel();
}

// --- receiving ---------------------------------------------------------

void Core::receive(std::string bytes, const Flow& flow) {
  settings_now_ = options_.settings();
  // Keep-alives on UDP (RFC 5626 4.4.1 uses STUN; many phones send CRLF).
  if (bytes.find_first_not_of("\r\n \t") == std::string::npos) return;
  auto parsed = sip::parse_message(bytes);
  if (!parsed) {
    log::debug("sip.message.malformed", parsed.error().detail, {{"peer", flow.peer()}, {"flow", flow.name()}});
    const bool limit = parsed.code() == Errc::limit;
    refuse_unparsable(bytes, flow, limit ? 513 : 400, limit ? reason_phrase(513) : reason_phrase(400));
    return;
  }
  if (parsed->is_request()) {
    on_request(std::move(parsed.value()), flow);
  } else {
    on_response(std::move(parsed.value()));
  }
}

void Core::flow_closed(const Flow& flow) {
  std::vector<sip::TransactionId> failed;
  for (const auto& [id, f] : flows_) {
    const auto* txn = transactions_.find(id);
    if (f == flow && txn != nullptr && txn->is_client()) failed.push_back(id);
  }
  for (auto id : failed) {
    auto update = transactions_.on_transport_error(id, now());
    perform(update.id, std::move(update.actions), nullptr);
  }
}

// A request the parser refused is answered when its start line is a
// request's and the headers a response copies are there (RFC 4475's
// torture messages expect 400 for most); anything else is dropped, as a
// response or noise cannot be answered.
void Core::refuse_unparsable(std::string_view bytes, const Flow& flow, int status, std::string_view reason) {
  auto eol = bytes.find("\r\n");
  if (eol == std::string_view::npos) return;
  std::string_view start = bytes.substr(0, eol);
  if (start.starts_with("SIP/") || start.find(" SIP/") == std::string_view::npos) return;
  if (start.starts_with("ACK ")) return;  // an ACK gets no response
  std::string out = "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  bool via = false;
  std::size_t at = eol + 2;
  while (at < bytes.size()) {
    auto end = bytes.find("\r\n", at);
    if (end == std::string_view::npos || end == at) break;
    std::string_view line = bytes.substr(at, end - at);
    at = end + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = ascii_lower(line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1));
    for (auto wanted : kResponseHeaders) {
      if (name != wanted || !printable_ascii(line)) continue;
      out.append(line).append("\r\n");
      if (name == "via" || name == "v") via = true;
    }
  }
  if (!via) return;
  out += "Content-Length: 0\r\n\r\n";
  // What a response copies must itself be sound (a garbled CSeq or Via
  // would make a garbled response): otherwise nothing is answered.
  if (!sip::parse_message(out)) return;
  (void)transport_.send(flow, std::move(out));
  log::info("sip.request.refused", "unparsable request answered", {{"peer", flow.peer()}, {"status", status}});
}

bool Core::rate_limited(const Flow& flow) {
  const std::int64_t second = options_.wall_now();
  if (second != rate_second_) {
    requests_this_second_.clear();
    rate_second_ = second;
  }
  auto& count = requests_this_second_[flow.ip];
  ++count;
  // Logged once a second per address, not once per request of a flood.
  if (count == settings().max_requests_per_ip + 1) {
    log::info("sip.request.rate_limited", "too many requests from one address", {{"peer", flow.peer()}});
  }
  return count > settings().max_requests_per_ip;
}

void Core::on_request(sip::Message request, const Flow& flow) {
  const auto& via = request.vias().front();
  // RFC 3581 and RFC 3261 18.2.1: say in the top Via where the request
  // really came from, so that responses find the client behind NAT.
  if (via.has_rport() || via.host != flow.ip) {
    std::string top = std::string(via.protocol) + "/" + std::string(via.version) + "/" + std::string(via.transport) +
                      " " + std::string(via.host) + (via.port ? ":" + std::to_string(*via.port) : "");
    for (const auto& p : via.params) {
      if (ascii_iequal(p.name, "received") || ascii_iequal(p.name, "rport")) continue;
      top.append(";").append(p.name);
      if (p.has_value) top.append("=").append(p.value);
    }
    top += ";received=" + flow.ip;
    if (via.has_rport()) top += ";rport=" + std::to_string(flow.port);
    sip::Rewrite edits;
    edits.prepend.push_back("Via: " + top);
    edits.drop_vias = 1;
    auto again = sip::parse_message(sip::rewrite(request, edits));
    if (!again) return;  // cannot happen for a message that parsed; drop rather than guess
    request = std::move(again.value());
  }
  if (request.version() != "SIP/2.0") {
    if (request.method() != "ACK") answer_statelessly(request, flow, 505);
    return;
  }
  auto incoming = transactions_.receive(request, now());
  switch (incoming.kind) {
    case sip::TransactionTable::Incoming::Kind::matched:
      perform(incoming.update.id, std::move(incoming.update.actions), &request);
      return;
    case sip::TransactionTable::Incoming::Kind::refused:
      if (request.method() != "ACK") answer_statelessly(request, flow, 400);
      return;
    case sip::TransactionTable::Incoming::Kind::stray_response: return;
    case sip::TransactionTable::Incoming::Kind::new_request: break;
  }
  if (request.method() == "ACK") {
    if (!app_ack(request)) forward_ack(request, flow);
    return;
  }
  if (rate_limited(flow)) {
    answer_statelessly(request, flow, 503, {{"Retry-After", "5"}});
    return;
  }
  if (request.method() == "CANCEL") {
    handle_cancel(std::move(request), flow);
    return;
  }
  auto started = transactions_.start_server(std::move(request), flow.reliable(), now());
  if (!started) {
    // Once while the table is full, not once per dropped request.
    if (!table_full_) log::warn("sip.transaction.refused", started.error().detail, {{"peer", flow.peer()}});
    table_full_ = true;
    return;  // the client retransmits, or gives up
  }
  table_full_ = false;
  const auto id = started->id;
  flows_[id] = flow;
  sids_[id] = options_.next_sid();
  perform(id, std::move(started->actions), nullptr);
}

void Core::answer_statelessly(const sip::Message& request, const Flow& flow, int status,
                              const std::vector<sip::Header>& extra) {
  auto r = sip::make_response(request, status, reason_phrase(status), {}, extra);
  if (r) (void)transport_.send(flow, r->serialize());
}

void Core::on_response(sip::Message response) {
  auto incoming = transactions_.receive(response, now());
  if (incoming.kind == sip::TransactionTable::Incoming::Kind::matched) {
    perform(incoming.update.id, std::move(incoming.update.actions), &response);
    return;
  }
  // 2xx retransmissions of an INVITE and responses to ACK-less strays go on
  // along the Via path (RFC 3261 16.7 step 10 for 2xx after the transaction).
  forward_response_stateless(response);
}

// --- transactions ------------------------------------------------------

void Core::perform(sip::TransactionId id, std::vector<sip::Action> actions, const sip::Message* message) {
  for (auto& a : actions) {
    switch (a.kind) {
      case sip::Action::Kind::send: send(id, std::move(a.wire)); break;
      case sip::Action::Kind::arm: arm({id, a.timer}, a.at); break;
      case sip::Action::Kind::cancel: disarm({id, a.timer}); break;
      case sip::Action::Kind::to_tu:
        // A client transaction may be gone already (a final response on a
        // reliable transport ends it at once): the response is `message`.
        if (message != nullptr && !message->is_request()) {
          on_branch_response(id, *message);
        } else if (transactions_.find(id) != nullptr) {
          handle_request(id, flows_[id]);
        }
        break;
      case sip::Action::Kind::timeout: on_branch_failed(id, 408); break;
      case sip::Action::Kind::transport_error: on_branch_failed(id, 503); break;
      case sip::Action::Kind::terminated: transaction_ended(id); break;
    }
  }
}

void Core::send(sip::TransactionId id, std::string wire) {
  auto it = flows_.find(id);
  if (it == flows_.end()) return;
  if (auto sent = transport_.send(it->second, std::move(wire)); !sent && sent.code() == Errc::not_found) {
    // The connection is gone: the transaction fails now rather than by timer.
    auto update = transactions_.on_transport_error(id, now());
    asio::post(io_, [this, alive = alive_, update = std::move(update)]() mutable {
      if (*alive) perform(update.id, std::move(update.actions), nullptr);
    });
  }
}

void Core::transaction_ended(sip::TransactionId id) {
  for (auto t : {sip::Timer::A, sip::Timer::B, sip::Timer::D, sip::Timer::E, sip::Timer::F, sip::Timer::G,
                 sip::Timer::H, sip::Timer::I, sip::Timer::J, sip::Timer::K, sip::Timer::L, sip::Timer::M}) {
    disarm({id, t});
  }
  // A NOTIFY that ended without a final response failed.
  if (notifies_.contains(id)) on_notify_response(id, 408);
  flows_.erase(id);
  sids_.erase(id);
  deliveries_.erase(id);
  byes_.erase(id);
  // A branch that ends without a final response failed (timer B or F
  // told already; this covers a transaction dropped any other way).
  if (branch_of_.contains(id) || trunk_registers_.contains(id)) on_branch_failed(id, 408);
  branch_of_.erase(id);
  // The proxy state goes once the call stack that ended the transaction
  // (often while handling that very Proxied) has unwound.
  if (proxied_.contains(id)) {
    asio::post(io_, [this, alive = alive_, id] {
      if (*alive) end_proxied(id);
    });
  }
}

void Core::respond(sip::TransactionId id, int status, std::string_view reason, const std::vector<sip::Header>& extra,
                   std::string_view body) {
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) return;
  // A To tag for every final response of ours (RFC 3261 8.2.6.2): derived
  // from the transaction, so retransmitted requests get the same one.
  const std::string tag = status > 100 ? local_tag(id) : "";
  auto response = sip::make_response(txn->request(), status, reason, tag, extra, body);
  if (!response) {
    log::error("sip.response.failed", response.error().detail, {{"sid", sids_[id]}, {"status", status}});
    return;
  }
  auto update = transactions_.send_response(id, *response, now());
  if (!update) {
    log::error("sip.response.failed", update.error().detail, {{"sid", sids_[id]}, {"status", status}});
    return;
  }
  perform(update->id, std::move(update->actions), nullptr);
}

// --- timers ------------------------------------------------------------

void Core::arm(TimerKey key, sip::TimePoint at) {
  disarm(key);
  armed_[key] = timers_.emplace(at, key);
  schedule();
}

void Core::disarm(TimerKey key) {
  auto it = armed_.find(key);
  if (it == armed_.end()) return;
  timers_.erase(it->second);
  armed_.erase(it);
}

void Core::schedule() {
  if (timers_.empty() || !*alive_) return;
  const auto first = timers_.begin()->first;
  if (wake_at_ && *wake_at_ <= first) return;
  wake_at_ = first;
  wake_.expires_at(first);
  wake_.async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (ec || !*alive) return;
    wake_at_.reset();
    fire_due();
  });
}

void Core::fire_due() {
  const auto t = now();
  while (!timers_.empty() && timers_.begin()->first <= t) {
    const TimerKey key = timers_.begin()->second;
    disarm(key);
    auto update = transactions_.on_timer(key.first, key.second, t);
    perform(update.id, std::move(update.actions), nullptr);
  }
  schedule();
}

// --- addresses ---------------------------------------------------------

bool Core::is_us(std::string_view host, std::optional<std::uint16_t> port) const {
  std::string h = ascii_lower(host);
  if (h.size() > 2 && h.front() == '[') h = h.substr(1, h.size() - 2);
  const bool named = h == ascii_lower(settings().hostname) || h == "localhost";
  bool listening = false;
  for (auto kind : {Flow::Kind::udp, Flow::Kind::tcp, Flow::Kind::tls, Flow::Kind::ws, Flow::Kind::wss}) {
    auto local = transport_.local(kind);
    if (!local) continue;
    listening = true;
    std::string lh = ascii_lower(local->host);
    if (lh.size() > 2 && lh.front() == '[') lh = lh.substr(1, lh.size() - 2);
    if ((named || lh == h) && (!port || *port == local->port)) return true;
  }
  // Without listeners of its own (a test's), the name alone says it.
  return named && !listening;
}

std::string Core::domain_of(const sip::Uri& uri) const {
  if (uri.scheme != sip::Scheme::sip && uri.scheme != sip::Scheme::sips) return {};
  // The server's own address (on one of its ports, or none given) means
  // the configured domain; the same address on another port is another
  // server on this host.
  if (is_us(uri.host, uri.port)) return settings().domain;
  return ascii_lower(uri.host);
}

std::string Core::address_of(const sip::Uri& uri) const {
  std::string domain = domain_of(uri);
  if (domain.empty() || uri.user.empty()) return {};
  return uri.user + "@" + domain;
}

std::vector<CallRecord> Core::calls() const {
  std::vector<CallRecord> out;
  for (const auto& [id, c] : calls_) out.push_back(c);
  return out;
}

}  // namespace parley::sipd
