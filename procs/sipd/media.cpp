// Calls through the media relay (procs/media): when the caller or a callee
// is behind NAT (or sipd.media_relay = "always"), the caller's offer goes
// to the callees with the relay's address and ports, and the callee's
// answer (an 18x or a 2xx) back to the caller the same way; the relay is
// released when the call ends. sipd reads and writes the SDP; media never
// sees it.
#include <algorithm>

#include "core.h"
#include "core/ascii.h"
#include "log/log.h"
#include "sdp/sdp.h"

namespace parley::sipd {

bool has_sdp(const sip::Message& m) {
  if (m.body().empty()) return false;
  auto type = m.header("Content-Type");
  return type && ascii_iequal(trim_blanks(type->substr(0, type->find(';'))), "application/sdp");
}

namespace {

// Addresses a NAT hides (RFC 1918, RFC 6598's shared space, link-local,
// IPv6 unique local and link-local).
bool is_private(const asio::ip::address& a) {
  if (a.is_v4()) {
    const auto v = a.to_v4().to_uint();
    return (v >> 24) == 10 || (v >> 20) == ((172u << 4) | 1u) || (v >> 16) == ((192u << 8) | 168u) ||
           (v >> 22) == ((100u << 2) | 1u) || (v >> 16) == ((169u << 8) | 254u);
  }
  const auto bytes = a.to_v6().to_bytes();
  return (bytes[0] & 0xfe) == 0xfc || (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80);
}

// A party is behind NAT when an address it wrote (its SDP's, its
// Contact's) is private or is not where its packets come from.
bool hidden(std::string_view written, std::string_view seen) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(std::string(written), ec);
  if (ec) return false;  // a host name: nothing to tell
  return is_private(address) || address.to_string() != seen;
}

// The relay's view of an SDP: where the party receives each stream.
// nullopt for what the relay does not take: an SDP with ICE candidates
// (the parties find their own path, and a relay that hid them would break
// WebRTC's checks).
std::optional<std::vector<schema::RelayStream>> streams_of(const sdp::Session& session) {
  std::vector<schema::RelayStream> out;
  for (const auto& media : session.media) {
    if (sdp::has_attribute(media.attributes, "candidate") || sdp::has_attribute(media.attributes, "ice-ufrag")) {
      return std::nullopt;
    }
    schema::RelayStream s;
    if (const auto* c = sdp::connection_for(session, media)) s.set_address(c->address);
    s.set_rtp_port(media.port);
    if (auto rtcp = sdp::rtcp(media)) s.set_rtcp_port(rtcp->port);
    s.set_rtcp_mux(sdp::rtcp_mux(media));
    out.push_back(std::move(s));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// The SDP passed on: the relay's address, and its ports for each stream
// that is not refused (port 0 stays 0).
std::string relayed(sdp::Session session, const schema::RelayUpdateReply& relay) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(relay.address(), ec);
  sdp::set_connection_address(session, !ec && address.is_v6() ? "IP6" : "IP4", relay.address());
  for (std::size_t i = 0; i < session.media.size() && i < static_cast<std::size_t>(relay.streams_size()); ++i) {
    auto& media = session.media[i];
    if (media.port == 0) continue;
    const auto& ports = relay.streams(static_cast<int>(i));
    sdp::set_port(media, static_cast<std::uint16_t>(ports.rtp_port()));
    if (sdp::has_attribute(media.attributes, "rtcp")) {
      sdp::replace_attribute(media.attributes, "rtcp", std::to_string(ports.rtcp_port()));
    }
  }
  return sdp::serialize(session);
}

}  // namespace

bool Core::callee_behind_nat(const Proxied& p) const {
  for (const auto* list : {&p.plan.targets(), &p.plan.on_unregistered(), &p.plan.on_busy(), &p.plan.on_no_answer()}) {
    for (const auto& t : *list) {
      if (t.kind() != schema::SignalTarget::KIND_REGISTERED) continue;
      auto contacts = bindings_.lookup(t.account(), options_.wall_now());
      if (!contacts) continue;
      for (const auto& b : *contacts) {
        auto flow = parse_flow(b.flow);
        auto contact = sip::parse_uri(b.uri);
        if (flow && contact && hidden(contact->host, flow->ip)) return true;
      }
    }
  }
  return false;
}

awaitable<void> Core::relay_offer(sip::TransactionId server, Flow flow) {
  const auto* txn = transactions_.find(server);
  auto p_it = proxied_.find(server);
  if (txn == nullptr || p_it == proxied_.end() || settings().media_relay == Settings::MediaRelay::never) co_return;
  const sip::Message& invite = txn->request();
  if (!has_sdp(invite)) co_return;  // a late offer (in the 2xx) is not relayed
  auto session = sdp::parse(invite.body());
  if (!session) co_return;  // the callee will refuse it (488); not ours to judge
  auto streams = streams_of(*session);
  if (!streams) co_return;
  // The caller first: its addresses are at hand; a callee's are in the
  // registrations.
  bool wanted = settings().media_relay == Settings::MediaRelay::always;
  for (const auto& s : *streams) wanted = wanted || hidden(s.address(), flow.ip);
  if (!invite.contacts().empty()) wanted = wanted || hidden(invite.contacts().front().uri.host, flow.ip);
  if (!wanted && !callee_behind_nat(*p_it->second)) co_return;
  const std::string call_id(invite.call_id());
  const std::string sid = p_it->second->sid;
  std::string caller_tag(invite.from().tag().value_or(""));
  Party caller{.party = std::string(invite.header("From").value_or("")),
               .contact = invite.contacts().empty() ? std::string() : std::string(invite.contacts().front().uri_text),
               .flow = flow,
               .cseq = invite.cseq().number};
  auto alive = alive_;
  auto offer = co_await ask_relay(call_id, schema::RELAY_SIDE_CALLER, sid, std::move(session.value()), std::move(*streams),
                                  flow.ip);
  if (!*alive || !offer) co_return;
  p_it = proxied_.find(server);
  if (p_it == proxied_.end() || p_it->second->final_sent) {
    release_relay(call_id, sid);  // cancelled meanwhile
    co_return;
  }
  p_it->second->offer_body = std::move(*offer);
  Relayed& relayed = relays_[call_id];
  relayed.caller_tag = std::move(caller_tag);
  relayed.caller = std::move(caller);
  log::info("sip.media.relayed", "media through the relay", {{"sid", sid}, {"call_id", call_id}});
}

std::optional<std::string> Core::relayed_answer(sip::TransactionId server, std::size_t index,
                                                const sip::Message& response) {
  auto relay = relays_.find(response.call_id());
  if (relay == relays_.end() || !has_sdp(response)) return std::string(response.body());
  auto p = proxied_.find(server);
  const auto side = p != proxied_.end() ? p->second->answer_side : schema::RELAY_SIDE_CALLEE;
  const auto known = relay->second.answers.find({side, std::string(response.body())});
  if (known != relay->second.answers.end()) return known->second;
  asio::co_spawn(io_, relay_answer(server, index, side, response.serialize()), asio::detached);
  return std::nullopt;
}

awaitable<void> Core::relay_answer(sip::TransactionId server, std::size_t index, schema::RelaySide side,
                                   std::string wire) {
  Waiting waiting(waiting_);
  auto response = sip::parse_message(wire);
  if (!response) co_return;
  const std::string call_id(response->call_id());
  const std::string sid = sids_.contains(server) ? sids_[server] : std::string();
  auto session = sdp::parse(response->body());
  auto streams = session ? streams_of(*session) : std::nullopt;
  std::optional<std::string> passed;
  if (streams) {
    auto alive = alive_;
    auto p = proxied_.find(server);
    std::string party_ip = p != proxied_.end() && index < p->second->branches.size() ? p->second->branches[index].flow.ip : "";
    passed = co_await ask_relay(call_id, side, sid, std::move(session.value()), std::move(*streams), std::move(party_ip));
    if (!*alive) co_return;
  }
  auto relay = relays_.find(call_id);
  if (relay == relays_.end()) co_return;  // the call ended meanwhile
  // An answer the relay cannot take goes on as it came.
  std::string body = passed.value_or(std::string(response->body()));
  relay->second.answers[{side, std::string(response->body())}] = body;
  deliver_answer(server, index, *response, std::move(body));
}

awaitable<std::optional<std::string>> Core::ask_relay(std::string call_id, schema::RelaySide side, std::string sid,
                                                      sdp::Session session, std::vector<schema::RelayStream> streams,
                                                      std::string party_ip) {
  schema::RelayUpdate update;
  update.set_call(call_id);
  update.set_side(side);
  update.set_sid(sid);
  for (auto& s : streams) *update.add_streams() = std::move(s);
  auto reply = co_await backend_.relay_update(std::move(update));
  if (!reply) {
    // Without the relay the call still goes on, as it would have.
    log::warn("sip.media.unavailable", "media not through the relay",
              {{"sid", sid}, {"call_id", call_id}, {"error", reply.error().detail}});
    co_return std::nullopt;
  }
  // A relay on a loopback address (the default media.address) is out of
  // reach of a phone elsewhere: its media goes direct, and the
  // administrator hears why.
  boost::system::error_code ec;
  const auto relay_ip = asio::ip::make_address(reply->address(), ec);
  const auto party = asio::ip::make_address(party_ip, ec);
  if (!ec && relay_ip.is_loopback() && !party.is_loopback()) {
    log::warn("sip.media.loopback", "media.address is a loopback address: set it to the server's public address",
              {{"sid", sid}, {"call_id", call_id}, {"address", reply->address()}});
    if (!relays_.contains(call_id)) release_relay(call_id, sid);  // a new call's: not used
    co_return std::nullopt;
  }
  co_return relayed(std::move(session), *reply);
}

awaitable<void> Core::relay_in_dialog(sip::TransactionId server, Leg leg) {
  Waiting waiting(waiting_);
  const auto* txn = transactions_.find(server);
  auto p_it = proxied_.find(server);
  if (txn == nullptr || p_it == proxied_.end()) co_return;
  const sip::Message& request = txn->request();
  auto relay = relays_.find(request.call_id());
  const bool from_caller = relay != relays_.end() && request.from().tag().value_or("") == relay->second.caller_tag;
  p_it->second->answer_side = from_caller ? schema::RELAY_SIDE_CALLEE : schema::RELAY_SIDE_CALLER;
  auto session = has_sdp(request) ? sdp::parse(request.body()) : fail(Errc::not_found, "no SDP");
  auto streams = session ? streams_of(*session) : std::nullopt;
  if (streams) {
    const std::string call_id(request.call_id());
    const std::string sid = p_it->second->sid;
    const auto side = from_caller ? schema::RELAY_SIDE_CALLER : schema::RELAY_SIDE_CALLEE;
    std::string party_ip = flows_.contains(server) ? flows_[server].ip : "";
    auto alive = alive_;
    auto offer = co_await ask_relay(call_id, side, sid, std::move(session.value()), std::move(*streams),
                                    std::move(party_ip));
    if (!*alive) co_return;
    p_it = proxied_.find(server);
    if (p_it == proxied_.end()) co_return;
    if (offer) p_it->second->offer_body = std::move(*offer);
  }
  start_in_dialog(*p_it->second, leg);
}

void Core::relay_ended(std::string_view key, const schema::RelayEnded& event) {
  // From media, checked as if media were hostile: the key names the call.
  if (key != event.call()) return;
  auto relay = relays_.find(key);
  if (relay == relays_.end()) return;
  const Relayed ended = std::move(relay->second);
  relays_.erase(relay);
  auto c = calls_.find(event.call());
  if (c == calls_.end()) return;
  const std::string sid = c->second.sid;
  end_call(c, std::chrono::steady_clock::now(), "media timeout");
  // Both phones are told, each BYE in the other's name (RFC 3326 says why);
  // only an answered call has its callee.
  const Party& caller = ended.caller;
  const Party& callee = ended.callee;
  if (caller.contact.empty() || callee.contact.empty()) return;
  const std::string call_id(key);
  const std::string reason = "SIP;cause=408;text=\"media timeout\"";
  std::uint32_t shift = 0;  // a trunk call's CSeq raise toward the callee
  if (auto s = cseq_shifts_.find(call_id); s != cseq_shifts_.end()) shift = s->second.first;
  send_bye(callee.flow, callee.contact, {}, caller.party, callee.party, call_id, caller.cseq + shift + 1, sid, reason);
  send_bye(caller.flow, caller.contact, {}, callee.party, caller.party, call_id, callee.cseq + 1, sid, reason);
}

void Core::note_relayed_request(const sip::Message& request) {
  auto relay = relays_.find(request.call_id());
  if (relay == relays_.end()) return;
  const bool from_caller = request.from().tag().value_or("") == relay->second.caller_tag;
  Party& party = from_caller ? relay->second.caller : relay->second.callee;
  party.cseq = std::max(party.cseq, request.cseq().number);
}

void Core::note_relayed_answer(const sip::Message& response, const Flow& flow) {
  auto relay = relays_.find(response.call_id());
  if (relay == relays_.end() || response.contacts().empty()) return;
  Party& callee = relay->second.callee;
  callee.party = std::string(response.header("To").value_or(""));
  callee.contact = std::string(response.contacts().front().uri_text);
  callee.flow = flow;
}

void Core::release_relay(const std::string& call_id, const std::string& sid) {
  relays_.erase(call_id);
  schema::RelayRelease release;
  release.set_call(call_id);
  release.set_sid(sid);
  asio::co_spawn(io_, send_release(std::move(release)), asio::detached);
}

awaitable<void> Core::send_release(schema::RelayRelease release) {
  Waiting waiting(waiting_);
  auto alive = alive_;
  auto done = co_await backend_.relay_release(release);
  if (*alive && !done) {
    log::warn("sip.media.release_failed", done.error().detail, {{"sid", release.sid()}, {"call_id", release.call()}});
  }
}

}  // namespace parley::sipd
