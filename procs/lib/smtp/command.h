// SMTP commands as the server receives them (RFC 5321 4.1, with the ESMTP
// parameters of RFC 1870, 3030, 3461, 4954, 6152, 6531). Pure: no I/O.
//
// Untrusted input: every byte of `buf` comes from the network peer.
//
// Line rules (RFC 5321 2.3.8, 4.5.3.1.4):
//   - only CRLF ends a command line; a bare CR, a bare LF or a NUL inside a
//     line makes the whole line Errc::syntax (refused, never repaired);
//   - a line (CRLF included) longer than Limits::max_command_line is
//     Errc::limit; see parse_command for how to resync;
//   - verbs and parameter keywords are case-insensitive;
//   - runs of SP between arguments and trailing SP are tolerated;
//   - "MAIL FROM: <a@b>" (SP after the colon) is accepted, as most servers
//     do; SP before the colon ("MAIL FROM :<a@b>") and a path without angle
//     brackets are Errc::syntax.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "addr/addr.h"
#include "core/result.h"

namespace parley::smtp {

constexpr std::size_t kMaxCommandLine = 512;          // RFC 5321 4.5.3.1.4, CRLF included
constexpr std::size_t kMaxExtendedCommandLine = 4096; // 512 + allowance for ESMTP parameters (RFC 5321 4.5.3.1.4 "extensions")
constexpr std::size_t kMaxEnvid = 100;                // RFC 3461 4.4, as transmitted (xtext)
constexpr std::size_t kMaxOrcpt = 500;                // RFC 3461 4.2, as transmitted (xtext)
constexpr std::size_t kMaxSaslMechanism = 20;         // RFC 4422 3.1

struct Limits {
  // Longest accepted command line, CRLF included. Must be >= kMaxCommandLine.
  std::size_t max_command_line = kMaxExtendedCommandLine;
};

enum class Verb { helo, ehlo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth };

std::string_view verb_name(Verb verb);  // "MAIL", ...

// A reverse-path or forward-path. A source route ("<@a,@b:u@d>") is
// accepted and dropped (RFC 5321 4.1.2, appendix C).
struct Path {
  bool null = false;        // "<>" (MAIL only)
  bool postmaster = false;  // "<Postmaster>" without a domain (RCPT only); mailbox.local = as written
  bool utf8 = false;        // the mailbox contains non-ASCII bytes (needs SMTPUTF8)
  addr::Address mailbox;    // empty when null
};

enum class Body { unspecified, seven_bit, eight_bit_mime, binary_mime };  // RFC 6152, 3030
enum class Ret { unspecified, full, hdrs };                               // RFC 3461 4.3

struct MailParams {
  std::optional<std::uint64_t> size;   // RFC 1870; values above 2^64-1 saturate
  Body body = Body::unspecified;
  bool smtputf8 = false;               // RFC 6531
  Ret ret = Ret::unspecified;
  std::optional<std::string> envid;    // RFC 3461, xtext decoded
  std::optional<std::string> auth;     // RFC 4954 5, xtext decoded ("<>" kept as is)
};

struct Notify {  // RFC 3461 4.1
  bool never = false;
  bool success = false;
  bool failure = false;
  bool delay = false;
};

struct RcptParams {
  std::optional<Notify> notify;
  std::optional<std::string> orcpt_type;  // RFC 3461 4.2 addr-type, as written ("rfc822")
  std::optional<std::string> orcpt;       // xtext decoded
};

struct Command {
  Verb verb = Verb::noop;
  // HELO/EHLO: the domain or address literal (one token, printable ASCII;
  // checking it as a domain is the session's policy).
  // NOOP/HELP/VRFY/EXPN: the rest of the line (VRFY/EXPN: not empty).
  // AUTH: the mechanism, uppercased.
  std::string argument;
  std::optional<std::string> initial_response;  // AUTH: base64 or "="
  Path path;                                     // MAIL, RCPT
  MailParams mail;                               // MAIL
  RcptParams rcpt;                               // RCPT
  std::uint64_t bdat_size = 0;                   // BDAT chunk size
  bool bdat_last = false;                        // BDAT ... LAST
};

// The detail of the Errc::invalid returned for an unknown verb starts with
// this (then the verb, printable ASCII, at most 16 characters), so that
// reply_for (reply.h) can tell it from an unknown parameter.
constexpr std::string_view kUnknownVerbDetail = "unknown verb: ";

// Takes one complete command line off the front of `buf`, if there is one.
//   value(Command): parsed; the line and its CRLF are removed from `buf`.
//   value(nullopt): no CRLF yet and still within the limit: feed more.
//   error(Errc::syntax): malformed line (bare CR/LF, NUL, grammar, bad
//     parameter value, duplicate parameter, null path in RCPT, UTF-8 path
//     in MAIL without SMTPUTF8). The line is removed. Reply 500/501.
//   error(Errc::invalid): unknown verb (detail: kUnknownVerbDetail + verb)
//     or unknown ESMTP parameter or parameter value (reply 555). The line
//     is removed.
//   error(Errc::limit): the line is longer than limits.max_command_line.
//     `buf` is left untouched. The caller replies (500 5.5.2) and then
//     calls skip_line(buf) - appending more input between calls - until it
//     returns true; only then parse_command again. Memory stays bounded:
//     skip_line never keeps more than one byte.
// BDAT sizes above 2^64-1 are Errc::syntax.
[[nodiscard]] Result<std::optional<Command>> parse_command(std::string& buf, const Limits& limits);
// One command line already framed (without its CRLF, within the limit), as
// a line reader hands it over; errors as parse_command's.
[[nodiscard]] Result<Command> parse_command_line(std::string_view line);

// Resync after Errc::limit: removes everything up to and including the
// first CRLF and returns true; without a CRLF removes all of `buf` except a
// trailing CR (which may start the CRLF) and returns false.
bool skip_line(std::string& buf);

// RFC 3461 4 xtext: xchar is '!'..'~' except '+' and '='; "+HH" with
// upper-case hex. Errc::syntax on anything else, and when the decoded text
// is not printable US-ASCII (%x20-7E).
Result<std::string> decode_xtext(std::string_view text);

}  // namespace parley::smtp
