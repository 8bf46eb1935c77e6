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
// Methods and topics are named only through their declarations
// (ipc/contract.h; one header per service in ipc/contracts/).
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
#include <type_traits>
#include <utility>

#include "core/asio.h"
#include "core/result.h"
#include "ipc/contract.h"

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
// which is exactly `co_await client.call(m, r)` with its `= {}` default.
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

  // One request to `method`. Resolves with the reply, the server's error
  // (its Errc and detail; Errc::invalid if the server declares the method
  // with other types), Errc::syntax for a reply that is not a Reply, or
  // Errc::timeout at the deadline.
  template <class Request, class Reply>
  awaitable<Result<Reply>> call(Method<Request, Reply> method, const std::type_identity_t<Request>& request,
                                CallOptions options = {}) {
    std::string payload = detail::encode(request);
    auto raw = co_await call_raw(method.name(), detail::signature<Request, Reply>(), std::move(payload), std::move(options));
    if (!raw) co_return raw.error();
    Reply reply;
    if (!detail::decode(std::move(raw.value()), reply)) co_return fail(Errc::syntax, "unparsable reply");
    co_return reply;
  }

  // The same with the request already serialized and the reply left
  // serialized: for parleyd, which passes administration records through
  // without reading the reply.
  template <class Request, class Reply>
  awaitable<Result<std::string>> call_serialized(Method<Request, Reply> method, std::string payload,
                                                 CallOptions options = {}) {
    return call_raw(method.name(), detail::signature<Request, Reply>(), std::move(payload), std::move(options));
  }

  std::size_t in_flight() const;
  std::uint64_t resent() const;  // how many requests were sent again
  std::uint64_t id() const;      // the random client_id of this instance's request ids

 private:
  awaitable<Result<std::string>> call_raw(std::string_view method, std::string_view types, std::string payload,
                                          CallOptions options);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What a server runs for a method: the request in, the reply or an error out.
template <class Request, class Reply>
using Handler = std::function<awaitable<Result<Reply>>(const RequestInfo&, Request)>;

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

  // Serves `method` with `handler` (replacing an earlier one). A request
  // that is not a Request is answered Errc::syntax without running it.
  template <class Request, class Reply>
  void handle(Method<Request, Reply> method, std::type_identity_t<Handler<Request, Reply>> handler) {
    add(method.name(), detail::signature<Request, Reply>(),
        RawHandler([handler = std::move(handler)](const RequestInfo& info,
                                                  std::string payload) -> awaitable<Result<std::string>> {
          Request request;
          if (!detail::decode(std::move(payload), request)) co_return fail(Errc::syntax, "unparsable request");
          Result<Reply> reply = co_await handler(info, std::move(request));
          if (!reply) co_return reply.error();
          co_return detail::encode(reply.value());
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
  using RawHandler = Handler<std::string, std::string>;
  void add(std::string_view method, std::string_view types, RawHandler handler);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Publisher {
 public:
  Publisher(asio::io_context& io, std::string endpoint, unsigned socket_mode = 0660);
  ~Publisher();
  Status start();
  // Publishes `event` on the topic `topic.name(key)`; dropped before
  // start() and when the send queue is full (events are hints).
  template <class Event>
  void publish(const Topic<Event>& topic, std::string_view key, const std::type_identity_t<Event>& event,
               std::string_view sid = {}) {
    send(topic.name(key), detail::encode(event), sid);
  }

 private:
  void send(std::string_view topic, std::string payload, std::string_view sid);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Subscriber {
 public:
  // Subscribe before or after start(); events published before a
  // subscription reaches the publisher are not seen.
  Subscriber(asio::io_context& io, std::string endpoint);
  ~Subscriber();
  Status start();

  // Every event on `topic` (any key) goes to `handler` with its key. An
  // event whose payload is not an Event is dropped and counted.
  template <class Event>
  void subscribe(const Topic<Event>& topic,
                 std::type_identity_t<std::function<void(std::string_view key, Event event)>> handler) {
    add(std::string(topic.prefix()),
        RawHandler([handler = std::move(handler)](std::string_view key, std::string payload) {
          Event event;
          if (!detail::decode(std::move(payload), event)) return false;
          handler(key, std::move(event));
          return true;
        }));
  }

  std::uint64_t malformed() const;  // events dropped: bad frames, or a payload of the wrong type

 private:
  // Returns false when the payload was not the topic's event type.
  using RawHandler = std::function<bool(std::string_view key, std::string payload)>;
  void add(std::string prefix, RawHandler handler);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::ipc
