// Calls the server answers itself, for its own applications (voicemail):
// a media target of the router's plan. sipd is the SIP end of such a call
// (RFC 3261's UAS: the 2xx with its SDP, resent until the ACK, the BYE
// either way) and media the audio's (media.app.start, media.app.stop, the
// app.ended event); media never sees SIP or SDP.
#include <algorithm>

#include "core.h"
#include "core/ascii.h"
#include "log/log.h"
#include "sdp/sdp.h"

namespace parley::sipd {

namespace {

// RFC 3551 table 4: the static payload types a format list may name
// without an rtpmap.
std::optional<std::pair<std::string_view, std::uint32_t>> static_format(unsigned pt) {
  switch (pt) {
    case 0: return std::pair{std::string_view("PCMU"), 8000u};
    case 8: return std::pair{std::string_view("PCMA"), 8000u};
    case 9: return std::pair{std::string_view("G722"), 8000u};
    case 18: return std::pair{std::string_view("G729"), 8000u};
    default: return std::nullopt;
  }
}

// The caller's first audio stream as media takes it: where it receives and
// the formats it offers. nullopt when the offer has no audio stream.
std::optional<schema::AppStart> audio_offer(const sdp::Session& session) {
  for (const auto& media : session.media) {
    if (media.type != "audio" || media.port == 0 || media.proto != "RTP/AVP") continue;
    schema::AppStart out;
    auto* s = out.mutable_stream();
    if (const auto* c = sdp::connection_for(session, media)) s->set_address(c->address);
    s->set_rtp_port(media.port);
    if (auto rtcp = sdp::rtcp(media)) s->set_rtcp_port(rtcp->port);
    s->set_rtcp_mux(sdp::rtcp_mux(media));
    for (const auto& format : media.formats) {
      auto* f = out.add_formats();
      unsigned pt = 0;
      for (char c : format) pt = pt * 10 + static_cast<unsigned>(c - '0');
      const bool digits = std::all_of(format.begin(), format.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (format.empty() || format.size() > 3 || !digits || pt > 127) {
        out.mutable_formats()->RemoveLast();
        continue;
      }
      f->set_payload_type(pt);
      if (auto map = sdp::rtpmap(media, format)) {
        f->set_name(map->encoding);
        f->set_clock_rate(map->clock_rate);
      } else if (auto known = static_format(pt)) {
        f->set_name(std::string(known->first));
        f->set_clock_rate(known->second);
      }
    }
    return out;
  }
  return std::nullopt;
}

// The digits of a SIP INFO carrying DTMF: application/dtmf-relay (a
// "Signal=" line) or application/dtmf (the digit itself); empty for
// anything else. Only 0-9 * # A-D are taken.
std::string info_digits(const sip::Message& info) {
  auto type = info.header("Content-Type");
  if (!type) return {};
  const auto media_type = trim_blanks(type->substr(0, type->find(';')));
  std::string_view value;
  if (ascii_iequal(media_type, "application/dtmf-relay")) {
    std::string_view rest = info.body();
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      const std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      const auto eq = line.find('=');
      if (eq != std::string_view::npos && ascii_iequal(trim_blanks(line.substr(0, eq)), "Signal")) {
        value = trim_blanks(line.substr(eq + 1));
      }
    }
  } else if (ascii_iequal(media_type, "application/dtmf")) {
    value = trim_blanks(info.body());
  }
  std::string out;
  for (char c : value) {
    const char d = c >= 'a' && c <= 'd' ? static_cast<char>(c - 'a' + 'A') : c;
    if ((d >= '0' && d <= '9') || d == '*' || d == '#' || (d >= 'A' && d <= 'D')) out += d;
  }
  return out.size() == 1 ? out : std::string();
}

// Our answer: one audio stream at media's address, the chosen format and
// telephone-event when offered (RFC 3264 6: in the offer's payload types).
std::string answer_sdp(const schema::AppStartReply& reply, std::uint64_t version) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(reply.address(), ec);
  const std::string type = !ec && address.is_v6() ? "IP6" : "IP4";
  const auto& f = reply.format();
  std::string formats = std::to_string(f.payload_type());
  if (reply.telephone_event() != 0) formats += " " + std::to_string(reply.telephone_event());
  std::string out = "v=0\r\no=parley 1 " + std::to_string(version) + " IN " + type + " " + reply.address() +
                    "\r\ns=parley\r\nc=IN " + type + " " + reply.address() + "\r\nt=0 0\r\nm=audio " +
                    std::to_string(reply.rtp_port()) + " RTP/AVP " + formats + "\r\n";
  out += "a=rtpmap:" + std::to_string(f.payload_type()) + " " + f.name() + "/" + std::to_string(f.clock_rate()) + "\r\n";
  if (reply.telephone_event() != 0) {
    const std::string te = std::to_string(reply.telephone_event());
    out += "a=rtpmap:" + te + " telephone-event/8000\r\na=fmtp:" + te + " 0-16\r\n";
  }
  out += "a=ptime:20\r\na=sendrecv\r\n";
  return out;
}

}  // namespace

