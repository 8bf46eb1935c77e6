// What IMAP and POP3 sessions share: the connection (plain, STARTTLS or
// implicit TLS), the session id and peer, admission under the server's
// connection limits, and ending an idle session when the server drains.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/asio.h"
#include "server.h"
#include "tls/stream.h"

namespace parley::imapd {

class FrontSession {
 public:
  FrontSession(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid);
  virtual ~FrontSession();
  FrontSession(const FrontSession&) = delete;
  FrontSession& operator=(const FrontSession&) = delete;

  // Drain: the session ends now if it waits for its client, else after
  // the command it runs.
  void interrupt_if_idle();

 protected:
  // Counts the session under the server's limits; false: over one, and
  // "<protocol>.session.refused" is logged with the limit.
  bool admit(std::string_view protocol);
  // The server side of the TLS handshake on this listener's certificate;
  // logs "<protocol>.tls.ok|failed".
  awaitable<bool> handshake(std::string_view protocol);

  Server& server_;
  std::shared_ptr<const Settings> settings_;
  std::unique_ptr<net::Stream> stream_;
  std::string listener_;
  std::string sid_;
  std::string ip_;
  bool idle_ = false;         // waiting for the client's next bytes
  bool interrupted_ = false;  // the server drains

 private:
  bool admitted_ = false;
};

}  // namespace parley::imapd
