// parley_sip: URIs (valid, malformed, RFC 3261 19.1.4 comparison), messages
// (table-driven valid and malformed cases, each valid one also fed one byte
// at a time through the stream Framer), the RFC 4475 torture tests written
// from the RFC's descriptions, responses built from requests, limits.
#include "sip/framer.h"
#include "sip/message.h"
#include "sip/uri.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/result_assert.h"

namespace parley::sip {
namespace {

using testkit::Fails;
using testkit::Ok;

// Test text is written with "\n"; the wire has CRLF. "{len}" in the head
// becomes the body's length.
std::string wire(std::string_view head, std::string_view body = {}) {
  std::string out;
  for (char c : head) {
    if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  if (const auto at = out.find("{len}"); at != std::string::npos) out.replace(at, 5, std::to_string(body.size()));
  out += "\r\n";
  out += body;
  return out;
}

// Every parsed value of a message, one per line, to compare two parses.
std::string describe(const Message& m) {
  std::string out;
  auto line = [&](std::string_view k, std::string_view v) { out.append(k).append("=").append(v).append("\n"); };
  auto addr = [&](std::string_view k, const NameAddr& a) {
    line(k, std::string(a.display) + "|" + to_string(a.uri) + "|" + std::string(a.tag().value_or("-")));
    for (const auto& p : a.params) line("  param", std::string(p.name) + "=" + std::string(p.value));
  };
  line("method", m.method());
  line("uri", m.is_request() ? to_string(m.request_uri()) : "");
  line("status", std::to_string(m.status()));
  line("reason", m.reason());
  line("version", m.version());
  // Content-Length is left out: serialize() adds one to a datagram without
  // it, and the body is compared below.
  for (const auto& h : m.headers()) {
    if (h.name != "Content-Length") line("header " + std::string(h.name), h.value);
  }
  for (const auto& v : m.vias()) {
    line("via", std::string(v.transport) + " " + std::string(v.host) + ":" + std::to_string(v.port.value_or(0)) + " " +
                    std::string(v.branch().value_or("-")));
  }
  addr("from", m.from());
  addr("to", m.to());
  line("call-id", m.call_id());
  line("cseq", std::to_string(m.cseq().number) + " " + std::string(m.cseq().method));
  line("max-forwards", m.max_forwards() ? std::to_string(*m.max_forwards()) : "-");
  line("expires", m.expires() ? std::to_string(*m.expires()) : "-");
  for (const auto& c : m.contacts()) addr("contact", c);
  for (const auto& r : m.routes()) addr("route", r);
  for (const auto& r : m.record_routes()) addr("record-route", r);
  line("body", m.body());
  return out;
}

// ---------------------------------------------------------------- URIs

TEST(SipUri, Valid) {
  auto u = parse_uri("sip:alice:secret@Atlanta.Example.COM:5061;transport=tcp;lr?subject=project%20x&priority=urgent");
  ASSERT_TRUE(Ok(u));
  EXPECT_EQ(u->scheme, Scheme::sip);
  EXPECT_EQ(u->user, "alice");
  EXPECT_EQ(u->password, "secret");
  EXPECT_EQ(u->host, "Atlanta.Example.COM");
  EXPECT_EQ(u->port, 5061);
  ASSERT_EQ(u->params.size(), 2u);
  EXPECT_EQ(u->param("TRANSPORT")->value, "tcp");
  EXPECT_FALSE(u->param("lr")->has_value);
  ASSERT_EQ(u->headers.size(), 2u);
  EXPECT_EQ(u->headers[0].value, "project x");

  u = parse_uri("SIPS:[2001:db8::10]:5070");
  ASSERT_TRUE(Ok(u));
  EXPECT_EQ(u->scheme, Scheme::sips);
  EXPECT_EQ(u->host, "[2001:db8::10]");
  EXPECT_EQ(u->port, 5070);
  EXPECT_TRUE(u->user.empty());

  u = parse_uri("sip:%61lice@192.0.2.4");
  ASSERT_TRUE(Ok(u));
  EXPECT_EQ(u->user, "alice");
  EXPECT_EQ(u->host, "192.0.2.4");

  u = parse_uri("sip:+1-212-555-1212:1234@gateway.com;user=phone");
  ASSERT_TRUE(Ok(u));
  EXPECT_EQ(u->user, "+1-212-555-1212");
  EXPECT_EQ(u->password, "1234");
  EXPECT_EQ(u->param("user")->value, "phone");

  u = parse_uri("tel:+1-201-555-0123;phone-context=example.com");
  ASSERT_TRUE(Ok(u));
  EXPECT_EQ(u->scheme, Scheme::tel);
  EXPECT_EQ(u->user, "+1-201-555-0123");
  EXPECT_EQ(u->param("phone-context")->value, "example.com");

  u = parse_uri("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  ASSERT_TRUE(Ok(u));
  EXPECT_EQ(u->scheme, Scheme::other);
  EXPECT_EQ(u->scheme_name, "urn");
  EXPECT_EQ(u->opaque, "uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");

  // Every valid URI serializes to one that parses to the same values.
  for (std::string_view text :
       {"sip:alice@atlanta.com", "sip:alice:secret@atlanta.com;transport=tcp",
        "sips:alice@atlanta.com?subject=project%20x",
        "sip:a%20b%00c@h.example;x=%22y%22?h=%3Cv%3E&i=", "sip:user;par=u%40example.net@example.com",
        "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        "sip:host.example.", "sip:[::1]", "tel:+358-555-1234567;postd=pp22", "im:user@example.com"}) {
    auto a = parse_uri(text);
    ASSERT_TRUE(Ok(a)) << text;
    auto b = parse_uri(to_string(*a));
    ASSERT_TRUE(Ok(b)) << to_string(*a);
    EXPECT_EQ(*a, *b) << text;
    EXPECT_TRUE(equivalent(*a, *b)) << text;
  }
}

TEST(SipUri, Malformed) {
  const std::string long_uri = "sip:" + std::string(kMaxUri, 'a') + "@example.com";
  struct Case {
    std::string text;
    Errc code;
  };
  const Case cases[] = {
      {"", Errc::syntax},
      {"alice@example.com", Errc::syntax},  // no scheme
      {"sip:", Errc::syntax},
      {"sip:@example.com", Errc::syntax},  // empty user
      {"sip:alice@", Errc::syntax},        // empty host
      {"sip:alice@exa mple.com", Errc::syntax},
      {"sip:alice@example.com:", Errc::syntax},  // empty port
      {"sip:alice@example.com:65536", Errc::syntax},
      {"sip:alice@example.com:5o60", Errc::syntax},
      {"sip:al%4ice@example.com", Errc::syntax},  // bad escape
      {"sip:alice%4@example.com", Errc::syntax},  // truncated escape
      {"sip:alice@example%2Ecom", Errc::syntax},  // no escapes in hosts
      {"sip:alice@[2001:db8::10", Errc::syntax},
      {"sip:alice@[not:an:address]", Errc::syntax},
      {"sip:alice@-bad-.example.com", Errc::syntax},
      {"sip:alice@example..com", Errc::syntax},
      {"sip:alice@256.1.1.1", Errc::syntax},
      {"sip:alice@example.com;", Errc::syntax},  // empty parameter
      {"sip:alice@example.com;lr=", Errc::syntax},
      {"sip:alice@example.com;a b", Errc::syntax},
      {"sip:alice@example.com;lr;transport=tcp;LR", Errc::syntax},  // repeated parameter
      {"sip:alice@example.com?", Errc::syntax},
      {"sip:alice@example.com?subject", Errc::syntax},
      {"sip:al<ice@example.com", Errc::syntax},
      {"<sip:alice@example.com>", Errc::syntax},
      {"tel:", Errc::syntax},
      {"tel:+1 555", Errc::syntax},
      {"tel:1+555", Errc::syntax},
      {"1sip:alice@example.com", Errc::syntax},
      {"urn:a b", Errc::syntax},
      {long_uri, Errc::limit},
  };
  for (const auto& c : cases) EXPECT_TRUE(Fails(parse_uri(c.text), c.code)) << c.text;
}

TEST(SipUri, Comparison) {
  // RFC 3261 19.1.4's examples.
  const std::pair<std::string_view, std::string_view> same[] = {
      {"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"},
      {"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"},
      {"sip:carol@chicago.com", "sip:carol@chicago.com;security=on"},
      {"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"},
      {"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
       "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"},
      {"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
       "sip:alice@atlanta.com?priority=urgent&subject=project%20x"},
      {"sip:alice@atlanta.com?route=a&route=b", "sip:alice@atlanta.com?ROUTE=b&route=a"},
      {"tel:+1-201-555-0123", "tel:+1.201.555.0123"},
  };
  for (const auto& [a, b] : same) {
    auto x = parse_uri(a);
    auto y = parse_uri(b);
    ASSERT_TRUE(Ok(x) && Ok(y)) << a << " " << b;
    EXPECT_TRUE(equivalent(*x, *y)) << a << " " << b;
    EXPECT_TRUE(equivalent(*y, *x)) << b << " " << a;
  }
  const std::pair<std::string_view, std::string_view> different[] = {
      {"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"},
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"},
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"},
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"},
      {"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"},
      {"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"},
      {"sip:alice@atlanta.com", "sips:alice@atlanta.com"},
      {"sip:alice:a@atlanta.com", "sip:alice:A@atlanta.com"},
      {"sip:alice@atlanta.com;maddr=192.0.2.1", "sip:alice@atlanta.com"},
      {"sip:alice@atlanta.com;ttl=1", "sip:alice@atlanta.com;ttl=2"},
      {"tel:+1-201-555-0123", "tel:+1-201-555-0123;phone-context=x"},
      {"sip:alice@atlanta.com?route=a&route=b", "sip:alice@atlanta.com?route=a&route=a"},
  };
  for (const auto& [a, b] : different) {
    auto x = parse_uri(a);
    auto y = parse_uri(b);
    ASSERT_TRUE(Ok(x) && Ok(y)) << a << " " << b;
    EXPECT_FALSE(equivalent(*x, *y)) << a << " " << b;
    EXPECT_FALSE(equivalent(*y, *x)) << b << " " << a;
  }
}

// ---------------------------------------------------------------- messages

// Feeds `bytes` one at a time: exactly one message frame, only after the
// last byte, with the same bytes.
void expect_framed_byte_by_byte(const std::string& bytes) {
  Framer framer;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    framer.feed(std::string_view(&bytes[i], 1));
    auto f = framer.next();
    ASSERT_TRUE(Ok(f)) << "at byte " << i;
    if (i + 1 < bytes.size()) {
      ASSERT_FALSE(f->has_value()) << "complete early at byte " << i;
    } else {
      ASSERT_TRUE(f->has_value()) << "not complete at the end";
      EXPECT_EQ((*f)->kind, Frame::Kind::message);
      EXPECT_EQ((*f)->bytes, bytes);
    }
  }
  EXPECT_EQ(framer.buffered(), 0u);
}

// What the framer makes of `bytes` fed in `chunk`-byte pieces: each frame
// (kind and bytes) and each error, in order.
std::vector<std::string> frame_events(std::string_view bytes, std::size_t chunk) {
  Framer framer;
  std::vector<std::string> out;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    framer.feed(bytes.substr(at, chunk));
    for (;;) {
      auto f = framer.next();
      if (!f) {
        out.push_back("error " + std::string(errc_name(f.code())));
        continue;
      }
      if (!*f) break;
      out.push_back(std::to_string(static_cast<int>((*f)->kind)) + " " + (*f)->bytes);
    }
  }
  return out;
}

// Parses, checks that the stream framer cuts the same message byte by byte
// and that serializing and parsing again gives the same values.
Message parse_everywhere(const std::string& bytes) {
  auto m = parse_message(bytes);
  EXPECT_TRUE(Ok(m)) << bytes;
  if (!m) std::abort();
  if (m->content_length()) expect_framed_byte_by_byte(bytes);
  const std::string again = m->serialize();
  auto n = parse_message(again);
  EXPECT_TRUE(Ok(n)) << again;
  if (n) {
    EXPECT_EQ(describe(*m), describe(*n));
    EXPECT_EQ(n->serialize(), again);
  }
  return std::move(*m);
}

const std::string kInvite = wire(R"(INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport
Via: SIP/2.0/TCP proxy.example.com:5070;branch=z9hG4bK1;received=192.0.2.1;rport=5071, SIP/2.0/TLS [2001:db8::9];branch=z9hG4bK2
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: "Alice \"A\" Liddell" <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example.com>;expires=3600, "Desk, 2" <sip:alice@desk.example.com;transport=tcp>;q=0.5
Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
Record-Route: <sip:rr.example.com;lr>
Expires: 120
Subject: lunch, maybe
Content-Type: application/sdp
Content-Length: {len}
)",
                                 "v=0\r\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n");

TEST(SipMessage, Request) {
  const Message m = parse_everywhere(kInvite);
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), "INVITE");
  EXPECT_EQ(m.request_uri().user, "bob");
  EXPECT_EQ(m.version(), "SIP/2.0");
  ASSERT_EQ(m.vias().size(), 3u);
  EXPECT_EQ(m.vias()[0].transport, "UDP");
  EXPECT_EQ(m.vias()[0].host, "pc33.atlanta.example.com");
  EXPECT_EQ(m.vias()[0].branch(), "z9hG4bK776asdhds");
  EXPECT_TRUE(m.vias()[0].has_rport());
  EXPECT_FALSE(m.vias()[0].rport());
  EXPECT_EQ(m.vias()[1].port, 5070);
  EXPECT_EQ(m.vias()[1].received(), "192.0.2.1");
  EXPECT_EQ(m.vias()[1].rport(), 5071);
  EXPECT_EQ(m.vias()[2].transport, "TLS");
  EXPECT_EQ(m.vias()[2].host, "[2001:db8::9]");
  EXPECT_EQ(m.max_forwards(), 70u);
  EXPECT_EQ(m.to().display, "Bob");
  EXPECT_FALSE(m.to().tag());
  EXPECT_EQ(m.from().display, R"(Alice \"A\" Liddell)");
  EXPECT_EQ(unquote("\"" + std::string(m.from().display) + "\""), R"(Alice "A" Liddell)");
  EXPECT_EQ(unquote(R"("a\\b\"")"), R"(a\b")");
  EXPECT_EQ(unquote("token"), "token");
  EXPECT_EQ(unquote("\""), "\"");
  EXPECT_TRUE(m.from().display_quoted);
  EXPECT_EQ(m.from().tag(), "1928301774");
  EXPECT_EQ(m.from().uri.host, "atlanta.example.com");
  EXPECT_EQ(m.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(m.cseq().number, 314159u);
  EXPECT_EQ(m.cseq().method, "INVITE");
  ASSERT_EQ(m.contacts().size(), 2u);
  EXPECT_EQ(find_param(m.contacts()[0].params, "expires")->value, "3600");
  EXPECT_EQ(m.contacts()[1].display, "Desk, 2");
  EXPECT_EQ(m.contacts()[1].uri.param("transport")->value, "tcp");
  ASSERT_EQ(m.routes().size(), 2u);
  EXPECT_EQ(m.routes()[1].uri.host, "p2.example.com");
  ASSERT_EQ(m.record_routes().size(), 1u);
  EXPECT_EQ(m.expires(), 120u);
  EXPECT_EQ(m.header("subject"), "lunch, maybe");
  EXPECT_EQ(m.values("Subject").size(), 1u);
  EXPECT_EQ(m.values("v").size(), 3u);
  EXPECT_EQ(m.values("Route").size(), 2u);
  EXPECT_EQ(m.content_length(), m.body().size());
  EXPECT_EQ(m.body().substr(0, 5), "v=0\r\n");
}

TEST(SipMessage, CompactFormsAndFolding) {
  const Message m = parse_everywhere(wire(R"(MESSAGE sip:bob@example.com SIP/2.0
v: SIP/2.0/UDP host.example.com;branch=z9hG4bKc
f: <sip:alice@example.com>;tag=a
t: sip:bob@example.com
i: compact@host
CSeq: 1 MESSAGE
m: <sip:alice@host.example.com>
c: text/plain
s: folded
	subject line
k: path, gruu
o: presence
u: presence, dialog
l: {len}
)",
                                          "hello"));
  EXPECT_EQ(m.from().tag(), "a");
  EXPECT_EQ(m.to().uri.user, "bob");
  EXPECT_FALSE(m.to().angle);
  EXPECT_EQ(m.call_id(), "compact@host");
  EXPECT_EQ(m.header("Content-Type"), "text/plain");
  EXPECT_EQ(m.header("Subject"), "folded  \tsubject line");
  EXPECT_EQ(m.values("Supported"), (std::vector<std::string_view>{"path", "gruu"}));
  EXPECT_EQ(m.header("Event"), "presence");
  EXPECT_EQ(m.values("Allow-Events").size(), 2u);
  EXPECT_EQ(m.contacts().size(), 1u);
  EXPECT_EQ(m.body(), "hello");
  EXPECT_EQ(m.headers()[0].name, "Via");
  EXPECT_EQ(m.headers().back().name, "Content-Length");
}

TEST(SipMessage, Response) {
  const Message m = parse_everywhere(wire(R"(SIP/2.0 180 Ringing
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:bob@192.0.2.4>
Content-Length: 0
)"));
  EXPECT_FALSE(m.is_request());
  EXPECT_EQ(m.status(), 180);
  EXPECT_EQ(m.reason(), "Ringing");
  EXPECT_EQ(m.to().tag(), "a6c85cf");
  EXPECT_TRUE(m.body().empty());
}

TEST(SipMessage, Datagram) {
  // Without Content-Length a datagram's body is the rest (RFC 3261 18.3).
  const std::string bytes = wire(R"(MESSAGE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKd
From: <sip:alice@example.com>;tag=a
To: <sip:bob@example.com>
Call-ID: dgram
CSeq: 2 MESSAGE
)",
                                 "no length");
  const Message m = parse_everywhere(bytes);
  EXPECT_EQ(m.body(), "no length");
  EXPECT_FALSE(m.content_length());
  // Leading CRLFs are skipped (RFC 3261 7.5).
  auto n = parse_message("\r\n\r\n" + bytes);
  ASSERT_TRUE(Ok(n));
  EXPECT_EQ(n->call_id(), "dgram");
  // Contact * (REGISTER).
  auto r = parse_message(wire(R"(REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKr
From: <sip:alice@example.com>;tag=a
To: <sip:alice@example.com>
Call-ID: unreg
CSeq: 3 REGISTER
Contact: *
Expires: 0
Content-Length: 0
)"));
  ASSERT_TRUE(Ok(r));
  EXPECT_TRUE(r->contact_star());
  EXPECT_EQ(r->expires(), 0u);
}

TEST(SipMessage, Malformed) {
  const std::string head = R"(Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKm
From: <sip:a@example.com>;tag=1
To: <sip:b@example.com>
Call-ID: m1
CSeq: 1 OPTIONS
)";
  const std::string ok_line = "OPTIONS sip:b@example.com SIP/2.0\n";
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string h = head;
    h.replace(h.find(from), from.size(), to);
    return wire(ok_line + h);
  };
  struct Case {
    std::string bytes;
    Errc code;
    std::string why;
  };
  const Case cases[] = {
      {"", Errc::syntax, "empty"},
      {"OPTIONS sip:b@example.com SIP/2.0\r\n", Errc::syntax, "no empty line"},
      {wire("OPTIONS sip:b@example.com SIP/2.0\nVia: SIP/2.0/UDP h\nX: a\rb\n"), Errc::syntax, "bare CR"},
      {"OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nX: a\nb\r\n\r\n", Errc::syntax, "bare LF"},
      {replace("Call-ID: m1", "Call-ID: m\x01"), Errc::syntax, "control character"},
      {replace("Call-ID: m1\n", ""), Errc::syntax, "no Call-ID"},
      {replace("From: <sip:a@example.com>;tag=1\n", ""), Errc::syntax, "no From"},
      {replace("To: <sip:b@example.com>\n", ""), Errc::syntax, "no To"},
      {replace("CSeq: 1 OPTIONS\n", ""), Errc::syntax, "no CSeq"},
      {replace("Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKm\n", ""), Errc::syntax, "no Via"},
      {replace("Call-ID: m1", "Call-ID: m1\nCall-ID: m2"), Errc::syntax, "two Call-IDs"},
      {replace("To: <sip:b@example.com>", "To: <sip:b@example.com>\nt: <sip:c@example.com>"), Errc::syntax, "two Tos"},
      {replace("To: <sip:b@example.com>", "To: <sip:b@example.com>, <sip:c@example.com>"), Errc::syntax, "To list"},
      {replace("To: <sip:b@example.com>", "To: <sip:b@example.com"), Errc::syntax, "unclosed <"},
      {replace("To: <sip:b@example.com>", "To: <sip:b@exa mple.com>"), Errc::syntax, "bad To URI"},
      {replace("To: <sip:b@example.com>", "To: <sip:b@example.com>;"), Errc::syntax, "empty param"},
      {replace("To: <sip:b@example.com>", "To: <sip:b@example.com>;tag=\"x"), Errc::syntax, "open quote"},
      {replace("CSeq: 1 OPTIONS", "CSeq: 1OPTIONS"), Errc::syntax, "CSeq no space"},
      {replace("CSeq: 1 OPTIONS", "CSeq: 2147483648 OPTIONS"), Errc::syntax, "CSeq >= 2^31"},
      {replace("CSeq: 1 OPTIONS", "CSeq: OPTIONS"), Errc::syntax, "CSeq no number"},
      {replace("Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKm", "Via: SIP/2.0 h.example.com"), Errc::syntax,
       "Via protocol"},
      {replace("Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKm", "Via: SIP/2.0/UDPh.example.com"), Errc::syntax,
       "Via no space"},
      {replace("Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKm", "Via: SIP/2.0/UDP h.example.com:99999"), Errc::syntax,
       "Via port"},
      {replace("Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKm", "Via: SIP/2.0/UDP h.example.com;rport=x"),
       Errc::syntax, "Via rport"},
      {replace("Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKm", "Via: SIP/2.0/UDP h.example.com;received=h.x"),
       Errc::syntax, "Via received"},
      {replace("Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKm", "Via: SIP/2.0/UDP h.example.com,"), Errc::syntax,
       "empty Via value"},
      {replace("Call-ID: m1", "Call-ID: m1\nMax-Forwards: 256"), Errc::syntax, "Max-Forwards > 255"},
      {replace("Call-ID: m1", "Call-ID: m1\nExpires: soon"), Errc::syntax, "Expires"},
      {replace("Call-ID: m1", "Call-ID: m1\nContact: *, <sip:a@b.example>"), Errc::syntax, "Contact * and more"},
      {replace("Call-ID: m1", "Call-ID: m1\nRoute: sip:p.example.com"), Errc::syntax, "Route without <>"},
      {replace("Call-ID: m1", "Call-ID: m1\nBad Name: x"), Errc::syntax, "space in a header name"},
      {replace("Call-ID: m1", "Call-ID: m1\nNoColon"), Errc::syntax, "no colon"},
      {wire(" OPTIONS sip:b@example.com SIP/2.0\n" + head), Errc::syntax, "leading space"},
      {wire("OPTIONS sip:b@example.com SIP/2.0\n folded\n" + head), Errc::syntax, "folded start line"},
      {wire("OPTIONS sip:b@example.com HTTP/1.1\n" + head), Errc::syntax, "not SIP"},
      {wire("OPTIONS sip:b@example.com SIP/2\n" + head), Errc::syntax, "version"},
      {wire("OPT<IONS sip:b@example.com SIP/2.0\n" + head), Errc::syntax, "method"},
      {wire("SIP/2.0 99 Low\n" + head), Errc::syntax, "status < 100"},
      {wire("SIP/2.0 700 High\n" + head), Errc::syntax, "status > 699"},
      {wire("SIP/2.0 20 Short\n" + head), Errc::syntax, "two digits"},
      {wire("SIP/2.0\n" + head), Errc::syntax, "no code"},
  };
  EXPECT_TRUE(Ok(parse_message(wire(ok_line + head))));  // the base every case breaks
  for (const auto& c : cases) {
    EXPECT_TRUE(Fails(parse_message(c.bytes), c.code)) << c.why;
    // The stream framer sees the same whole or byte by byte.
    EXPECT_EQ(frame_events(c.bytes, 1), frame_events(c.bytes, c.bytes.size() + 1)) << c.why;
  }
}