bool Core::start_application(Proxied& p, const schema::SignalTarget& target) {
  const auto* txn = transactions_.find(p.server);
  if (txn == nullptr || !p.invite || !p.initial || apps_.contains(txn->request().call_id())) return false;
  ++p.locating;  // the call's search waits for the answer, as for a DNS lookup
  asio::co_spawn(io_, answer_application(p.server, target.application(), target.account()), asio::detached);
  return true;
}

awaitable<void> Core::answer_application(sip::TransactionId server, std::string application, std::string account) {
  Waiting waiting(waiting_);
  auto alive = alive_;
  const auto* txn = transactions_.find(server);
  auto it = proxied_.find(server);
  if (txn == nullptr || it == proxied_.end()) co_return;
  const sip::Message& invite = txn->request();
  const std::string call_id(invite.call_id());
  const std::string sid = it->second->sid;
  // A branch that fails the call's search: as a callee's failure would.
  auto failed = [this, server](int status) {
    auto p = proxied_.find(server);
    if (p == proxied_.end()) return;
    Proxied& q = *p->second;
    --q.locating;
    if (better(status, q.best_status)) {
      q.best_status = status;
      q.best_wire.clear();
    }
    branch_done(q);
  };
  std::optional<schema::AppStart> start;
  if (has_sdp(invite)) {
    auto session = sdp::parse(invite.body());
    if (session) start = audio_offer(*session);
  }
  if (!start) {
    // No offer in the INVITE (offer in the ACK, RFC 3261 13.2.1) is not
    // taken: the application needs the caller's address at once.
    log::info("sip.app.refused", "no audio offer to answer", {{"sid", sid}, {"value", application}});
    failed(488);
    co_return;
  }
  start->set_call(call_id);
  start->set_sid(sid);
  start->set_application(application);
  start->set_account(account);
  start->set_caller(it->second->caller);
  start->set_caller_name(sip::unquote(invite.from().display));
  const std::string from_uri(invite.from().uri_text);
  const std::string remote_party(invite.header("From").value_or(""));
  const std::string local_party(invite.header("To").value_or(""));
  const std::string target = invite.contacts().empty() ? from_uri : std::string(invite.contacts().front().uri_text);
  std::vector<std::string> route_set;
  for (const auto& rr : invite.record_routes()) route_set.push_back("<" + std::string(rr.uri_text) + ">");
  const std::uint32_t remote_cseq = invite.cseq().number;
  auto reply = co_await backend_.app_start(*start);
  if (!*alive) co_return;
  if (!reply) {
    log::warn("sip.app.unavailable", reply.error().detail, {{"sid", sid}, {"value", application}});
    failed(reply.code() == Errc::invalid ? 488 : 503);
    co_return;
  }
  it = proxied_.find(server);
  txn = transactions_.find(server);
  if (it == proxied_.end() || txn == nullptr || it->second->final_sent) {
    // Cancelled meanwhile, or another branch answered first.
    schema::AppStop stop;
    stop.set_call(call_id);
    stop.set_sid(sid);
    asio::co_spawn(io_, send_app_stop(std::move(stop)), asio::detached);
    if (it != proxied_.end()) --it->second->locating;
    co_return;
  }
  Proxied& p = *it->second;
  --p.locating;
  // The caller's media goes to media's endpoint: no relay in between.
  if (relays_.contains(call_id)) release_relay(call_id, sid);
  AppDialog d;
  d.sid = sid;
  d.server = server;
  d.local_tag = local_tag(server);
  d.local_party = local_party;
  d.remote_party = remote_party;
  d.remote_target = target;
  d.route_set = std::move(route_set);
  d.flow = flows_[server];
  d.remote_cseq = remote_cseq;
  d.caller = p.caller;
  d.account = account;
  d.application = application;
  d.sdp = answer_sdp(*reply, ++d.sdp_version);
  apps_[call_id] = std::move(d);
  log::info("sip.call.answer", "answered by the server", {{"sid", sid}, {"call_id", call_id}, {"from", p.caller},
                                                          {"to", account}, {"value", application}});
  if (calls_.size() < kMaxCalls) {
    calls_[call_id] = CallRecord{sid, call_id, p.caller, account, p.started, options_.wall_now(),
                                 std::chrono::steady_clock::now()};
  }
  final_answered(p, 200);
  cancel_branches(p);
  answer_app_invite(call_id, server);
}

