// net::Stream: the byte stream a session speaks over. It starts in plain
// text and may switch to TLS once (STARTTLS, RFC 3207 / RFC 2595), or
// starts with TLS at once (implicit TLS, RFC 8314: smtps 465, imaps 993).
// Two implementations: TcpStream, one connected socket with OpenSSL (this
// file), and MemoryStream (tls/memory_stream.h), scripted bytes for dialog
// tests and session fuzz targets.
//
// Contract:
//   - Every operation takes a timeout and returns a value, never throws.
//     Errors: Errc::timeout (nothing within the timeout), Errc::cancelled
//     (close() or cancel() was called, or a timeout of the operation running
//     in the other direction cancelled this one), Errc::unavailable (peer's
//     EOF or reset; detail "eof", "eof without TLS close_notify", or the
//     system's reason), Errc::invalid (TLS protocol failure: detail is
//     OpenSSL's reason; or a call in the wrong state), Errc::denied (the
//     client verifies and the server's certificate failed: detail says
//     why), Errc::io (other system errors).
//   - At most one read and one write may be pending at a time (as with any
//     Asio stream); the handshake runs alone. The Stream must outlive its
//     pending operations and be destroyed before its io_context.
//   - A timed-out or cancelled read can be retried. After a failed or
//     timed-out write or handshake the stream is only good for close(): a
//     TLS record may have been cut. After a failed handshake reads and
//     writes fail (Errc::invalid) rather than fall back to plain text.
//   - STARTTLS: the caller must discard any plain-text bytes it had read
//     but not consumed before the handshake (CVE-2011-0411 class of bugs).
//     The stream itself buffers nothing.
//   - Not movable: the TLS layer refers to the socket inside.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/asio.h"
#include "core/result.h"
#include "tls/context.h"

namespace parley::net {

class Stream {
 public:
  Stream() = default;
  virtual ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Reads what is available, at least 1 byte (0 only for an empty buffer).
  virtual awaitable<Result<std::size_t>> read_some(asio::mutable_buffer buffer, std::chrono::milliseconds timeout) = 0;
  // Writes all of `data` (the caller keeps it alive until this completes).
  virtual awaitable<Status> write(std::string_view data, std::chrono::milliseconds timeout) = 0;

  // TLS handshake as the server: for implicit TLS right after accept, for
  // STARTTLS after the "220 ready" reply. The certificate is chosen by the
  // client's SNI name (see tls::ServerConfig). `ctx` is kept until the
  // stream is destroyed.
  virtual awaitable<Status> handshake_server(std::shared_ptr<tls::ServerContext> ctx,
                                             std::chrono::milliseconds timeout) = 0;
  // TLS handshake as the client. `sni_host` is sent as SNI (unless empty or
  // an IP address) and is the name the certificate is checked against.
  virtual awaitable<Status> handshake_client(std::shared_ptr<tls::ClientContext> ctx, std::string sni_host,
                                             std::chrono::milliseconds timeout) = 0;

  // True once a handshake succeeded.
  virtual bool secure() const = 0;
  virtual std::string tls_version() const = 0;  // "TLSv1.3"; "" when plain
  virtual std::string tls_cipher() const = 0;   // "TLS_AES_256_GCM_SHA384"; "" when plain
  // Server side: the SNI name the client sent (lowercase), "" if none.
  virtual std::string sni() const = 0;
  // The peer certificate's subject CN, "" when none (plain, or a client
  // that sent none).
  virtual std::string peer_cn() const = 0;
  // Client side: whether the server's certificate chained to a trusted CA
  // and matched the host name (also computed when not enforced).
  virtual bool peer_verified() const = 0;

  // TLS close_notify if secure (without waiting for the peer's), then
  // shutdown in both directions. Never fails loudly; the stream stays open
  // until close() or destruction.
  virtual awaitable<void> shutdown(std::chrono::milliseconds timeout) = 0;
  // Immediate: pending operations end with Errc::cancelled, as do all
  // later ones.
  virtual void close() = 0;
  // Immediate: a pending read or write ends with Errc::cancelled; the
  // stream stays usable (a session waiting for its client is told to stop).
  virtual void cancel() = 0;

  // The connected socket's descriptor (credentials of a Unix peer: SO_PEERCRED);
  // -1 when there is none.
  virtual int native_handle() = 0;
  // The peer's address as "127.0.0.1:51234" / "[::1]:51234" ("" if unknown).
  std::string peer() const { return peer_; }
  // The peer's address alone: "127.0.0.1", "::1" ("" as above).
  std::string peer_ip() const { return peer_ip_; }

 protected:
  std::string peer_;
  std::string peer_ip_;
};

// A stream over one connected TCP (or Unix) socket; TLS by OpenSSL.
class TcpStream final : public Stream {
 public:
  explicit TcpStream(asio::ip::tcp::socket socket);
  ~TcpStream() override;

  awaitable<Result<std::size_t>> read_some(asio::mutable_buffer buffer, std::chrono::milliseconds timeout) override;
  awaitable<Status> write(std::string_view data, std::chrono::milliseconds timeout) override;
  awaitable<Status> handshake_server(std::shared_ptr<tls::ServerContext> ctx, std::chrono::milliseconds timeout) override;
  awaitable<Status> handshake_client(std::shared_ptr<tls::ClientContext> ctx, std::string sni_host,
                                     std::chrono::milliseconds timeout) override;
  bool secure() const override;
  std::string tls_version() const override;
  std::string tls_cipher() const override;
  std::string sni() const override;
  std::string peer_cn() const override;
  bool peer_verified() const override;
  awaitable<void> shutdown(std::chrono::milliseconds timeout) override;
  void close() override;
  void cancel() override;
  int native_handle() override { return socket_.native_handle(); }

  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  struct Tls;

  Error to_error(const boost::system::error_code& ec, bool timed_out, std::string_view op) const;
  awaitable<Status> handshake(bool server, std::chrono::milliseconds timeout);

  asio::ip::tcp::socket socket_;
  bool closed_ = false;
  bool tls_failed_ = false;  // a handshake failed: no more I/O
  // After socket_: the TLS layer refers to it and must go first.
  std::unique_ptr<Tls> tls_;
};

}  // namespace parley::net
