// Gateway rules (router.sip_gateways): numbers that leave the system
// through a SIP trunk or a gateway, for authenticated local callers only.
// Each rule is "PATTERN = TARGET"; the first rule whose pattern matches the
// user part of the called address decides:
//   PATTERN  a number ("112") or one with a single "*" wildcard standing
//            for one or more digits ("0*", "+49*", "9*1"): digits, "+",
//            "#" and the wildcard, nothing else
//   TARGET   "trunk:NAME" (sipd's trunk NAME, the number as dialed),
//            "trunk:NAME:TEMPLATE" (the number TEMPLATE, where "*" is what
//            the wildcard matched: "trunk:provider:+4930*"), or a SIP URI
//            where "*" is the same ("sip:*@gw.example.test;transport=tcp")
// The user part matched is the number as dialed; visual separators ("-",
// ".", "(", ")", RFC 3966 5.1.1) are left out first. Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::router {

constexpr std::size_t kMaxNumber = 64;  // digits of a dialed number we consider (E.164 has 15)

struct Gateway {
  std::string pattern;
  std::string trunk;     // empty: a URI target
  std::string template_; // the trunk number template or the URI template; empty with a trunk: as dialed
};

struct GatewayMatch {
  std::string trunk;   // empty: `uri` is where to send
  std::string number;  // with a trunk: the number to call
  std::string uri;     // without: the URI to send to
};

// Errc::invalid naming the rule for a bad one (a pattern of other
// characters or with two wildcards, an unknown target kind, a wildcard
// target for a pattern without one, a URI target not sip: or sips:).
Result<std::vector<Gateway>> parse_gateways(const std::vector<std::string>& lines);

// The number a SIP user part dials ("030-1234" -> "0301234"); nullopt for
// a user part that is no number.
std::optional<std::string> dialed_number(std::string_view user);

std::optional<GatewayMatch> match_gateway(const std::vector<Gateway>& gateways, std::string_view user);

}  // namespace parley::router