TEST(SipMessage, Limits) {
  const std::string head = R"(OPTIONS sip:b@example.com SIP/2.0
Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKm
From: <sip:a@example.com>;tag=1
To: <sip:b@example.com>
Call-ID: m1
CSeq: 1 OPTIONS
)";
  EXPECT_TRUE(Fails(parse_message(wire(head, std::string(kMaxMessageSize, 'x'))), Errc::limit));
  std::string many = head;
  for (std::size_t i = 0; i < kMaxHeaders; ++i) many += "X-N: " + std::to_string(i) + "\n";
  EXPECT_TRUE(Fails(parse_message(wire(many)), Errc::limit));
  EXPECT_TRUE(Fails(parse_message(wire(head + "X-Long: " + std::string(kMaxHeaderLine, 'y') + "\n")), Errc::limit));
  // Folding does not get around the line limit.
  std::string folded = head + "X-Folded: a";
  for (int i = 0; i < 2000; ++i) folded += "\n abcd";
  EXPECT_TRUE(Fails(parse_message(wire(folded + "\n")), Errc::limit));
  // Just within them.
  std::string full = head;
  for (std::size_t i = 0; full.size() < 200 || i + 5 < kMaxHeaders; ++i) full += "X-N: " + std::to_string(i) + "\n";
  EXPECT_TRUE(Ok(parse_message(wire(full))));
}

