#include "tls/stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <exception>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace parley::net {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using std::chrono::milliseconds;

struct TcpStream::Tls {
  Tls(asio::ip::tcp::socket& socket, ssl::context& ctx) : stream(socket, ctx) {}

  ssl::stream<asio::ip::tcp::socket&> stream;
  // Whichever was used, kept alive for the SNI callback and the session.
  std::shared_ptr<tls::ServerContext> server_ctx;
  std::shared_ptr<tls::ClientContext> client_ctx;
  bool established = false;
  std::string sni;
};

namespace {

// Bounds one operation: on expiry it cancels the socket's pending
// operations, which then end with operation_aborted and fired() tells why.
// The state is shared with the timer's handler because an expiry can be
// queued just as the operation completes: the handler then sees `done` and
// touches nothing (the stream may be gone by then).
class Watchdog {
 public:
  Watchdog(asio::ip::tcp::socket& socket, milliseconds timeout)
      : timer_(socket.get_executor()), state_(std::make_shared<State>()) {
    timer_.expires_after(timeout);
    timer_.async_wait([state = state_, &socket](const error_code& ec) {
      if (ec || state->done) return;
      state->fired = true;
      error_code ignored;
      socket.cancel(ignored);
    });
  }
  ~Watchdog() { finish(); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void finish() {
    if (state_->done) return;
    state_->done = true;
    timer_.cancel();
  }
  bool fired() const { return state_->fired; }

 private:
  struct State {
    bool done = false;
    bool fired = false;
  };
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

// Asio's SSL error category packs OpenSSL's error code into an int; its own
// message() loses the reason with OpenSSL 3's codes, so look it up here.
std::string ssl_reason(const error_code& ec) {
  auto code = static_cast<unsigned long>(static_cast<unsigned int>(ec.value()));
  const char* reason = ERR_reason_error_string(code);
  if (reason == nullptr) return ec.message();
  return reason;
}

std::string format_peer(const asio::ip::tcp::endpoint& ep) {
  asio::ip::address addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  std::string port = std::to_string(ep.port());
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + port;
  return addr.to_string() + ":" + port;
}

std::string format_ip(const asio::ip::tcp::endpoint& ep) {
  asio::ip::address addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
  return addr.to_string();
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

Stream::~Stream() = default;

TcpStream::TcpStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  error_code ec;
  asio::ip::tcp::endpoint ep = socket_.remote_endpoint(ec);
  if (!ec) {
    peer_ = format_peer(ep);
    peer_ip_ = format_ip(ep);
  }
}

TcpStream::~TcpStream() = default;

Error TcpStream::to_error(const error_code& ec, bool timed_out, std::string_view op) const {
  std::string what(op);
  if (closed_) return fail(Errc::cancelled, what + ": stream closed");
  if (timed_out) return fail(Errc::timeout, what + " timed out");
  if (ec == asio::error::operation_aborted) return fail(Errc::cancelled, what + ": cancelled");
  if (ec == asio::error::eof) return fail(Errc::unavailable, "eof");
  if (ec == ssl::error::stream_truncated) return fail(Errc::unavailable, "eof without TLS close_notify");
  if (ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
      ec == asio::error::broken_pipe || ec == asio::error::not_connected || ec == asio::error::shut_down) {
    return fail(Errc::unavailable, ec.message());
  }
  if (ec.category() == asio::error::get_ssl_category()) return fail(Errc::invalid, what + ": " + ssl_reason(ec));
  if (ec.category() == ssl::error::get_stream_category()) return fail(Errc::invalid, what + ": " + ec.message());
  return fail(Errc::io, what + ": " + ec.message());
}

awaitable<Result<std::size_t>> TcpStream::read_some(asio::mutable_buffer buffer, milliseconds timeout) {
  if (closed_) co_return fail(Errc::cancelled, "read: stream closed");
  if (tls_failed_) co_return fail(Errc::invalid, "read: the TLS handshake failed");
  if (buffer.size() == 0) co_return static_cast<std::size_t>(0);
  Watchdog dog(socket_, timeout);
  error_code ec;
  std::size_t n = 0;
  if (tls_) {
    n = co_await tls_->stream.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    n = co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
  dog.finish();
  if (n > 0) co_return n;
  if (!ec) co_return fail(Errc::internal, "read: no bytes and no error");
  co_return to_error(ec, dog.fired(), "read");
}

awaitable<Status> TcpStream::write(std::string_view data, milliseconds timeout) {
  if (closed_) co_return fail(Errc::cancelled, "write: stream closed");
  if (tls_failed_) co_return fail(Errc::invalid, "write: the TLS handshake failed");
  if (data.empty()) co_return Status();
  Watchdog dog(socket_, timeout);
  error_code ec;
  asio::const_buffer bytes(data.data(), data.size());
  if (tls_) {
    co_await asio::async_write(tls_->stream, bytes, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, bytes, asio::redirect_error(asio::use_awaitable, ec));
  }
  dog.finish();
  if (ec) co_return to_error(ec, dog.fired(), "write");
  co_return Status();
}

awaitable<Status> TcpStream::handshake_server(std::shared_ptr<tls::ServerContext> ctx, milliseconds timeout) {
  if (closed_) co_return fail(Errc::cancelled, "TLS handshake: stream closed");
  if (tls_) co_return fail(Errc::invalid, "TLS handshake: TLS already started on this stream");
  if (!ctx) co_return fail(Errc::invalid, "TLS handshake: no server context");
  try {
    // Asio's context owns the handle it wraps: give it a reference of its
    // own. The SSL object made from it holds another; ours lives in ctx.
    SSL_CTX_up_ref(ctx->native());
    ssl::context borrowed(ctx->native());
    tls_ = std::make_unique<Tls>(socket_, borrowed);
  } catch (const std::exception& e) {
    tls_failed_ = true;
    co_return fail(Errc::internal, std::string("TLS handshake: cannot create the connection: ") + e.what());
  }
  tls_->server_ctx = std::move(ctx);
  co_return co_await handshake(true, timeout);
}

awaitable<Status> TcpStream::handshake_client(std::shared_ptr<tls::ClientContext> ctx, std::string sni_host,
                                           milliseconds timeout) {
  if (closed_) co_return fail(Errc::cancelled, "TLS handshake: stream closed");
  if (tls_) co_return fail(Errc::invalid, "TLS handshake: TLS already started on this stream");
  if (!ctx) co_return fail(Errc::invalid, "TLS handshake: no client context");
  if (ctx->verify() && sni_host.empty()) {
    co_return fail(Errc::invalid, "TLS handshake: verification needs the server's host name");
  }
  try {
    SSL_CTX_up_ref(ctx->native());
    ssl::context borrowed(ctx->native());
    tls_ = std::make_unique<Tls>(socket_, borrowed);
  } catch (const std::exception& e) {
    tls_failed_ = true;
    co_return fail(Errc::internal, std::string("TLS handshake: cannot create the connection: ") + e.what());
  }
  tls_->client_ctx = std::move(ctx);
  SSL* ssl = tls_->stream.native_handle();
  if (!sni_host.empty()) {
    // SNI carries host names only (RFC 6066 3); the certificate is checked
    // against the name or the address either way (enforced if verifying).
    bool ok = true;
    if (is_ip_literal(sni_host)) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), sni_host.c_str()) == 1;
    } else {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set_tlsext_host_name(ssl, sni_host.c_str()) == 1 && SSL_set1_host(ssl, sni_host.c_str()) == 1;
    }
    if (!ok) {
      tls_failed_ = true;
      co_return fail(Errc::invalid, "TLS handshake: bad host name \"" + sni_host + "\": " + tls::openssl_errors());
    }
  }
  co_return co_await handshake(false, timeout);
}

awaitable<Status> TcpStream::handshake(bool server, milliseconds timeout) {
  Watchdog dog(socket_, timeout);
  error_code ec;
  auto side = server ? ssl::stream_base::server : ssl::stream_base::client;
  co_await tls_->stream.async_handshake(side, asio::redirect_error(asio::use_awaitable, ec));
  dog.finish();
  SSL* ssl = tls_->stream.native_handle();
  if (ec) {
    tls_failed_ = true;
    long verify = SSL_get_verify_result(ssl);
    if (!server && tls_->client_ctx->verify() && verify != X509_V_OK && !closed_ && !dog.fired()) {
      co_return fail(Errc::denied, std::string("TLS handshake: server certificate: ") +
                                       X509_verify_cert_error_string(verify));
    }
    co_return to_error(ec, dog.fired(), "TLS handshake");
  }
  tls_->established = true;
  if (server) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name != nullptr) {
      tls_->sni = name;
      for (char& c : tls_->sni) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
    }
  }
  co_return Status();
}

