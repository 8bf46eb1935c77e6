// The listener server every TCP front end (smtpd, imapd, sipd, httpd) runs
// on: it accepts on the listening sockets parleyd passed, hands each
// connection to the front end's session, and keeps the session table.
//
//   - accept loops, one per socket, that back off instead of spinning when
//     accept fails (EMFILE, ENFILE);
//   - admission under the total and per-address connection limits
//     (Session::open checks them; refusals are logged with the limit);
//   - session ids: "PROTOCOL-PROCESS_TAG-COUNTER", unique across restarts
//     (a random tag per process start);
//   - drain (parleyd's TERM and `parleyctl restart`): accepting stops,
//     sessions waiting for their client end at once, busy ones after the
//     command in progress; drain() resolves when the last one is gone.
// Certificates and limits are the front end's settings, swapped on reload;
// a session keeps what it started with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "core/asio.h"
#include "core/result.h"
#include "tls/stream.h"

namespace parley::daemon {
class Context;
struct Listener;
}  // namespace parley::daemon

namespace parley::front {

class Session;

struct Limits {
  std::size_t max_connections = 0;
  std::size_t max_connections_per_ip = 0;
};

class Server {
 public:
  // Makes the session for a connection accepted on `listener` and starts it.
  using Accept = std::function<void(std::unique_ptr<net::Stream> stream, const std::string& listener)>;

  // `log_name` prefixes the server's own log events ("smtp" gives
  // "smtp.accept.failed").
  Server(daemon::Context& ctx, std::string log_name);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The names among `names` that parleyd passed listeners for.
  static std::vector<std::string> present(const daemon::Context& ctx, const std::vector<std::string>& names);
  // Starts accepting on every stream socket of these listeners.
  Status listen(const std::vector<std::string>& names, Accept accept);

  asio::io_context& io();
  const std::string& log_name() const { return log_name_; }
  void set_limits(const Limits& limits) { limits_ = limits; }
  // A new session id: "PROTOCOL-TAG-N".
  std::string next_sid(std::string_view protocol);

  bool draining() const { return draining_; }
  std::size_t sessions() const { return sessions_.size(); }
  // Closes the listeners and ends the sessions (see above).
  awaitable<void> drain();

 private:
  friend class Session;
  // Counts `s` under the limits; false with the limit's setting name when
  // over one. `per_ip`: whether the per-address limit applies (not to
  // local sockets).
  bool admit(Session* s, bool per_ip, std::string_view& limit);
  void leave(Session* s);
  awaitable<void> accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor, std::string listener, Accept accept);

  daemon::Context& ctx_;
  std::string log_name_;
  Limits limits_;
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::set<Session*> sessions_;
  std::map<std::string, std::size_t, std::less<>> per_ip_;
  std::string tag_;
  std::uint64_t counter_ = 0;
  bool draining_ = false;
  std::unique_ptr<asio::steady_timer> drained_;
};

}  // namespace parley::front
