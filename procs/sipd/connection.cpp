#include "connection.h"

#include <charconv>

#include "auth/auth.h"
#include "core/utf8.h"
#include "log/log.h"
#include "server.h"

namespace parley::sipd {

namespace {

constexpr auto kWriteTimeout = std::chrono::seconds(30);
// Bytes queued for a peer that does not read: past this the connection is
// closed rather than let memory grow (a few hundred messages).
constexpr std::size_t kMaxQueued = 4u << 20;
constexpr std::size_t kWriteBatch = 64u << 10;

std::uint16_t port_of(std::string_view peer) {
  auto colon = peer.rfind(':');
  std::uint16_t port = 0;
  if (colon != std::string_view::npos) std::from_chars(peer.data() + colon + 1, peer.data() + peer.size(), port);
  return port;
}

}  // namespace

Connection::Connection(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid)
    : Session(server.front(), std::move(stream), std::move(listener), std::move(sid), "sip"),
      server_(server),
      server_alive_(server.alive()) {}

awaitable<void> Connection::run(std::shared_ptr<Connection> self) { co_await self->serve(); }

awaitable<void> Connection::serve() {
  const auto settings = server_.settings();
  const bool websocket = listener_ == "sip-ws" || listener_ == "sip-wss";
  const bool implicit_tls = listener_ == "sips" || listener_ == "sip-wss";
  std::shared_ptr<tls::ServerContext> tls_context = implicit_tls ? settings->tls_for(listener_) : nullptr;
  auto opened = co_await open(tls_context);
  if (opened != Opened::ready) co_return;
  std::string leftover;
  if (websocket && !co_await accept_websocket(leftover)) co_return;
  flow_.kind = websocket ? (implicit_tls ? Flow::Kind::wss : Flow::Kind::ws) : (implicit_tls ? Flow::Kind::tls : Flow::Kind::tcp);
  flow_.connection = server_.add_connection(shared_from_this());
  flow_.ip = ip_;
  flow_.port = port_of(peer_);
  log::debug("sip.connection.open", "connected", {{"sid", sid_}, {"peer", peer_}, {"flow", flow_.name()}});
  if (!leftover.empty()) on_websocket_bytes(leftover);
  co_await read_loop();
}

std::shared_ptr<Connection> Connection::connect(Server& server, Flow flow, std::string sid, std::string server_name) {
  auto stream = std::make_unique<net::TcpStream>(asio::ip::tcp::socket(server.io()));
  auto c = std::make_shared<Connection>(server, std::move(stream), "outbound", std::move(sid));
  c->flow_ = std::move(flow);
  c->server_name_ = std::move(server_name);
  c->connecting_ = true;
  c->ip_ = c->flow_.ip;
  c->peer_ = c->flow_.peer();
  asio::co_spawn(server.io(), serve_outbound(c), asio::detached);
  return c;
}

awaitable<void> Connection::serve_outbound(std::shared_ptr<Connection> self) {
  constexpr auto kConnectTimeout = std::chrono::seconds(5);
  Connection& c = *self;
  auto& socket = static_cast<net::TcpStream&>(*c.stream_).socket();
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(c.flow_.ip, ec);
  if (!ec) {
    asio::steady_timer timer(c.server_.io());
    timer.expires_after(kConnectTimeout);
    timer.async_wait([&socket](boost::system::error_code e) {
      if (!e) socket.cancel();
    });
    co_await socket.async_connect(asio::ip::tcp::endpoint(address, c.flow_.port),
                                  asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
  }
  if (!*c.server_alive_) co_return;  // sipd is shutting down: the server is gone
  std::string failure = ec ? ec.message() : std::string();
  if (!ec && c.flow_.kind == Flow::Kind::tls) {
    // The server must prove the name the target was located by (RFC 5922
    // 7.3); a bare address is checked against the certificate's addresses.
    const std::string name = c.server_name_.empty() ? c.flow_.ip : c.server_name_;
    auto context = c.server_.settings()->tls_client;
    auto shaken = co_await c.stream_->handshake_client(context, name, kConnectTimeout);
    if (!*c.server_alive_) co_return;
    if (!shaken) {
      failure = "TLS: " + shaken.error().detail;
    } else {
      log::debug("sip.connection.tls", "TLS up", {{"sid", c.sid_}, {"peer", c.peer_}, {"host", name},
                                                   {"tls", c.stream_->tls_version()}});
    }
  }
  if (!failure.empty()) {
    log::info("sip.connection.connect_failed", failure, {{"sid", c.sid_}, {"peer", c.peer_}, {"host", c.server_name_}});
    c.closing_ = true;
    c.out_.clear();
    c.queued_ = 0;
    c.server_.remove_connection(c.flow_.connection);
    c.server_.core().flow_closed(c.flow_);
    co_return;
  }
  log::debug("sip.connection.open", "connected out", {{"sid", c.sid_}, {"peer", c.peer_}, {"flow", c.flow_.name()}});
  c.connecting_ = false;
  if (!c.out_.empty() && !c.writing_) {
    c.writing_ = true;
    asio::co_spawn(c.server_.io(), write_loop(self), asio::detached);
  }
  co_await c.read_loop();
}

awaitable<void> Connection::read_loop() {
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(server_.settings()->idle_timeout);
  std::string buf(16384, '\0');
  while (!closing_) {
    auto n = co_await receive(asio::buffer(buf), timeout);
    if (!*server_alive_) co_return;
    if (!n || *n == 0) break;
    const std::string_view bytes(buf.data(), *n);
    if (websocket_) {
      on_websocket_bytes(bytes);
    } else {
      on_stream_bytes(bytes);
    }
  }
  close();
  server_.remove_connection(flow_.connection);
  server_.core().flow_closed(flow_);
  log::debug("sip.connection.closed", "closed", {{"sid", sid_}, {"peer", peer_}});
}

void Connection::on_stream_bytes(std::string_view bytes) {
  framer_.feed(bytes);
  while (!closing_) {
    auto frame = framer_.next();
    if (!frame) {
      log::info("sip.connection.bad_stream", frame.error().detail, {{"sid", sid_}, {"peer", peer_}});
      if (framer_.broken()) close();
      continue;
    }
    if (!*frame) return;
    switch ((*frame)->kind) {
      case sip::Frame::Kind::ping: send("\r\n"); break;
      case sip::Frame::Kind::pong: break;
      case sip::Frame::Kind::message: server_.core().receive(std::move((*frame)->bytes), flow_); break;
    }
  }
}

void Connection::on_websocket_bytes(std::string_view bytes) {
  websocket_->feed(bytes);
  while (!closing_) {
    auto message = websocket_->next();
    if (!message) {
      log::info("sip.websocket.bad_frame", message.error().detail, {{"sid", sid_}, {"peer", peer_}});
      const auto code = message.code() == Errc::limit ? ws::kCloseTooBig : ws::kCloseProtocolError;
      send_websocket(ws::Opcode::close, ws::close_payload(code));
      closing_after_write_ = true;
      return;
    }
    if (!*message) return;
    switch ((*message)->opcode) {
      case ws::Opcode::ping: send_websocket(ws::Opcode::pong, (*message)->payload); break;
      case ws::Opcode::close:
        send_websocket(ws::Opcode::close, ws::close_payload(ws::kCloseNormal));
        closing_after_write_ = true;
        return;
      case ws::Opcode::text:
      case ws::Opcode::binary: server_.core().receive(std::move((*message)->payload), flow_); break;
      default: break;
    }
  }
}

awaitable<bool> Connection::accept_websocket(std::string& leftover) {
  constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
  std::string head;
  std::string buf(4096, '\0');
  for (;;) {
    std::size_t consumed = 0;
    auto handshake = ws::parse_handshake(head, consumed);
    if (!handshake || (*handshake && !(*handshake)->offers("sip"))) {
      log::info("sip.websocket.refused", handshake ? "no sip subprotocol" : handshake.error().detail,
                {{"sid", sid_}, {"peer", peer_}});
      const std::string refusal = ws::handshake_refusal();
      co_await stream_->write(refusal, kHandshakeTimeout);
      co_return false;
    }
    if (*handshake) {
      const std::string response = ws::handshake_response(auth::websocket_accept((*handshake)->key), "sip");
      auto written = co_await stream_->write(response, kHandshakeTimeout);
      if (!written) co_return false;
      leftover = head.substr(consumed);
      websocket_ = std::make_unique<ws::Decoder>(sip::kMaxMessageSize);
      co_return true;
    }
    auto n = co_await receive(asio::buffer(buf), kHandshakeTimeout);
    if (!n || *n == 0) co_return false;
    head.append(buf.data(), *n);
  }
}

bool Connection::send(std::string bytes) {
  if (websocket_) {
    // SIP in text frames when it is UTF-8, else binary (RFC 7118 5.1).
    const auto opcode = valid_utf8(bytes) ? ws::Opcode::text : ws::Opcode::binary;
    return send_websocket(opcode, bytes);
  }
  return queue(std::move(bytes));
}

bool Connection::send_websocket(ws::Opcode opcode, std::string_view payload) {
  return queue(ws::encode(opcode, payload));
}

bool Connection::queue(std::string bytes) {
  if (closing_ || closing_after_write_) return false;
  if (queued_ + bytes.size() > kMaxQueued) {
    log::warn("sip.connection.stalled", "peer does not read; closing", {{"sid", sid_}, {"peer", peer_}});
    close();
    return false;
  }
  queued_ += bytes.size();
  out_.push_back(std::move(bytes));
  if (!writing_ && !connecting_) {
    writing_ = true;
    asio::co_spawn(server_.io(), write_loop(shared_from_this()), asio::detached);
  }
  return true;
}

// What is queued leaves in one write of up to kWriteBatch bytes: a peer
// with many requests on one connection (a trunk, a load generator) gets
// many answers per system call and TLS record.
awaitable<void> Connection::write_loop(std::shared_ptr<Connection> self) {
  std::string batch;
  while (!self->out_.empty() && !self->closing_) {
    batch.clear();
    while (!self->out_.empty() && (batch.empty() || batch.size() + self->out_.front().size() <= kWriteBatch)) {
      batch += self->out_.front();
      self->out_.pop_front();
    }
    auto written = co_await self->stream_->write(batch, kWriteTimeout);
    if (!written) {
      self->close();
      break;
    }
    self->queued_ -= batch.size();
  }
  self->writing_ = false;
  if (self->closing_after_write_) self->close();
  if (self->closing_) {
    self->out_.clear();
    self->queued_ = 0;
  }
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  if (!writing_) {  // else write_loop stops after its write
    out_.clear();
    queued_ = 0;
  }
  stream_->close();
}

}  // namespace parley::sipd
