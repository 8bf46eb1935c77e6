#include "smtp/reply.h"

#include <algorithm>

#include "smtp/command.h"

namespace parley::smtp {
namespace {

void append_safe(std::string& out, std::string_view text) {
  for (const char c : text) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
}

}  // namespace

std::string format_reply(int code, std::string_view enhanced, std::vector<std::string_view> lines) {
  code = std::clamp(code, 200, 599);
  const std::string number = std::to_string(code);
  if (lines.empty()) lines.emplace_back();
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += number;
    out += i + 1 < lines.size() ? '-' : ' ';
    if (!enhanced.empty()) {
      append_safe(out, enhanced);
      if (!lines[i].empty()) out += ' ';
    }
    append_safe(out, lines[i]);
    // A final line with neither enhanced code nor text: "250" alone.
    if (i + 1 == lines.size() && enhanced.empty() && lines[i].empty()) out.pop_back();
    out += "\r\n";
  }
  return out;
}

std::string to_wire(const Reply& reply) { return format_reply(reply.code, reply.enhanced, {reply.text}); }

const Reply& command_error_reply(const Error& error) {
  switch (error.code) {
    case Errc::limit:
      return kLineTooLong;
    case Errc::invalid:
      return error.detail.starts_with(kUnknownVerbDetail) ? kUnknownCommand : kBadParameters;
    case Errc::syntax:
      return kSyntaxArgs;
    default:
      return kTempFailure;
  }
}

}  // namespace parley::smtp