TEST(SipMessage, MakeResponse) {
  auto request = parse_message(kInvite);
  ASSERT_TRUE(Ok(request));
  auto r = make_response(*request, 180, "Ringing", "ab12", {{"Contact", "<sip:bob@192.0.2.4>"}});
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->status(), 180);
  EXPECT_EQ(r->reason(), "Ringing");
  ASSERT_EQ(r->vias().size(), 3u);
  EXPECT_EQ(r->vias()[1].rport(), 5071);
  EXPECT_EQ(r->values("Via"), request->values("Via"));
  EXPECT_EQ(r->from().tag(), "1928301774");
  EXPECT_EQ(r->to().tag(), "ab12");
  EXPECT_EQ(r->to().display, "Bob");
  EXPECT_EQ(r->call_id(), request->call_id());
  EXPECT_EQ(r->cseq().number, 314159u);
  EXPECT_EQ(r->cseq().method, "INVITE");
  EXPECT_EQ(r->contacts().size(), 1u);
  EXPECT_EQ(r->content_length(), 0u);
  EXPECT_FALSE(r->header("Record-Route"));

  // A To tag already there is kept; a body gets its length.
  auto again = make_response(*request, 200, "OK", "", {}, "body");
  ASSERT_TRUE(Ok(again));
  EXPECT_FALSE(again->to().tag());
  EXPECT_EQ(again->body(), "body");
  auto tagged = parse_message(wire(R"(BYE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKb
From: <sip:a@example.com>;tag=1
To: <sip:b@example.com>;tag=2
Call-ID: bye
CSeq: 7 BYE
Content-Length: 0
)"));
  ASSERT_TRUE(Ok(tagged));
  auto ok = make_response(*tagged, 200, "OK", "other");
  ASSERT_TRUE(Ok(ok));
  EXPECT_EQ(ok->to().tag(), "2");

  EXPECT_TRUE(Fails(make_response(*r, 200, "OK", "t"), Errc::invalid));  // a response
  EXPECT_TRUE(Fails(make_response(*request, 99, "Low", "t"), Errc::invalid));
  EXPECT_TRUE(Fails(make_response(*request, 200, "OK\r\nX: y", "t"), Errc::invalid));
  EXPECT_TRUE(Fails(make_response(*request, 200, "OK", "t", {{"X", "a\r\nY: b"}}), Errc::invalid));
  EXPECT_TRUE(Fails(make_response(*request, 200, "OK", "t;x"), Errc::invalid));
}