void Core::answer_app_invite(const std::string& call_id, sip::TransactionId server) {
  auto it = apps_.find(call_id);
  if (it == apps_.end()) return;
  AppDialog& d = it->second;
  d.server = server;
  d.acked = false;
  respond(server, 200, reason_phrase(200),
          {{"Contact", own_contact(d.flow)}, {"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"},
           {"Content-Type", "application/sdp"}},
          d.sdp);
  if (d.flow.reliable()) return;
  // RFC 3261 13.3.1.4: the 2xx again at T1, doubling up to T2, until the
  // ACK; none for 64*T1: the call ends.
  d.interval = sip::TimerSettings{}.t1;
  d.given_up_at = std::chrono::steady_clock::now() + 64 * sip::TimerSettings{}.t1;
  resend_app_answer(call_id);
}

void Core::resend_app_answer(const std::string& call_id) {
  auto it = apps_.find(call_id);
  if (it == apps_.end()) return;
  AppDialog& d = it->second;
  if (!d.timer) d.timer = std::make_unique<asio::steady_timer>(io_);
  d.timer->expires_after(d.interval);
  d.timer->async_wait([this, alive = alive_, call_id](boost::system::error_code ec) {
    if (ec || !*alive) return;
    auto it = apps_.find(call_id);
    if (it == apps_.end() || it->second.acked) return;
    AppDialog& d = it->second;
    if (std::chrono::steady_clock::now() >= d.given_up_at) {
      log::info("sip.app.no_ack", "no ACK for the answer", {{"sid", d.sid}, {"call_id", call_id}});
      end_application(call_id, "no ACK", true, true);
      return;
    }
    const auto* txn = transactions_.find(d.server);
    if (txn == nullptr) return;
    auto response = sip::make_response(txn->request(), 200, reason_phrase(200), d.local_tag,
                                       {{"Contact", own_contact(d.flow)}, {"Content-Type", "application/sdp"}}, d.sdp);
    if (response) {
      auto update = transactions_.send_response(d.server, *response, now());
      if (update) perform(update->id, std::move(update->actions), nullptr);
    }
    d.interval = std::min(d.interval * 2, sip::Duration(sip::TimerSettings{}.t2));
    resend_app_answer(call_id);
  });
}

bool Core::app_ack(const sip::Message& ack) {
  auto it = apps_.find(ack.call_id());
  if (it == apps_.end() || ack.to().tag() != it->second.local_tag) return false;
  it->second.acked = true;
  if (it->second.timer) it->second.timer->cancel();
  return true;
}

