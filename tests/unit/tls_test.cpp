// parley_tls over loopback TCP, one io_context: plain then STARTTLS,
// implicit TLS, SNI, refused protocol versions, client verification,
// timeouts, EOF and close, and the contexts' load errors.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/asio.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/tls_testcert.h"
#include "tls/context.h"
#include "tls/stream.h"

namespace parley {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using boost::system::error_code;
using net::Stream;

constexpr auto kTimeout = 10s;

// Runs every task on `io` until all have finished, then what they left
// ready to run.
template <class... Tasks>
void run(asio::io_context& io, Tasks... tasks) {
  std::vector<awaitable<void>> all;
  (all.push_back(std::move(tasks)), ...);
  testkit::run_all(io, std::move(all));
  io.poll();
}

// Reads until the bytes end with CRLF (the peer sends one line and waits).
awaitable<Result<std::string>> read_line(Stream& s) {
  std::string line;
  char buf[256];
  while (!line.ends_with("\r\n")) {
    Result<std::size_t> n = co_await s.read_some(asio::buffer(buf), kTimeout);
    if (!n) co_return n.error();
    line.append(buf, *n);
  }
  co_return line;
}

struct Pair {
  std::unique_ptr<net::TcpStream> server;
  std::unique_ptr<net::TcpStream> client;
};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testkit::TempDir("parley-tls");
    main_ = tls::testing::write_test_cert(dir_->path(), "mail.example.org", {"mail.example.org", "127.0.0.1"});
    other_ = tls::testing::write_test_cert(dir_->path(), "other.example.net", {"other.example.net", "*.example.net"});
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // A connected pair over loopback: accept and connect complete at once.
  Pair connect() {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    tcp::socket client(io_);
    client.connect(acceptor.local_endpoint());
    tcp::socket server = acceptor.accept();
    return {std::make_unique<net::TcpStream>(std::move(server)), std::make_unique<net::TcpStream>(std::move(client))};
  }

  std::shared_ptr<tls::ServerContext> server_context() {
    tls::ServerConfig config;
    config.default_cert = main_;
    config.by_name.emplace_back("other.example.net", other_);
    config.by_name.emplace_back("*.Example.NET", other_);
    auto ctx = tls::ServerContext::create(config);
    if (!ctx) throw std::runtime_error("server context: " + ctx.error().detail);
    return *ctx;
  }

  std::shared_ptr<tls::ClientContext> client_context(tls::ClientOptions options = {}) {
    auto ctx = tls::ClientContext::create(options);
    if (!ctx) throw std::runtime_error("client context: " + ctx.error().detail);
    return *ctx;
  }

  static testkit::TempDir* dir_;
  static tls::CertPair main_;
  static tls::CertPair other_;
  asio::io_context io_;
};

testkit::TempDir* TlsTest::dir_ = nullptr;
tls::CertPair TlsTest::main_;
tls::CertPair TlsTest::other_;

bool modern(const std::string& version) { return version == "TLSv1.2" || version == "TLSv1.3"; }

