#include "sip/dialog.h"

#include <algorithm>
#include <utility>

#include "core/ascii.h"
#include "sip/transaction.h"

namespace parley::sip {

std::string_view dialog_state_name(DialogState state) {
  switch (state) {
    case DialogState::early: return "early";
    case DialogState::confirmed: return "confirmed";
    case DialogState::terminated: return "terminated";
  }
  return "?";
}

namespace {

// RFC 3261 8.1.1.5: sequence numbers stay below 2^31.
constexpr std::uint32_t kMaxSeq = 0x7fffffffu;

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
  });
}

bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// A name-addr written back in angle brackets with its header parameters
// (display names are not kept: nothing routes on them).
std::string name_addr_text(const NameAddr& na) {
  std::string out = "<";
  out.append(na.uri_text).append(">");
  for (const auto& p : na.params) {
    out.append(";").append(p.name);
    if (p.has_value) out.append("=").append(p.value);
  }
  return out;
}

bool is_target_refresh(std::string_view method) { return method == "INVITE" || method == "UPDATE"; }

// A URI as a Request-URI: URI headers and the method parameter are not
// allowed there (RFC 3261 19.1.1, table 1). Kept as written when it has
// neither.
std::string request_uri_form(const Uri& uri, std::string_view text) {
  if (uri.headers.empty() && uri.param("method") == nullptr) return std::string(text);
  Uri stripped = uri;
  stripped.headers.clear();
  std::erase_if(stripped.params, [](const UriParam& p) {
    return ascii_lower(p.name) == "method";
  });
  return to_string(stripped);
}

}  // namespace

Status Dialog::set_target(const Message& m) {
  if (m.contact_star() || m.contacts().empty()) return fail(Errc::invalid, "no Contact for the remote target");
  const NameAddr& contact = m.contacts().front();
  if (contact.uri.scheme != Scheme::sip && contact.uri.scheme != Scheme::sips) {
    return fail(Errc::invalid, "Contact is not a SIP or SIPS URI");
  }
  remote_target_ = contact.uri;
  remote_target_text_ = std::string(contact.uri_text);
  return {};
}

void Dialog::set_routes(const Message& m, bool reversed) {
  route_set_.clear();
  for (const auto& rr : m.record_routes()) route_set_.push_back({.text = name_addr_text(rr), .uri = rr.uri});
  if (reversed) std::reverse(route_set_.begin(), route_set_.end());
}

namespace {

// What uas() and uac() both need of the pair.
Status check_pair(const Message& request, const Message& response) {
  if (!request.is_request()) return fail(Errc::invalid, "dialog: not a request");
  if (response.is_request()) return fail(Errc::invalid, "dialog: not a response");
  if (response.status() <= 100 || response.status() >= 300) {
    return fail(Errc::invalid, "dialog: only 101-299 responses create dialogs");
  }
  if (response.call_id() != request.call_id() || response.cseq().number != request.cseq().number ||
      response.cseq().method != request.method()) {
    return fail(Errc::invalid, "dialog: the response is not to this request");
  }
  if (!request.from().tag()) return fail(Errc::invalid, "dialog: no From tag");
  if (!response.to().tag()) return fail(Errc::invalid, "dialog: no To tag in the response");
  if (response.from().tag() != request.from().tag()) {
    return fail(Errc::invalid, "dialog: the response's From tag is not the request's");
  }
  if (request.to().tag()) return fail(Errc::invalid, "dialog: the request is already in a dialog (To tag)");
  return {};
}

}  // namespace

Result<Dialog> Dialog::uas(const Message& request, const Message& response) {
  return make(DialogRole::uas, request, response);
}

Result<Dialog> Dialog::uac(const Message& request, const Message& response) {
  return make(DialogRole::uac, request, response);
}

