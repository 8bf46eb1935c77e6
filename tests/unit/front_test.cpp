// The front-end skeleton (procs/lib/front) on its own: the line reader's
// framing and over-long-line policy, and the listener server and datagram
// listener over real loopback sockets, with a small line session standing
// in for a protocol.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "front/datagram.h"
#include "front/line_reader.h"
#include "front/server.h"
#include "front/session.h"
#include "log/log.h"
#include "tests/support/session_rig.h"

namespace parley::front {
namespace {

using namespace std::chrono_literals;
using Kind = LineReader::Line::Kind;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

// --- LineReader ---

TEST(LineReader, LinesArriveWhole) {
  LineReader r(64);
  EXPECT_EQ(r.next().kind, Kind::need_more);
  r.feed("NOOP\r\nQUIT\r\nPAR");
  auto first = r.next();
  ASSERT_EQ(first.kind, Kind::line);
  EXPECT_EQ(first.text, "NOOP");
  EXPECT_EQ(r.next().text, "QUIT");
  EXPECT_EQ(r.next().kind, Kind::need_more);
  EXPECT_EQ(r.buffered(), "PAR");
}

TEST(LineReader, ByteByByte) {
  LineReader r(64);
  const std::string input = "EHLO a\r\n\r\nMAIL FROM:<>\r\n";
  std::vector<std::string> lines;
  for (char c : input) {
    r.feed(std::string_view(&c, 1));
    for (auto line = r.next(); line.kind != Kind::need_more; line = r.next()) {
      ASSERT_EQ(line.kind, Kind::line);
      lines.push_back(line.text);
    }
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"EHLO a", "", "MAIL FROM:<>"}));
}

TEST(LineReader, LoneCrAndLfStayInTheLine) {
  LineReader r(64);
  r.feed("A\rB\nC\r\n");
  auto line = r.next();
  ASSERT_EQ(line.kind, Kind::line);
  EXPECT_EQ(line.text, "A\rB\nC");
}

TEST(LineReader, LimitCountsTheCrlf) {
  LineReader r(6);
  r.feed("1234\r\n12345\r\n");
  EXPECT_EQ(r.next().text, "1234");
  EXPECT_EQ(r.next().kind, Kind::too_long);
  EXPECT_EQ(r.next().kind, Kind::need_more);
}

TEST(LineReader, OverLongLineIsReportedOnceAtItsEnd) {
  LineReader r(8);
  // 1 MiB in pieces: memory stays bounded and nothing is reported early.
  const std::string piece(4096, 'x');
  for (int i = 0; i < 256; ++i) {
    r.feed(piece);
    ASSERT_EQ(r.next().kind, Kind::need_more);
    ASSERT_LE(r.buffered().size(), 8u);
  }
  r.feed("\r");
  EXPECT_EQ(r.next().kind, Kind::need_more);
  r.feed("\nNOOP\r\n");
  EXPECT_EQ(r.next().kind, Kind::too_long);
  auto after = r.next();
  ASSERT_EQ(after.kind, Kind::line);
  EXPECT_EQ(after.text, "NOOP");
}

TEST(LineReader, CrlfSplitAfterTheLimit) {
  LineReader r(4);
  r.feed("abcd\r");
  EXPECT_EQ(r.next().kind, Kind::need_more);
  r.feed("\n");
  EXPECT_EQ(r.next().kind, Kind::too_long);
}

TEST(LineReader, ALimitForOneLine) {
  LineReader r(8);
  r.feed("a-long-sasl-response\r\nshort-but-long\r\n");
  auto sasl = r.next(64);
  ASSERT_EQ(sasl.kind, Kind::line);
  EXPECT_EQ(sasl.text, "a-long-sasl-response");
  EXPECT_EQ(r.next().kind, Kind::too_long);
}

TEST(LineReader, DiscardForgetsAnOverLongLine) {
  LineReader r(4);
  r.feed("xxxxxxxx");
  EXPECT_EQ(r.next().kind, Kind::need_more);
  r.discard();
  r.feed("ok\r\n");
  EXPECT_EQ(r.next().text, "ok");
}

// --- Server and Session over loopback ---

// A protocol in miniature: "HELLO <sid>" or "BUSY" on connect, each line
// echoed; "BEGIN" starts work that drain lets finish, "END" ends it; "BYE"
// when the server drains.
class LineSession final : public Session {
 public:
  LineSession(Server& server, std::unique_ptr<net::Stream> stream, const std::string& listener)
      : Session(server, std::move(stream), listener, server.next_sid("test"), "test") {}

