// The relay (procs/media/relay.h) with real UDP sockets on loopback: two
// parties and a stranger send to the relay's ports and read what arrives.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/ip/udp.hpp>

#include "procs/media/relay.h"

namespace parley::media {
namespace {

using asio::ip::udp;
using namespace std::chrono_literals;

const auto kLoopback = asio::ip::make_address("127.0.0.1");

// A party: a bound socket that reads with a deadline while the relay runs.
struct Party {
  explicit Party(asio::io_context& io) : socket(io, udp::endpoint(kLoopback, 0)) { socket.non_blocking(true); }
  std::uint16_t port() const { return socket.local_endpoint().port(); }
  void send(std::uint16_t to, const std::string& bytes) { socket.send_to(asio::buffer(bytes), udp::endpoint(kLoopback, to)); }
  udp::socket socket;
};

// A 12-octet RTP header (version 2, payload type 0) and a payload.
std::string rtp(std::string payload, unsigned char type = 0) {
  std::string p = {'\x80', static_cast<char>(type), 0, 1, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44};
  return p + payload;
}
// An RTCP receiver report header (8 octets).
std::string rtcp(std::string tail = {}) { return std::string{'\x80', '\xc9', 0, 1, 0x11, 0x22, 0x33, 0x44} + tail; }

class RelayTest : public ::testing::Test {
 protected:
  RelayTest() {
    // A range of its own for each test, away from the ephemeral ports.
    std::random_device seed;
    const auto base = static_cast<std::uint16_t>(20000 + 2 * (seed() % 4000));
    settings.address = kLoopback;
    settings.advertised = "192.0.2.10";
    settings.port_min = base;
    settings.port_max = static_cast<std::uint16_t>(base + 63);
    settings.max_calls = 4;
    settings.max_streams = 2;
    settings.timeout = 60s;
    settings.setup_timeout = 600s;
  }

  Relay& relay() {
    if (!relay_) relay_.emplace(io, settings, [this] { return now; });
    return *relay_;
  }

  schema::RelayUpdateReply update(schema::RelaySide side, std::uint16_t port, bool mux = false,
                                  const std::string& call = "call-1", const std::string& address = "127.0.0.1") {
    schema::RelayUpdate u;
    u.set_call(call);
    u.set_side(side);
    auto* s = u.add_streams();
    s->set_address(address);
    s->set_rtp_port(port);
    s->set_rtcp_mux(mux);
    auto reply = relay().update(u);
    EXPECT_TRUE(reply) << reply.error().detail;
    return reply ? reply.value() : schema::RelayUpdateReply{};
  }

  // What `party` receives within a second (the relay runs meanwhile), and from which port.
  std::optional<std::pair<std::string, std::uint16_t>> receive(Party& party, std::chrono::milliseconds wait = 1000ms) {
    const auto until = std::chrono::steady_clock::now() + wait;
    std::string buf(2048, '\0');
    while (std::chrono::steady_clock::now() < until) {
      io.run_for(5ms);
      udp::endpoint from;
      boost::system::error_code ec;
      const auto n = party.socket.receive_from(asio::buffer(buf), from, 0, ec);
      if (!ec) return std::make_pair(buf.substr(0, n), from.port());
    }
    return std::nullopt;
  }

  asio::io_context io;
  RelaySettings settings;
  Relay::Clock::time_point now = Relay::Clock::now();
  std::optional<Relay> relay_;
};

TEST_F(RelayTest, RelaysBothWaysFromThePortsEachSideSendsTo) {
  Party caller(io), callee(io);
  auto offer = update(schema::RELAY_SIDE_CALLER, caller.port());
  auto answer = update(schema::RELAY_SIDE_CALLEE, callee.port());
  EXPECT_EQ(offer.address(), "192.0.2.10");
  ASSERT_EQ(offer.streams_size(), 1);
  ASSERT_EQ(answer.streams_size(), 1);
  const auto to_caller_side = static_cast<std::uint16_t>(answer.streams(0).rtp_port());  // the caller sends here
  const auto to_callee_side = static_cast<std::uint16_t>(offer.streams(0).rtp_port());   // the callee sends here
  EXPECT_EQ(to_caller_side % 2, 0);
  EXPECT_EQ(answer.streams(0).rtcp_port(), to_caller_side + 1u);
  EXPECT_NE(to_caller_side, to_callee_side);

  caller.send(to_caller_side, rtp("hello"));
  auto got = receive(callee);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, rtp("hello"));
  EXPECT_EQ(got->second, to_callee_side) << "sent from the port the callee sends to (symmetric RTP)";

  callee.send(to_callee_side, rtp("back"));
  got = receive(caller);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, rtp("back"));
  EXPECT_EQ(got->second, to_caller_side);
  EXPECT_EQ(relay().relayed(), 2u);
}

