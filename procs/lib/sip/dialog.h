// SIP dialogs (RFC 3261 12): the state two UAs share for a peer-to-peer
// relationship, kept by sipd where it acts as a UA (outbound registration
// runs outside dialogs; NOTIFY for subscriptions, MESSAGE and calls it
// originates or answers run inside them). Pure: no I/O, no clock.
//
// Inputs are parsed Messages (message.h), possibly from the network: a
// Dialog checks what it relies on (tags, Contact, a Contact URI that
// parses) and refuses the rest with Errc::invalid and a detail for the
// log. A Dialog copies what it keeps, so the Messages it was built from
// may go.
//
// Simplifications, each documented where it applies:
//   - a peer without tags (RFC 2543) is refused: both tags are required;
//   - a dialog-creating response must carry a Contact (12.1.1 says the
//     UAS MUST add one), 1xx included;
//   - terminating responses (RFC 5057): 481 and 408 to any in-dialog
//     request end the dialog; other failures leave it as it was;
//   - a target refresh received (a re-INVITE or UPDATE with a Contact)
//     changes the remote target when the request is accepted by
//     on_request, not when the UAS's 2xx goes out.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "sip/message.h"
#include "sip/uri.h"

namespace parley::sip {

// RFC 3261 12: Call-ID, local tag, remote tag. Compared byte for byte
// (tags and Call-IDs are case-sensitive tokens).
struct DialogId {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  auto operator<=>(const DialogId&) const = default;
};

enum class DialogRole { uac, uas };
enum class DialogState { early, confirmed, terminated };
std::string_view dialog_state_name(DialogState state);

// One entry of the route set: the URI and its header parameters, written
// back as "<uri>;params" in Route headers.
struct RouteEntry {
  std::string text;  // "<sip:p1.example.com;lr>"
  Uri uri;
  bool loose() const { return uri.param("lr") != nullptr; }
};

class Dialog {
 public:
  // UAS side (12.1.1): `request` is the dialog-creating request received
  // (INVITE, SUBSCRIBE, ...), `response` the 1xx or 2xx this UAS sends,
  // whose To carries the local tag. Route set: the request's Record-Route
  // in order; remote target: its Contact; remote sequence number: its
  // CSeq; the local one empty until the first request this side sends.
  // A 1xx gives an early dialog, a 2xx a confirmed one.
  // Errc::invalid: not a request and a 101-299 response to it (same
  // Call-ID and CSeq), a tag missing, no Contact or one that is "*" or
  // does not parse.
  [[nodiscard]] static Result<Dialog> uas(const Message& request, const Message& response);
  // UAC side (12.1.2): `request` is the dialog-creating request sent,
  // `response` a 101-199 with a To tag (early) or a 2xx (confirmed).
  // Route set: the response's Record-Route reversed; remote target: its
  // Contact; local sequence number: the request's CSeq; the remote one
  // empty. Errc::invalid as for uas().
  [[nodiscard]] static Result<Dialog> uac(const Message& request, const Message& response);

  const DialogId& id() const { return id_; }
  DialogRole role() const { return role_; }
  DialogState state() const { return state_; }
  // The creating request's Request-URI was a sips URI. RFC 3261 12.1.1
  // and 12.1.2 also want it sent or received over TLS, which pure code
  // cannot see: the caller checks its transport before relying on this.
  bool secure() const { return secure_; }
  std::optional<std::uint32_t> local_seq() const { return local_seq_; }
  std::optional<std::uint32_t> remote_seq() const { return remote_seq_; }
  const Uri& local_uri() const { return local_uri_; }
  const Uri& remote_uri() const { return remote_uri_; }
  const Uri& remote_target() const { return remote_target_; }
  const std::vector<RouteEntry>& route_set() const { return route_set_; }

  // A request inside the dialog (12.2.1.1). Request-URI: the remote
  // target (without URI headers and a method parameter, which a
  // Request-URI may not carry, 19.1.1), with Route lines for the route set when its first entry is a
  // loose router (";lr"); when it is a strict router, the Request-URI is
  // that entry's URI and the remote target goes last in Route. CSeq: the
  // local sequence number plus one (1 when it was empty), kept; an ACK
  // (for the 2xx of the last INVITE sent) reuses the number unchanged.
  // From: the local URI and tag; To: the remote URI and tag; Call-ID;
  // Max-Forwards: 70; Via: `via` ("SIP/2.0/UDP host:port") with
  // ";branch=" and `branch`, which the caller makes unique. `extra`
  // headers (Contact for a target refresh, Event, Content-Type, ...) and
  // `body` follow. Errc::invalid: the dialog is terminated, `branch` lacks
  // the magic cookie, `method` is CANCEL (built from the INVITE's
  // transaction) or not a token, a header holds CR or LF, or the sequence
  // number would reach 2^31.
  [[nodiscard]] Result<Message> make_request(std::string_view method, std::string_view via, std::string_view branch,
                                             const std::vector<Header>& extra = {}, std::string_view body = {});