// 12.1.1 and 12.1.2 differ in which side is local, whose sequence number
// the request sets, and which message's Contact and Record-Route count
// (the request's for the UAS, the response's for the UAC, reversed).
Result<Dialog> Dialog::make(DialogRole role, const Message& request, const Message& response) {
  if (auto ok = check_pair(request, response); !ok) return ok.error();
  const bool uac = role == DialogRole::uac;
  const NameAddr& local = uac ? request.from() : request.to();
  const NameAddr& remote = uac ? request.to() : request.from();
  const NameAddr& local_tagged = uac ? request.from() : response.to();
  const NameAddr& remote_tagged = uac ? response.to() : request.from();
  const Message& carrier = uac ? response : request;
  Dialog d;
  d.role_ = role;
  d.state_ = response.status() < 200 ? DialogState::early : DialogState::confirmed;
  d.secure_ = request.request_uri().scheme == Scheme::sips;
  d.id_ = {.call_id = std::string(request.call_id()),
           .local_tag = std::string(*local_tagged.tag()),
           .remote_tag = std::string(*remote_tagged.tag())};
  (uac ? d.local_seq_ : d.remote_seq_) = request.cseq().number;
  d.creating_seq_ = request.cseq().number;
  d.creating_method_ = std::string(request.method());
  d.local_uri_ = local.uri;
  d.local_uri_text_ = std::string(local.uri_text);
  d.remote_uri_ = remote.uri;
  d.remote_uri_text_ = std::string(remote.uri_text);
  if (auto ok = d.set_target(carrier); !ok) return ok.error();
  d.set_routes(carrier, uac);
  return d;
}

