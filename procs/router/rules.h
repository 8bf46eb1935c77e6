// The router table (router.rules in parley.conf): a clear subset of
// CommuniGate's router. Each rule is "PATTERN = TARGET"; the first rule
// whose pattern matches an address decides:
//   PATTERN  an address, or one with a single "*" wildcard ("*@old.example",
//            "sales-*@example.com"); case-insensitive
//   TARGET   an address, where "*" is what the wildcard matched (rewrite);
//            "error:CODE TEXT" (refuse: "error:550 5.1.1 gone");
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

namespace parley::router {

struct Rule {
  enum class Kind { rewrite, error, discard, smtp };
  std::string pattern;  // lowercase
  Kind kind = Kind::rewrite;
  std::string target;   // rewrite: the address template; error: "CODE TEXT"; smtp: "HOST:PORT"
};

struct Match {
  Rule::Kind kind;
  std::string text;  // rewrite: the new address; error: the reply; smtp: HOST:PORT
};

// Errc::invalid naming the rule for a bad one (an error target without a
// 4xx/5xx code, "*" twice in a pattern, a wildcard target for an exact
// pattern, an smtp target without a port).
Result<std::vector<Rule>> parse_rules(const std::vector<std::string>& lines);
std::optional<Match> match_rule(const std::vector<Rule>& rules, std::string_view address);

}  // namespace parley::router
