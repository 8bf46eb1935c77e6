// RFC 5321 4.5.1: the host and every domain of ours take mail for
// "postmaster" (any case). The router sends such mail to the main
// postmaster when the address has no mailbox of its own:
//   - postmaster@HOSTNAME while the host name is not a local domain (smtpd
//     turns a bare RCPT TO:<postmaster> into that address);
//   - postmaster@DOMAIN for a local domain without a postmaster address
//     (the directory would refuse or discard it).
// The main postmaster is router.postmaster, or else the first of
// postmaster@HOSTNAME, postmaster@PARENT, ... that the directory knows
// (mail.example.com, then example.com). Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::router {

// Whether the local part is "postmaster" (any case; "postmaster+x" is not).
bool is_postmaster(std::string_view address);
// Whether the address is postmaster at the host name (domain compared in
// its normalized form: case, trailing dot and IDN spellings are the same).
bool is_host_postmaster(std::string_view address, std::string_view hostname);
// Where to look for the main postmaster, in order: the configured address
// alone when there is one; else postmaster at the host name and at each
// parent domain of it that still has two labels. Empty for a host name
// that is not a domain name (an address literal, a bad name).
std::vector<std::string> postmaster_candidates(std::string_view configured, std::string_view hostname);

}  // namespace parley::router
