// Delivery status notifications (RFC 3464, RFC 3461; RFC 6533 for
// SMTPUTF8 messages).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::mail {

constexpr std::size_t kMaxLine = 998;                 // RFC 5322 2.1.1, without CRLF
constexpr std::size_t kMaxDsnOriginal = 10u << 20;    // larger originals are returned as headers only

struct DsnRecipient {
  std::string original_recipient;  // ORCPT, xtext-decoded, with its type: "rfc822;x@y"; or empty
  std::string final_recipient;     // the address
  std::string action;              // failed | delayed | delivered | relayed | expanded
  std::string status;              // "5.1.1" (RFC 3463); empty: derived from the action
  std::string remote_mta;          // host name, or empty
  std::string diagnostic;          // the remote reply ("550 5.1.1 no such user"; multi-line allowed), or empty
  std::chrono::system_clock::time_point last_attempt;  // epoch: not written
  std::optional<std::chrono::system_clock::time_point> will_retry_until;  // for "delayed"
};

struct Dsn {
  std::string reporting_mta;  // this server's host name
  std::string from;           // "MAILER-DAEMON@host"
  std::string to;             // the original envelope sender
  std::string envid;          // ENVID, xtext-decoded, or empty
  std::string queue_id;
  std::chrono::system_clock::time_point arrival;
  std::vector<DsnRecipient> recipients;
  std::string_view original;  // the original message (header and body); not owned
  bool headers_only = false;  // RET=HDRS
  bool utf8 = false;          // the original was SMTPUTF8: RFC 6533 types, UTF-8 text
  std::string message_id_domain;  // empty: reporting_mta
  std::chrono::system_clock::time_point now;
};

// A complete message: header, then multipart/report; report-type=delivery-status
// with a text/plain explanation per recipient, the message/delivery-status
// part, and the original (message/rfc822) or its header (text/rfc822-headers)
// when headers_only, when it is over `max_original` octets, or when a body
// line is over kMaxLine. With utf8: text/plain; charset=utf-8,
// message/global-delivery-status, message/global(-headers).
//
// Every line ends in CRLF and is at most kMaxLine octets (the original's
// line ends are normalized; over-long header lines are folded). The text
// Parley writes is 7bit unless utf8; the message is declared 8bit (send it
// with BODY=8BITMIME) when the included original has 8-bit octets.
// Subject by the actions: any failed -> "Undelivered Mail Returned to
// Sender", else any delayed -> "Delayed Mail (still being retried)", else
// "Successful Mail Delivery Report". Auto-Submitted: auto-replied (RFC 3834).
// Message-ID and boundary are random; the boundary never occurs in the
// original.
std::string build_dsn(const Dsn& dsn, std::size_t max_original = kMaxDsnOriginal);

}  // namespace parley::mail