bool TcpStream::secure() const { return tls_ && tls_->established; }

std::string TcpStream::tls_version() const {
  if (!secure()) return {};
  return SSL_get_version(tls_->stream.native_handle());
}

std::string TcpStream::tls_cipher() const {
  if (!secure()) return {};
  const char* name = SSL_get_cipher_name(tls_->stream.native_handle());
  return name != nullptr ? name : "";
}

std::string TcpStream::sni() const { return secure() ? tls_->sni : std::string(); }

std::string TcpStream::peer_cn() const {
  if (!secure()) return {};
  X509* cert = SSL_get0_peer_certificate(tls_->stream.native_handle());
  if (cert == nullptr) return {};
  X509_NAME* subject = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

bool TcpStream::peer_verified() const {
  if (!secure()) return false;
  SSL* ssl = tls_->stream.native_handle();
  return SSL_get0_peer_certificate(ssl) != nullptr && SSL_get_verify_result(ssl) == X509_V_OK;
}

awaitable<void> TcpStream::shutdown(milliseconds timeout) {
  if (closed_) co_return;
  if (secure() && !tls_failed_) {
    // Send our close_notify without waiting for the peer's (RFC 8446 6.1
    // allows it): marked as already received, SSL_shutdown completes once
    // ours is written.
    SSL* ssl = tls_->stream.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    Watchdog dog(socket_, timeout);
    error_code ec;
    co_await tls_->stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    dog.finish();
  }
  if (closed_) co_return;
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

void TcpStream::close() {
  closed_ = true;
  error_code ec;
  socket_.close(ec);
}

void TcpStream::cancel() {
  error_code ec;
  socket_.cancel(ec);
}

}  // namespace parley::net