TEST(SipMessage, ViewsSurviveMoves) {
  auto m = parse_message(kInvite);
  ASSERT_TRUE(Ok(m));
  std::vector<Message> v;
  v.push_back(std::move(*m));
  for (int i = 0; i < 20; ++i) v.push_back(parse_message(kInvite).value());
  EXPECT_EQ(v[0].call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(v[0].vias()[0].branch(), "z9hG4bK776asdhds");
}

// ---------------------------------------------------------------- RFC 4475

// The torture tests of RFC 4475 section 3.1, written from the RFC's
// descriptions under its names. Valid ones parse with the values the RFC
// points at; invalid ones fail (sipd answers 400 to a request, drops a
// response).

TEST(SipTorture, wsinv) {
  // 3.1.1.1: a short tortuous INVITE: case, whitespace around every
  // separator, folding, compact and unknown headers, escaped quotes.
  const std::string body =
      "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.4\r\n"
      "t=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n";
  const Message m = parse_everywhere(wire(R"(INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : "J Rosenberg \\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : {len}
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33
)",
                                          body));
  EXPECT_EQ(m.method(), "INVITE");
  EXPECT_TRUE(m.request_uri().param("unknownparam"));
  EXPECT_EQ(m.to().uri.user, "vivekg");
  EXPECT_EQ(m.to().tag(), "1918181833n");
  EXPECT_EQ(m.from().display, R"(J Rosenberg \\\")");
  EXPECT_EQ(m.from().tag(), "98asjd8");
  EXPECT_EQ(m.max_forwards(), 68u);
  EXPECT_EQ(m.cseq().number, 9u);
  EXPECT_EQ(m.cseq().method, "INVITE");
  ASSERT_EQ(m.vias().size(), 3u);
  EXPECT_EQ(m.vias()[0].host, "192.0.2.2");
  EXPECT_EQ(m.vias()[1].transport, "TCP");
  EXPECT_EQ(m.vias()[1].branch(), "z9hG4bK9ikj8");
  EXPECT_EQ(m.vias()[2].branch(), "z9hG4bK30239");
  EXPECT_EQ(m.header("Subject"), "");
  EXPECT_EQ(m.header("NewFangledHeader").value().substr(0, 16), "newfangled value");
  ASSERT_EQ(m.routes().size(), 1u);
  EXPECT_TRUE(m.routes()[0].uri.param("unknown-no-value"));
  ASSERT_EQ(m.contacts().size(), 1u);
  EXPECT_EQ(m.contacts()[0].display, R"(Quoted string \"\")");
  EXPECT_EQ(find_param(m.contacts()[0].params, "newparam")->value, "newvalue");
  EXPECT_EQ(find_param(m.contacts()[0].params, "q")->value, "0.33");
  EXPECT_EQ(m.body(), body);
}

