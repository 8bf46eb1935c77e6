#include "smtp/command.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>
#include <vector>

#include "core/ascii.h"
#include "core/quoted.h"

namespace parley::smtp {
namespace {

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && ascii_iequal(text.substr(0, prefix.size()), prefix);
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = to_upper(c);
  return out;
}

std::string_view skip_spaces(std::string_view text) {
  const auto pos = text.find_first_not_of(' ');
  return pos == std::string_view::npos ? std::string_view{} : text.substr(pos);
}

// Splits on runs of SP; no empty words.
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  text = skip_spaces(text);
  while (!text.empty()) {
    const auto end = text.find(' ');
    out.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text = skip_spaces(text.substr(end));
  }
  return out;
}

// The verb as it may appear in a log line: printable ASCII, bounded.
std::string loggable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 16)) out += (c > 0x20 && c < 0x7f) ? c : '?';
  return out;
}

Error syntax(std::string detail) { return fail(Errc::syntax, std::move(detail)); }

constexpr std::array<std::pair<std::string_view, Verb>, 14> kVerbs{{
    {"HELO", Verb::helo}, {"EHLO", Verb::ehlo}, {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},
    {"DATA", Verb::data}, {"BDAT", Verb::bdat}, {"RSET", Verb::rset}, {"NOOP", Verb::noop},
    {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy}, {"EXPN", Verb::expn}, {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls}, {"AUTH", Verb::auth},
}};

// 1*DIGIT, at most `max_digits`; saturates at 2^64-1 when `saturate`,
// otherwise overflow is an error.
Result<std::uint64_t> parse_number(std::string_view text, std::size_t max_digits, bool saturate) {
  if (text.empty() || text.size() > max_digits) return syntax("bad number");
  std::uint64_t value = 0;
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  for (const char c : text) {
    if (!is_digit(c)) return syntax("bad number");
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kMax - digit) / 10) {
      if (!saturate) return syntax("number too large");
      value = kMax;
      continue;
    }
    value = value * 10 + digit;
  }
  return value;
}

// RFC 5321 4.1.2: A-d-l = At-domain *( "," At-domain ); At-domain = "@" Domain.
// Checked for shape only: the route is dropped.
bool valid_source_route(std::string_view route) {
  while (true) {
    if (route.empty() || route.front() != '@') return false;
    route.remove_prefix(1);
    const auto comma = route.find(',');
    const auto domain = route.substr(0, comma);
    if (domain.empty()) return false;
    for (const char c : domain) {
      if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.') return false;
    }
    if (comma == std::string_view::npos) return true;
    route.remove_prefix(comma + 1);
  }
}

struct PathText {
  Path path;
  std::string_view rest;  // after '>'
};

// `text` starts at '<'. The closing '>' is the first one outside a
// quoted string (a quoted local part may contain '>').
Result<PathText> parse_path(std::string_view text, bool allow_null, bool allow_postmaster) {
  if (text.empty() || text.front() != '<') return syntax("path without angle brackets");
  const std::size_t end = find_unquoted(text, ">", 1);
  if (end == std::string_view::npos) return syntax("unterminated path");
  PathText out;
  out.rest = text.substr(end + 1);
  if (!out.rest.empty() && out.rest.front() != ' ') return syntax("text after path");
  std::string_view inner = text.substr(1, end - 1);
  if (inner.empty()) {
    if (!allow_null) return syntax("null path not allowed");
    out.path.null = true;
    return out;
  }
  if (inner.front() == '@') {
    const auto colon = inner.find(':');
    if (colon == std::string_view::npos || !valid_source_route(inner.substr(0, colon))) {
      return syntax("bad source route");
    }
    inner.remove_prefix(colon + 1);
  }
  out.path.utf8 = std::any_of(inner.begin(), inner.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (allow_postmaster && ascii_iequal(inner, "postmaster")) {
    out.path.postmaster = true;
    out.path.mailbox.local = std::string(inner);
    return out;
  }
  auto mailbox = addr::parse_mailbox(inner, true);
  if (!mailbox) return syntax("bad mailbox: " + mailbox.error().detail);
  out.path.mailbox = std::move(*mailbox);
  return out;
}

struct Param {
  std::string keyword;  // uppercased
  std::optional<std::string_view> value;
};

// RFC 5321 4.1.2: esmtp-param = esmtp-keyword ["=" esmtp-value];
// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-");
// esmtp-value = 1*(%d33-60 / %d62-126) (RFC 6531 adds UTF-8).
// Duplicated keywords are Errc::syntax.
Result<std::vector<Param>> parse_params(std::string_view text) {
  std::vector<Param> out;
  for (const auto word : words(text)) {
    const auto eq = word.find('=');
    const auto keyword = word.substr(0, eq);
    if (keyword.empty() || keyword.front() == '-') return syntax("bad parameter keyword");
    for (const char c : keyword) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') return syntax("bad parameter keyword");
    }
    Param param{upper(keyword), std::nullopt};
    if (eq != std::string_view::npos) {
      const auto value = word.substr(eq + 1);
      if (value.empty()) return syntax("empty parameter value");
      for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 33 || u == '=' || u == 127) return syntax("bad parameter value");
      }
      param.value = value;
    }
    for (const auto& seen : out) {
      if (seen.keyword == param.keyword) return syntax("duplicate parameter " + param.keyword);
    }
    out.push_back(std::move(param));
  }
  return out;
}