Result<Message> Dialog::make_request(std::string_view method, std::string_view via, std::string_view branch,
                                     const std::vector<Header>& extra, std::string_view body) {
  if (state_ == DialogState::terminated) return fail(Errc::invalid, "dialog: terminated");
  if (!is_token(method)) return fail(Errc::invalid, "dialog: method is not a token");
  if (method == "CANCEL") return fail(Errc::invalid, "dialog: CANCEL is built from the INVITE's transaction");
  if (!branch.starts_with(kMagicCookie) || !is_token(branch)) {
    return fail(Errc::invalid, "dialog: branch lacks the magic cookie");
  }
  if (via.empty() || has_crlf(via)) return fail(Errc::invalid, "dialog: bad Via");
  for (const auto& h : extra) {
    if (!is_token(h.name) || has_crlf(h.value)) return fail(Errc::invalid, "dialog: bad extra header");
  }

  std::uint32_t seq = 0;
  if (method == "ACK") {
    if (!local_seq_) return fail(Errc::invalid, "dialog: ACK before any INVITE was sent");
    seq = *local_seq_;
  } else {
    seq = local_seq_ ? *local_seq_ + 1 : 1;
    if (seq >= kMaxSeq) return fail(Errc::invalid, "dialog: CSeq would reach 2^31");
  }

  // 12.2.1.1: a loose first route keeps the remote target as Request-URI;
  // a strict one takes its place and the target goes last in Route.
  std::string request_uri = request_uri_form(remote_target_, remote_target_text_);
  std::vector<std::string_view> routes;
  for (const auto& r : route_set_) routes.push_back(r.text);
  std::string target_route;
  if (!route_set_.empty() && !route_set_.front().loose()) {
    request_uri = request_uri_form(route_set_.front().uri, to_string(route_set_.front().uri));
    routes.erase(routes.begin());
    target_route = "<" + remote_target_text_ + ">";
    routes.push_back(target_route);
  }

  std::string out(method);
  out.append(" ").append(request_uri).append(" SIP/2.0\r\n");
  out.append("Via: ").append(via).append(";branch=").append(branch).append("\r\n");
  for (auto r : routes) out.append("Route: ").append(r).append("\r\n");
  out.append("Max-Forwards: 70\r\n");
  out.append("From: <").append(local_uri_text_).append(">;tag=").append(id_.local_tag).append("\r\n");
  out.append("To: <").append(remote_uri_text_).append(">;tag=").append(id_.remote_tag).append("\r\n");
  out.append("Call-ID: ").append(id_.call_id).append("\r\n");
  out.append("CSeq: ").append(std::to_string(seq)).append(" ").append(method).append("\r\n");
  for (const auto& h : extra) out.append(h.name).append(": ").append(h.value).append("\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  auto m = parse_message(std::move(out));
  if (!m) return fail(Errc::invalid, "dialog: request does not parse: " + m.error().detail);
  local_seq_ = seq;
  return m;
}

Status Dialog::on_request(const Message& request) {
  if (!request.is_request()) return fail(Errc::invalid, "dialog: not a request");
  if (incoming_dialog_id(request) != id_) return fail(Errc::not_found, "dialog: not this dialog");
  if (state_ == DialogState::terminated) return fail(Errc::not_found, "dialog: terminated");
  const std::uint32_t seq = request.cseq().number;
  const std::string_view method = request.method();
  if (method != "ACK" && method != "CANCEL") {
    if (remote_seq_ && seq < *remote_seq_) {
      return fail(Errc::invalid, "dialog: CSeq " + std::to_string(seq) + " below the remote sequence number " +
                                     std::to_string(*remote_seq_));
    }
    if (is_target_refresh(method) && !request.contacts().empty()) {
      if (auto ok = set_target(request); !ok) return ok.error();
    }
    remote_seq_ = seq;
  }
  if (method == "BYE") state_ = DialogState::terminated;
  return {};
}

Status Dialog::on_response(const Message& response) {
  if (response.is_request()) return fail(Errc::invalid, "dialog: not a response");
  if (incoming_dialog_id(response) != id_) return fail(Errc::not_found, "dialog: not this dialog");
  if (state_ == DialogState::terminated) return fail(Errc::not_found, "dialog: terminated");
  const int status = response.status();
  const std::string_view method = response.cseq().method;
  const bool creating = role_ == DialogRole::uac && response.cseq().number == creating_seq_ &&
                        method == creating_method_;

  if (creating && state_ == DialogState::early) {
    if (status >= 300) {
      state_ = DialogState::terminated;
    } else if (status >= 200) {
      if (auto ok = set_target(response); !ok) return ok.error();
      set_routes(response, true);
      state_ = DialogState::confirmed;
    } else if (status > 100 && !response.contacts().empty()) {
      if (auto ok = set_target(response); !ok) return ok.error();
    }
    return {};
  }
  if (status == 481 || status == 408) {
    state_ = DialogState::terminated;
    return {};
  }
  if (method == "BYE" && status >= 200) {
    state_ = DialogState::terminated;
    return {};
  }
  // A 2xx to the creating INVITE retransmitted once confirmed, or to a
  // re-INVITE/UPDATE: its Contact is the target (12.2.1.2).
  if (status >= 200 && status < 300 && is_target_refresh(method)) {
    if (auto ok = set_target(response); !ok) return ok.error();
  }
  return {};
}

Status Dialog::on_sent_response(const Message& response) {
  if (role_ != DialogRole::uas) return fail(Errc::invalid, "dialog: not a UAS dialog");
  if (response.is_request()) return fail(Errc::invalid, "dialog: not a response");
  if (response.call_id() != id_.call_id || response.to().tag() != id_.local_tag ||
      response.from().tag() != id_.remote_tag || response.cseq().number != creating_seq_ ||
      response.cseq().method != creating_method_) {
    return fail(Errc::invalid, "dialog: not a response to the dialog-creating request");
  }
  if (state_ != DialogState::early) return {};
  if (response.status() >= 300) {
    state_ = DialogState::terminated;
  } else if (response.status() >= 200) {
    state_ = DialogState::confirmed;
  }
  return {};
}

std::optional<DialogId> incoming_dialog_id(const Message& message) {
  const auto from_tag = message.from().tag();
  const auto to_tag = message.to().tag();
  if (!from_tag || !to_tag) return std::nullopt;
  if (message.is_request()) {
    return DialogId{.call_id = std::string(message.call_id()), .local_tag = std::string(*to_tag),
                    .remote_tag = std::string(*from_tag)};
  }
  return DialogId{.call_id = std::string(message.call_id()), .local_tag = std::string(*from_tag),
                  .remote_tag = std::string(*to_tag)};
}

Result<Dialog*> DialogTable::insert(Dialog dialog) {
  if (dialogs_.contains(dialog.id())) return fail(Errc::exists, "dialog: id in use");
  if (dialogs_.size() >= kMaxDialogs) return fail(Errc::limit, "dialog: table full");
  DialogId id = dialog.id();
  auto it = dialogs_.emplace(std::move(id), std::move(dialog)).first;
  return &it->second;
}

Dialog* DialogTable::find(const DialogId& id) {
  auto it = dialogs_.find(id);
  return it == dialogs_.end() ? nullptr : &it->second;
}

Dialog* DialogTable::find_for(const Message& message) {
  const auto id = incoming_dialog_id(message);
  return id ? find(*id) : nullptr;
}

bool DialogTable::erase(const DialogId& id) { return dialogs_.erase(id) > 0; }

std::size_t DialogTable::reap() {
  return std::erase_if(dialogs_, [](const auto& kv) { return kv.second.state() == DialogState::terminated; });
}

}  // namespace parley::sip
