// Mail and SIP addresses as Parley stores and compares them. Pure: no I/O
// beyond libidn2's tables.
//
// A Parley address is "local@domain":
//   - the domain is stored in one normalized form: IDNA2008 A-labels
//     (punycode) via libidn2 with NFC mapping, lowercased, no trailing dot;
//     "Bücher.Example" and "xn--bcher-kva.example" are the same domain;
//   - the local part is compared case-insensitively: ASCII letters are
//     lowercased (UTF-8 local parts, RFC 6531, are kept byte for byte
//     except that ASCII letters in them are lowercased too);
//   - "+detail" sub-addressing: "alice+lists" is "alice" with detail
//     "lists" (the separator is configurable; the first one splits).
// RFC 5321 Mailbox syntax: Local-part is Dot-string or Quoted-string; the
// domain is a name or an address literal ("[192.0.2.1]", "[IPv6:...]").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::addr {

constexpr std::size_t kMaxLocalPart = 64;   // RFC 5321 4.5.3.1.1
constexpr std::size_t kMaxDomain = 255;     // RFC 5321 4.5.3.1.2
constexpr std::size_t kMaxPath = 256;       // RFC 5321 4.5.3.1.3

struct Address {
  std::string local;    // as written, quotes removed and quoted-pairs resolved
  std::string domain;   // as written (or the address literal with brackets)
  bool quoted = false;  // the local part was a Quoted-string
  bool literal = false; // the domain is an address literal
};

// Parses an RFC 5321 Mailbox ("local@domain", no angle brackets, no
// source route). `utf8` allows RFC 6531 UTF-8 in both parts. Errc::syntax
// with a precise detail, Errc::limit for over-long parts.
//   - local part: Dot-string (atext, dots not leading, trailing or doubled)
//     or Quoted-string (qtextSMTP, quoted-pair of %d32-126); at most
//     kMaxLocalPart octets as written (quotes and backslashes count);
//   - domain: a name, checked as normalize_domain does (so an IDN or a bad
//     A-label fails here already); one trailing dot is accepted and kept
//     in `domain`; or "[IPv4]" / "[IPv6:...]" checked with inet_pton. A
//     General-address-literal ("[tag:...]") is refused (Errc::syntax).
//     At most kMaxDomain octets as written;
//   - the whole mailbox fits a path: size + 2 ("<", ">") <= kMaxPath;
//   - UTF-8 (utf8 = true) must be well formed: no overlongs, surrogates or
//     code points above U+10FFFF. With utf8 = false any byte >= 0x80 is
//     Errc::syntax.
Result<Address> parse_mailbox(std::string_view text, bool utf8 = true);

// The domain in its stored form (see above). Errc::syntax for a name that
// is not a valid (IDNA2008) domain: empty labels, characters outside
// letters/digits/hyphen, a leading or trailing hyphen, a label over 63
// octets, an A-label ("xn--") that does not decode to a valid U-label
// which encodes back to the same A-label, or a U-label libidn2 refuses
// (the detail names the libidn2 error, e.g. IDN2_DISALLOWED). Errc::limit
// when the name (as written, or its A-label form) exceeds kMaxDomain.
// Takes names only, not address literals.
Result<std::string> normalize_domain(std::string_view domain);

// The local part in its stored form: ASCII letters lowercased.
std::string normalize_local(std::string_view local);

struct Normalized {
  std::string local;   // normalized, detail removed
  std::string detail;  // without the separator; empty when none
  std::string domain;  // normalized
  // "local@domain" without the detail: the key under which it is stored.
  std::string key() const { return local + "@" + domain; }
};

// parse_mailbox + normalize_domain + normalize_local + detail split on the
// first `separator` (none when separator is '\0'). An address literal
// domain is kept as written, lowercased.
//   - no split when the separator is the first character: "+x@d" is the
//     local part "+x" with no detail (a local part is never empty);
//   - an empty local part (`""@d`) is Errc::invalid: it has no store key.
Result<Normalized> normalize(std::string_view text, char separator = '+');

// The text form for display and for SMTP: local part quoted when it needs
// to be (RFC 5321 4.1.2), "@", domain.
//   - the local part is written bare when it is a valid Dot-string (UTF-8
//     counts as atext), otherwise in quotes with '"' and '\\' escaped;
//   - for any Address parse_mailbox returned, parse_mailbox(to_string(a))
//     gives the same local and domain, and the text is never longer.
std::string to_string(const Address& address);

}  // namespace parley::addr