TEST(SipTorture, intmeth) {
  // 3.1.1.2: the widest range of valid characters: an extension method
  // of every token character, a Request-URI with every character a user
  // and password may hold, a Call-ID of word characters, control
  // characters escaped in a display name.
  const std::string method = "!interesting-Method0123456789_*+`.%indeed'~";
  const std::string user = "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*";
  // The display name holds BEL, NUL and DEL, each escaped (quoted-pair);
  // the From parameter a quoted UTF-8 value; an extension header a UTF-8
  // value with a byte order mark.
  const std::string to_display = "\"BEL:\\\x07 NUL:\\" + std::string(1, '\0') + " DEL:\\\x7f\"";
  const std::string from_param = "fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\"";
  const std::string extension_value = "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb";
  std::string head = method + " sip:" + user + ":&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\n";
  head += "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\n";
  head += "To: " + to_display + " <sip:" + user + "@example.com>\n";
  head += "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;" + from_param + ";tag=_token~1'+`*%!-.\n";
  head += "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n";
  head += "CSeq: 139122385 " + method + "\n";
  head += "Max-Forwards: 255\n";
  head += "extensionHeader-!.%*+_`'~:" + extension_value + "\n";
  head += "Content-Length: 0\n";
  const Message m = parse_everywhere(wire(head));
  EXPECT_EQ(m.method(), method);
  EXPECT_EQ(m.request_uri().user, user);
  EXPECT_EQ(m.request_uri().password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m.cseq().method, method);
  EXPECT_EQ(m.to().uri.user, user);
  EXPECT_EQ(m.from().display, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m.from().tag(), "_token~1'+`*%!-.");
  EXPECT_EQ(m.call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  EXPECT_EQ(m.vias()[0].branch(), "z9hG4bK-.!%66*_+`'~");
  EXPECT_EQ(m.max_forwards(), 255u);
  EXPECT_TRUE(m.header("extensionHeader-!.%*+_`'~"));
}

TEST(SipTorture, esc01) {
  // 3.1.1.3: escapes in the Request-URI, To, From and Contact, an escaped
  // '%' among them; the URIs compare equal to their unescaped forms.
  const Message m = parse_everywhere(wire(R"(INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0
To: sip:%75se%72@example.com
From: <sip:I%20have%20spaces@example.net>;tag=938
Max-Forwards: 87
i: esc01.239409asdfakjkn23onasd0-3234
CSeq: 234234 INVITE
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw
C: application/sdp
Contact:
  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
Content-Length: {len}
)",
                                          "v=0\r\n"));
  EXPECT_EQ(m.request_uri().user, "sips:user@example.com");
  EXPECT_EQ(m.request_uri().host, "example.net");
  EXPECT_EQ(m.to().uri.user, "user");
  EXPECT_EQ(m.from().uri.user, "I have spaces");
  ASSERT_EQ(m.contacts().size(), 1u);
  const Uri& c = m.contacts()[0].uri;
  EXPECT_EQ(c.user, "caller");
  EXPECT_TRUE(c.param("lr"));
  EXPECT_EQ(c.param("name")->value, "value%41");
  EXPECT_TRUE(equivalent(c, parse_uri("sip:caller@host5.example.net;lr;name=value%2541").value()));
}

