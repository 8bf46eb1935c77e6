// Dates and trace fields for messages Parley writes.
#pragma once

#include <chrono>
#include <string>

namespace parley::mail {

// RFC 5322 3.3 date-time in UTC: "Sun, 22 Nov 2026 04:19:11 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point t);

// What a receiving server knows about one transaction (RFC 5321 4.4).
// Every field may come from the peer (helo, for_address) or from lookups
// it controls (from_host): all are sanitized, none can end the line.
struct ReceivedInfo {
  std::string from_helo;     // the EHLO/HELO argument
  std::string from_host;     // reverse DNS name (verified), or ""
  std::string from_ip;       // "192.0.2.1", "2001:db8::1", or "" (local)
  std::string by_host;       // this server's name
  std::string protocol;      // "ESMTP", "ESMTPS", "ESMTPSA", "UTF8SMTPS", ... (RFC 3848, RFC 6531)
  std::string id;            // queue id
  std::string for_address;   // only when the transaction has a single recipient
  std::string tls;           // "TLSv1.3:TLS_AES_256_GCM_SHA384", or ""
  std::chrono::system_clock::time_point when;
};

// "Received: from helo (host [ip])\r\n\t(using TLSv1.3 with cipher ...)\r\n\tby ...; date\r\n":
// the clauses of RFC 5321's Stamp in order, folded (CRLF TAB) to keep lines
// under 78 columns where a clause allows, CRLF-terminated. A HELO that is
// not a domain or address literal is shown as "unknown" with the text in a
// comment.
std::string received_header(const ReceivedInfo& info);

}  // namespace parley::mail
