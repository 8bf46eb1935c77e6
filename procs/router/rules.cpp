#include "rules.h"

#include <algorithm>
#include <cctype>

#include "config/host_port.h"
#include "core/ascii.h"

namespace parley::router {
namespace {

constexpr std::string_view kTemporary = "temporary:";

bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

bool valid_reply(std::string_view text) {
  return text.size() >= 5 && (text[0] == '4' || text[0] == '5') && digit(text[1]) && digit(text[2]) && text[3] == ' ';
}

// RFC 3463's subject.detail of the enhanced codes older rules wrote, and
// the outcome each stands for; others are a policy refusal.
struct CodedOutcome {
  std::string_view subject_detail;
  schema::Outcome outcome;
};
constexpr CodedOutcome kCodedOutcomes[] = {
    {"1.1", schema::OUTCOME_UNKNOWN_USER},  {"1.6", schema::OUTCOME_MAILBOX_MOVED},   {"2.1", schema::OUTCOME_MAILBOX_DISABLED},
    {"2.2", schema::OUTCOME_OVER_QUOTA},    {"3.0", schema::OUTCOME_UNAVAILABLE},     {"3.4", schema::OUTCOME_MESSAGE_TOO_BIG},
    {"3.5", schema::OUTCOME_MISCONFIGURED}, {"4.6", schema::OUTCOME_ROUTING_LOOP},
};

// "C.S.D" (RFC 3463: 1 to 3 digits for S and D) at the front of `text`:
// its "S.D", or "" when there is none.
std::string_view enhanced_subject_detail(std::string_view text) {
  std::string_view code = text.substr(0, text.find(' '));
  if (code.size() < 5 || !digit(code[0]) || code[1] != '.') return {};
  std::string_view rest = code.substr(2);
  auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 3 || rest.size() - dot - 1 == 0 || rest.size() - dot - 1 > 3) return {};
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (i != dot && !digit(rest[i])) return {};
  }
  return rest;
}

}  // namespace

Result<schema::Answer> parse_refusal(std::string_view target) {
  target = trim_blanks(target);
  if (target.empty()) return fail(Errc::invalid, "error target needs a text, e.g. error:No mail for this address");
  schema::Answer answer;
  answer.set_outcome(schema::OUTCOME_POLICY_REJECTED);
  answer.set_permanent(true);
  std::string_view text = target;
  if (digit(target.front())) {
    if (!valid_reply(target)) return fail(Errc::invalid, "error target with a code needs a 4xx or 5xx code and text, e.g. error:550 5.1.1 gone");
    answer.set_permanent(target.front() == '5');
    text = trim_blanks(target.substr(4));
    if (auto sd = enhanced_subject_detail(text); !sd.empty()) {
      for (const auto& c : kCodedOutcomes) {
        if (c.subject_detail == sd) answer.set_outcome(c.outcome);
      }
      auto space = text.find(' ');
      text = space == std::string_view::npos ? std::string_view() : trim_blanks(text.substr(space));
    }
  } else if (target.starts_with(kTemporary)) {
    answer.set_permanent(false);
    text = trim_blanks(target.substr(kTemporary.size()));
  }
  if (text.size() > kMaxRefusalText) return fail(Errc::invalid, "error text longer than " + std::to_string(kMaxRefusalText) + " characters");
  if (!printable_ascii(text)) return fail(Errc::invalid, "error text must be printable ASCII");
  answer.set_detail(std::string(text));
  return answer;
}

Result<std::vector<Rule>> parse_rules(const std::vector<std::string>& lines) {
  std::vector<Rule> rules;
  for (const auto& line : lines) {
    auto bad = [&line](std::string_view why) { return fail(Errc::invalid, "router.rules: \"" + line + "\": " + std::string(why)); };
    auto eq = line.find('=');
    if (eq == std::string::npos) return bad("expected PATTERN = TARGET");
    Rule rule;
    rule.pattern = ascii_lower(trim_blanks(std::string_view(line).substr(0, eq)));
    std::string_view target = trim_blanks(std::string_view(line).substr(eq + 1));
    if (rule.pattern.empty() || target.empty()) return bad("expected PATTERN = TARGET");
    auto stars = std::count(rule.pattern.begin(), rule.pattern.end(), '*');
    if (stars > 1) return bad("at most one * in a pattern");
    if (target.starts_with("error:")) {
      rule.kind = Rule::Kind::error;
      auto refusal = parse_refusal(target.substr(6));
      if (!refusal) return bad(refusal.error().detail);
      rule.refusal = std::move(refusal.value());
    } else if (target == "null") {
      rule.kind = Rule::Kind::discard;
    } else if (target.starts_with("smtp:")) {
      rule.kind = Rule::Kind::smtp;
      rule.target = std::string(target.substr(5));
      // Kept as written: the dequeuer parses it again from the record.
      auto host_port = config::parse_host_port(rule.target);
      if (!host_port) return bad("smtp target needs HOST:PORT: " + host_port.error().detail);
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
    Match m{rule.kind, rule.target, rule.refusal};
    if (rule.kind == Rule::Kind::rewrite) {
      if (auto pos = m.text.find('*'); pos != std::string::npos) m.text.replace(pos, 1, captured);
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace parley::router
