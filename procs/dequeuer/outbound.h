// Outbound SMTP: one message to one or more recipients at one destination
// (a remote domain's MX hosts in preference order, or a fixed HOST:PORT),
// with opportunistic STARTTLS (RFC 3207, RFC 7435), PIPELINING (RFC 2920),
// SIZE, 8BITMIME and SMTPUTF8 where the server offers them. The body goes
// out dot-stuffed by smtp::dot_stuff, which refuses bare CR/LF, so no
// smuggling sequence can leave this server, and drops NUL octets (stored
// only where smtpd.allow_nul let them in), so none is ever sent.
//
// Results are per recipient: what the server said to its RCPT, or to the
// end of DATA. A host that cannot be reached, or that answers the greeting,
// EHLO or MAIL with 4xx, is left for the next one; when none remains the
// recipients get the last temporary error.
//
// Connection reuse (RFC 5321 3.3: many transactions per session): after a
// transaction that ended cleanly (every reply read, no protocol error, no
// 421) the connection is kept idle, keyed by host name, address and whether
// TLS is on, for `reuse_idle`, instead of QUIT. A later delivery whose first
// target has an idle connection takes it (one delivery per connection at a
// time; a TLS one before a plain one), sends RSET and, on 250, runs its
// transaction there; a failed RSET, or a reused connection failing before
// the body went out, costs nothing: the same host is connected to afresh.
// Idle connections are QUIT and closed when their time is up, when a
// target has more than `max_idle_per_target` (oldest first), by
// close_idle(), and by the destructor (the QUIT then runs on the
// io_context, not holding the Outbound).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "core/asio.h"
#include "dns/resolver.h"
#include "tls/context.h"

namespace parley::dequeuer {

struct OutboundOptions {
  std::string helo;                          // our host name
  bool starttls = true;                      // opportunistic
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds reply_timeout{300000};
  std::shared_ptr<tls::ClientContext> tls;
  // How long a connection is kept idle for the next delivery to the same
  // host; 0 disables reuse (every transaction ends with QUIT).
  std::chrono::milliseconds reuse_idle{5000};
  std::size_t max_idle_per_target{4};        // 0 also disables reuse
};

struct OutboundMessage {
  std::string return_path;                   // "" for the null sender
  std::vector<std::string> recipients;
  std::string_view body;                     // CRLF lines, no bare CR/LF; NULs are dropped
  bool body_8bit = false;
  bool smtputf8 = false;
};

struct RecipientOutcome {
  bool delivered = false;
  bool permanent = false;  // with !delivered: bounce, do not retry
  std::string reply;       // "250 2.0.0 Ok" / "550 5.1.1 No such user" / "451 4.4.1 connection refused"
  std::string status;      // enhanced code: "2.0.0", "5.1.1", ...
  std::string remote_mta;  // host name (or address) that answered; "" if none did
};

class ConnectionCache;  // outbound.cpp

// Must be destroyed before its io_context; deliveries in progress must hold
// it (the dequeuer keeps a shared_ptr per delivery).
class Outbound {
 public:
  Outbound(asio::io_context& io, dns::Resolver& resolver, OutboundOptions options);
  // Idle connections get QUIT and are closed on the io_context, without
  // this object; if the io_context never runs again they are just closed.
  ~Outbound();
  Outbound(const Outbound&) = delete;
  Outbound& operator=(const Outbound&) = delete;

  // `relay_host`: "HOST:PORT" (config/host_port.h) to use instead of the
  // domain's MX, "" for MX; one that does not parse defers (4.4.3).
  awaitable<std::vector<RecipientOutcome>> deliver(std::string domain, std::string relay_host, const OutboundMessage& message);

  // For draining: QUITs and closes every idle connection, and completes
  // when they are closed (a few seconds at most for unresponsive peers).
  // From then on nothing is kept idle: deliveries still running QUIT their
  // connections at the end, as with reuse_idle = 0. Never fails.
  awaitable<void> close_idle();

  // Idle connections kept now (for tests and status).
  std::size_t idle_count() const;

 private:
  struct Target {
    std::string name;  // host name for logs, SNI and DSNs
    asio::ip::tcp::endpoint endpoint;
  };
  awaitable<Result<std::vector<Target>>> targets(const std::string& domain, const std::string& relay_host);

  asio::io_context& io_;
  dns::Resolver& resolver_;
  // Shared with the connections, which may outlive this object while they
  // QUIT (see ~Outbound).
  std::shared_ptr<const OutboundOptions> options_;
  std::shared_ptr<ConnectionCache> cache_;
};

}  // namespace parley::dequeuer
