// SIP messages (RFC 3261 7, 20, 25): requests and responses parsed from one
// whole message (a UDP datagram, or what the stream Framer cut), and
// serialized back. Pure: no I/O, no clock.
//
// Untrusted input: every byte of the buffer. Zero-copy: a Message owns its
// buffer and every view it hands out (names, values, parameters, body)
// points into it, so views live as long as the Message (moving a Message
// keeps them valid; it cannot be copied). Folded header lines are unfolded
// in place (CRLF before SP/HTAB becomes two spaces, RFC 3261 7.3.1).
//
// parse_message checks the grammar and what every message must carry
// (RFC 3261 8.1.1: Via, From, To, Call-ID, CSeq; CSeq's method matching a
// request's). What to answer (400, 416, 505, 513) is sipd's decision; a
// response that fails here is dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "sip/uri.h"

namespace parley::sip {

// The largest message accepted, headers and body. RFC 3261 18.1.1 bounds a
// UDP message by the path MTU unless congestion-controlled; 65535 is the
// largest UDP payload, and streams get the same bound so one limit holds
// for both.
constexpr std::size_t kMaxMessageSize = 65535;
// Header fields per message: real messages carry 10 to 30; 128 leaves room
// for long Via and Record-Route stacks sent one per line.
constexpr std::size_t kMaxHeaders = 128;
// One header field, name, folding and value included (no RFC bound; well
// above any real Contact or Authorization line).
constexpr std::size_t kMaxHeaderLine = 8192;

// A header parameter (";name=value" after a Via, a name-addr, ...): views,
// value as written (a quoted-string keeps its quotes).
struct Param {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

// The parameter of that name (ASCII case-insensitive), or null.
const Param* find_param(const std::vector<Param>& params, std::string_view name);

// One header field line: the name in its long form for the known compact
// names (RFC 3261 7.3.3 and later RFCs: "v" is "Via"), else as written; the
// value unfolded, without leading and trailing whitespace.
struct Header {
  std::string_view name;
  std::string_view value;
};

// name-addr or addr-spec (From, To, Contact, Route, Record-Route, ...).
struct NameAddr {
  std::string_view display;  // without its quotes; escapes left as written
  bool display_quoted = false;
  bool angle = false;  // the URI was in <...>
  std::string_view uri_text;
  Uri uri;
  std::vector<Param> params;  // the header's parameters after the URI
  std::optional<std::string_view> tag() const;
};

struct Via {
  std::string_view protocol;   // "SIP"
  std::string_view version;    // "2.0"
  std::string_view transport;  // "UDP", "TCP", "TLS", "SCTP", "WS", ...
  std::string_view host;       // IPv6 with its brackets
  std::optional<std::uint16_t> port;
  std::vector<Param> params;
  std::optional<std::string_view> branch() const;
  std::optional<std::string_view> received() const;
  bool has_rport() const;                      // ";rport", with or without a value
  std::optional<std::uint16_t> rport() const;  // ";rport=N"
};

struct CSeq {
  std::uint32_t number = 0;  // below 2^31 (RFC 3261 8.1.1.5)
  std::string_view method;
};

class Message {
 public:
  Message(Message&&) noexcept = default;
  Message& operator=(Message&&) noexcept = default;

  bool is_request() const { return status_ == 0; }
  std::string_view method() const { return method_; }  // requests
  std::string_view request_uri_text() const { return request_uri_text_; }
  const Uri& request_uri() const { return request_uri_; }
  int status() const { return status_; }  // responses: 100..699
  std::string_view reason() const { return reason_; }
  std::string_view version() const { return version_; }  // "SIP/2.0"; sipd answers 505 to others

  // Every header line in order.
  const std::vector<Header>& headers() const { return headers_; }
  // The first line of that name (either form, case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  // Every value of that name, in order, lines split at commas outside
  // quoted strings and <...> (not for headers whose grammar holds commas:
  // Date, the authentication headers, Subject and other free text).
  std::vector<std::string_view> values(std::string_view name) const;

  const std::vector<Via>& vias() const { return vias_; }  // at least one
  const NameAddr& from() const { return from_; }
  const NameAddr& to() const { return to_; }
  std::string_view call_id() const { return call_id_; }
  const CSeq& cseq() const { return cseq_; }
  std::optional<std::uint32_t> max_forwards() const { return max_forwards_; }  // 0..255
  std::optional<std::size_t> content_length() const { return content_length_; }
  std::optional<std::uint32_t> expires() const { return expires_; }
  bool contact_star() const { return contact_star_; }  // "Contact: *" (REGISTER)
  const std::vector<NameAddr>& contacts() const { return contacts_; }
  const std::vector<NameAddr>& routes() const { return routes_; }
  const std::vector<NameAddr>& record_routes() const { return record_routes_; }
  std::string_view body() const { return body_; }

  // The message in wire form: its start line, every header in order as
  // "Name: value", and the body. Content-Length is written as parsed,
  // or added after the other headers when the message had none.
  std::string serialize() const;

 private:
  Message() = default;
  friend Result<Message> parse_message(std::string buffer);

  std::unique_ptr<std::string> buffer_;  // on the heap: views survive moves
  std::string_view method_, request_uri_text_, reason_, version_;
  Uri request_uri_;
  int status_ = 0;
  std::vector<Header> headers_;
  std::vector<Via> vias_;
  NameAddr from_, to_;
  std::string_view call_id_;
  CSeq cseq_;
  std::optional<std::uint32_t> max_forwards_;
  std::optional<std::size_t> content_length_;
  std::optional<std::uint32_t> expires_;
  bool contact_star_ = false;
  std::vector<NameAddr> contacts_, routes_, record_routes_;
  std::string_view body_;
};

// Parses one whole message. Leading CRLFs are skipped (RFC 3261 7.5).
// Without Content-Length the body is the rest of the buffer (a datagram);
// octets beyond Content-Length are discarded (RFC 3261 18.3).
//   Errc::limit: larger than kMaxMessageSize, more than kMaxHeaders fields,
//     a field longer than kMaxHeaderLine;
//   Errc::syntax: anything else malformed or missing, with the reason in
//     the detail (for the log; the peer gets "400 Bad Request").
[[nodiscard]] Result<Message> parse_message(std::string buffer);

// The content of a quoted-string, quoted-pairs resolved (the value
// "a\"b" gives a"b); a value not in quotes comes back as it is. For Param
// values; a quoted display name is unquote('"' + display + '"').
std::string unquote(std::string_view value);

// Splits a header value at commas outside quoted strings and <...>, each
// part trimmed; empty parts kept (the caller decides if they are errors).
std::vector<std::string_view> split_list(std::string_view value);

// A response to `request` (RFC 3261 8.2.6): its Via lines, From, To (with
// `to_tag` added unless To has a tag already or `to_tag` is empty),
// Call-ID and CSeq copied, then `extra` headers, then Content-Length for
// `body`. Errc::invalid: `request` is a response, or `status` is not
// 100..699, or `reason` or an extra header holds CR or LF.
[[nodiscard]] Result<Message> make_response(const Message& request, int status, std::string_view reason,
                                            std::string_view to_tag, const std::vector<Header>& extra = {},
                                            std::string_view body = {});

}  // namespace parley::sip
