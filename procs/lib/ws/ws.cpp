#include "ws/ws.h"

#include <algorithm>

#include "core/ascii.h"

namespace parley::ws {

namespace {

constexpr std::size_t kMaxControl = 125;  // RFC 6455 5.5

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether a comma-separated header value holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (ascii_iequal(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

bool Handshake::offers(std::string_view protocol) const {
  for (const auto& p : protocols) {
    if (ascii_iequal(p, protocol)) return true;
  }
  return false;
}

Result<std::optional<Handshake>> parse_handshake(std::string_view buf, std::size_t& consumed) {
  const auto end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buf.size() > kMaxHandshake) return fail(Errc::limit, "handshake too long");
    return std::optional<Handshake>{};
  }
  if (end + 4 > kMaxHandshake) return fail(Errc::limit, "handshake too long");
  std::string_view head = buf.substr(0, end);
  auto eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  // GET SP request-target SP HTTP/1.1
  if (!line.starts_with("GET ")) return fail(Errc::syntax, "not a GET");
  line.remove_prefix(4);
  auto sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0 || line.substr(sp + 1) != "HTTP/1.1") {
    return fail(Errc::syntax, "bad request line");
  }
  Handshake h;
  h.path = std::string(line.substr(0, sp));
  bool upgrade = false, connection = false, version = false;
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    auto next = rest.find("\r\n");
    std::string_view field = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 2);
    auto colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0 || !printable_ascii(field)) {
      return fail(Errc::syntax, "bad header line");
    }
    std::string_view name = field.substr(0, colon), value = trim(field.substr(colon + 1));
    if (ascii_iequal(name, "Upgrade")) {
      upgrade = has_token(value, "websocket");
    } else if (ascii_iequal(name, "Connection")) {
      connection = has_token(value, "upgrade");
    } else if (ascii_iequal(name, "Sec-WebSocket-Version")) {
      version = value == "13";
    } else if (ascii_iequal(name, "Sec-WebSocket-Key")) {
      h.key = std::string(value);
    } else if (ascii_iequal(name, "Sec-WebSocket-Protocol")) {
      while (!value.empty()) {
        auto comma = value.find(',');
        auto p = trim(value.substr(0, comma));
        if (!p.empty()) h.protocols.emplace_back(p);
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
      }
    }
  }
  // A 16-byte nonce in base64 is 22 characters and "==" (RFC 6455 4.1).
  const bool key_ok = h.key.size() == 24 && h.key.ends_with("==") &&
                      std::all_of(h.key.begin(), h.key.end() - 2, base64_char);
  if (!upgrade || !connection || !version || !key_ok) return fail(Errc::syntax, "not a WebSocket handshake");
  consumed = end + 4;
  return std::optional<Handshake>(std::move(h));
}

std::string handshake_response(std::string_view accept, std::string_view protocol) {
  std::string out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: ";
  out.append(accept).append("\r\n");
  if (!protocol.empty()) out.append("Sec-WebSocket-Protocol: ").append(protocol).append("\r\n");
  return out + "\r\n";
}

std::string handshake_refusal() {
  return "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

Result<std::optional<Message>> Decoder::next() {
  if (failed_) return std::optional<Message>{};
  auto error = [this](Errc code, std::string detail) -> Result<std::optional<Message>> {
    failed_ = true;
    return fail(code, std::move(detail));
  };
  for (;;) {
    if (buf_.size() < 2) return std::optional<Message>{};
    const auto b0 = static_cast<std::uint8_t>(buf_[0]), b1 = static_cast<std::uint8_t>(buf_[1]);
    const bool fin = b0 & 0x80;
    if (b0 & 0x70) return error(Errc::syntax, "reserved bits set");
    const auto opcode = static_cast<Opcode>(b0 & 0x0f);
    const bool control = (b0 & 0x08) != 0;
    if (!(b1 & 0x80)) return error(Errc::syntax, "client frame not masked");
    std::uint64_t length = b1 & 0x7f;
    std::size_t header = 2;
    if (length == 126) {
      if (buf_.size() < 4) return std::optional<Message>{};
      length = (std::uint64_t{static_cast<std::uint8_t>(buf_[2])} << 8) | static_cast<std::uint8_t>(buf_[3]);
      header = 4;
    } else if (length == 127) {
      if (buf_.size() < 10) return std::optional<Message>{};
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | static_cast<std::uint8_t>(buf_[i]);
      header = 10;
    }
    if (control && (length > kMaxControl || !fin)) return error(Errc::syntax, "bad control frame");
    if (!control && opcode != Opcode::text && opcode != Opcode::binary && opcode != Opcode::continuation) {
      return error(Errc::syntax, "unknown opcode");
    }
    if (control && opcode != Opcode::close && opcode != Opcode::ping && opcode != Opcode::pong) {
      return error(Errc::syntax, "unknown control opcode");
    }
    if (!control && length + partial_.size() > max_) return error(Errc::limit, "message too large");
    if (buf_.size() < header + 4 + length) return std::optional<Message>{};
    const char* mask = buf_.data() + header;
    std::string payload = buf_.substr(header + 4, static_cast<std::size_t>(length));
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
    buf_.erase(0, header + 4 + static_cast<std::size_t>(length));
    if (control) return std::optional<Message>(Message{opcode, std::move(payload)});
    if (opcode == Opcode::continuation) {
      if (!fragmented_) return error(Errc::syntax, "continuation without a start");
    } else {
      if (fragmented_) return error(Errc::syntax, "new message inside a fragmented one");
      fragmented_ = opcode;
    }
    partial_ += payload;
    if (!fin) continue;
    Message m{*fragmented_, std::move(partial_)};
    partial_.clear();
    fragmented_.reset();
    return std::optional<Message>(std::move(m));
  }
}

std::string encode(Opcode opcode, std::string_view payload) {
  std::string out;
  out += static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode));
  if (payload.size() < 126) {
    out += static_cast<char>(payload.size());
  } else if (payload.size() <= 0xffff) {
    out += static_cast<char>(126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xff);
  } else {
    out += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((std::uint64_t{payload.size()} >> shift) & 0xff);
  }
  out.append(payload);
  return out;
}

std::string close_payload(std::uint16_t code) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

}  // namespace parley::ws
