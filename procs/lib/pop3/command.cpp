#include "pop3/command.h"

#include <array>
#include <utility>

#include "core/ascii.h"

namespace parley::pop3 {
namespace {

constexpr std::uint32_t kMaxNumber = 1u << 31;

constexpr std::array<std::pair<std::string_view, Verb>, 15> kVerbs = {{
    {"USER", Verb::user}, {"PASS", Verb::pass}, {"AUTH", Verb::auth}, {"STLS", Verb::stls}, {"CAPA", Verb::capa},
    {"QUIT", Verb::quit}, {"STAT", Verb::stat}, {"LIST", Verb::list}, {"UIDL", Verb::uidl}, {"RETR", Verb::retr},
    {"TOP", Verb::top},   {"DELE", Verb::dele}, {"RSET", Verb::rset}, {"NOOP", Verb::noop}, {"APOP", Verb::apop},
}};

std::optional<std::uint32_t> number(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n == 0 || n > kMaxNumber) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

Error syntax(std::string detail) { return fail(Errc::syntax, std::move(detail)); }

}  // namespace

Result<Command> parse_command(std::string_view line) {
  if (line.size() > kMaxCommandLine - 2) return fail(Errc::limit, "command line too long");
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return syntax("control character in command");
  }
  auto sp = line.find(' ');
  const std::string keyword = ascii_upper(line.substr(0, sp));
  const std::string_view args = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  Command cmd;
  bool known = false;
  for (const auto& [name, verb] : kVerbs) {
    if (name == keyword) {
      cmd.verb = verb;
      known = true;
    }
  }
  if (!known) return fail(Errc::invalid, "unknown command");
  const auto space = args.find(' ');
  switch (cmd.verb) {
    case Verb::user:
    case Verb::pass:
    case Verb::apop:
      if (args.empty()) return syntax("argument missing");
      cmd.text = std::string(args);
      return cmd;
    case Verb::auth:
      if (args.empty()) return syntax("mechanism missing");
      cmd.mechanism = ascii_upper(args.substr(0, space));
      if (space != std::string_view::npos) cmd.initial = std::string(args.substr(space + 1));
      return cmd;
    case Verb::list:
    case Verb::uidl:
      if (sp == std::string_view::npos) return cmd;
      [[fallthrough]];
    case Verb::retr:
    case Verb::dele:
      cmd.msg = number(args);
      if (!cmd.msg) return syntax("a message number is expected");
      return cmd;
    case Verb::top: {
      cmd.msg = number(args.substr(0, space));
      if (!cmd.msg || space == std::string_view::npos) return syntax("TOP needs a message number and a line count");
      std::string_view count = args.substr(space + 1);
      if (count == "0") return cmd;
      auto lines = number(count);
      if (!lines) return syntax("TOP needs a message number and a line count");
      cmd.lines = *lines;
      return cmd;
    }
    default:
      if (sp != std::string_view::npos) return syntax("no arguments expected");
      return cmd;
  }
}

}  // namespace parley::pop3
