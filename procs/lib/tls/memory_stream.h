// net::MemoryStream: a Stream over bytes in memory, for scripted session
// dialogs and session fuzz targets (no sockets, no real TLS).
//
// The test plays the client: feed() gives the session bytes to read,
// finish() ends the client's side (reads then end with Errc::unavailable
// "eof"), output()/take_output() show what the session wrote. Time is the
// test's: a read waits (without a timer) until bytes come, finish(),
// close(), cancel() or expire(), which ends the pending read with
// Errc::timeout as if its timeout had passed.
//
// A handshake succeeds at once and the stream reports itself secure
// ("TLSv1.3", cipher "MEMORY"), so that what a session does after STARTTLS
// is reachable; refuse_tls() makes handshakes fail instead (Errc::invalid).
// set_read_chunk(1) hands bytes to the session one at a time.
#pragma once

#include <cstddef>
#include <string>

#include "tls/stream.h"

namespace parley::net {

class MemoryStream final : public Stream {
 public:
  explicit MemoryStream(asio::io_context& io, std::string peer_ip = "192.0.2.1", int peer_port = 40000);
  ~MemoryStream() override;

  // The client's side.
  void feed(std::string_view bytes);
  void finish();
  void expire();
  void refuse_tls() { tls_refused_ = true; }
  void set_read_chunk(std::size_t bytes) { read_chunk_ = bytes == 0 ? 1 : bytes; }
  const std::string& output() const { return output_; }
  std::string take_output();
  bool closed() const { return closed_; }
  bool shut_down() const { return shut_down_; }
  // Whether the session waits for client bytes right now.
  bool reading() const { return reading_; }
  // Bytes fed and not read yet.
  std::size_t unread() const { return input_.size() - consumed_; }

  awaitable<Result<std::size_t>> read_some(asio::mutable_buffer buffer, std::chrono::milliseconds timeout) override;
  awaitable<Status> write(std::string_view data, std::chrono::milliseconds timeout) override;
  awaitable<Status> handshake_server(std::shared_ptr<tls::ServerContext> ctx, std::chrono::milliseconds timeout) override;
  awaitable<Status> handshake_client(std::shared_ptr<tls::ClientContext> ctx, std::string sni_host,
                                     std::chrono::milliseconds timeout) override;
  bool secure() const override { return secure_; }
  std::string tls_version() const override;
  std::string tls_cipher() const override;
  std::string sni() const override { return {}; }
  std::string peer_cn() const override { return {}; }
  bool peer_verified() const override { return false; }
  awaitable<void> shutdown(std::chrono::milliseconds timeout) override;
  void close() override;
  void cancel() override;
  int native_handle() override { return -1; }

 private:
  awaitable<Status> handshake();
  void wake();

  asio::steady_timer wakeup_;
  std::string input_;
  std::size_t consumed_ = 0;
  std::string output_;
  std::size_t read_chunk_ = 64 * 1024;
  bool eof_ = false;
  bool expired_ = false;
  bool cancelled_ = false;
  bool closed_ = false;
  bool shut_down_ = false;
  bool reading_ = false;
  bool secure_ = false;
  bool tls_refused_ = false;
  bool tls_failed_ = false;
};

}  // namespace parley::net
