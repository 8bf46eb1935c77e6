// One SIP stream connection (TCP on the sip listener, TLS on sips,
// WebSocket on sip-ws and sip-wss): the front-end session that cuts the
// byte stream into messages (sip::Framer; on WebSocket, one message per
// WebSocket message, RFC 7118 5), hands them to the Core, answers
// keep-alive pings (RFC 5626 3.5.1; WebSocket pings), and sends what the
// Core sends on its flow through a queue, one write at a time.
//
// Untrusted input: every byte from the peer. A stream the framer cannot
// cut (no Content-Length, bytes that start no message) is closed; a
// message over the size limit is skipped when its headers were whole. A
// WebSocket client must ask for the "sip" subprotocol in its handshake
// (RFC 7118 4.1); protocol errors close with 1002, oversize with 1009.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "flow.h"
#include "front/session.h"
#include "sip/framer.h"
#include "ws/ws.h"

namespace parley::sipd {

class Server;

class Connection final : public front::Session, public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid);
  static awaitable<void> run(std::shared_ptr<Connection> self);
  // A TCP or TLS connection this server opens to `flow`'s address (a
  // contact whose own connection is gone, a next hop): what is sent before
  // it is up waits; if it cannot be opened, the Core hears of the flow's
  // end. TLS verifies the server's certificate against `server_name`
  // (RFC 5922; the address when empty) with the settings' client context.
  static std::shared_ptr<Connection> connect(Server& server, Flow flow, std::string sid, std::string server_name);

  const Flow& flow() const { return flow_; }
  // Outbound TLS: the name the server's certificate was checked against.
  const std::string& server_name() const { return server_name_; }
  // Closes the connection; its coroutines end.
  void close();
  // Queues a SIP message (or keep-alive) for the peer, in a WebSocket
  // frame on WebSocket listeners; false when the connection is closing.
  bool send(std::string bytes);

 private:
  awaitable<void> serve();
  static awaitable<void> serve_outbound(std::shared_ptr<Connection> self);
  awaitable<void> read_loop();
  // The WebSocket opening handshake; false when refused (answered) or gone.
  awaitable<bool> accept_websocket(std::string& leftover);
  void on_stream_bytes(std::string_view bytes);
  void on_websocket_bytes(std::string_view bytes);
  static awaitable<void> write_loop(std::shared_ptr<Connection> self);
  bool queue(std::string bytes);
  bool send_websocket(ws::Opcode opcode, std::string_view payload);

  Server& server_;
  // False once the server is destroyed (sipd stopping) while this
  // connection's coroutines still wait: they end without touching it.
  std::shared_ptr<const bool> server_alive_;
  Flow flow_;
  std::string server_name_;
  sip::Framer framer_;
  std::unique_ptr<ws::Decoder> websocket_;  // WebSocket listeners
  std::deque<std::string> out_;
  std::size_t queued_ = 0;  // bytes in out_
  bool writing_ = false;
  bool closing_ = false;
  bool closing_after_write_ = false;  // a WebSocket close frame is on its way
  bool connecting_ = false;           // outbound, not connected yet: sends wait
};

}  // namespace parley::sipd
