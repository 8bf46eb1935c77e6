#include "smtp/client.h"

#include <algorithm>

#include "core/ascii.h"

namespace parley::smtp {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string ServerReply::text() const {
  std::string out = std::to_string(code);
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? " " : "; ") + lines[i];
  return out;
}

std::string ServerReply::enhanced() const {
  if (lines.empty()) return "";
  std::string_view first = lines.front();
  // class "." subject "." detail (RFC 3463), the class matching the code's.
  auto sp = first.find(' ');
  std::string_view token = first.substr(0, sp);
  int dots = 0;
  for (char c : token) {
    if (c == '.') ++dots;
    else if (!digit(c)) return "";
  }
  if (dots != 2 || token.size() < 5 || token[0] != static_cast<char>('0' + code / 100)) return "";
  return std::string(token);
}

Result<std::optional<ServerReply>> parse_reply(std::string& buf) {
  ServerReply reply;
  std::size_t pos = 0;
  for (;;) {
    auto end = buf.find("\r\n", pos);
    std::size_t limit = std::min(buf.size(), pos + kMaxReplyLine);
    if (end == std::string::npos) {
      if (buf.size() - pos >= kMaxReplyLine) return fail(Errc::limit, "reply line too long");
      // A bare LF, or a CR that is not the last byte, is an error already.
      auto cr = buf.find('\r', pos);
      if (buf.find('\n', pos) != std::string::npos || (cr != std::string::npos && cr + 1 != buf.size())) {
        return fail(Errc::syntax, "bare CR or LF in reply");
      }
      return std::optional<ServerReply>{};
    }
    if (end + 2 > limit) return fail(Errc::limit, "reply line too long");
    std::string_view line(buf.data() + pos, end - pos);
    if (line.find_first_of("\r\n") != std::string_view::npos) return fail(Errc::syntax, "bare CR or LF in reply");
    if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2]) || line[0] < '2' || line[0] > '5') {
      return fail(Errc::syntax, "reply without a code");
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (reply.code != 0 && code != reply.code) return fail(Errc::syntax, "reply codes differ between lines");
    reply.code = code;
    bool last = true;
    if (line.size() > 3) {
      if (line[3] == '-') last = false;
      else if (line[3] != ' ') return fail(Errc::syntax, "no space or hyphen after the reply code");
    }
    reply.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view{});
    pos = end + 2;
    if (pos > kMaxReplyBytes || reply.lines.size() > kMaxReplyLines) return fail(Errc::limit, "reply too long");
    if (last) {
      buf.erase(0, pos);
      return std::optional<ServerReply>(std::move(reply));
    }
  }
}

bool Extensions::has(std::string_view keyword) const {
  return std::any_of(items.begin(), items.end(), [&](const auto& i) { return i.first == keyword; });
}

std::optional<std::string> Extensions::param(std::string_view keyword) const {
  for (const auto& i : items) {
    if (i.first == keyword) return i.second;
  }
  return std::nullopt;
}

Extensions parse_ehlo(const ServerReply& reply) {
  Extensions ext;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    std::string_view line = reply.lines[i];
    auto sp = line.find(' ');
    std::string keyword = ascii_upper(line.substr(0, sp));
    if (keyword.empty()) continue;
    ext.items.emplace_back(std::move(keyword), sp == std::string_view::npos ? std::string() : std::string(line.substr(sp + 1)));
  }
  return ext;
}

}  // namespace parley::smtp
