#include "gateways.h"

#include <algorithm>

#include "core/ascii.h"

namespace parley::router {

namespace {

bool alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool number_char(char c) { return (c >= '0' && c <= '9') || c == '+' || c == '#'; }

Status bad(std::string_view line, std::string_view why) {
  return fail(Errc::invalid, "router.sip_gateways: \"" + std::string(line) + "\": " + std::string(why));
}

// `text` with each "*" replaced by `wildcard`.
std::string fill(std::string_view text, std::string_view wildcard) {
  std::string out;
  for (char c : text) {
    if (c == '*') {
      out.append(wildcard);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

Result<std::vector<Gateway>> parse_gateways(const std::vector<std::string>& lines) {
  std::vector<Gateway> out;
  for (const auto& line : lines) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) return bad(line, "expected PATTERN = TARGET").error();
    const std::string_view pattern = trim_blanks(std::string_view(line).substr(0, eq));
    const std::string_view target = trim_blanks(std::string_view(line).substr(eq + 1));
    if (pattern.empty() || pattern.size() > kMaxNumber) return bad(line, "the pattern is empty or too long").error();
    const auto wildcards = std::count(pattern.begin(), pattern.end(), '*');
    if (wildcards > 1) return bad(line, "more than one * in the pattern").error();
    for (char c : pattern) {
      if (c != '*' && !number_char(c)) return bad(line, "a pattern holds digits, +, # and one *").error();
    }
    Gateway g;
    g.pattern = std::string(pattern);
    if (target.starts_with("trunk:")) {
      const std::string_view rest = target.substr(6);
      const auto colon = rest.find(':');
      g.trunk = std::string(rest.substr(0, colon));
      if (g.trunk.empty()) return bad(line, "trunk: needs the trunk's name").error();
      for (char c : g.trunk) {
        if (!alnum(c) && c != '-' && c != '_') return bad(line, "a trunk name is letters, digits, - and _").error();
      }
      if (colon != std::string_view::npos) {
        g.template_ = std::string(rest.substr(colon + 1));
        if (g.template_.empty()) return bad(line, "an empty number template").error();
        for (char c : g.template_) {
          if (c != '*' && !number_char(c)) return bad(line, "a number template holds digits, +, # and *").error();
        }
      }
    } else if (ascii_iequal(target.substr(0, 4), "sip:") || ascii_iequal(target.substr(0, 5), "sips:")) {
      g.template_ = std::string(target);
      for (char c : g.template_) {
        if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f || c == '<' || c == '>') {
          return bad(line, "the URI holds spaces or other characters a URI cannot").error();
        }
      }
    } else {
      return bad(line, "the target is trunk:NAME[:NUMBER] or a sip: or sips: URI").error();
    }
    if (wildcards == 0 && g.template_.find('*') != std::string::npos) {
      return bad(line, "the target uses * but the pattern has none").error();
    }
    out.push_back(std::move(g));
  }
  return out;
}

std::optional<std::string> dialed_number(std::string_view user) {
  std::string out;
  for (char c : user) {
    if (c == '-' || c == '.' || c == '(' || c == ')') continue;
    if (!number_char(c) || (c == '+' && !out.empty())) return std::nullopt;
    out.push_back(c);
  }
  if (out.empty() || out == "+" || out.size() > kMaxNumber) return std::nullopt;
  return out;
}

std::optional<GatewayMatch> match_gateway(const std::vector<Gateway>& gateways, std::string_view user) {
  auto number = dialed_number(user);
  if (!number) return std::nullopt;
  for (const auto& g : gateways) {
    std::string wildcard;
    const auto star = g.pattern.find('*');
    if (star == std::string::npos) {
      if (*number != g.pattern) continue;
    } else {
      const std::string_view head = std::string_view(g.pattern).substr(0, star);
      const std::string_view tail = std::string_view(g.pattern).substr(star + 1);
      // The wildcard stands for one digit at least.
      if (number->size() < head.size() + tail.size() + 1) continue;
      if (!std::string_view(*number).starts_with(head) || !std::string_view(*number).ends_with(tail)) continue;
      wildcard = number->substr(head.size(), number->size() - head.size() - tail.size());
      if (!std::all_of(wildcard.begin(), wildcard.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    }
    GatewayMatch m;
    if (!g.trunk.empty()) {
      m.trunk = g.trunk;
      m.number = g.template_.empty() ? *number : fill(g.template_, wildcard);
    } else {
      m.uri = fill(g.template_, wildcard);
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace parley::router
