// Outbound SMTP: one message to one or more recipients at one destination
// (a remote domain's MX hosts in preference order, or a fixed HOST:PORT),
// with opportunistic STARTTLS (RFC 3207, RFC 7435), PIPELINING (RFC 2920),
// SIZE, 8BITMIME and SMTPUTF8 where the server offers them. The body goes
// out dot-stuffed by smtp::dot_stuff, which refuses bare CR/LF, so no
// smuggling sequence can leave this server.
//
// Results are per recipient: what the server said to its RCPT, or to the
// end of DATA. A host that cannot be reached, or that answers the greeting,
// EHLO or MAIL with 4xx, is left for the next one; when none remains the
// recipients get the last temporary error.
#pragma once

#include <chrono>
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
};

struct OutboundMessage {
  std::string return_path;                   // "" for the null sender
  std::vector<std::string> recipients;
  std::string_view body;                     // CRLF lines, no bare CR/LF
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

class Outbound {
 public:
  Outbound(asio::io_context& io, dns::Resolver& resolver, OutboundOptions options);

  // `relay_host`: "HOST:PORT" to use instead of the domain's MX ("" for MX).
  awaitable<std::vector<RecipientOutcome>> deliver(std::string domain, std::string relay_host, const OutboundMessage& message);

 private:
  struct Target {
    std::string name;  // host name for logs, SNI and DSNs
    asio::ip::tcp::endpoint endpoint;
  };
  awaitable<Result<std::vector<Target>>> targets(const std::string& domain, const std::string& relay_host);

  asio::io_context& io_;
  dns::Resolver& resolver_;
  OutboundOptions options_;
};

}  // namespace parley::dequeuer
