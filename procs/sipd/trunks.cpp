// sipd as a client of SIP trunks (RFC 3261 10.2): registering to each
// configured provider with digest credentials (RFC 7616; the password never
// logged), refreshing before expiry, retrying with backoff; calls out
// through a trunk answer its challenge once with the trunk's credentials;
// calls in through a trunk go to the local address their number maps to.
#include <charconv>

#include "auth/auth.h"
#include "auth/encoding.h"
#include "core.h"
#include "core/ascii.h"
#include "log/log.h"
#include "sip/rewrite.h"

namespace parley::sipd {

namespace {

constexpr auto kFirstRetry = std::chrono::seconds(30);
constexpr auto kMaxRetry = std::chrono::seconds(1800);
constexpr std::size_t kMaxCseqShifts = 100000;  // dialogs remembered, as calls (kMaxCalls)
constexpr std::uint32_t kMaxMinExpires = 86400;

// 30 s, doubling with each failure in a row, at most half an hour.
std::chrono::seconds backoff(int failures) {
  auto delay = kFirstRetry;
  for (int i = 1; i < failures && delay < kMaxRetry; ++i) delay *= 2;
  return std::min(delay, std::chrono::duration_cast<std::chrono::seconds>(kMaxRetry));
}

// A registration is refreshed a minute before it runs out (half way for
// short ones).
std::chrono::seconds refresh_after(std::uint32_t granted) {
  return std::chrono::seconds(granted > 120 ? granted - 60 : granted / 2);
}

std::string random_hex(std::size_t bytes) { return auth::hex_encode(auth::random_bytes(bytes)); }

Flow::Kind kind_of(dns::Transport transport) {
  switch (transport) {
    case dns::Transport::tcp: return Flow::Kind::tcp;
    case dns::Transport::tls: return Flow::Kind::tls;
    default: return Flow::Kind::udp;
  }
}

// The first challenge of `response` (401: WWW-Authenticate, 407:
// Proxy-Authenticate) this client can answer.
std::optional<auth::DigestChallenge> challenge_of(const sip::Message& response) {
  const std::string_view name = response.status() == 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
  for (const auto& h : response.headers()) {
    if (!ascii_iequal(h.name, name)) continue;
    auto c = auth::parse_digest_challenge(h.value);
    if (c && auth::parse_digest_algorithm(c->algorithm)) return c.value();
  }
  return std::nullopt;
}

// The credentials header line answering `response`'s challenge for
// `method` to `uri`; an error saying why not.
Result<std::string> credentials_for(const Trunk& trunk, const sip::Message& response, std::string_view method,
                                    std::string_view uri) {
  auto challenge = challenge_of(response);
  if (!challenge) return fail(Errc::syntax, "no challenge sipd can answer");
  if (!trunk.realm.empty() && challenge->realm != trunk.realm) {
    return fail(Errc::denied, "challenged for realm " + challenge->realm + ", not the trunk's");
  }
  auto answer = auth::digest_authorization(*challenge, trunk.username, trunk.password, method, uri, random_hex(8));
  if (!answer) return answer.error();
  return std::string(response.status() == 401 ? "Authorization: " : "Proxy-Authorization: ") + *answer;
}

}  // namespace

void Core::start_trunks() {
  for (const auto& t : settings().trunks) {
    if (!t.registers || trunk_states_.contains(t.name)) continue;
    TrunkState& st = trunk_states_[t.name];
    st.call_id = random_hex(12) + "@" + settings().hostname;
    st.from_tag = random_hex(6);
    st.expires = t.expires;
    st.timer = std::make_unique<asio::steady_timer>(io_);
    asio::co_spawn(io_, send_trunk_register(t.name, std::string()), asio::detached);
  }
}

std::vector<TrunkStatus> Core::trunks() const {
  std::vector<TrunkStatus> out;
  for (const auto& t : settings().trunks) {
    TrunkStatus s;
    s.name = t.name;
    s.registrar = t.registrar;
    s.state = "not registering";
    if (auto it = trunk_states_.find(t.name); it != trunk_states_.end()) {
      s.state = it->second.state;
      s.expires_at = it->second.expires_at;
      s.last_status = it->second.last_status;
      s.last_error = it->second.last_error;
      s.failures = it->second.failures;
    }
    out.push_back(std::move(s));
  }
  return out;
}

awaitable<void> Core::send_trunk_register(std::string name, std::string credentials) {
  auto alive = alive_;
  const Trunk* trunk = settings().trunk(name);
  if (trunk == nullptr || !trunk_states_.contains(name)) co_return;
  auto registrar = sip::parse_uri(trunk->registrar);  // checked when the settings were read
  if (!registrar) co_return;
  std::optional<Flow> flow = next_hop(*registrar, std::nullopt);
  if (!flow) {
    auto named = named_destination(*registrar);
    if (!named) {
      trunk_failed(name, 503, "the registrar has no address");
      co_return;
    }
    const std::string host = named->host;
    auto found = co_await backend_.locate(std::move(*named));
    if (!*alive) co_return;
    if (!found || found->empty()) {
      const std::string why = found ? std::string("no server found") : found.error().detail;
      trunk_failed(name, 503, why);
      co_return;
    }
    const dns::Target& target = found->front();
    auto to = transport_.flow_to_server(kind_of(target.transport), target.address.to_string(), target.port, host);
    if (!to) {
      trunk_failed(name, 503, to.error().detail);
      co_return;
    }
    flow = *to;
  }
  // The settings may have been reloaded meanwhile.
  trunk = settings().trunk(name);
  auto it = trunk_states_.find(name);
  if (trunk == nullptr || it == trunk_states_.end()) co_return;
  TrunkState& st = it->second;
  auto local = transport_.local(flow->kind);
  if (!local) local = transport_.local(Flow::Kind::udp);
  const std::string host = local ? local->host : settings().hostname;
  const std::uint16_t port = local ? local->port : 5060;
  std::string contact = "<sip:" + trunk->username + "@" + host + ":" + std::to_string(port);
  if (flow->kind != Flow::Kind::udp) contact += ";transport=" + std::string(uri_transport(flow->kind));
  contact += ">";
  const std::string aor = "sip:" + trunk->username + "@" + trunk->domain;
  std::string wire = "REGISTER " + trunk->registrar + " SIP/2.0\r\n";
  wire += "Via: " + via_value(flow->kind, new_branch()) + ";rport\r\n";
  wire += "Max-Forwards: 70\r\n";
  wire += "From: <" + aor + ">;tag=" + st.from_tag + "\r\n";
  wire += "To: <" + aor + ">\r\n";
  wire += "Call-ID: " + st.call_id + "\r\n";
  wire += "CSeq: " + std::to_string(++st.cseq) + " REGISTER\r\n";
  wire += "Contact: " + contact + "\r\n";
  wire += "Expires: " + std::to_string(st.expires) + "\r\n";
  if (!credentials.empty()) wire += credentials + "\r\n";
  wire += "User-Agent: Parley\r\nContent-Length: 0\r\n\r\n";
  auto message = sip::parse_message(std::move(wire));
  if (!message) {
    trunk_failed(name, 500, "REGISTER not made: " + message.error().detail);
    co_return;
  }
  auto started = transactions_.start_client(std::move(message.value()), flow->reliable(), now());
  if (!started) {
    trunk_failed(name, 503, started.error().detail);
    co_return;
  }
  st.credentials_sent = !credentials.empty();
  const auto id = started->id;
  flows_[id] = *flow;
  sids_[id] = "trunk-" + name;
  trunk_registers_[id] = name;
  log::debug("sip.trunk.register", "REGISTER sent", {{"sid", sids_[id]}, {"account", name}, {"flow", flow->name()}});
  perform(id, std::move(started->actions), nullptr);
}

void Core::on_trunk_response(sip::TransactionId client, const sip::Message& response) {
  auto at = trunk_registers_.find(client);
  if (at == trunk_registers_.end() || response.status() < 200) return;
  const std::string name = at->second;
  trunk_registers_.erase(at);
  const Trunk* trunk = settings().trunk(name);
  auto it = trunk_states_.find(name);
  if (trunk == nullptr || it == trunk_states_.end()) return;
  TrunkState& st = it->second;
  const int status = response.status();
  const std::string sid = "trunk-" + name;
  if (status >= 200 && status < 300) {
    // What the registrar granted: our Contact's expires, else Expires.
    std::uint32_t granted = response.expires().value_or(st.expires);
    for (const auto& c : response.contacts()) {
      if (c.uri.user != trunk->username) continue;
      for (const auto& p : c.params) {
        std::uint32_t n = 0;
        if (!ascii_iequal(p.name, "expires")) continue;
        auto [end, ec] = std::from_chars(p.value.data(), p.value.data() + p.value.size(), n);
        if (ec == std::errc() && end == p.value.data() + p.value.size()) granted = n;
      }
    }
    if (granted == 0) {
      trunk_failed(name, status, "the registrar granted no time");
      return;
    }
    const bool was_registered = st.state == "registered";
    st.state = "registered";
    st.failures = 0;
    st.last_status = status;
    st.last_error.clear();
    st.expires_at = options_.wall_now() + granted;
    if (was_registered) {
      log::debug("sip.trunk.refreshed", "registration refreshed", {{"sid", sid}, {"account", name}, {"count", granted}});
    } else {
      log::info("sip.trunk.registered", "registered to the trunk",
                {{"sid", sid}, {"account", name}, {"host", trunk->domain}, {"count", granted}});
    }
    schedule_trunk(name, refresh_after(granted));
    return;
  }
  if (status == 401 || status == 407) {
    auto challenge = challenge_of(response);
    // Credentials already given and refused, unless only the nonce aged.
    if (st.credentials_sent && !(challenge && challenge->stale)) {
      trunk_failed(name, status, "the trunk refused the credentials");
      return;
    }
    auto line = credentials_for(*trunk, response, "REGISTER", trunk->registrar);
    if (!line) {
      trunk_failed(name, status, line.error().detail);
      return;
    }
    asio::co_spawn(io_, send_trunk_register(name, std::move(line.value())), asio::detached);
    return;
  }
  if (status == 423) {
    // Interval Too Brief: again at once with the registrar's minimum.
    std::uint32_t minimum = 0;
    if (auto h = response.header("Min-Expires")) {
      std::string_view v = *h;
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      std::from_chars(v.data(), v.data() + v.size(), minimum);
    }
    if (minimum > st.expires && minimum <= kMaxMinExpires) {
      st.expires = minimum;
      asio::co_spawn(io_, send_trunk_register(name, std::string()), asio::detached);
      return;
    }
  }
  trunk_failed(name, status, std::string(response.reason()));
}

void Core::trunk_failed(const std::string& name, int status, const std::string& why) {
  auto it = trunk_states_.find(name);
  if (it == trunk_states_.end()) return;
  TrunkState& st = it->second;
  ++st.failures;
  st.state = "failed";
  st.last_status = status;
  st.last_error = why;
  st.expires_at = 0;
  const auto retry = backoff(st.failures);
  log::warn("sip.trunk.failed", why, {{"sid", "trunk-" + name}, {"account", name}, {"status", status},
                                      {"attempts", st.failures}, {"delay_ms", std::int64_t{retry.count()} * 1000}});
  schedule_trunk(name, retry);
}

void Core::schedule_trunk(const std::string& name, std::chrono::seconds after) {
  auto it = trunk_states_.find(name);
  if (it == trunk_states_.end() || !it->second.timer) return;
  it->second.timer->expires_after(after);
  it->second.timer->async_wait([this, alive = alive_, name](boost::system::error_code ec) {
    if (ec || !*alive) return;
    asio::co_spawn(io_, send_trunk_register(name, std::string()), asio::detached);
  });
}

std::optional<std::string> Core::trunk_call_target(const sip::Message& request) const {
  const sip::Uri& uri = request.request_uri();
  if (uri.user.empty() || !is_us(uri.host, uri.port)) return std::nullopt;
  bool contact = false;
  for (const auto& t : settings().trunks) contact = contact || (t.registers && uri.user == t.username);
  if (!contact) return std::nullopt;
  // The number the caller dialed is in To (the Request-URI is our contact).
  std::string number = request.to().uri.user.empty() ? uri.user : std::string(request.to().uri.user);
  const auto& dids = settings().trunk_dids;
  auto it = dids.find(number);
  if (it == dids.end()) it = dids.find("*");
  if (it != dids.end()) return it->second;
  if (settings().domain.empty()) return std::nullopt;
  return number + "@" + settings().domain;
}

bool Core::answer_trunk_challenge(Proxied& p, std::size_t index, const sip::Message& challenge) {
  const Branch& b = p.branches[index];
  const Trunk* trunk = settings().trunk(b.leg.trunk);
  const auto* txn = transactions_.find(p.server);
  if (trunk == nullptr || txn == nullptr || p.final_sent || p.cancelled) return false;
  const std::string method(txn->request().method());
  const std::string uri = b.leg.request_uri.empty() ? std::string(txn->request().request_uri_text()) : b.leg.request_uri;
  auto line = credentials_for(*trunk, challenge, method, uri);
  if (!line) {
    log::warn("sip.trunk.challenge_failed", line.error().detail, {{"sid", p.sid}, {"account", trunk->name}});
    return false;
  }
  Leg leg = b.leg;
  leg.flow = b.flow;
  leg.credentials = std::move(line.value());
  leg.cseq_shift = 1;
  const std::string call_id(txn->request().call_id());
  if (!start_branch(p, leg)) return false;
  p.branches[index].abandoned = true;
  if (p.invite && cseq_shifts_.size() < kMaxCseqShifts) {
    cseq_shifts_[call_id] = {leg.cseq_shift, std::string(txn->request().from().tag().value_or(""))};
  }
  log::info("sip.trunk.challenged", "the trunk's challenge answered", {{"sid", p.sid}, {"account", trunk->name}});
  return true;
}

}  // namespace parley::sipd
