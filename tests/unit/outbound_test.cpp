// parley::dequeuer::Outbound against a scripted SMTP server written here
// (loopback TCP, port chosen by the kernel, the same io_context): connection
// reuse (RSET between transactions, idle expiry, a server hanging up, the
// per-target limit, close_idle), per-recipient outcomes with and without
// PIPELINING, dot-stuffing, and a 421 greeting. One test that needs two
// hosts gets them from a tiny DNS responder (A records on 127.0.0.1 and
// 127.0.0.2). No sleeps: waits are Asio timers; each test runs the
// io_context until its scenario finishes.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read_until.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.h"
#include "procs/dequeuer/outbound.h"
#include "dns/resolver.h"
#include "tests/support/run.h"

namespace parley::dequeuer {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

constexpr auto kWatchdog = 20s;  // a hang becomes a failure, not a stuck ctest

// What the server says. Replies are whole lines without CRLF.
struct Script {
  std::string greeting = "220 mx.test ESMTP";
  bool pipelining = true;
  std::map<std::string, std::string> rcpt;  // address -> reply; others "250 2.1.5 Ok"
  bool hang_up_after_data = false;          // close right after the reply to the message
};

struct Line {
  int connection;  // 1, 2, ... in accept order
  bool text;       // message text (between 354 and the final ".")
  std::string line;
};

class SmtpServer {
 public:
  SmtpServer(asio::io_context& io, Script script, const std::string& address = "127.0.0.1", std::uint16_t port = 0)
      : script_(std::move(script)), acceptor_(io) {
    tcp::endpoint at(asio::ip::make_address(address), port);
    acceptor_.open(at.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen();
    asio::co_spawn(io, accept_loop(), asio::detached);
  }
  ~SmtpServer() {
    error_code ec;
    acceptor_.close(ec);
    for (auto& s : sockets_) s->close(ec);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string relay() const { return "127.0.0.1:" + std::to_string(port()); }
  int connections() const { return connections_; }

  // The commands connection `n` sent (message text left out).
  std::vector<std::string> commands(int n) const {
    std::vector<std::string> out;
    for (const auto& l : lines_) {
      if (l.connection == n && !l.text) out.push_back(l.line);
    }
    return out;
  }
  // The message text lines connection `n` sent, as on the wire.
  std::vector<std::string> text(int n) const {
    std::vector<std::string> out;
    for (const auto& l : lines_) {
      if (l.connection == n && l.text) out.push_back(l.line);
    }
    return out;
  }

 private:
  awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      auto socket = std::make_shared<tcp::socket>(std::move(s));
      sockets_.push_back(socket);
      const int n = ++connections_;
      asio::co_spawn(acceptor_.get_executor(), serve(socket, n), asio::detached);
    }
  }