Error unknown_param(const Param& param) { return fail(Errc::invalid, "unknown parameter " + loggable(param.keyword)); }

Result<std::string_view> need_value(const Param& param) {
  if (!param.value) return syntax(param.keyword + " needs a value");
  return *param.value;
}

Status parse_mail_params(std::string_view text, MailParams& out) {
  auto params = parse_params(text);
  if (!params) return params.error();
  for (const auto& param : *params) {
    if (param.keyword == "SMTPUTF8") {
      if (param.value) return syntax("SMTPUTF8 takes no value");
      out.smtputf8 = true;
      continue;
    }
    if (param.keyword != "SIZE" && param.keyword != "BODY" && param.keyword != "RET" &&
        param.keyword != "ENVID" && param.keyword != "AUTH") {
      return unknown_param(param);
    }
    const auto value = need_value(param);
    if (!value) return value.error();
    if (param.keyword == "SIZE") {
      // RFC 1870: size-value ::= 1*20DIGIT
      const auto size = parse_number(*value, 20, true);
      if (!size) return size.error();
      out.size = *size;
    } else if (param.keyword == "BODY") {
      if (ascii_iequal(*value, "7BIT")) {
        out.body = Body::seven_bit;
      } else if (ascii_iequal(*value, "8BITMIME")) {
        out.body = Body::eight_bit_mime;
      } else if (ascii_iequal(*value, "BINARYMIME")) {
        out.body = Body::binary_mime;
      } else {
        return fail(Errc::invalid, "unknown BODY value");
      }
    } else if (param.keyword == "RET") {
      if (ascii_iequal(*value, "FULL")) {
        out.ret = Ret::full;
      } else if (ascii_iequal(*value, "HDRS")) {
        out.ret = Ret::hdrs;
      } else {
        return syntax("bad RET value");
      }
    } else if (param.keyword == "ENVID") {
      if (value->size() > kMaxEnvid) return syntax("ENVID too long");
      auto decoded = decode_xtext(*value);
      if (!decoded) return decoded.error();
      out.envid = std::move(*decoded);
    } else {  // AUTH
      auto decoded = decode_xtext(*value);
      if (!decoded) return decoded.error();
      out.auth = std::move(*decoded);
    }
  }
  return {};
}

Result<Notify> parse_notify(std::string_view value) {
  Notify notify;
  bool any = false;
  while (true) {
    const auto comma = value.find(',');
    const auto item = value.substr(0, comma);
    bool* flag = nullptr;
    if (ascii_iequal(item, "NEVER")) {
      flag = &notify.never;
    } else if (ascii_iequal(item, "SUCCESS")) {
      flag = &notify.success;
    } else if (ascii_iequal(item, "FAILURE")) {
      flag = &notify.failure;
    } else if (ascii_iequal(item, "DELAY")) {
      flag = &notify.delay;
    } else {
      return syntax("bad NOTIFY value");
    }
    if (*flag) return syntax("repeated NOTIFY value");
    *flag = true;
    any = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  // RFC 3461 4.1: "NEVER" must appear alone.
  if (!any || (notify.never && (notify.success || notify.failure || notify.delay))) {
    return syntax("NEVER must be alone");
  }
  return notify;
}

Status parse_rcpt_params(std::string_view text, RcptParams& out) {
  auto params = parse_params(text);
  if (!params) return params.error();
  for (const auto& param : *params) {
    if (param.keyword != "NOTIFY" && param.keyword != "ORCPT") return unknown_param(param);
    const auto value = need_value(param);
    if (!value) return value.error();
    if (param.keyword == "NOTIFY") {
      auto notify = parse_notify(*value);
      if (!notify) return notify.error();
      out.notify = *notify;
      continue;
    }
    // ORCPT: addr-type ";" xtext
    if (value->size() > kMaxOrcpt) return syntax("ORCPT too long");
    const auto semi = value->find(';');
    if (semi == std::string_view::npos || semi == 0) return syntax("bad ORCPT");
    const auto type = value->substr(0, semi);
    for (const char c : type) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') return syntax("bad ORCPT address type");
    }
    auto decoded = decode_xtext(value->substr(semi + 1));
    if (!decoded) return decoded.error();
    if (decoded->empty()) return syntax("empty ORCPT address");
    out.orcpt_type = std::string(type);
    out.orcpt = std::move(*decoded);
  }
  return {};
}

Result<Command> parse_mail_or_rcpt(Command cmd, std::string_view rest) {
  const bool mail = cmd.verb == Verb::mail;
  const std::string_view keyword = mail ? "FROM:" : "TO:";
  if (!istarts_with(rest, keyword)) return syntax(mail ? "expected FROM:" : "expected TO:");
  rest = skip_spaces(rest.substr(keyword.size()));
  auto path = parse_path(rest, mail, !mail);
  if (!path) return path.error();
  cmd.path = std::move(path->path);
  if (mail) {
    const auto status = parse_mail_params(path->rest, cmd.mail);
    if (!status) return status.error();
    if (cmd.path.utf8 && !cmd.mail.smtputf8) return syntax("UTF-8 path without SMTPUTF8");
  } else {
    const auto status = parse_rcpt_params(path->rest, cmd.rcpt);
    if (!status) return status.error();
  }
  return cmd;
}