TEST_F(TlsTest, PlainThenStartTls) {
  Pair p = connect();
  auto sctx = server_context();
  auto cctx = client_context();
  std::vector<std::string> server_got, client_got;
  Status server_hs = fail(Errc::internal, "not run"), client_hs = fail(Errc::internal, "not run");

  auto server = [&]() -> awaitable<void> {
    Result<std::string> line = co_await read_line(*p.server);
    server_got.push_back(line ? *line : "error: " + line.error().detail);
    EXPECT_FALSE(p.server->secure());
    Status w = co_await p.server->write("220 2.0.0 go ahead\r\n", kTimeout);
    EXPECT_TRUE(w.ok());
    server_hs = co_await p.server->handshake_server(sctx, kTimeout);
    line = co_await read_line(*p.server);
    server_got.push_back(line ? *line : "error: " + line.error().detail);
    w = co_await p.server->write("250 secure\r\n", kTimeout);
    EXPECT_TRUE(w.ok());
  };
  auto client = [&]() -> awaitable<void> {
    Status w = co_await p.client->write("STARTTLS\r\n", kTimeout);
    EXPECT_TRUE(w.ok());
    Result<std::string> line = co_await read_line(*p.client);
    client_got.push_back(line ? *line : "error: " + line.error().detail);
    std::string host = "mail.example.org";
    client_hs = co_await p.client->handshake_client(cctx, host, kTimeout);
    w = co_await p.client->write("EHLO client.example\r\n", kTimeout);
    EXPECT_TRUE(w.ok());
    line = co_await read_line(*p.client);
    client_got.push_back(line ? *line : "error: " + line.error().detail);
  };
  run(io_, server(), client());

  ASSERT_TRUE(server_hs.ok()) << server_hs.error().detail;
  ASSERT_TRUE(client_hs.ok()) << client_hs.error().detail;
  EXPECT_EQ(server_got, (std::vector<std::string>{"STARTTLS\r\n", "EHLO client.example\r\n"}));
  EXPECT_EQ(client_got, (std::vector<std::string>{"220 2.0.0 go ahead\r\n", "250 secure\r\n"}));
  EXPECT_TRUE(p.server->secure());
  EXPECT_TRUE(p.client->secure());
  EXPECT_TRUE(modern(p.server->tls_version())) << p.server->tls_version();
  EXPECT_EQ(p.server->tls_version(), p.client->tls_version());
  EXPECT_EQ(p.server->tls_cipher(), p.client->tls_cipher());
  EXPECT_FALSE(p.server->tls_cipher().empty());
  EXPECT_EQ(p.server->sni(), "mail.example.org");
  EXPECT_EQ(p.client->peer_cn(), "mail.example.org");
  EXPECT_EQ(p.server->peer_cn(), "");  // no client certificate
  EXPECT_FALSE(p.client->peer_verified());  // self-signed, not in the system store
  EXPECT_EQ(p.client->peer(), p.server->socket().local_endpoint().address().to_string() + ":" +
                                  std::to_string(p.server->socket().local_endpoint().port()));
  EXPECT_TRUE(p.server->peer().starts_with("127.0.0.1:"));
}

TEST_F(TlsTest, PlainStreamReportsNoTls) {
  Pair p = connect();
  EXPECT_FALSE(p.server->secure());
  EXPECT_EQ(p.server->tls_version(), "");
  EXPECT_EQ(p.server->tls_cipher(), "");
  EXPECT_EQ(p.server->sni(), "");
  EXPECT_EQ(p.server->peer_cn(), "");
}

// Implicit TLS (465/993) with a large transfer: partial TLS writes and reads.
TEST_F(TlsTest, ImplicitTlsLargeTransfer) {
  Pair p = connect();
  auto sctx = server_context();
  auto cctx = client_context();
  std::string sent(1 << 20, '\0');
  for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>('a' + i % 26);
  std::string received;
  Status server_hs = fail(Errc::internal, "not run"), client_hs = fail(Errc::internal, "not run");
  std::optional<Error> end;

  auto server = [&]() -> awaitable<void> {
    server_hs = co_await p.server->handshake_server(sctx, kTimeout);
    if (!server_hs) co_return;
    std::vector<char> buf(16384);
    for (;;) {
      Result<std::size_t> n = co_await p.server->read_some(asio::buffer(buf), kTimeout);
      if (!n) {
        end = n.error();
        break;
      }
      received.append(buf.data(), *n);
    }
  };
  auto client = [&]() -> awaitable<void> {
    std::string host = "mail.example.org";
    client_hs = co_await p.client->handshake_client(cctx, host, kTimeout);
    if (!client_hs) co_return;
    Status w = co_await p.client->write(sent, kTimeout);
    EXPECT_TRUE(w.ok());
    co_await p.client->shutdown(kTimeout);
  };
  run(io_, server(), client());

  ASSERT_TRUE(server_hs.ok()) << server_hs.error().detail;
  ASSERT_TRUE(client_hs.ok()) << client_hs.error().detail;
  EXPECT_TRUE(received == sent) << received.size() << " of " << sent.size() << " bytes";
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code, Errc::unavailable);
  EXPECT_EQ(end->detail, "eof");  // close_notify came first
}