  // A request received that belongs to this dialog (12.2.2).
  //   Errc::not_found: its Call-ID or tags are not this dialog's (481);
  //   Errc::invalid: its CSeq is lower than the remote sequence number
  //     (the RFC's 500 Server Internal Error), or a re-INVITE/UPDATE
  //     Contact does not parse.
  // On success the remote sequence number becomes its CSeq; a BYE ends
  // the dialog; an INVITE or UPDATE with a Contact replaces the remote
  // target (a target refresh). ACK and CANCEL do not move the number
  // (they carry their INVITE's).
  [[nodiscard]] Status on_request(const Message& request);

  // A response received to a request this side sent in the dialog, or
  // (UAC) a further response to the dialog-creating request:
  //   to the creating request in the early state: a 1xx keeps the dialog
  //     early (new Contact taken), a 2xx confirms it and recomputes the
  //     route set and target from the 2xx (13.2.2.4), a 300-699 ends it;
  //   2xx to INVITE or UPDATE: its Contact is the new remote target;
  //   2xx or any final response to BYE, or 481 / 408 to anything: the
  //     dialog ends (RFC 5057, simplified).
  // Errc::not_found: the response's Call-ID or tags are not this
  // dialog's; Errc::invalid: a 2xx that must carry a Contact has none.
  [[nodiscard]] Status on_response(const Message& response);

  // UAS: a final response this side sends to the dialog-creating
  // request while the dialog is early: a 2xx confirms it, a 300-699 ends
  // it; anything else changes nothing. Errc::invalid: a UAC dialog, not a
  // response, or not for the creating request (Call-ID, tags, CSeq).
  [[nodiscard]] Status on_sent_response(const Message& response);

  void terminate() { state_ = DialogState::terminated; }

 private:
  static Result<Dialog> make(DialogRole role, const Message& request, const Message& response);
  Dialog() = default;
  Status set_target(const Message& m);
  void set_routes(const Message& m, bool reversed);

  DialogId id_;
  DialogRole role_ = DialogRole::uac;
  DialogState state_ = DialogState::early;
  bool secure_ = false;
  std::optional<std::uint32_t> local_seq_, remote_seq_;
  std::uint32_t creating_seq_ = 0;  // the CSeq of the dialog-creating request
  std::string creating_method_;
  Uri local_uri_, remote_uri_, remote_target_;
  std::string local_uri_text_, remote_uri_text_, remote_target_text_;
  std::vector<RouteEntry> route_set_;
};

// The dialog id of an incoming message, as this side sees it: for a
// request, local tag = To tag and remote tag = From tag; for a response
// (to a request this side sent), local = From tag and remote = To tag.
// nullopt when a tag is missing.
std::optional<DialogId> incoming_dialog_id(const Message& message);

// The dialogs this UA has, by id. Not thread-safe; one per sipd event loop.
class DialogTable {
 public:
  // Dialogs at most: beyond it insert fails with Errc::limit (sipd
  // answers the creating request 503). A dialog lives as long as its call
  // or subscription (hours), far longer than a transaction; sipd is a UA
  // only for its own registrations, presence NOTIFYs and MESSAGE
  // sessions, so 8192 concurrent ones is ample. Early dialogs count:
  // a forked INVITE can create one per fork.
  static constexpr std::size_t kMaxDialogs = 8192;

  // Errc::limit: full; Errc::exists: a dialog with that id is there.
  [[nodiscard]] Result<Dialog*> insert(Dialog dialog);
  Dialog* find(const DialogId& id);
  // The dialog an incoming in-dialog request or response is for, or null.
  Dialog* find_for(const Message& message);
  bool erase(const DialogId& id);
  // Drops every terminated dialog; returns how many.
  std::size_t reap();
  std::size_t size() const { return dialogs_.size(); }

 private:
  std::map<DialogId, Dialog> dialogs_;
};

}  // namespace parley::sip
