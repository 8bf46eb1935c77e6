// WebSocket (RFC 6455) as a server needs it for SIP over WebSocket (RFC
// 7118): the client's opening handshake, and frames both ways. Pure: no
// I/O, no clock, no crypto (the Sec-WebSocket-Accept value is the
// caller's: auth::websocket_accept).
//
// Untrusted input: every byte from the client. Bytes may come in any
// chunks; results do not depend on the chunking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::ws {

// The longest opening handshake taken (a browser's is under 1 KiB).
constexpr std::size_t kMaxHandshake = 8192;

// What the client's GET asked for (RFC 6455 4.2.1).
struct Handshake {
  std::string path;                    // the request-target
  std::string key;                     // Sec-WebSocket-Key, as sent (24 base64 characters)
  std::vector<std::string> protocols;  // Sec-WebSocket-Protocol, in order
  bool offers(std::string_view protocol) const;
};

// Takes the opening handshake off the front of `buf` once its blank line
// has come: value(Handshake) with `consumed` set (what follows is frames);
// value(nullopt): need more; Errc::limit: longer than kMaxHandshake;
// Errc::syntax: not a GET with Upgrade: websocket, Connection: Upgrade,
// Sec-WebSocket-Version: 13 and a 16-byte Sec-WebSocket-Key (answer
// handshake_refusal()).
Result<std::optional<Handshake>> parse_handshake(std::string_view buf, std::size_t& consumed);

// "HTTP/1.1 101 Switching Protocols" with `accept` and the chosen protocol.
std::string handshake_response(std::string_view accept, std::string_view protocol);
// What a refused handshake gets: 400, with Sec-WebSocket-Version: 13.
std::string handshake_refusal();

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

struct Message {
  Opcode opcode = Opcode::text;  // text or binary (data, fragments joined), close, ping or pong
  std::string payload;
};

// Close codes (RFC 6455 7.4.1) the server sends.
constexpr std::uint16_t kCloseNormal = 1000;
constexpr std::uint16_t kCloseProtocolError = 1002;
constexpr std::uint16_t kCloseTooBig = 1009;

// Client frames to messages. Client frames must be masked (RFC 6455 5.1);
// control frames are at most 125 bytes and not fragmented (5.5).
class Decoder {
 public:
  explicit Decoder(std::size_t max_message) : max_(max_message) {}
  void feed(std::string_view bytes) { buf_.append(bytes); }
  // The next data message (its fragments joined) or control message:
  // value(nullopt): need more; Errc::syntax: a protocol error (close with
  // kCloseProtocolError); Errc::limit: a message over max_message (close
  // with kCloseTooBig). After an error the decoder is done.
  Result<std::optional<Message>> next();

 private:
  std::string buf_;
  std::size_t max_;
  std::optional<Opcode> fragmented_;  // the opcode of a data message in fragments
  std::string partial_;
  bool failed_ = false;
};

// One unmasked, unfragmented server frame.
std::string encode(Opcode opcode, std::string_view payload);
// A close frame's payload: the code, big-endian.
std::string close_payload(std::uint16_t code);

}  // namespace parley::ws