struct SniCase {
  std::string host;  // "" sends no SNI
  std::string cn;    // certificate the client must get
  std::string sni;   // what the server reports
};

TEST_F(TlsTest, SniSelectsCertificate) {
  auto sctx = server_context();
  auto cctx = client_context();
  std::vector<SniCase> cases = {
      {"other.example.net", "other.example.net", "other.example.net"},
      {"OTHER.Example.Net", "other.example.net", "other.example.net"},
      {"a.example.net", "other.example.net", "a.example.net"},  // wildcard
      {"a.b.example.net", "mail.example.org", "a.b.example.net"},  // wildcard matches one label only
      {"example.net", "mail.example.org", "example.net"},
      {"unknown.example.com", "mail.example.org", "unknown.example.com"},
      {"", "mail.example.org", ""},
      {"127.0.0.1", "mail.example.org", ""},  // addresses are not sent as SNI
  };
  for (const SniCase& c : cases) {
    SCOPED_TRACE("host " + c.host);
    Pair p = connect();
    Status server_hs = fail(Errc::internal, "not run"), client_hs = fail(Errc::internal, "not run");
    auto server = [&]() -> awaitable<void> { server_hs = co_await p.server->handshake_server(sctx, kTimeout); };
    auto client = [&]() -> awaitable<void> {
      std::string host = c.host;
      client_hs = co_await p.client->handshake_client(cctx, host, kTimeout);
    };
    run(io_, server(), client());
    ASSERT_TRUE(server_hs.ok()) << server_hs.error().detail;
    ASSERT_TRUE(client_hs.ok()) << client_hs.error().detail;
    EXPECT_EQ(p.client->peer_cn(), c.cn);
    EXPECT_EQ(p.server->sni(), c.sni);
  }
}

TEST_F(TlsTest, SelectMatchesNames) {
  auto ctx = server_context();
  SSL_CTX* def = ctx->native();
  SSL_CTX* other = ctx->select("other.example.net");
  EXPECT_NE(other, def);
  EXPECT_EQ(ctx->select("other.example.net."), other);
  SSL_CTX* wildcard = ctx->select("x.EXAMPLE.net");
  EXPECT_NE(wildcard, def);
  EXPECT_EQ(ctx->select("y.example.net"), wildcard);
  EXPECT_EQ(ctx->select("x.y.example.net"), def);
  EXPECT_EQ(ctx->select("example.net"), def);
  EXPECT_EQ(ctx->select(".example.net"), def);
  EXPECT_EQ(ctx->select(""), def);
}