bool Core::app_request(sip::TransactionId id) {
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) return false;
  const sip::Message& request = txn->request();
  auto it = apps_.find(request.call_id());
  if (it == apps_.end() || request.to().tag() != it->second.local_tag) return false;
  AppDialog& d = it->second;
  const std::string call_id(request.call_id());
  const std::string_view method = request.method();
  if (request.cseq().number <= d.remote_cseq && method != "ACK") {
    respond(id, 500, "CSeq Out of Order");  // RFC 3261 12.2.2
    return true;
  }
  d.remote_cseq = request.cseq().number;
  if (method == "BYE") {
    respond(id, 200, reason_phrase(200));
    end_application(call_id, "hung up", false, true);
  } else if (method == "INVITE") {
    // A re-INVITE (hold, a new address): the same answer, media told
    // where the caller receives now.
    if (!request.contacts().empty()) d.remote_target = std::string(request.contacts().front().uri_text);
    std::optional<schema::AppStart> start;
    if (has_sdp(request)) {
      if (auto session = sdp::parse(request.body())) start = audio_offer(*session);
    }
    if (start) {
      start->set_call(call_id);
      start->set_sid(d.sid);
      start->set_application(d.application);
      start->set_account(d.account);
      asio::co_spawn(io_, send_app_update(std::move(*start)), asio::detached);
    }
    answer_app_invite(call_id, id);
  } else if (method == "INFO") {
    // DTMF in SIP INFO (phones without RFC 4733): to media as digits.
    if (const std::string digits = info_digits(request); !digits.empty()) {
      schema::AppDigits out;
      out.set_call(call_id);
      out.set_sid(d.sid);
      out.set_digits(digits);
      asio::co_spawn(io_, send_app_digits(std::move(out)), asio::detached);
    }
    respond(id, 200, reason_phrase(200));
  } else if (method == "OPTIONS" || method == "UPDATE") {
    respond(id, 200, reason_phrase(200));
  } else {
    respond(id, 405, reason_phrase(405), {{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"}});
  }
  return true;
}

awaitable<void> Core::send_app_update(schema::AppStart start) {
  auto reply = co_await backend_.app_start(start);
  if (!reply) log::warn("sip.app.unavailable", reply.error().detail, {{"sid", start.sid()}});
}

awaitable<void> Core::send_app_stop(schema::AppStop stop) {
  auto reply = co_await backend_.app_stop(stop);
  if (!reply) log::warn("sip.app.unavailable", reply.error().detail, {{"sid", stop.sid()}});
}

awaitable<void> Core::send_app_digits(schema::AppDigits digits) {
  auto reply = co_await backend_.app_digits(digits);
  if (!reply) log::warn("sip.app.unavailable", reply.error().detail, {{"sid", digits.sid()}});
}

void Core::send_bye(const Flow& flow, const std::string& target, const std::vector<std::string>& route_set,
                    const std::string& from, const std::string& to, const std::string& call_id, std::uint32_t cseq,
                    const std::string& sid, std::string_view reason) {
  std::string wire = "BYE " + target + " SIP/2.0\r\nVia: " + via_value(flow.kind, new_branch()) + "\r\nMax-Forwards: 70\r\n";
  for (const auto& r : route_set) wire += "Route: " + r + "\r\n";
  wire += "From: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + call_id + "\r\nCSeq: " + std::to_string(cseq) + " BYE\r\n";
  if (!reason.empty()) wire += "Reason: " + std::string(reason) + "\r\n";
  wire += "Content-Length: 0\r\n\r\n";
  auto bye = sip::parse_message(std::move(wire));
  auto started = bye ? transactions_.start_client(std::move(bye.value()), flow.reliable(), now())
                     : Result<sip::TransactionTable::Update>(bye.error());
  if (!started) {
    log::warn("sip.bye.failed", started.error().detail, {{"sid", sid}, {"call_id", call_id}});
    return;
  }
  flows_[started->id] = flow;
  sids_[started->id] = sid;
  byes_.insert(started->id);
  perform(started->id, std::move(started->actions), nullptr);
}

void Core::app_ended(std::string_view call_id, const schema::AppEnded& event) {
  if (!apps_.contains(call_id)) return;
  end_application(std::string(call_id), event.reason(), true, false);
}

void Core::end_application(const std::string& call_id, std::string_view reason, bool bye, bool tell_media) {
  auto it = apps_.find(call_id);
  if (it == apps_.end()) return;
  AppDialog d = std::move(it->second);
  apps_.erase(it);
  if (d.timer) d.timer->cancel();
  if (bye) send_bye(d.flow, d.remote_target, d.route_set, d.local_party + ";tag=" + d.local_tag, d.remote_party, call_id,
                    1, d.sid, {});
  if (tell_media) {
    schema::AppStop stop;
    stop.set_call(call_id);
    stop.set_sid(d.sid);
    asio::co_spawn(io_, send_app_stop(std::move(stop)), asio::detached);
  }
  if (auto call = calls_.find(call_id); call != calls_.end()) {
    end_call(call, std::chrono::steady_clock::now(), reason);
  }
}

}  // namespace parley::sipd
