#include "rules.h"

#include <algorithm>
#include <cctype>

#include "core/ascii.h"

namespace parley::router {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool valid_reply(std::string_view text) {
  return text.size() >= 5 && (text[0] == '4' || text[0] == '5') && std::isdigit(static_cast<unsigned char>(text[1])) &&
         std::isdigit(static_cast<unsigned char>(text[2])) && text[3] == ' ';
}

// A decimal port, 1..65535 (the dequeuer reads it with from_chars).
bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

}  // namespace

Result<std::vector<Rule>> parse_rules(const std::vector<std::string>& lines) {
  std::vector<Rule> rules;
  for (const auto& line : lines) {
    auto bad = [&line](std::string_view why) { return fail(Errc::invalid, "router.rules: \"" + line + "\": " + std::string(why)); };
    auto eq = line.find('=');
    if (eq == std::string::npos) return bad("expected PATTERN = TARGET");
    Rule rule;
    rule.pattern = ascii_lower(trim(std::string_view(line).substr(0, eq)));
    std::string_view target = trim(std::string_view(line).substr(eq + 1));
    if (rule.pattern.empty() || target.empty()) return bad("expected PATTERN = TARGET");
    auto stars = std::count(rule.pattern.begin(), rule.pattern.end(), '*');
    if (stars > 1) return bad("at most one * in a pattern");
    if (target.starts_with("error:")) {
      rule.kind = Rule::Kind::error;
      rule.target = std::string(trim(target.substr(6)));
      if (!valid_reply(rule.target)) return bad("error target needs a 4xx or 5xx code and text, e.g. error:550 5.1.1 gone");
    } else if (target == "null") {
      rule.kind = Rule::Kind::discard;
    } else if (target.starts_with("smtp:")) {
      rule.kind = Rule::Kind::smtp;
      rule.target = std::string(target.substr(5));
      auto colon = rule.target.rfind(':');
      if (colon == std::string::npos || colon == 0 || !valid_port(std::string_view(rule.target).substr(colon + 1))) {
        return bad("smtp target needs HOST:PORT");
      }
    } else {
      rule.target = std::string(target);
      if (rule.target.find('@') == std::string::npos) return bad("a rewrite target must be an address");
      auto target_stars = std::count(rule.target.begin(), rule.target.end(), '*');
      if (target_stars > 1 || (target_stars == 1 && stars == 0)) return bad("a * in the target needs one in the pattern");
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::optional<Match> match_rule(const std::vector<Rule>& rules, std::string_view address) {
  const std::string a = ascii_lower(address);
  for (const auto& rule : rules) {
    std::string captured;
    auto star = rule.pattern.find('*');
    if (star == std::string::npos) {
      if (a != rule.pattern) continue;
    } else {
      std::string_view head = std::string_view(rule.pattern).substr(0, star);
      std::string_view tail = std::string_view(rule.pattern).substr(star + 1);
      if (a.size() < head.size() + tail.size() || !a.starts_with(head) || !a.ends_with(tail)) continue;
      captured = a.substr(head.size(), a.size() - head.size() - tail.size());
    }
    Match m{rule.kind, rule.target};
    if (rule.kind == Rule::Kind::rewrite) {
      if (auto pos = m.text.find('*'); pos != std::string::npos) m.text.replace(pos, 1, captured);
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace parley::router
