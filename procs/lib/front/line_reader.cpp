#include "front/line_reader.h"

namespace parley::front {

LineReader::Line LineReader::next() { return next(max_); }

LineReader::Line LineReader::next(std::size_t max_line) {
  Line out;
  const auto end = in_.find("\r\n");
  if (end != std::string::npos) {
    if (skipping_ || end + 2 > max_line) {
      out.kind = Line::Kind::too_long;
    } else {
      out.kind = Line::Kind::line;
      out.text.assign(in_, 0, end);
    }
    in_.erase(0, end + 2);
    skipping_ = false;
    return out;
  }
  if (skipping_ || in_.size() >= max_line) {
    // Too long already: keep only a final CR, which may start the CRLF.
    skipping_ = true;
    const bool cr = !in_.empty() && in_.back() == '\r';
    in_.assign(cr ? "\r" : "");
  }
  return out;
}

}  // namespace parley::front
