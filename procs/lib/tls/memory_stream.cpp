#include "tls/memory_stream.h"

#include <algorithm>
#include <cstring>

namespace parley::net {

using boost::system::error_code;
using std::chrono::milliseconds;

MemoryStream::MemoryStream(asio::io_context& io, std::string peer_ip, int peer_port) : wakeup_(io) {
  peer_ip_ = std::move(peer_ip);
  bool v6 = peer_ip_.find(':') != std::string::npos;
  std::string host = v6 ? "[" + peer_ip_ + "]" : peer_ip_;
  peer_ = host + ":" + std::to_string(peer_port);
}

MemoryStream::~MemoryStream() = default;

void MemoryStream::wake() { wakeup_.cancel(); }

void MemoryStream::feed(std::string_view bytes) {
  // What was read already is dropped, so a long dialog does not grow.
  input_.erase(0, consumed_);
  consumed_ = 0;
  input_.append(bytes);
  wake();
}

void MemoryStream::finish() {
  eof_ = true;
  wake();
}

void MemoryStream::expire() {
  expired_ = true;
  wake();
}

void MemoryStream::cancel() {
  cancelled_ = true;
  wake();
}

void MemoryStream::close() {
  closed_ = true;
  wake();
}

std::string MemoryStream::take_output() {
  std::string out;
  out.swap(output_);
  return out;
}

awaitable<Result<std::size_t>> MemoryStream::read_some(asio::mutable_buffer buffer, milliseconds) {
  if (tls_failed_) co_return fail(Errc::invalid, "read: the TLS handshake failed");
  if (buffer.size() == 0) co_return static_cast<std::size_t>(0);
  for (;;) {
    if (closed_) co_return fail(Errc::cancelled, "read: stream closed");
    if (cancelled_) {
      cancelled_ = false;
      co_return fail(Errc::cancelled, "read: cancelled");
    }
    if (expired_) {
      expired_ = false;
      co_return fail(Errc::timeout, "read timed out");
    }
    if (consumed_ < input_.size()) break;
    if (eof_) co_return fail(Errc::unavailable, "eof");
    // Nothing to read yet: sleep until the client side wakes us.
    reading_ = true;
    wakeup_.expires_at(asio::steady_timer::time_point::max());
    error_code ec;
    co_await wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    reading_ = false;
  }
  std::size_t n = std::min({buffer.size(), input_.size() - consumed_, read_chunk_});
  std::memcpy(buffer.data(), input_.data() + consumed_, n);
  consumed_ += n;
  co_return n;
}

awaitable<Status> MemoryStream::write(std::string_view data, milliseconds) {
  if (closed_) co_return fail(Errc::cancelled, "write: stream closed");
  if (tls_failed_) co_return fail(Errc::invalid, "write: the TLS handshake failed");
  if (shut_down_) co_return fail(Errc::unavailable, "write after shutdown");
  output_.append(data);
  co_return Status();
}

awaitable<Status> MemoryStream::handshake() {
  if (closed_) co_return fail(Errc::cancelled, "TLS handshake: stream closed");
  if (secure_ || tls_failed_) co_return fail(Errc::invalid, "TLS handshake: TLS already started on this stream");
  if (tls_refused_) {
    tls_failed_ = true;
    co_return fail(Errc::invalid, "TLS handshake: refused by the test");
  }
  secure_ = true;
  co_return Status();
}

awaitable<Status> MemoryStream::handshake_server(std::shared_ptr<tls::ServerContext> ctx, milliseconds) {
  if (!ctx) co_return fail(Errc::invalid, "TLS handshake: no server context");
  co_return co_await handshake();
}

awaitable<Status> MemoryStream::handshake_client(std::shared_ptr<tls::ClientContext> ctx, std::string, milliseconds) {
  if (!ctx) co_return fail(Errc::invalid, "TLS handshake: no client context");
  co_return co_await handshake();
}

std::string MemoryStream::tls_version() const { return secure_ ? "TLSv1.3" : ""; }
std::string MemoryStream::tls_cipher() const { return secure_ ? "MEMORY" : ""; }

awaitable<void> MemoryStream::shutdown(milliseconds) {
  shut_down_ = true;
  co_return;
}

}  // namespace parley::net
