#include "connection.h"

#include <charconv>

#include "log/log.h"
#include "server.h"

namespace parley::sipd {

namespace {

constexpr auto kWriteTimeout = std::chrono::seconds(30);
// Bytes queued for a peer that does not read: past this the connection is
// closed rather than let memory grow (a few hundred messages).
constexpr std::size_t kMaxQueued = 4u << 20;

std::uint16_t port_of(std::string_view peer) {
  auto colon = peer.rfind(':');
  std::uint16_t port = 0;
  if (colon != std::string_view::npos) std::from_chars(peer.data() + colon + 1, peer.data() + peer.size(), port);
  return port;
}

}  // namespace

Connection::Connection(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid)
    : Session(server.front(), std::move(stream), std::move(listener), std::move(sid), "sip"), server_(server) {}

awaitable<void> Connection::run(std::shared_ptr<Connection> self) { co_await self->serve(); }

awaitable<void> Connection::serve() {
  const auto settings = server_.settings();
  const bool implicit_tls = listener_ == "sips";
  std::shared_ptr<tls::ServerContext> tls_context = implicit_tls ? settings->tls_for(listener_) : nullptr;
  auto opened = co_await open(tls_context);
  if (opened != Opened::ready) co_return;
  flow_.kind = implicit_tls ? Flow::Kind::tls : Flow::Kind::tcp;
  flow_.connection = server_.add_connection(shared_from_this());
  flow_.ip = ip_;
  flow_.port = port_of(peer_);
  log::debug("sip.connection.open", "connected", {{"sid", sid_}, {"peer", peer_}, {"flow", flow_.name()}});
  std::string buf(16384, '\0');
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings->idle_timeout);
  while (!closing_) {
    auto n = co_await receive(asio::buffer(buf), timeout);
    if (!n || *n == 0) break;
    framer_.feed(std::string_view(buf.data(), *n));
    for (;;) {
      auto frame = framer_.next();
      if (!frame) {
        log::info("sip.connection.bad_stream", frame.error().detail, {{"sid", sid_}, {"peer", peer_}});
        if (framer_.broken()) {
          closing_ = true;
          break;
        }
        continue;
      }
      if (!*frame) break;
      switch ((*frame)->kind) {
        case sip::Frame::Kind::ping: send("\r\n"); break;
        case sip::Frame::Kind::pong: break;
        case sip::Frame::Kind::message: server_.core().receive(std::move((*frame)->bytes), flow_); break;
      }
    }
  }
  close();
  server_.remove_connection(flow_.connection);
  log::debug("sip.connection.closed", "closed", {{"sid", sid_}, {"peer", peer_}});
}

bool Connection::send(std::string bytes) {
  if (closing_) return false;
  std::size_t queued = bytes.size();
  for (const auto& b : out_) queued += b.size();
  if (queued > kMaxQueued) {
    log::warn("sip.connection.stalled", "peer does not read; closing", {{"sid", sid_}, {"peer", peer_}});
    close();
    return false;
  }
  out_.push_back(std::move(bytes));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(server_.io(), write_loop(shared_from_this()), asio::detached);
  }
  return true;
}

awaitable<void> Connection::write_loop(std::shared_ptr<Connection> self) {
  while (!self->out_.empty() && !self->closing_) {
    const std::string& next = self->out_.front();
    auto written = co_await self->stream_->write(next, kWriteTimeout);
    if (!written) {
      self->close();
      break;
    }
    self->out_.pop_front();
  }
  self->writing_ = false;
  if (self->closing_) self->out_.clear();
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  if (!writing_) out_.clear();  // else write_loop holds the front one; it stops
  stream_->close();
}

}  // namespace parley::sipd