// A client that offers only TLS 1.0/1.1 (raw OpenSSL, security level 0 so
// that it does send them) is refused; the server gets an error value.
TEST_F(TlsTest, OldProtocolRefused) {
  Pair p = connect();
  auto sctx = server_context();
  Status server_hs = fail(Errc::internal, "not run");
  error_code client_ec;

  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(raw, nullptr);
  SSL_CTX_set_min_proto_version(raw, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(raw, TLS1_1_VERSION);
  SSL_CTX_set_cipher_list(raw, "DEFAULT:@SECLEVEL=0");
  boost::asio::ssl::context old(raw);  // owns raw
  {
    boost::asio::ssl::stream<tcp::socket&> old_client(p.client->socket(), old);
    auto server = [&]() -> awaitable<void> { server_hs = co_await p.server->handshake_server(sctx, kTimeout); };
    auto client = [&]() -> awaitable<void> {
      co_await old_client.async_handshake(boost::asio::ssl::stream_base::client,
                                          asio::redirect_error(asio::use_awaitable, client_ec));
    };
    run(io_, server(), client());
  }
  EXPECT_TRUE(client_ec);
  ASSERT_FALSE(server_hs.ok());
  EXPECT_EQ(server_hs.code(), Errc::invalid);
  EXPECT_NE(server_hs.error().detail.find("unsupported protocol"), std::string::npos) << server_hs.error().detail;
  EXPECT_FALSE(p.server->secure());

  // No fallback to plain text after a failed handshake.
  Status w = fail(Errc::internal, "not run");
  auto again = [&]() -> awaitable<void> { w = co_await p.server->write("250 plain\r\n", kTimeout); };
  run(io_, again());
  EXPECT_EQ(w.code(), Errc::invalid);
}

TEST_F(TlsTest, ClientVerifies) {
  auto sctx = server_context();
  tls::ClientOptions options;
  options.verify = true;
  options.ca_file = main_.cert_file;
  auto cctx = client_context(options);
  struct Case {
    std::string host;
    bool ok;
  };
  std::vector<Case> cases = {{"mail.example.org", true}, {"127.0.0.1", true}, {"wrong.example.org", false}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.host);
    Pair p = connect();
    Status server_hs = fail(Errc::internal, "not run"), client_hs = fail(Errc::internal, "not run");
    auto server = [&]() -> awaitable<void> { server_hs = co_await p.server->handshake_server(sctx, kTimeout); };
    auto client = [&]() -> awaitable<void> {
      std::string host = c.host;
      client_hs = co_await p.client->handshake_client(cctx, host, kTimeout);
    };
    run(io_, server(), client());
    if (c.ok) {
      ASSERT_TRUE(client_hs.ok()) << client_hs.error().detail;
      EXPECT_TRUE(p.client->peer_verified());
    } else {
      ASSERT_FALSE(client_hs.ok());
      EXPECT_EQ(client_hs.code(), Errc::denied) << client_hs.error().detail;
      EXPECT_NE(client_hs.error().detail.find("hostname mismatch"), std::string::npos) << client_hs.error().detail;
      EXPECT_FALSE(server_hs.ok());
    }
  }
}

TEST_F(TlsTest, ReadTimeoutThenRetry) {
  for (bool secure : {false, true}) {
    SCOPED_TRACE(secure ? "tls" : "plain");
    Pair p = connect();
    auto sctx = server_context();
    auto cctx = client_context();
    Result<std::size_t> first = fail(Errc::internal, "not run");
    Result<std::string> second = fail(Errc::internal, "not run");
    bool timed_out = false;
    auto server = [&]() -> awaitable<void> {
      if (secure) {
        Status hs = co_await p.server->handshake_server(sctx, kTimeout);
        EXPECT_TRUE(hs.ok());
      }
      char buf[64];
      first = co_await p.server->read_some(asio::buffer(buf), 50ms);
      timed_out = true;
      second = co_await read_line(*p.server);
    };
    auto client = [&]() -> awaitable<void> {
      if (secure) {
        std::string host = "mail.example.org";
        Status hs = co_await p.client->handshake_client(cctx, host, kTimeout);
        EXPECT_TRUE(hs.ok());
      }
      // Wait (without sleeping) until the server's read has timed out.
      asio::steady_timer tick(io_);
      while (!timed_out) {
        tick.expires_after(5ms);
        co_await tick.async_wait(asio::use_awaitable);
      }
      Status w = co_await p.client->write("late\r\n", kTimeout);
      EXPECT_TRUE(w.ok());
    };
    run(io_, server(), client());
    ASSERT_FALSE(first.ok());
    EXPECT_EQ(first.code(), Errc::timeout) << first.error().detail;
    ASSERT_TRUE(second.ok()) << second.error().detail;
    EXPECT_EQ(*second, "late\r\n");
  }
}

TEST_F(TlsTest, HandshakeTimeout) {
  Pair p = connect();
  auto sctx = server_context();
  Status hs = fail(Errc::internal, "not run");
  auto server = [&]() -> awaitable<void> { hs = co_await p.server->handshake_server(sctx, 50ms); };
  run(io_, server());
  ASSERT_FALSE(hs.ok());
  EXPECT_EQ(hs.code(), Errc::timeout) << hs.error().detail;
}