  static awaitable<void> run(std::shared_ptr<LineSession> self) { co_await self->serve(); }

 private:
  awaitable<void> serve() {
    const Opened opened = co_await open(nullptr);
    if (opened == Opened::refused) {
      co_await say("BUSY");
      co_return;
    }
    if (opened != Opened::ready) co_return;
    const std::string hello = "HELLO " + sid_;
    co_await say(hello);
    for (;;) {
      auto line = lines_.next();
      if (line.kind == Kind::need_more) {
        char buf[512];
        asio::mutable_buffer space(buf, sizeof buf);
        auto n = co_await receive(space, 5000ms, !busy_);
        if (!n) break;
        lines_.feed(std::string_view(buf, *n));
        continue;
      }
      if (line.text == "BEGIN") busy_ = true;
      if (line.text == "END") busy_ = false;
      co_await say(line.text);
    }
    if (interrupted()) co_await say("BYE");
  }

  awaitable<void> say(const std::string& text) {
    const std::string out = text + "\r\n";
    co_await stream_->write(out, 1000ms);
  }

  LineReader lines_{512};
  bool busy_ = false;
};

// A socket bound to an ephemeral loopback port, as parleyd would pass it.
int bound_socket(int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind");
  if (type == SOCK_STREAM && ::listen(fd, 64) != 0) throw std::runtime_error("listen");
  return fd;
}

unsigned short port_of(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

class FrontTest : public ::testing::Test {
 protected:
  FrontTest() : ctx_(io_, "testd", config::Config::parse("", "front.conf", daemon::process_schema({})).value(), dir_.path()) {
    testkit::quiet_logs("front_test");
  }
  ~FrontTest() override {
    for (int fd : fds_) ::close(fd);
  }

  // A server on one new TCP listener "line".
  Server& start_server(Limits limits) {
    const int fd = bound_socket(SOCK_STREAM);
    fds_.push_back(fd);
    port_ = port_of(fd);
    ctx_.add_listener({.name = "line", .fd = fd, .datagram = false});
    server_ = std::make_unique<Server>(ctx_, "test");
    server_->set_limits(limits);
    auto listening = server_->listen({"line"}, [this](std::unique_ptr<net::Stream> stream, const std::string& listener) {
      auto session = std::make_shared<LineSession>(*server_, std::move(stream), listener);
      asio::co_spawn(io_, LineSession::run(session), asio::detached);
    });
    EXPECT_TRUE(listening.ok());
    return *server_;
  }

  tcp::socket connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port_));
    s.non_blocking(true);
    return s;
  }

  // Runs the server's loop until `ready` or `patience` has passed.
  bool run_until(const std::function<bool()>& ready, std::chrono::milliseconds patience = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (!ready()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(5ms);
    }
    return true;
  }

  // The next line the server sent to `s` (without CRLF): "<eof>" when it
  // closed the connection, "<nothing>" after `patience` of silence.
  std::string read_line(tcp::socket& s, std::chrono::milliseconds patience = 5000ms) {
    std::string& in = pending_[&s];
    bool eof = false;
    auto has_line = [&] {
      char buf[256];
      boost::system::error_code ec;
      const std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (!ec) in.append(buf, n);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) eof = true;
      return eof || in.find("\r\n") != std::string::npos;
    };
    if (!run_until(has_line, patience)) return "<nothing>";
    const auto end = in.find("\r\n");
    if (end == std::string::npos) return "<eof>";
    std::string line = in.substr(0, end);
    in.erase(0, end + 2);
    return line;
  }

  std::string exchange(tcp::socket& s, const std::string& line) {
    asio::write(s, asio::buffer(line + "\r\n"));
    return read_line(s);
  }

  asio::io_context io_;
  asio::io_context client_io_;
  testkit::TempDir dir_{"front-test"};
  testkit::RigContext ctx_;
  std::vector<int> fds_;
  std::unique_ptr<Server> server_;
  unsigned short port_ = 0;
  std::map<tcp::socket*, std::string> pending_;
};

TEST_F(FrontTest, SessionIdsAreUniqueAndNamed) {
  start_server({.max_connections = 10, .max_connections_per_ip = 10});
  auto a = connect();
  auto b = connect();
  const std::string first = read_line(a);
  const std::string second = read_line(b);
  const std::regex shape("HELLO test-[0-9a-f]{6}-[12]");
  EXPECT_TRUE(std::regex_match(first, shape)) << first;
  EXPECT_TRUE(std::regex_match(second, shape)) << second;
  EXPECT_NE(first, second);
  EXPECT_EQ(exchange(a, "ping"), "ping");
  EXPECT_EQ(server_->sessions(), 2u);
}