bool printable_token(std::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

Result<Command> parse_line(std::string_view line) {
  for (const char c : line) {
    if (c == '\0' || c == '\r' || c == '\n') return syntax("bare CR, bare LF or NUL in command line");
  }
  while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
  const auto sp = line.find(' ');
  const auto verb_text = line.substr(0, sp);
  const auto rest = sp == std::string_view::npos ? std::string_view{} : skip_spaces(line.substr(sp));
  Command cmd;
  const auto known = std::find_if(kVerbs.begin(), kVerbs.end(),
                                  [&](const auto& entry) { return ascii_iequal(entry.first, verb_text); });
  if (known == kVerbs.end()) return fail(Errc::invalid, std::string(kUnknownVerbDetail) + loggable(verb_text));
  cmd.verb = known->second;
  const auto args = words(rest);
  switch (cmd.verb) {
    case Verb::helo:
    case Verb::ehlo:
      if (args.size() != 1 || !printable_token(args[0])) return syntax("HELO/EHLO needs one domain");
      cmd.argument = std::string(args[0]);
      return cmd;
    case Verb::data:
    case Verb::rset:
    case Verb::quit:
    case Verb::starttls:
      if (!rest.empty()) return syntax("no arguments allowed");
      return cmd;
    case Verb::noop:
    case Verb::help:
      cmd.argument = std::string(rest);
      return cmd;
    case Verb::vrfy:
    case Verb::expn:
      if (rest.empty()) return syntax("argument required");
      cmd.argument = std::string(rest);
      return cmd;
    case Verb::bdat: {
      // RFC 3030: "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT
      if (args.empty() || args.size() > 2) return syntax("BDAT needs a size");
      if (args.size() == 2) {
        if (!ascii_iequal(args[1], "LAST")) return syntax("BDAT: expected LAST");
        cmd.bdat_last = true;
      }
      const auto size = parse_number(args[0], 20, false);
      if (!size) return size.error();
      cmd.bdat_size = *size;
      return cmd;
    }
    case Verb::auth: {
      // RFC 4954 4: "AUTH" SP sasl-mech [SP initial-response]
      if (args.empty() || args.size() > 2) return syntax("AUTH needs a mechanism");
      if (args[0].size() > kMaxSaslMechanism) return syntax("bad SASL mechanism");
      for (const char c : args[0]) {
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') return syntax("bad SASL mechanism");
      }
      cmd.argument = upper(args[0]);
      if (args.size() == 2) {
        for (const char c : args[1]) {
          if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '/' && c != '=') {
            return syntax("bad initial response");
          }
        }
        cmd.initial_response = std::string(args[1]);
      }
      return cmd;
    }
    case Verb::mail:
    case Verb::rcpt:
      return parse_mail_or_rcpt(std::move(cmd), rest);
  }
  return fail(Errc::internal, "unhandled verb");
}

}  // namespace

std::string_view verb_name(Verb verb) {
  for (const auto& [name, value] : kVerbs) {
    if (value == verb) return name;
  }
  return "?";
}

Result<std::string> decode_xtext(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      if (text.size() - i < 3) return syntax("truncated xtext hexchar");
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return syntax("bad xtext hexchar");
      const int decoded = hi * 16 + lo;
      if (decoded < 0x20 || decoded > 0x7e) return syntax("xtext decodes to a non-printable byte");
      out += static_cast<char>(decoded);
      i += 2;
    } else if (c < '!' || c > '~' || c == '=') {
      return syntax("bad xtext character");
    } else {
      out += c;
    }
  }
  return out;
}

Result<Command> parse_command_line(std::string_view line) { return parse_line(line); }

Result<std::optional<Command>> parse_command(std::string& buf, const Limits& limits) {
  const std::size_t max = std::max(limits.max_command_line, kMaxCommandLine);
  // A CRLF whose LF sits at index >= max would make the line longer than max.
  const auto end = std::string_view(buf).substr(0, max).find("\r\n");
  if (end == std::string_view::npos) {
    if (buf.size() >= max) return fail(Errc::limit, "command line too long");
    return std::optional<Command>{};
  }
  auto parsed = parse_line(std::string_view(buf).substr(0, end));
  buf.erase(0, end + 2);
  if (!parsed) return parsed.error();
  return std::optional<Command>(std::move(*parsed));
}

bool skip_line(std::string& buf) {
  const auto end = buf.find("\r\n");
  if (end != std::string::npos) {
    buf.erase(0, end + 2);
    return true;
  }
  const bool keep_cr = !buf.empty() && buf.back() == '\r';
  buf.clear();
  if (keep_cr) buf = "\r";
  return false;
}

}  // namespace parley::smtp