TEST_F(TlsTest, PeerEof) {
  // Plain: the peer's FIN.
  {
    Pair p = connect();
    Result<std::size_t> r = fail(Errc::internal, "not run");
    auto server = [&]() -> awaitable<void> {
      char buf[64];
      r = co_await p.server->read_some(asio::buffer(buf), kTimeout);
    };
    auto client = [&]() -> awaitable<void> { co_await p.client->shutdown(kTimeout); };
    run(io_, server(), client());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::unavailable);
    EXPECT_EQ(r.error().detail, "eof");
  }
  // TLS: the peer closes the socket without close_notify.
  {
    Pair p = connect();
    auto sctx = server_context();
    auto cctx = client_context();
    Result<std::size_t> r = fail(Errc::internal, "not run");
    auto server = [&]() -> awaitable<void> {
      Status hs = co_await p.server->handshake_server(sctx, kTimeout);
      EXPECT_TRUE(hs.ok());
      char buf[64];
      r = co_await p.server->read_some(asio::buffer(buf), kTimeout);
    };
    auto client = [&]() -> awaitable<void> {
      std::string host = "mail.example.org";
      Status hs = co_await p.client->handshake_client(cctx, host, kTimeout);
      EXPECT_TRUE(hs.ok());
      p.client->close();
    };
    run(io_, server(), client());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::unavailable);
    EXPECT_EQ(r.error().detail, "eof without TLS close_notify");
  }
}

TEST_F(TlsTest, CloseCancelsPendingRead) {
  Pair p = connect();
  Result<std::size_t> r = fail(Errc::internal, "not run");
  auto reader = [&]() -> awaitable<void> {
    char buf[64];
    r = co_await p.server->read_some(asio::buffer(buf), kTimeout);
  };
  auto closer = [&]() -> awaitable<void> {
    co_await asio::post(io_, asio::use_awaitable);
    p.server->close();
  };
  run(io_, reader(), closer());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::cancelled) << r.error().detail;

  Status w = fail(Errc::internal, "not run");
  auto writer = [&]() -> awaitable<void> { w = co_await p.server->write("x", kTimeout); };
  run(io_, writer());
  EXPECT_EQ(w.code(), Errc::cancelled);
}

TEST_F(TlsTest, CreateRejectsMismatchedKey) {
  tls::ServerConfig config;
  config.default_cert = {main_.cert_file, other_.key_file};
  auto ctx = tls::ServerContext::create(config);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.code(), Errc::invalid);
  EXPECT_NE(ctx.error().detail.find(other_.key_file), std::string::npos) << ctx.error().detail;

  // Also when it is an SNI entry that is wrong.
  config.default_cert = main_;
  config.by_name.emplace_back("other.example.net", tls::CertPair{other_.cert_file, main_.key_file});
  ctx = tls::ServerContext::create(config);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().detail.find(main_.key_file), std::string::npos) << ctx.error().detail;
}

TEST_F(TlsTest, CreateRejectsMissingOrBadFiles) {
  std::string missing = dir_->path() + "/missing.crt";
  tls::ServerConfig config;
  config.default_cert = {missing, main_.key_file};
  auto ctx = tls::ServerContext::create(config);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.code(), Errc::not_found);
  EXPECT_NE(ctx.error().detail.find(missing), std::string::npos) << ctx.error().detail;

  config.default_cert = {main_.cert_file, missing};
  ctx = tls::ServerContext::create(config);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().detail.find(missing), std::string::npos) << ctx.error().detail;

  // A key where the certificate should be: OpenSSL's reason, and the file.
  config.default_cert = {main_.key_file, main_.key_file};
  ctx = tls::ServerContext::create(config);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.code(), Errc::invalid);
  EXPECT_NE(ctx.error().detail.find(main_.key_file), std::string::npos) << ctx.error().detail;

  config.default_cert = main_;
  config.by_name.emplace_back("*.*.example.org", other_);
  ctx = tls::ServerContext::create(config);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.code(), Errc::invalid);

  tls::ClientOptions options;
  options.verify = true;
  options.ca_file = missing;
  auto client = tls::ClientContext::create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.code(), Errc::not_found);
  EXPECT_NE(client.error().detail.find(missing), std::string::npos);
}

}  // namespace
}  // namespace parley