TEST(SipTorture, escnull) {
  // 3.1.1.4: an escaped NUL in user parts.
  const Message m = parse_everywhere(wire(R"(REGISTER sip:example.com SIP/2.0
To: sip:null-%00-null@example.com
From: sip:null-%00-null@example.com;tag=839923423
Max-Forwards: 70
Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
Contact: <sip:%00@host5.example.com>
Contact: <sip:%00%00@host5.example.com>
L:0
)"));
  EXPECT_EQ(m.to().uri.user, std::string("null-\0-null", 11));
  ASSERT_EQ(m.contacts().size(), 2u);
  EXPECT_EQ(m.contacts()[1].uri.user, std::string(2, '\0'));
  EXPECT_EQ(m.from().tag(), "839923423");
}

TEST(SipTorture, esc02) {
  // 3.1.1.5: '%' where it is no escape: in a method, a display name and a
  // header name (a header unknown to this parser, not a Contact).
  const Message m = parse_everywhere(wire(R"(RE%47IST%45R sip:registrar.example.com SIP/2.0
To: "%Z%45" <sip:resource@example.com>
From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23
Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf
Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234
CSeq: 29344 RE%47IST%45R
Max-Forwards: 70
Contact: <sip:alias1@host1.example.com>
C%6Fntact: <sip:alias2@host2.example.com>
Contact: <sip:alias3@host3.example.com>
l: 0
)"));
  EXPECT_EQ(m.method(), "RE%47IST%45R");
  EXPECT_EQ(m.to().display, "%Z%45");
  EXPECT_EQ(m.contacts().size(), 2u);
  EXPECT_EQ(m.header("C%6Fntact"), "<sip:alias2@host2.example.com>");
}

TEST(SipTorture, lwsdisp) {
  // 3.1.1.6: no LWS between an unquoted display name and '<'.
  const Message m = parse_everywhere(wire(R"(OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: 0
)"));
  EXPECT_EQ(m.from().display, "caller");
  EXPECT_EQ(m.from().uri.user, "caller");
  EXPECT_EQ(m.from().tag(), "323");
}

TEST(SipTorture, longreq) {
  // 3.1.1.7: long values everywhere: a long display name and tags, many
  // Vias, a long unknown header, a long Call-ID.
  std::string very;
  for (int i = 0; i < 120; ++i) very += "very";
  std::string head =
      "INVITE sip:user@example.com SIP/2.0\n"
      "To: \"I have a user name of " +
      very + " long length\" <sip:" + very +
      "longusername@example.com>\n"
      "From: sip:amazinglylongcallername@example.net;tag=12" +
      std::string(300, '9') +
      "\n"
      "Call-ID: longreq.onereallyreallyreallyreallylongcallid" +
      std::string(900, 'k') +
      "\n"
      "CSeq: 3882340 INVITE\nMax-Forwards: 70\n"
      "x-longheader: " +
      std::string(4000, 'x') + "\n";
  for (int i = 0; i < 40; ++i) {
    head += "Via: SIP/2.0/TCP sip" + std::to_string(i) + ".example.com;branch=z9hG4bK" + std::to_string(i) +
            very.substr(0, 100) + "\n";
  }
  head += "Contact: <sip:amazinglylongcallername@host5.example.net>\nContent-Length: {len}\n";
  const Message m = parse_everywhere(wire(head, "v=0\r\n"));
  EXPECT_EQ(m.vias().size(), 40u);
  EXPECT_EQ(m.vias()[39].host, "sip39.example.com");
  EXPECT_EQ(m.to().uri.user, very + "longusername");
  EXPECT_EQ(m.header("X-LongHeader")->size(), 4000u);
  EXPECT_EQ(m.from().tag()->size(), 302u);
}

TEST(SipTorture, dblreq) {
  // 3.1.1.8: extra octets after Content-Length in a datagram are dropped.
  const std::string bytes = wire(R"(REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=43251j3j324
Max-Forwards: 8
I: dblreq.0ha0isndaksdj99sdfafnl3lk233412
Contact: sip:j.user@host.example.com
CSeq: 8 REGISTER
Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492
Content-Length: 0
)") + wire(R"(INVITE sip:joe@example.com SIP/2.0
t: sip:joe@example.com
From: sip:caller@example.net;tag=141334
Max-Forwards: 8
Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234
Content-Length: 0
)");
  auto m = parse_message(bytes);
  ASSERT_TRUE(Ok(m));
  EXPECT_EQ(m->method(), "REGISTER");
  EXPECT_TRUE(m->body().empty());
  // On a stream they are two messages.
  Framer framer;
  framer.feed(bytes);
  auto first = framer.next();
  auto second = framer.next();
  ASSERT_TRUE(Ok(first) && Ok(second));
  ASSERT_TRUE(first->has_value() && second->has_value());
  EXPECT_EQ(parse_message((*second)->bytes).value().method(), "INVITE");
}

TEST(SipTorture, semiuri) {
  // 3.1.1.9: a ';' in a user part is not a parameter.
  const Message m = parse_everywhere(wire(R"(OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0
)"));
  EXPECT_EQ(m.request_uri().user, "user;par=u@example.net");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_TRUE(m.request_uri().params.empty());
  EXPECT_EQ(m.values("Accept").size(), 6u);
}

TEST(SipTorture, transports) {
  // 3.1.1.10: Vias with every transport, known or not.
  const Message m = parse_everywhere(wire(R"(OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: <sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID:  transports.kijh4akdnaqjkwendsasfdj
Accept: application/sdp
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw
Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj
Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee
l: 0
)"));
  ASSERT_EQ(m.vias().size(), 5u);
  EXPECT_EQ(m.vias()[1].transport, "SCTP");
  EXPECT_EQ(m.vias()[3].transport, "UNKNOWN");
  EXPECT_EQ(m.call_id(), "transports.kijh4akdnaqjkwendsasfdj");
}

TEST(SipTorture, unreasonAndNoreason) {
  // 3.1.1.12 and 3.1.1.13: a reason phrase of UTF-8, and none at all.
  const std::string tail = R"(Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Call-ID: unreason.1234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: 0
)";
  const std::string reason =
      "= 2**3 * 5**2 \xd0\xbd\xd0\xbe \xd1\x81\xd1\x82\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f"
      "\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd1\x82\xd1\x8c";
  Message m = parse_everywhere(wire("SIP/2.0 200 " + reason + "\n" + tail));
  EXPECT_EQ(m.status(), 200);
  EXPECT_EQ(m.reason(), reason);
  m = parse_everywhere(wire("SIP/2.0 100 \n" + tail));
  EXPECT_EQ(m.status(), 100);
  EXPECT_EQ(m.reason(), "");
}

TEST(SipTorture, SchemesAndVersions) {
  // unksm and unksm2: unknown schemes parse (sipd answers 416 to a
  // Request-URI it cannot serve); badvers: a version other than 2.0 parses
  // (sipd answers 505).
  const std::string tail = R"(To: isbn:2983792873
From: <sip:user@example.com>;tag=345
Max-Forwards: 70
Call-ID: unksm.9s8dfd9s7d98
CSeq: 3923239 OPTIONS
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0
)";
  Message m = parse_everywhere(wire("OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\n" + tail));
  EXPECT_EQ(m.request_uri().scheme, Scheme::other);
  EXPECT_EQ(m.to().uri.scheme_name, "isbn");
  m = parse_everywhere(wire("OPTIONS sip:t.watson@example.org SIP/7.0\n" + tail));
  EXPECT_EQ(m.version(), "SIP/7.0");
}

TEST(SipTorture, Invalid) {
  const std::string rest = R"(Max-Forwards: 70
Call-ID: invalid.ks43n3
CSeq: 1 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw
)";
  const std::string to_from = "To: sip:j.user@example.com\nFrom: sip:caller@example.net;tag=134161461246\n";
  const std::string invite = "INVITE sip:user@example.com SIP/2.0\n";
  struct Case {
    std::string name;  // RFC 4475's
    std::string bytes;
  };
  const Case cases[] = {
      {"badinv01 (extraneous separators)",
       wire(invite + to_from +
            "Max-Forwards: 70\nCall-ID: badinv01.0ha0isndaksdjasdf3234nas\nCSeq: 8 INVITE\n"
            "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\nContact: \"Joe\" <sip:joe@example.org>;;;;\n"
            "l: 0\n")},
      {"clerr (Content-Length larger than the message)",
       wire(invite + to_from + rest + "Content-Length: 9999\n", "v=0\r\n")},
      {"ncl (negative Content-Length)", wire(invite + to_from + rest + "Content-Length: -999\n", "v=0\r\n")},
      {"scalar02 (CSeq too large)", wire(invite + to_from +
                                         "Max-Forwards: 70\nCall-ID: s\nCSeq: 36893488147419103232 INVITE\n"
                                         "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw\nl: 0\n")},
      {"scalar02 (Max-Forwards too large)",
       wire(invite + to_from + "Max-Forwards: 300\n" + rest.substr(17) + "l: 0\n")},
      {"scalar02 (Expires too large)",
       wire(invite + to_from + rest + "Expires: 1" + std::string(30, '0') + "\nl: 0\n")},
      {"scalar02 (Contact expires too large)",
       wire(invite + to_from + rest + "Contact: <sip:user@host129.example.com>;expires=280297596632815\nl: 0\n")},
      {"scalarlg (response CSeq too large)",
       wire("SIP/2.0 503 Service Unavailable\n" + to_from +
            "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r\nCSeq: 36893488147419103232 INVITE\n"
            "Via: SIP/2.0/TCP 192.0.2.15;branch=z9hG4bKkdjuw\nl: 0\n")},
      {"quotbal (unbalanced quotes)",
       wire(invite + "To: \"Mr. J. User <sip:j.user@example.com>\nFrom: sip:caller@example.net;tag=93334\n" + rest +
            "l: 0\n")},
      {"ltgtruri (<> around the Request-URI)",
       wire("INVITE <sip:user@example.com> SIP/2.0\n" + to_from + rest + "l: 0\n")},
      {"lwsruri (LWS in the Request-URI)",
       wire("INVITE sip:user@example.com; lr SIP/2.0\n" + to_from + rest + "l: 0\n")},
      {"lwsstart (several SP in the request line)",
       wire("INVITE  sip:user@example.com  SIP/2.0\n" + to_from + rest + "l: 0\n")},
      {"trws (trailing whitespace in the request line)",
       wire(
           "OPTIONS sip:remote-target@example.com SIP/2.0  \n" + to_from +
           "Max-Forwards: 70\nCall-ID: trws\nCSeq: 1 OPTIONS\nVia: SIP/2.0/TCP h.example.com;branch=z9hG4bKx\nl: 0\n")},
      {"escruri (escaped headers in the Request-URI)",
       wire("INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0\n" + to_from + rest + "l: 0\n")},
      {"baddn (unquoted display name with a comma)",
       wire(invite + "To: sip:user@example.com\nFrom: Bell, Alexander <sip:a.g.bell@bell-tel.com>;tag=43\n" + rest +
            "l: 0\n")},
      {"regbadct (a URI with '?' as addr-spec)",
       wire("REGISTER sip:example.com SIP/2.0\n" + to_from +
            "Max-Forwards: 70\nCall-ID: regbadct\nCSeq: 1 REGISTER\nVia: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKx\n"
            "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E\nl: 0\n")},
      {"mismatch01 (CSeq method differs)", wire("OPTIONS sip:user@example.com SIP/2.0\n" + to_from + rest + "l: 0\n")},
      {"bigcode (response code too large)",
       wire("SIP/2.0 4294967301 better not break the receiver\n" + to_from +
            "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i\nCSeq: 353494 INVITE\n"
            "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\nl: 0\n")},
      {"insuf (From, To and Call-ID missing)",
       wire(invite +
            "Max-Forwards: 70\nCSeq: 193942 INVITE\nVia: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\nl: 0\n")},
      {"mcl01 (two Content-Lengths)", wire(invite + to_from + rest + "Content-Length: 0\nl: 4\n", "abcd")},
      {"multi01 (two To headers)", wire(invite + to_from + "To: sip:other@example.com\n" + rest + "l: 0\n")},
  };
  for (const auto& c : cases) {
    auto m = parse_message(c.bytes);
    EXPECT_TRUE(Fails(m, Errc::syntax)) << c.name;
    // On a stream, byte by byte or whole, the framer passes the same
    // frames (for the parser to refuse) or errors of its own.
    const auto events = frame_events(c.bytes, 1);
    EXPECT_EQ(events, frame_events(c.bytes, c.bytes.size() + 1)) << c.name;
    Framer framer;
    framer.feed(c.bytes);
    auto f = framer.next();
    if (f && *f) {
      EXPECT_FALSE(parse_message((*f)->bytes).ok()) << c.name;
    }
  }
}

// ---------------------------------------------------------------- framer

TEST(SipFramer, KeepAlivesAndChunks) {
  const std::string response = wire(R"(SIP/2.0 200 OK
Via: SIP/2.0/TCP h.example.com;branch=z9hG4bKf
From: <sip:a@example.com>;tag=1
To: <sip:b@example.com>;tag=2
Call-ID: f
CSeq: 1 OPTIONS
l: {len}
)",
                                    "ab");
  const std::string stream = "\r\n\r\n" + kInvite + "\r\n" + response + "\r\n\r\n" + kInvite;
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{100}, stream.size()}) {
    Framer framer;
    std::vector<Frame> frames;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      framer.feed(std::string_view(stream).substr(at, chunk));
      for (;;) {
        auto f = framer.next();
        ASSERT_TRUE(Ok(f));
        if (!*f) break;
        frames.push_back(std::move(**f));
      }
    }
    ASSERT_EQ(frames.size(), 6u) << chunk;
    EXPECT_EQ(frames[0].kind, Frame::Kind::ping);
    EXPECT_EQ(frames[1].bytes, kInvite);
    EXPECT_EQ(frames[2].kind, Frame::Kind::pong);
    EXPECT_EQ(frames[3].bytes, response);
    EXPECT_EQ(frames[4].kind, Frame::Kind::ping);
    EXPECT_EQ(frames[5].bytes, kInvite);
    EXPECT_EQ(framer.buffered(), 0u);
  }
}

