#include <gtest/gtest.h>

#include <string>

#include "auth/auth.h"
#include "ws/ws.h"

namespace parley::ws {
namespace {

const std::string kHandshake =
    "GET /sip HTTP/1.1\r\nHost: sip.example.test\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: chat, sip\r\n\r\n";

// A client frame: masked with `mask`.
std::string client_frame(std::uint8_t first, std::string_view payload, std::string mask = "\x11\x22\x33\x44") {
  std::string out(1, static_cast<char>(first));
  if (payload.size() < 126) {
    out += static_cast<char>(0x80 | payload.size());
  } else {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xff);
  }
  out += mask;
  for (std::size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ mask[i % 4]);
  return out;
}

TEST(WebSocket, HandshakeWholeAndByteByByte) {
  std::size_t consumed = 0;
  auto whole = parse_handshake(kHandshake + "rest", consumed);
  ASSERT_TRUE(whole.ok() && *whole);
  EXPECT_EQ(consumed, kHandshake.size());
  EXPECT_EQ((*whole)->path, "/sip");
  EXPECT_TRUE((*whole)->offers("sip"));
  EXPECT_FALSE((*whole)->offers("xmpp"));
  // RFC 6455 1.3's example key and accept value.
  EXPECT_EQ(auth::websocket_accept((*whole)->key), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  for (std::size_t n = 0; n < kHandshake.size(); ++n) {
    auto partial = parse_handshake(std::string_view(kHandshake).substr(0, n), consumed);
    ASSERT_TRUE(partial.ok());
    EXPECT_FALSE(*partial) << n;
  }
  EXPECT_NE(handshake_response("abc", "sip").find("Sec-WebSocket-Protocol: sip\r\n"), std::string::npos);
}

TEST(WebSocket, MalformedHandshakesAreRefused) {
  std::size_t consumed = 0;
  for (std::string bad : {std::string("POST /sip HTTP/1.1\r\n\r\n"),
                          std::string("GET /sip HTTP/1.0\r\nUpgrade: websocket\r\n\r\n"),
                          std::string(kHandshake).replace(kHandshake.find("13"), 2, "8"),
                          std::string(kHandshake).replace(kHandshake.find("dGhl"), 4, "!!!!"),
                          std::string(kHandshake).replace(kHandshake.find("Upgrade: websocket"), 18, "Upgrade: h2c      "),
                          std::string("GET /sip HTTP/1.1\r\nno colon here\r\n\r\n")}) {
    auto r = parse_handshake(bad, consumed);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.code(), Errc::syntax);
  }
  auto huge = parse_handshake("GET / HTTP/1.1\r\nX: " + std::string(kMaxHandshake, 'a'), consumed);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.code(), Errc::limit);
}

TEST(WebSocket, FramesFragmentsAndControlInBetween) {
  std::string bytes = client_frame(0x01, "OPTIONS ") + client_frame(0x89, "hi") + client_frame(0x80, "sip:x SIP/2.0") +
                      client_frame(0x82, std::string(300, 'b'));
  for (std::size_t chunk : {bytes.size(), std::size_t{1}}) {
    Decoder d(65535);
    std::vector<Message> got;
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      d.feed(std::string_view(bytes).substr(at, chunk));
      for (;;) {
        auto m = d.next();
        ASSERT_TRUE(m.ok()) << m.error().detail;
        if (!*m) break;
        got.push_back(std::move(**m));
      }
    }
    ASSERT_EQ(got.size(), 3u) << chunk;
    EXPECT_EQ(got[0].opcode, Opcode::ping);
    EXPECT_EQ(got[0].payload, "hi");
    EXPECT_EQ(got[1].opcode, Opcode::text);
    EXPECT_EQ(got[1].payload, "OPTIONS sip:x SIP/2.0");
    EXPECT_EQ(got[2].opcode, Opcode::binary);
    EXPECT_EQ(got[2].payload, std::string(300, 'b'));
  }
}

TEST(WebSocket, ProtocolErrorsAndLimits) {
  struct Case {
    std::string bytes;
    Errc code;
  };
  std::string unmasked = "\x81\x02hi";
  for (const auto& c : {Case{unmasked, Errc::syntax}, Case{client_frame(0xC1, "x"), Errc::syntax},
                        Case{client_frame(0x80, "x"), Errc::syntax}, Case{client_frame(0x03, "x"), Errc::syntax},
                        Case{client_frame(0x09, "ping"), Errc::syntax},
                        Case{client_frame(0x01, "a") + client_frame(0x81, "b"), Errc::syntax},
                        Case{client_frame(0x81, std::string(200, 'x')), Errc::limit}}) {
    Decoder d(100);
    d.feed(c.bytes);
    Result<std::optional<Message>> r = std::optional<Message>{};
    for (int i = 0; i < 3 && r.ok(); ++i) r = d.next();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), c.code);
    auto after = d.next();
    EXPECT_TRUE(after.ok() && !*after) << "done after an error";
  }
}

TEST(WebSocket, EncodeLengths) {
  EXPECT_EQ(encode(Opcode::text, "hi"), std::string("\x81\x02hi"));
  const std::string mid = encode(Opcode::binary, std::string(300, 'x'));
  EXPECT_EQ(mid.substr(0, 4), std::string("\x82\x7e\x01\x2c", 4));
  const std::string big = encode(Opcode::binary, std::string(70000, 'x'));
  EXPECT_EQ(big.substr(0, 2), std::string("\x82\x7f", 2));
  EXPECT_EQ(big.size(), 10u + 70000u);
  EXPECT_EQ(close_payload(kCloseProtocolError), std::string("\x03\xea", 2));
}

}  // namespace
}  // namespace parley::ws