TEST_F(FrontTest, PerAddressLimitRefusesAndFrees) {
  start_server({.max_connections = 10, .max_connections_per_ip = 2});
  auto a = connect();
  auto b = connect();
  ASSERT_EQ(read_line(a).substr(0, 5), "HELLO");
  ASSERT_EQ(read_line(b).substr(0, 5), "HELLO");
  auto c = connect();
  EXPECT_EQ(read_line(c), "BUSY");
  EXPECT_EQ(read_line(c), "<eof>");
  // A refused session does not count; one that ends frees its place.
  a.close();
  ASSERT_TRUE(run_until([&] { return server_->sessions() == 1; }));
  auto d = connect();
  EXPECT_EQ(read_line(d).substr(0, 5), "HELLO");
}

TEST_F(FrontTest, TotalLimitRefuses) {
  start_server({.max_connections = 1, .max_connections_per_ip = 10});
  auto a = connect();
  ASSERT_EQ(read_line(a).substr(0, 5), "HELLO");
  auto b = connect();
  EXPECT_EQ(read_line(b), "BUSY");
  EXPECT_EQ(exchange(a, "still here"), "still here");
}

TEST_F(FrontTest, DrainEndsIdleSessionsAndWaitsForBusyOnes) {
  Server& server = start_server({.max_connections = 10, .max_connections_per_ip = 10});
  auto idle = connect();
  auto busy = connect();
  ASSERT_EQ(read_line(idle).substr(0, 5), "HELLO");
  ASSERT_EQ(read_line(busy).substr(0, 5), "HELLO");
  ASSERT_EQ(exchange(busy, "BEGIN"), "BEGIN");

  bool drained = false;
  testkit::spawn_flagged(io_, server.drain(), drained);
  EXPECT_EQ(read_line(idle), "BYE");
  EXPECT_EQ(read_line(idle), "<eof>");
  EXPECT_TRUE(server.draining());
  // No new session once draining.
  auto late = connect();
  EXPECT_EQ(read_line(late, 300ms), "<nothing>");
  EXPECT_FALSE(drained);

  // The busy session finishes its work, then ends.
  EXPECT_EQ(exchange(busy, "END"), "END");
  EXPECT_EQ(read_line(busy), "BYE");
  ASSERT_TRUE(run_until([&] { return drained; }));
  EXPECT_EQ(server.sessions(), 0u);
}

TEST_F(FrontTest, AcceptBacksOffWhenOutOfDescriptorsAndRecovers) {
  start_server({.max_connections = 10, .max_connections_per_ip = 10});
  tcp::socket client(client_io_);
  client.open(tcp::v4());
  // UBSan checks an object's vptr the first time it meets its type by
  // probing memory through a pipe, which it cannot open once descriptors
  // run out: let it meet the types the accept loop's failure path uses
  // (error categories, the log line, the back-off timer) while it still can.
  const boost::system::error_code emfile(EMFILE, asio::error::get_system_category());
  const boost::system::error_code eof = asio::error::eof;
  ASSERT_NE(emfile, eof);
  log::warn("test.accept.failed", "accept failed", {{"listener", "line"}, {"error", emfile.message()}});
  bool waited = false;
  asio::co_spawn(io_, [](asio::io_context& io, bool& done) -> awaitable<void> {
    asio::steady_timer pause(io, 1ms);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    done = true;
  }(io_, waited), asio::detached);
  ASSERT_TRUE(run_until([&] { return waited; }));
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  // Use up every descriptor below a lowered limit, so accept fails EMFILE.
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> spare;
  for (int fd; (fd = ::dup(fds_.front())) >= 0;) spare.push_back(fd);
  ASSERT_EQ(errno, EMFILE);

  client.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port_));
  client.non_blocking(true);
  EXPECT_EQ(read_line(client, 300ms), "<nothing>");

  // Descriptors come back: the waiting connection is taken.
  for (int fd : spare) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(read_line(client).substr(0, 5), "HELLO");
}

// --- Datagrams ---

