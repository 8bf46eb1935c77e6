#include "pop3/message.h"

namespace parley::pop3 {

std::string_view top_part(std::string_view message, std::size_t lines) {
  bool in_body = false;
  std::size_t pos = 0;
  while (pos < message.size()) {
    if (in_body && lines-- == 0) return message.substr(0, pos);
    const std::size_t end = message.find('\n', pos);
    if (end == std::string_view::npos) break;
    const std::string_view line = message.substr(pos, end - pos);
    in_body = in_body || line.empty() || line == "\r";
    pos = end + 1;
  }
  return message;
}

}  // namespace parley::pop3