TEST_F(RelayTest, LatchesToWhereASideReallySendsFrom) {
  Party caller(io), callee(io);
  // The caller's SDP names a port nobody reads (a private address behind NAT).
  Party elsewhere(io);
  auto offer = update(schema::RELAY_SIDE_CALLER, elsewhere.port());
  auto answer = update(schema::RELAY_SIDE_CALLEE, callee.port());
  const auto caller_sends_to = static_cast<std::uint16_t>(answer.streams(0).rtp_port());
  const auto callee_sends_to = static_cast<std::uint16_t>(offer.streams(0).rtp_port());
  // Before the caller sends, its media goes where its SDP said.
  callee.send(callee_sends_to, rtp("early"));
  ASSERT_TRUE(receive(elsewhere));
  caller.send(caller_sends_to, rtp("from behind nat"));
  ASSERT_TRUE(receive(callee));
  callee.send(callee_sends_to, rtp("latched"));
  auto got = receive(caller);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, rtp("latched"));
  EXPECT_FALSE(receive(elsewhere, 100ms));
  // parleyctl media calls shows where the caller's packets come from.
  auto calls = relay().list();
  ASSERT_EQ(calls.calls_size(), 1);
  EXPECT_EQ(calls.calls(0).caller(0), "127.0.0.1:" + std::to_string(caller.port()));
}

TEST_F(RelayTest, PacketsFromAnotherSourceAfterLatchingAreDroppedAndCounted) {
  Party caller(io), callee(io), stranger(io);
  auto offer = update(schema::RELAY_SIDE_CALLER, caller.port());
  auto answer = update(schema::RELAY_SIDE_CALLEE, callee.port());
  const auto caller_sends_to = static_cast<std::uint16_t>(answer.streams(0).rtp_port());
  caller.send(caller_sends_to, rtp("one"));
  ASSERT_TRUE(receive(callee));
  stranger.send(caller_sends_to, rtp("injected"));
  EXPECT_FALSE(receive(callee, 200ms));
  EXPECT_EQ(relay().dropped(Drop::unexpected_source), 1u);
  // A new SDP from the caller (a re-INVITE from a new address) latches again.
  update(schema::RELAY_SIDE_CALLER, stranger.port());
  stranger.send(caller_sends_to, rtp("moved"));
  auto got = receive(callee);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, rtp("moved"));
  (void)offer;
}

TEST_F(RelayTest, MalformedAndOversizedDatagramsAreDroppedAndTheRelayGoesOn) {
  Party caller(io), callee(io);
  update(schema::RELAY_SIDE_CALLER, caller.port());
  auto answer = update(schema::RELAY_SIDE_CALLEE, callee.port());
  const auto to = static_cast<std::uint16_t>(answer.streams(0).rtp_port());
  caller.send(to, std::string("\x40\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00", 12));  // first octet 64: not media
  caller.send(to, std::string("\x80\x00\x00", 3));                                       // truncated
  caller.send(to, rtp(std::string(2000, 'x')));                                          // too long
  caller.send(to, std::string(1, '\x17'));                                                // a one-octet "DTLS" record
  EXPECT_FALSE(receive(callee, 300ms));
  EXPECT_EQ(relay().dropped(Drop::malformed), 4u);
  // DTLS (DTLS-SRTP's handshake) and ZRTP pass untouched, as does RTP.
  const std::string dtls = std::string("\x16\xfe\xfd", 3) + std::string(20, '\x01');
  caller.send(to, dtls);
  auto got = receive(callee);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, dtls);
  const std::string zrtp = std::string("\x10\x00\x00\x01ZRTP", 8) + std::string(8, '\x02');  // RFC 6189 5
  caller.send(to, zrtp);
  got = receive(callee);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, zrtp);
  caller.send(to, rtp("fine"));
  got = receive(callee);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, rtp("fine"));
}

TEST_F(RelayTest, RtcpGoesBesideRtpOrOnTheRtpPortWithMux) {
  Party caller(io), caller_rtcp(io), callee(io);
  // The caller's RTCP port is given explicitly (a=rtcp): its own socket.
  schema::RelayUpdate u;
  u.set_call("call-1");
  u.set_side(schema::RELAY_SIDE_CALLER);
  auto* s = u.add_streams();
  s->set_address("127.0.0.1");
  s->set_rtp_port(caller.port());
  s->set_rtcp_port(caller_rtcp.port());
  auto offer = relay().update(u);
  ASSERT_TRUE(offer);
  auto answer = update(schema::RELAY_SIDE_CALLEE, callee.port(), /*mux=*/true);
  // The callee multiplexes: its RTCP, sent to the RTP port, reaches the caller's RTCP port.
  callee.send(static_cast<std::uint16_t>(offer->streams(0).rtp_port()), rtcp("rr"));
  auto got = receive(caller_rtcp);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, rtcp("rr"));
  EXPECT_EQ(got->second, answer.streams(0).rtcp_port());
  // The caller's RTCP, on the RTCP port, reaches the callee's RTP port (mux).
  caller_rtcp.send(static_cast<std::uint16_t>(answer.streams(0).rtcp_port()), rtcp("sr"));
  got = receive(callee);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, rtcp("sr"));
  EXPECT_EQ(got->second, offer->streams(0).rtp_port());
}