TEST(SipFramer, Errors) {
  const std::string no_length = wire(R"(OPTIONS sip:b@example.com SIP/2.0
Via: SIP/2.0/TCP h.example.com;branch=z9hG4bKf
Call-ID: f
)");
  Framer framer;
  framer.feed(no_length);
  EXPECT_TRUE(Fails(framer.next(), Errc::syntax));
  EXPECT_TRUE(framer.broken());
  framer.feed(kInvite);
  auto after = framer.next();
  ASSERT_TRUE(Ok(after));
  EXPECT_FALSE(after->has_value());

  for (std::string_view bad :
       {"Content-Length: -1\n", "Content-Length: 1 2\n", "Content-Length: x\n", "Content-Length: 1\nl: 1\n"}) {
    Framer f;
    f.feed(wire("OPTIONS sip:b@example.com SIP/2.0\n" + std::string(bad)));
    EXPECT_TRUE(Fails(f.next(), Errc::syntax)) << bad;
  }
  Framer cr;
  cr.feed("\r\r");
  EXPECT_TRUE(Fails(cr.next(), Errc::syntax));

  // A body over the limit is reported once and skipped; the stream goes on.
  const std::size_t limit = 2000;
  const std::string big =
      wire("MESSAGE sip:b@example.com SIP/2.0\nContent-Length: {len}\n", std::string(limit + kInvite.size() - 20, 'z'));
  const std::string stream = big + kInvite;
  for (std::size_t chunk : {std::size_t{1}, std::size_t{999}, stream.size()}) {
    Framer f(limit + kInvite.size());
    int limits = 0;
    std::vector<std::string> messages;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      f.feed(std::string_view(stream).substr(at, chunk));
      for (;;) {
        auto r = f.next();
        if (!r) {
          EXPECT_EQ(r.code(), Errc::limit);
          ++limits;
          continue;
        }
        if (!*r) break;
        messages.push_back((*r)->bytes);
      }
    }
    EXPECT_EQ(limits, 1) << chunk;
    ASSERT_EQ(messages.size(), 1u) << chunk;
    EXPECT_EQ(messages[0], kInvite);
    EXPECT_FALSE(f.broken());
  }

  // A body far over the limit (or a Content-Length of 30 digits) breaks
  // the stream.
  for (std::string_view length : {"5000", "100000000000000000000000000000"}) {
    Framer f(1000);
    f.feed(wire("MESSAGE sip:b@example.com SIP/2.0\nContent-Length: " + std::string(length) + "\n"));
    EXPECT_TRUE(Fails(f.next(), Errc::limit)) << length;
    EXPECT_TRUE(f.broken()) << length;
  }

  // Headers over the limit: reported once, then the stream is broken.
  Framer small(100);
  small.feed(std::string(60, 'A'));
  auto r = small.next();
  ASSERT_TRUE(Ok(r));
  EXPECT_FALSE(r->has_value());
  small.feed(std::string(60, 'A'));
  EXPECT_TRUE(Fails(small.next(), Errc::limit));
  auto later = small.next();
  ASSERT_TRUE(Ok(later));
  EXPECT_FALSE(later->has_value());
  EXPECT_EQ(small.buffered(), 0u);
}

}  // namespace
}  // namespace parley::sip
