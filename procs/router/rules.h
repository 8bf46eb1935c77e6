// The router table (router.rules in parley.conf): a clear subset of
// CommuniGate's router. Each rule is "PATTERN = TARGET"; the first rule
// whose pattern matches an address decides:
//   PATTERN  an address, or one with a single "*" wildcard ("*@old.example",
//            "sales-*@example.com"); case-insensitive
//   TARGET   an address, where "*" is what the wildcard matched (rewrite);
//            "error:TEXT" (refuse for good, with TEXT);
//            "error:temporary:TEXT" (refuse for now: the sender retries);
//            "error:CODE [ENHANCED] TEXT", an SMTP reply as older
//            configurations wrote it ("error:550 5.1.6 moved"): read as the
//            outcome the code names (parse_refusal);
//            "null" (accept and discard);
//            "smtp:HOST:PORT" (deliver to that host, whatever the domain's MX)
// A rewritten address is resolved by the directory, not matched again, so
// rules cannot loop. Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "schema/outcome.pb.h"

namespace parley::router {

// Text a rule may give with error: (schema/outcome.proto, Answer.detail).
constexpr std::size_t kMaxRefusalText = 400;

struct Rule {
  enum class Kind { rewrite, error, discard, smtp };
  std::string pattern;  // lowercase
  Kind kind = Kind::rewrite;
  std::string target;   // rewrite: the address template; smtp: "HOST:PORT"
  schema::Answer refusal;  // error
};

struct Match {
  Rule::Kind kind;
  std::string text;  // rewrite: the new address; smtp: HOST:PORT
  schema::Answer refusal;  // error
};

// What follows "error:". TEXT alone is OUTCOME_POLICY_REJECTED, permanent;
// "temporary:TEXT" the same for now (TEXT may then be empty). A target
// starting with a digit is an SMTP reply: 4xx is temporary, 5xx permanent,
// and the enhanced code's subject and detail name the outcome (X.1.1
// unknown user, X.1.6 moved, X.2.1 disabled, X.2.2 over quota, X.3.0
// unavailable, X.3.4 too big, X.3.5 misconfigured, X.4.6 routing loop,
// anything else or none: a policy refusal); the text after the codes is
// the detail. Errc::invalid: empty, a malformed code, or a text longer
// than kMaxRefusalText or not printable ASCII.
Result<schema::Answer> parse_refusal(std::string_view target);

// Errc::invalid naming the rule for a bad one (a bad error target, "*"
// twice in a pattern, a wildcard target for an exact pattern, an smtp
// target without a port).
Result<std::vector<Rule>> parse_rules(const std::vector<std::string>& lines);
std::optional<Match> match_rule(const std::vector<Rule>& rules, std::string_view address);

}  // namespace parley::router
