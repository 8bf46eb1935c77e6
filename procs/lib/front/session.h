// What every front-end session shares, whatever its protocol: the
// connection (plain, STARTTLS or implicit TLS), its id and peer, admission
// under the server's limits, reading client bytes with a timeout, and
// ending early when the server drains.
//
// A protocol session derives from it and runs its own loop:
//   auto opened = co_await open(implicit_tls_context);  // admission, implicit TLS
//   if (opened == Opened::refused) { send the protocol's "too many connections"; return; }
//   ... greeting, then read, parse, answer ...
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/asio.h"
#include "core/result.h"
#include "front/sasl.h"
#include "tls/stream.h"

namespace parley::tls {
class ServerContext;
}

namespace parley::front {

class Server;

class Session {
 public:
  // `protocol` prefixes the session's log events ("smtp", "imap", "pop").
  Session(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid,
          std::string_view protocol);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Drain: a session waiting for its client ends now, a busy one once the
  // command it runs is done (it checks interrupted()).
  void interrupt_if_idle();
  const std::string& sid() const { return sid_; }

 protected:
  enum class Opened { ready, refused, closed };
  // Counts the session under the server's limits and, with `implicit_tls`,
  // runs the TLS handshake first thing. refused: over a limit (logged as
  // PROTOCOL.session.refused); the session sends its protocol's refusal,
  // inside TLS on an implicit-TLS listener, where the client can read it.
  // closed: the handshake failed. `per_ip`: false for local sockets.
  awaitable<Opened> open(std::shared_ptr<tls::ServerContext> implicit_tls, bool per_ip = true);
  // The server side of a TLS handshake (implicit, STARTTLS, STLS); logs
  // PROTOCOL.tls.ok or PROTOCOL.tls.failed.
  awaitable<bool> handshake(std::shared_ptr<tls::ServerContext> context);

  // Reads what the client sent next into `buf`, waiting at most `timeout`.
  // With `idle`, the session counts as idle while it waits: drain ends it
  // (the read fails with Errc::cancelled and interrupted() is true); SMTP
  // in a mail transaction reads without it, so drain lets the transaction
  // finish. Errc::timeout when the client said nothing in time; the caller
  // answers in its protocol either way.
  awaitable<Result<std::size_t>> receive(asio::mutable_buffer buf, std::chrono::milliseconds timeout, bool idle = true);
  // The SASL relay (sasl.h) for this session's client.
  awaitable<SaslOutcome> authenticate(ipc::Client& directory, const std::string& mechanism,
                                      const std::optional<std::string>& initial, schema::Service service,
                                      const SaslChallenge& challenge);
  // Whether the server drains.
  bool interrupted() const { return interrupted_; }
  // Waiting for the client while idle (IDLE wake-ups use this too).
  bool idle() const { return idle_; }

  Server& front_;
  std::unique_ptr<net::Stream> stream_;
  std::string listener_;
  std::string sid_;
  std::string ip_;    // the peer's address ("local" for a Unix socket)
  std::string peer_;  // as logged: "ADDRESS:PORT", or who a local peer runs as
  std::string protocol_;

 private:
  bool idle_ = false;
  bool interrupted_ = false;
  bool admitted_ = false;
  bool counted_per_ip_ = false;  // under max_connections_per_ip
  friend class Server;
};

}  // namespace parley::front
