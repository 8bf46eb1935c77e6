// One SIP stream connection (TCP on the sip listener, TLS on sips): the
// front-end session that cuts the byte stream into messages (sip::Framer),
// hands them to the Core, answers keep-alive pings (RFC 5626 3.5.1), and
// sends what the Core sends on its flow through a queue, one write at a
// time.
//
// Untrusted input: every byte from the peer. A stream the framer cannot
// cut (no Content-Length, bytes that start no message) is closed; a
// message over the size limit is answered 513 and skipped when its
// headers were whole.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "flow.h"
#include "front/session.h"
#include "sip/framer.h"

namespace parley::sipd {

class Server;

class Connection final : public front::Session, public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid);
  static awaitable<void> run(std::shared_ptr<Connection> self);

  const Flow& flow() const { return flow_; }
  // Queues `bytes` for the peer; false when the connection is closing.
  bool send(std::string bytes);

 private:
  awaitable<void> serve();
  static awaitable<void> write_loop(std::shared_ptr<Connection> self);
  void close();

  Server& server_;
  Flow flow_;
  sip::Framer framer_;
  std::deque<std::string> out_;
  bool writing_ = false;
  bool closing_ = false;
};

}  // namespace parley::sipd
