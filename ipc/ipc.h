// ipc: the only code that touches ZeroMQ.
//
// Request/reply: a Server binds a ROUTER socket at an ipc:// endpoint; a
// Client connects a DEALER socket to it. A request is [RequestHeader,
// payload], a reply [ReplyHeader, payload] (schema/ipc.proto). Many
// requests are in flight on one Client; each has an id (client_id, seq)
// and a deadline. A Client sends a request again, with the same id, when
// no reply came within `resend_after` (the server may have restarted and
// lost it), until the deadline; a Server answers a repeated id from its
// reply cache, or ignores it while the first copy is still being handled.
// A handler whose effect must happen exactly once across server restarts
// keeps the id in its own durable store (RequestInfo carries it).
//
// Publish/subscribe: a Publisher binds a PUB socket; Subscribers connect
// and filter by topic prefix. Events are hints (mailbox changed, reload):
// a subscriber that was down re-reads state; nothing depends on delivery.
//
// Everything runs on the caller's asio::io_context thread: ZeroMQ sockets
// join the loop through ZMQ_FD, with no polling thread and no busy loop.
// None of these classes is thread-safe; use each from its io_context.
//
// Endpoint files: a Server or Publisher creates its socket file, then sets
// its mode (0660 by default) so that only the owner and the owner's group
// may connect; the supervisor gives each process the groups of the
// processes it uses.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/asio.h"
#include "core/result.h"

namespace parley::ipc {

// The largest request, reply or event a socket accepts (ZMQ_MAXMSGSIZE):
// a peer that sends more is disconnected, so senders check first.
inline constexpr std::size_t kMaxMessageBytes = 64 * 1024 * 1024;

// "ipc:///run/parley/directory/directory.sock"
std::string endpoint(std::string_view runtime_dir, std::string_view proc, std::string_view service);
// The file system path of an ipc:// endpoint ("" for other transports).
std::string endpoint_path(std::string_view endpoint);

struct RequestInfo {
  std::uint64_t client_id = 0;
  std::uint64_t seq = 0;
  std::string method;
  std::string sid;
  std::chrono::system_clock::time_point deadline;
};

struct ClientOptions {
  std::chrono::milliseconds resend_after{500};
  std::chrono::milliseconds default_timeout{5000};
  int send_hwm = 100000;
};

// Not an aggregate on purpose: g++ 12 miscompiles an aggregate temporary
// that holds a std::string inside a co_await expression (it is copied
// bitwise, and its destructor frees a pointer into the coroutine frame),
// which is exactly `co_await client.call(m, p)` with its `= {}` default.
// Write CallOptions(250ms) or {250ms, sid}, not {.timeout = 250ms}.
struct CallOptions {
  CallOptions() {}  // NOLINT: user-provided, see above
  explicit(false) CallOptions(std::chrono::milliseconds timeout, std::string sid = {})
      : timeout(timeout), sid(std::move(sid)) {}
  std::chrono::milliseconds timeout{0};  // 0: the client's default_timeout
  std::string sid;
};

class Client {
 public:
  // Connects (ZeroMQ reconnects by itself, within ~0.5 s of the server
  // coming back). A socket that cannot be set up makes every call fail.
  Client(asio::io_context& io, std::string endpoint, ClientOptions options = {});
  // Calls still waiting resolve with Errc::cancelled (on the loop, later).
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One request. Resolves with the reply payload, the server's error
  // (its Errc and detail), or Errc::timeout at the deadline.
  awaitable<Result<std::string>> call(std::string method, std::string payload, CallOptions options = {});

  template <class Reply, class Request>
  awaitable<Result<Reply>> call(std::string method, const Request& request, CallOptions options = {}) {
    auto raw = co_await call(std::move(method), request.SerializeAsString(), std::move(options));
    if (!raw) co_return raw.error();
    Reply reply;
    if (!reply.ParseFromString(raw.value())) co_return fail(Errc::syntax, "unparsable reply");
    co_return reply;
  }

  std::size_t in_flight() const;
  std::uint64_t resent() const;  // how many requests were sent again
  std::uint64_t id() const;      // the random client_id of this instance's request ids

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

using Handler = std::function<awaitable<Result<std::string>>(const RequestInfo&, std::string payload)>;

struct ServerOptions {
  unsigned socket_mode = 0660;
  std::size_t reply_cache = 65536;  // remembered replies, for repeated ids
  int send_hwm = 100000;
};

class Server {
 public:
  Server(asio::io_context& io, std::string endpoint, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void handle(std::string method, Handler handler);

  // A typed handler: F is (const RequestInfo&, Request) -> awaitable<Result<Reply>>.
  template <class Request, class Reply, class F>
  void handle(std::string method, F f) {
    handle(std::move(method), Handler([f = std::move(f)](const RequestInfo& info, std::string payload)
                                          -> awaitable<Result<std::string>> {
      Request request;
      if (!request.ParseFromString(payload)) co_return fail(Errc::syntax, "unparsable request");
      Result<Reply> reply = co_await f(info, std::move(request));
      if (!reply) co_return reply.error();
      co_return reply.value().SerializeAsString();
    }));
  }

  // Binds, sets the socket file's mode and starts serving.
  Status start();
  // Stops taking requests; handlers already running finish.
  void stop();
  std::size_t active() const;  // handlers running now
  // Requests dropped unanswered: malformed (wrong frame count, unparsable
  // or oversized header) or already past their deadline on arrival.
  std::uint64_t malformed() const;
  std::uint64_t expired() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Publisher {
 public:
  Publisher(asio::io_context& io, std::string endpoint, unsigned socket_mode = 0660);
  ~Publisher();
  Status start();
  void publish(std::string_view topic, std::string payload, std::string_view sid = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Subscriber {
 public:
  using Callback = std::function<void(std::string_view topic, std::string payload)>;
  Subscriber(asio::io_context& io, std::string endpoint, Callback callback);
  ~Subscriber();
  void subscribe(std::string_view topic_prefix);
  Status start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::ipc
