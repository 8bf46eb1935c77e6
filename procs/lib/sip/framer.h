// Cuts a SIP byte stream (TCP, TLS) into messages (RFC 3261 18.3): the
// headers end at the first empty line, the body is Content-Length octets,
// which a stream message must carry. Keep-alives (RFC 5626 3.5.1) between
// messages: "\r\n\r\n" is a ping (answer "\r\n"), a lone "\r\n" a pong.
// Pure: no I/O, no clock. UDP needs none of this: a datagram is one
// message, for parse_message directly.
//
// Untrusted input: every byte. Bytes may arrive in any chunks, one at a
// time included; the result does not depend on the chunking.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "sip/message.h"

namespace parley::sip {

struct Frame {
  enum class Kind { message, ping, pong };
  Kind kind = Kind::message;
  std::string bytes;  // Kind::message: the whole message, for parse_message
};

class Framer {
 public:
  explicit Framer(std::size_t max_message = kMaxMessageSize) : max_(max_message) {}

  // Appends bytes from the stream. Ignored once the stream is broken.
  void feed(std::string_view bytes);

  // The next frame, if complete.
  //   value(Frame): one frame, consumed; value(nullopt): need more bytes;
  //   Errc::limit: a message larger than max_message. When its headers were
  //     whole and its body is no larger than max_message, the body is
  //     skipped and the stream goes on (sipd may answer 513); otherwise the
  //     stream is broken.
  //   Errc::syntax: no Content-Length, a bad one, or bytes that cannot
  //     start a message: the stream is broken (sipd closes it).
  // Each error is returned once; a broken stream then gives nullopt.
  [[nodiscard]] Result<std::optional<Frame>> next();

  bool broken() const { return broken_; }
  // Bytes held, not yet framed.
  std::size_t buffered() const { return buf_.size(); }

 private:
  Result<std::optional<Frame>> broken_with(Errc code, std::string detail);
  Result<std::optional<Frame>> take(std::size_t size);

  std::string buf_;
  std::size_t max_;
  std::size_t scanned_ = 0;          // buf_ holds no end of headers before this offset
  std::optional<std::size_t> need_;  // the current message's size, once its headers are whole
  std::size_t skip_ = 0;             // body octets of an over-limit message still to drop
  bool broken_ = false;
};

}  // namespace parley::sip