TEST_F(RelayTest, NothingGoesToASideWhoseSdpHasNotCome) {
  Party caller(io);
  auto offer = update(schema::RELAY_SIDE_CALLER, caller.port());
  // The caller's ports facing it are only known from the answer; the
  // callee's side is not known yet: its facing port gets nowhere.
  Party callee(io);
  callee.send(static_cast<std::uint16_t>(offer.streams(0).rtp_port()), rtp("too early"));
  EXPECT_TRUE(receive(caller));  // the caller's SDP is known: the callee's early media reaches it
  auto answer = update(schema::RELAY_SIDE_CALLEE, 9, false, "call-1", "0.0.0.0");  // held: no address
  caller.send(static_cast<std::uint16_t>(answer.streams(0).rtp_port()), rtp("to nobody"));
  io.run_for(100ms);
  EXPECT_EQ(relay().dropped(Drop::no_destination), 1u);
}

TEST_F(RelayTest, AnAnsweredCallWithoutMediaEndsAndItsPortsAreFreed) {
  Party caller(io), callee(io);
  update(schema::RELAY_SIDE_CALLER, caller.port());
  update(schema::RELAY_SIDE_CALLEE, callee.port());
  update(schema::RELAY_SIDE_CALLER, caller.port(), false, "call-2");  // never answered
  EXPECT_EQ(relay().list().ports_in_use(), 8u);  // two calls, one stream, two sides, RTP and RTCP
  now += 59s;
  EXPECT_TRUE(relay().expire().empty());
  now += 2s;
  auto ended = relay().expire();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].call, "call-1");
  EXPECT_EQ(ended[0].reason, "media timeout");
  now += 600s;
  ended = relay().expire();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].reason, "never answered");
  EXPECT_EQ(relay().calls(), 0u);
  EXPECT_EQ(relay().list().ports_in_use(), 0u);
}

TEST_F(RelayTest, ReleaseFreesPortsAndIsIdempotent) {
  Party caller(io), callee(io);
  update(schema::RELAY_SIDE_CALLER, caller.port());
  auto answer = update(schema::RELAY_SIDE_CALLEE, callee.port());
  caller.send(static_cast<std::uint16_t>(answer.streams(0).rtp_port()), rtp("x"));
  ASSERT_TRUE(receive(callee));
  auto stats = relay().release("call-1");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->packets(), 1u);
  EXPECT_EQ(stats->bytes(), rtp("x").size());
  EXPECT_FALSE(relay().release("call-1"));
  EXPECT_EQ(relay().list().ports_in_use(), 0u);
  // The port is closed: nothing is relayed any more.
  caller.send(static_cast<std::uint16_t>(answer.streams(0).rtp_port()), rtp("y"));
  EXPECT_FALSE(receive(callee, 200ms));
}

TEST_F(RelayTest, RequestsOutsideTheLimitsAreRefused) {
  schema::RelayUpdate u;
  u.set_side(schema::RELAY_SIDE_CALLER);
  u.add_streams()->set_rtp_port(4000);
  EXPECT_EQ(relay().update(u).code(), Errc::invalid) << "no call key";
  u.set_call(std::string(Relay::kMaxCallKey + 1, 'c'));
  EXPECT_EQ(relay().update(u).code(), Errc::invalid) << "call key too long";
  u.set_call("c");
  u.set_side(schema::RELAY_SIDE_UNSPECIFIED);
  EXPECT_EQ(relay().update(u).code(), Errc::invalid) << "no side";
  u.set_side(schema::RELAY_SIDE_CALLEE);
  u.add_streams();
  u.add_streams();
  EXPECT_EQ(relay().update(u).code(), Errc::invalid) << "more streams than media.max_streams";
  // A host name or junk for an address is left to latching, not refused.
  schema::RelayUpdate named;
  named.set_call("named");
  named.set_side(schema::RELAY_SIDE_CALLER);
  named.add_streams()->set_address("phone.example.test\xff");
  named.mutable_streams(0)->set_rtp_port(4000);
  EXPECT_TRUE(relay().update(named));
  for (int i = 0; i < 3; ++i) update(schema::RELAY_SIDE_CALLER, 4000, false, "more-" + std::to_string(i));
  named.set_call("one too many");
  EXPECT_EQ(relay().update(named).code(), Errc::limit) << "media.max_calls";
}

TEST_F(RelayTest, ARangeThatRunsOutRefusesTheCallAndLeaksNothing) {
  settings.port_max = static_cast<std::uint16_t>(settings.port_min + 5);  // three pairs: one stream and a half
  update(schema::RELAY_SIDE_CALLER, 4000, false, "first");
  schema::RelayUpdate second;
  second.set_call("second");
  second.set_side(schema::RELAY_SIDE_CALLER);
  second.add_streams()->set_rtp_port(4000);
  EXPECT_EQ(relay().update(second).code(), Errc::limit);
  EXPECT_EQ(relay().calls(), 1u);
  EXPECT_EQ(relay().list().ports_in_use(), 4u);
  relay().release("first");
  EXPECT_TRUE(relay().update(second)) << "the ports came back";
}

}  // namespace
}  // namespace parley::media
