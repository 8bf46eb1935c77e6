// The one line reader of the text protocols (SMTP commands, POP3, SASL
// responses): client bytes in, lines ending CRLF out, memory bounded.
//
// The over-long-line policy, the same for every protocol: a line longer
// than the limit (CRLF included) is dropped as its bytes arrive and
// reported once, as `too_long`, when its CRLF comes; what follows is read
// normally. A CR or LF alone does not end a line: it stays in the line's
// text for the protocol's parser to refuse.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::front {

class LineReader {
 public:
  explicit LineReader(std::size_t max_line) : max_(max_line) {}

  struct Line {
    enum class Kind { line, too_long, need_more };
    Kind kind = Kind::need_more;
    std::string text;  // kind line: without its CRLF
  };

  // The next complete line, consumed from the buffer.
  Line next();
  // As next(), with another limit for this line (SASL responses).
  Line next(std::size_t max_line);
  void feed(std::string_view bytes) { in_.append(bytes); }

  // Bytes received and not yet taken as lines: a protocol that switches to
  // another framing (SMTP DATA and BDAT) reads and erases them itself.
  std::string& buffered() { return in_; }
  // Forgets buffered input (what a client sent in plain text before TLS).
  void discard() {
    in_.clear();
    skipping_ = false;
  }
  std::size_t max_line() const { return max_; }
  void set_max_line(std::size_t max_line) { max_ = max_line; }

 private:
  std::string in_;
  std::size_t max_;
  bool skipping_ = false;  // inside an over-long line
};

}  // namespace parley::front