  static awaitable<bool> say(tcp::socket& s, std::string reply) {
    reply += "\r\n";
    error_code ec;
    co_await asio::async_write(s, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  awaitable<void> serve(std::shared_ptr<tcp::socket> s, int n) {
    error_code ec;
    bool ok = co_await say(*s, script_.greeting);
    if (!ok || script_.greeting.starts_with("421")) {
      s->close(ec);
      co_return;
    }
    std::string buf;
    bool in_text = false;
    int accepted = 0;
    for (;;) {
      std::size_t len = co_await asio::async_read_until(*s, asio::dynamic_buffer(buf), "\r\n",
                                                        asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      std::string line = buf.substr(0, len - 2);
      buf.erase(0, len);
      if (in_text) {
        if (line == ".") {
          in_text = false;
          lines_.push_back(Line{n, false, line});
          bool said = co_await say(*s, "250 2.0.0 queued");
          if (!said) co_return;
          if (script_.hang_up_after_data) {
            s->close(ec);
            co_return;
          }
        } else {
          lines_.push_back(Line{n, true, line});
        }
        continue;
      }
      lines_.push_back(Line{n, false, line});
      std::string verb = line.substr(0, 4);
      std::string reply = "500 5.5.1 unknown command";
      if (verb == "EHLO") {
        reply = "250-mx.test\r\n";
        if (script_.pipelining) reply += "250-PIPELINING\r\n";
        reply += "250-SIZE 10000000\r\n250 8BITMIME";
      } else if (verb == "HELO") {
        reply = "250 mx.test";
      } else if (verb == "MAIL") {
        accepted = 0;
        reply = "250 2.1.0 Ok";
      } else if (verb == "RCPT") {
        auto open = line.find('<');
        auto close = line.find('>');
        std::string address = line.substr(open + 1, close - open - 1);
        auto it = script_.rcpt.find(address);
        reply = it == script_.rcpt.end() ? "250 2.1.5 Ok" : it->second;
        if (reply.starts_with("2")) ++accepted;
      } else if (verb == "DATA") {
        in_text = accepted > 0;
        reply = in_text ? "354 go ahead" : "554 5.5.1 no valid recipients";
      } else if (verb == "RSET") {
        accepted = 0;
        reply = "250 2.0.0 Ok";
      } else if (verb == "QUIT") {
        bool said = co_await say(*s, "221 2.0.0 Bye");
        (void)said;
        s->close(ec);
        co_return;
      }
      bool said = co_await say(*s, reply);
      if (!said) co_return;
    }
  }

  Script script_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  int connections_ = 0;
  std::vector<Line> lines_;
};

// Answers A queries for every name with `addresses`, and anything else with
// no records (NOERROR, empty answer): RFC 1035 4.1 wire format.
class ARecords {
 public:
  ARecords(asio::io_context& io, std::vector<std::string> addresses)
      : socket_(io, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)), addresses_(std::move(addresses)) {
    asio::co_spawn(io, serve(), asio::detached);
  }
  ~ARecords() {
    error_code ec;
    socket_.close(ec);
  }
  std::string server() const { return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port()); }

 private:
  awaitable<void> serve() {
    for (;;) {
      std::uint8_t q[512];
      udp::endpoint peer;
      error_code ec;
      std::size_t n = co_await socket_.async_receive_from(asio::buffer(q), peer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !socket_.is_open()) co_return;
      if (ec || n < 12) continue;
      std::size_t pos = 12;  // the question's name, then type and class
      while (pos < n && q[pos] != 0) pos += q[pos] + 1;
      if (pos + 5 > n) continue;
      const bool a = q[pos + 1] == 0 && q[pos + 2] == 1;
      const std::size_t question_end = pos + 5;
      std::vector<std::uint8_t> out(q, q + question_end);
      out[2] = static_cast<std::uint8_t>(0x84 | (q[2] & 0x01));  // QR, AA, RD as asked
      out[3] = 0x80;                                              // RA, NOERROR
      const std::size_t count = a ? addresses_.size() : 0;
      out[6] = 0;
      out[7] = static_cast<std::uint8_t>(count);
      out[8] = out[9] = out[10] = out[11] = 0;
      for (std::size_t i = 0; i < count; ++i) {
        const auto bytes = asio::ip::make_address_v4(addresses_[i]).to_bytes();
        const std::uint8_t rr[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4};  // name, A, IN, TTL 300, length 4
        out.insert(out.end(), std::begin(rr), std::end(rr));
        out.insert(out.end(), bytes.begin(), bytes.end());
      }
      co_await socket_.async_send_to(asio::buffer(out), peer, asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  udp::socket socket_;
  std::vector<std::string> addresses_;
};

awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Waits until `done()` holds, looking every 10 ms, for at most 2 s: for what
// happens on the io_context after the awaited call returned (a QUIT).
template <class F>
awaitable<bool> eventually(F done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) co_return true;
    co_await pause(10ms);
  }
  co_return done();
}

using testkit::run;

OutboundOptions options(std::chrono::milliseconds reuse_idle = 5000ms) {
  OutboundOptions o;
  o.helo = "out.test";
  o.starttls = false;
  o.connect_timeout = 2s;
  o.reply_timeout = 2s;
  o.reuse_idle = reuse_idle;
  return o;
}

constexpr std::string_view kBody = "Subject: hello\r\n\r\n.a line that starts with a dot\r\nbye\r\n";
const std::string kMail = "MAIL FROM:<sender@out.test> SIZE=" + std::to_string(kBody.size());

OutboundMessage message(std::vector<std::string> recipients) {
  OutboundMessage m;
  m.return_path = "sender@out.test";
  m.recipients = std::move(recipients);
  m.body = kBody;
  return m;
}

const std::vector<std::string> kOneTransaction = {"EHLO out.test", kMail, "RCPT TO:<a@example.test>", "DATA", "."};

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class OutboundTest : public ::testing::Test {
 protected:
  static dns::Options nowhere() {
    dns::Options o;
    o.servers = {"127.0.0.1:9"};  // never asked: relays are given as addresses
    o.timeout = 200ms;
    o.tries = 1;
    return o;
  }

  asio::io_context io_;
  dns::Resolver resolver_{io_, nowhere()};
};

TEST_F(OutboundTest, TwoDeliveriesShareOneConnection) {
  SmtpServer server(io_, Script{});
  run(io_, [&]() -> awaitable<void> {
    Outbound out(io_, resolver_, options());
    const auto m = message({"a@example.test"});
    auto first = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_EQ(out.idle_count(), 1u);
    auto second = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_EQ(server.connections(), 1);
    EXPECT_EQ(server.commands(1), kOneTransaction + std::vector<std::string>{"RSET"} +
                                      std::vector<std::string>(kOneTransaction.begin() + 1, kOneTransaction.end()));
    for (const auto* r : {&first, &second}) {
      EXPECT_EQ(r->size(), 1u);
      if (r->size() == 1) {
        EXPECT_TRUE(r->front().delivered) << r->front().reply;
        EXPECT_EQ(r->front().reply, "250 2.0.0 queued");
        EXPECT_EQ(r->front().remote_mta, "127.0.0.1");
      }
    }
    // Draining: the idle connection is QUIT, and nothing is kept after.
    co_await out.close_idle();
    EXPECT_EQ(out.idle_count(), 0u);
    EXPECT_EQ(server.commands(1).back(), "QUIT");
    auto third = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_TRUE(third.front().delivered);
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(out.idle_count(), 0u);
    EXPECT_EQ(server.commands(2), kOneTransaction + std::vector<std::string>{"QUIT"});
  }());
}

// A relay host that does not parse (config/host_port.h) is never guessed
// at: every recipient is deferred, nothing is connected to.
TEST_F(OutboundTest, MalformedRelayHostDefers) {
  run(io_, [&]() -> awaitable<void> {
    Outbound out(io_, resolver_, options());
    const auto m = message({"a@example.test", "b@example.test"});
    for (const std::string relay : {"127.0.0.1", "127.0.0.1:0", "::1:25", "[::1]"}) {
      auto r = co_await out.deliver("example.test", relay, m);
      EXPECT_EQ(r.size(), 2u) << relay;
      for (const auto& o : r) {
        EXPECT_FALSE(o.delivered) << relay;
        EXPECT_FALSE(o.permanent) << relay;
        EXPECT_EQ(o.status, "4.4.3") << relay;
        EXPECT_TRUE(o.reply.starts_with("451 4.4.3 example.test: bad relay host " + relay + ": ")) << o.reply;
      }
    }
  }());
}

TEST_F(OutboundTest, NoReuseWhenIdleTimeIsZero) {
  SmtpServer server(io_, Script{});
  run(io_, [&]() -> awaitable<void> {
    Outbound out(io_, resolver_, options(0ms));
    const auto m = message({"a@example.test"});
    auto first = co_await out.deliver("example.test", server.relay(), m);
    auto second = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_TRUE(first.front().delivered);
    EXPECT_TRUE(second.front().delivered);
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(out.idle_count(), 0u);
    const auto quit = kOneTransaction + std::vector<std::string>{"QUIT"};
    EXPECT_EQ(server.commands(1), quit);
    EXPECT_EQ(server.commands(2), quit);
  }());
}

TEST_F(OutboundTest, IdleConnectionIsQuitWhenItsTimeIsUp) {
  SmtpServer server(io_, Script{});
  run(io_, [&]() -> awaitable<void> {
    Outbound out(io_, resolver_, options(200ms));
    const auto m = message({"a@example.test"});
    auto first = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_TRUE(first.front().delivered);
    EXPECT_EQ(out.idle_count(), 1u);
    co_await pause(100ms);
    EXPECT_EQ(out.idle_count(), 1u);
    co_await pause(150ms);
    EXPECT_EQ(out.idle_count(), 0u);
    auto quit_seen = [&] { return !server.commands(1).empty() && server.commands(1).back() == "QUIT"; };
    bool quit = co_await eventually(quit_seen);
    EXPECT_TRUE(quit);
    EXPECT_EQ(server.commands(1), kOneTransaction + std::vector<std::string>{"QUIT"});
    auto second = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_TRUE(second.front().delivered);
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(server.commands(2), kOneTransaction);
  }());
}

TEST_F(OutboundTest, ServerClosingTheIdleConnectionMeansAFreshOne) {
  Script script;
  script.hang_up_after_data = true;
  SmtpServer server(io_, script);
  run(io_, [&]() -> awaitable<void> {
    Outbound out(io_, resolver_, options());
    const auto m = message({"a@example.test"});
    auto first = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_EQ(out.idle_count(), 1u);  // the client cannot know yet
    auto second = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_TRUE(first.front().delivered);
    EXPECT_TRUE(second.front().delivered) << second.front().reply;
    EXPECT_FALSE(second.front().permanent);
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(server.commands(1), kOneTransaction);
    EXPECT_EQ(server.commands(2), kOneTransaction);
  }());
}

TEST_F(OutboundTest, PerRecipientOutcomesWithAndWithoutPipelining) {
  std::vector<std::vector<std::string>> seen;
  for (bool pipelining : {true, false}) {
    SCOPED_TRACE(pipelining ? "PIPELINING" : "no PIPELINING");
    asio::io_context io;
    dns::Resolver resolver(io, nowhere());
    Script script;
    script.pipelining = pipelining;
    script.rcpt["nobody@example.test"] = "550 5.1.1 No such user";
    SmtpServer server(io, script);
    run(io, [&]() -> awaitable<void> {
      Outbound out(io, resolver, options());
      const auto m = message({"a@example.test", "nobody@example.test"});
      auto r = co_await out.deliver("example.test", server.relay(), m);
      EXPECT_EQ(r.size(), 2u);
      if (r.size() != 2) co_return;
      EXPECT_TRUE(r[0].delivered);
      EXPECT_FALSE(r[0].permanent);
      EXPECT_EQ(r[0].status, "2.0.0");
      EXPECT_FALSE(r[1].delivered);
      EXPECT_TRUE(r[1].permanent);
      EXPECT_EQ(r[1].status, "5.1.1");
      EXPECT_EQ(r[1].reply, "550 5.1.1 No such user");
      // Every recipient refused: no DATA; the connection stays good.
      const auto refused = message({"nobody@example.test"});
      auto none = co_await out.deliver("example.test", server.relay(), refused);
      EXPECT_TRUE(none.front().permanent);
      EXPECT_EQ(server.connections(), 1);
      co_await out.close_idle();
      // Dot-stuffing (RFC 5321 4.5.2): the line starting with "." went out doubled.
      EXPECT_EQ(server.text(1), (std::vector<std::string>{"Subject: hello", "", "..a line that starts with a dot", "bye"}));
      seen.push_back(server.commands(1));
    }());
  }
  // The server sees the same commands either way, in the same order; only
  // when every RCPT was refused does DATA go out, in the pipelined batch,
  // to be refused too (RFC 2920 3.1).
  ASSERT_EQ(seen.size(), 2u);
  const std::vector<std::string> common = {
      "EHLO out.test", kMail, "RCPT TO:<a@example.test>", "RCPT TO:<nobody@example.test>", "DATA", ".",
      "RSET",          kMail, "RCPT TO:<nobody@example.test>",
  };
  EXPECT_EQ(seen[0], (common + std::vector<std::string>{"DATA", "QUIT"}));
  EXPECT_EQ(seen[1], (common + std::vector<std::string>{"QUIT"}));
}

TEST_F(OutboundTest, Greeting421IsATemporaryFailure) {
  Script script;
  script.greeting = "421 4.3.2 too busy";
  SmtpServer server(io_, script);
  run(io_, [&]() -> awaitable<void> {
    Outbound out(io_, resolver_, options());
    const auto m = message({"a@example.test"});
    auto r = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_FALSE(r.front().delivered);
    EXPECT_FALSE(r.front().permanent);
    EXPECT_EQ(r.front().status, "4.3.2");
    EXPECT_EQ(r.front().reply, "421 4.3.2 too busy");
    EXPECT_EQ(out.idle_count(), 0u);
    EXPECT_TRUE(server.commands(1).empty());
  }());
}

TEST_F(OutboundTest, Greeting421MovesToTheNextHost) {
  SmtpServer busy(io_, Script{.greeting = "421 4.3.2 too busy"});
  // The second host: the same port on another loopback address.
  std::optional<SmtpServer> good;
  try {
    good.emplace(io_, Script{}, "127.0.0.2", busy.port());
  } catch (const std::exception& e) {
    GTEST_SKIP() << "cannot listen on 127.0.0.2:" << busy.port() << ": " << e.what();
  }
  ARecords dns(io_, {"127.0.0.1", "127.0.0.2"});
  dns::Options dns_options;
  dns_options.servers = {dns.server()};
  dns::Resolver resolver(io_, dns_options);
  run(io_, [&]() -> awaitable<void> {
    Outbound out(io_, resolver, options());
    const std::string relay = "relay.test:" + std::to_string(busy.port());
    const auto m = message({"a@example.test"});
    auto r = co_await out.deliver("example.test", relay, m);
    EXPECT_TRUE(r.front().delivered) << r.front().reply;
    EXPECT_EQ(r.front().remote_mta, "relay.test");
    EXPECT_EQ(busy.connections(), 1);
    EXPECT_EQ(good->connections(), 1);
    EXPECT_EQ(good->commands(1), kOneTransaction);
    // The connection kept is the second host's; the next delivery still
    // tries the first host first (MX order), then the kept connection is
    // not the first target's and is left alone.
    EXPECT_EQ(out.idle_count(), 1u);
    auto again = co_await out.deliver("example.test", relay, m);
    EXPECT_TRUE(again.front().delivered);
    EXPECT_EQ(busy.connections(), 2);
    EXPECT_EQ(good->connections(), 2);
  }());
}

TEST_F(OutboundTest, IdleConnectionsPerTargetAreLimitedOldestFirst) {
  SmtpServer server(io_, Script{});
  run(io_, [&]() -> awaitable<void> {
    auto o = options();
    o.max_idle_per_target = 1;
    Outbound out(io_, resolver_, o);
    const auto m = message({"a@example.test"});
    // Two deliveries at once: a connection serves one delivery at a time.
    int running = 2;
    asio::steady_timer both(io_, kWatchdog);
    auto one = [&]() -> awaitable<void> {
      auto r = co_await out.deliver("example.test", server.relay(), m);
      EXPECT_TRUE(r.front().delivered);
      if (--running == 0) both.cancel();
    };
    asio::co_spawn(io_, one(), asio::detached);
    asio::co_spawn(io_, one(), asio::detached);
    error_code ec;
    co_await both.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(out.idle_count(), 1u);
    auto quit_seen = [&] { return server.commands(1).back() == "QUIT" || server.commands(2).back() == "QUIT"; };
    bool quit = co_await eventually(quit_seen);  // the evicted one's
    EXPECT_TRUE(quit);
    const int ended = server.commands(1).back() == "QUIT" ? 1 : 2;
    EXPECT_EQ(server.commands(ended), kOneTransaction + std::vector<std::string>{"QUIT"});
    EXPECT_EQ(server.commands(3 - ended), kOneTransaction);
    // The kept one is reused.
    auto next = co_await out.deliver("example.test", server.relay(), m);
    EXPECT_TRUE(next.front().delivered);
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(server.commands(3 - ended).at(kOneTransaction.size()), "RSET");
  }());
}

}  // namespace
}  // namespace parley::dequeuer