class DatagramTest : public FrontTest {
 protected:
  void SetUp() override {
    fd_ = bound_socket(SOCK_DGRAM);
    fds_.push_back(fd_);
    ctx_.add_listener({.name = "sip", .fd = fd_, .datagram = true});
    // A stream listener under the same name is not the datagram listener's.
    const int stream_fd = bound_socket(SOCK_STREAM);
    fds_.push_back(stream_fd);
    ctx_.add_listener({.name = "sip", .fd = stream_fd, .datagram = false});
    auto listening = datagrams_.listen({"sip"}, [this](const Datagrams::Packet& p) {
      packets_.emplace_back(p.bytes);
      listener_ = p.listener;
      const std::string reply = "ACK " + std::string(p.bytes);
      EXPECT_TRUE(datagrams_.send(p.socket, p.from, reply).ok());
    });
    ASSERT_TRUE(listening.ok());
    client_.open(udp::v4());
    client_.bind(udp::endpoint(asio::ip::address_v4::loopback(), 0));
    client_.non_blocking(true);
  }

  udp::endpoint server_endpoint() const { return {asio::ip::address_v4::loopback(), port_of(fd_)}; }

  // The next datagram the client gets, or "<nothing>" within five seconds.
  std::string receive() {
    std::string got;
    bool done = false;
    std::vector<char> buf(kMaxDatagram + 1);
    run_until([&] {
      boost::system::error_code ec;
      udp::endpoint from;
      const std::size_t n = client_.receive_from(asio::buffer(buf), from, 0, ec);
      if (!ec) {
        got.assign(buf.data(), n);
        done = true;
        EXPECT_EQ(from, server_endpoint());
      }
      return done;
    });
    return done ? got : "<nothing>";
  }

  int fd_ = -1;
  Datagrams datagrams_{ctx_};
  udp::socket client_{client_io_};
  std::vector<std::string> packets_;
  std::string listener_;
};

TEST_F(DatagramTest, ReceivesAndRepliesFromTheSameSocket) {
  EXPECT_EQ(datagrams_.sockets(), 1u);
  EXPECT_EQ(datagrams_.local(0).port(), port_of(fd_));
  client_.send_to(asio::buffer(std::string("OPTIONS")), server_endpoint());
  EXPECT_EQ(receive(), "ACK OPTIONS");
  EXPECT_EQ(packets_, std::vector<std::string>{"OPTIONS"});
  EXPECT_EQ(listener_, "sip");
  EXPECT_EQ(datagrams_.received(), 1u);
}

TEST_F(DatagramTest, LargestDatagramPassesAndLargerIsRefused) {
  const std::string largest(kMaxDatagram - 4, 'x');  // "ACK " makes the reply the largest
  client_.send_to(asio::buffer(largest), server_endpoint());
  EXPECT_EQ(receive().size(), kMaxDatagram);
  const std::string larger(kMaxDatagram + 1, 'x');
  auto sent = datagrams_.send(0, client_.local_endpoint(), larger);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.code(), Errc::limit);
  EXPECT_EQ(datagrams_.send(7, client_.local_endpoint(), "x").code(), Errc::invalid);
}

TEST_F(DatagramTest, AnUnreachablePeerDoesNotStopReceiving) {
  // A reply to a closed port comes back as ICMP, reported on the next receive.
  udp::socket gone(client_io_);
  gone.open(udp::v4());
  gone.bind(udp::endpoint(asio::ip::address_v4::loopback(), 0));
  const auto gone_at = gone.local_endpoint();
  gone.close();
  ASSERT_TRUE(datagrams_.send(0, gone_at, "lost").ok());
  client_.send_to(asio::buffer(std::string("after")), server_endpoint());
  EXPECT_EQ(receive(), "ACK after");
}

TEST_F(DatagramTest, ABurstLargerThanOneBatchArrivesWhole) {
  // Sent before the server runs, so they wait in the socket together and
  // leave it in batches of recvmmsg; an empty datagram is one too.
  std::vector<std::string> sent{""};
  for (int i = 0; i < 50; ++i) sent.push_back("burst " + std::to_string(i));
  for (const auto& s : sent) client_.send_to(asio::buffer(s), server_endpoint());
  ASSERT_TRUE(run_until([&] { return packets_.size() == sent.size(); }));
  EXPECT_EQ(packets_, sent);
  EXPECT_EQ(datagrams_.received(), sent.size());
  EXPECT_EQ(receive(), "ACK ");
  EXPECT_EQ(receive(), "ACK burst 0");
}

TEST_F(DatagramTest, NothingIsReceivedAfterClose) {
  datagrams_.close();
  client_.send_to(asio::buffer(std::string("late")), server_endpoint());
  io_.run_for(50ms);
  EXPECT_TRUE(packets_.empty());
  EXPECT_EQ(datagrams_.received(), 0u);
}

}  // namespace
}  // namespace parley::front
