#include "mail/dot_stuff.h"

namespace parley::mail {

std::string dot_stuff(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40 + 8);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.starts_with('.')) out += '.';
    out.append(line);
    out += "\r\n";
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

}  // namespace parley::mail
