// Server: a ROUTER socket; each request runs in its own coroutine.
//
// Request ids (client_id, seq) are remembered in `requests_`: while the
// handler runs (entry not done) a repeat is ignored, except that the reply
// goes to the route the newest copy came from (a client that reconnected
// has a new ZeroMQ routing id). Once done, the entry keeps the reply and
// sits in an LRU list bounded by ServerOptions::reply_cache; a repeat gets
// the stored reply. This deduplicates resends within one server lifetime;
// across restarts it is the handler's job (RequestInfo carries the id).
#include <zmq.h>

#include <exception>
#include <list>
#include <unordered_map>

#include "ipc/ipc.h"
#include "ipc/socket.h"

namespace parley::ipc {

namespace {

struct Key {
  std::uint64_t client_id;
  std::uint64_t seq;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  std::size_t operator()(const Key& k) const {
    return std::hash<std::uint64_t>()(k.client_id ^ (k.seq * 0x9E3779B97F4A7C15ull));
  }
};

struct Entry {
  bool done = false;
  std::string identity;  // ZeroMQ route of the newest copy; cleared when done
  std::string header;    // the reply, once done
  std::string payload;
  std::list<Key>::iterator lru;  // valid once done
};

}  // namespace

struct Server::Impl {
  Impl(asio::io_context& io, std::string endpoint, ServerOptions options)
      : io_(io), endpoint_(std::move(endpoint)), options_(options) {}

  void on_request(detail::Message& m);
  awaitable<void> run(std::weak_ptr<int> alive, Key key, std::shared_ptr<RawHandler> handler, RequestInfo info,
                      std::string payload);
  void finish(const Key& key, schema::Status status, std::string detail, std::string payload);

  asio::io_context& io_;
  const std::string endpoint_;
  const ServerOptions options_;
  std::unique_ptr<detail::Socket> socket_;
  struct Registered {
    std::string types;  // RequestHeader.types of the method's declaration
    // Shared with running requests, so a handler replaced or a Server
    // destroyed mid-request does not free the code still running.
    std::shared_ptr<RawHandler> handler;
  };
  std::unordered_map<std::string, Registered> handlers_;
  std::unordered_map<Key, Entry, KeyHash> requests_;
  std::list<Key> lru_;  // done entries, least recently used first
  std::size_t active_ = 0;
  std::uint64_t malformed_ = 0;
  std::uint64_t expired_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

void Server::Impl::on_request(detail::Message& m) {
  // [route, RequestHeader, payload]; the route is added by ROUTER itself.
  if (m.truncated || m.frames.size() != 3 || m.frames[0].empty()) {
    ++malformed_;
    return;
  }
  schema::RequestHeader header;
  if (!header.ParseFromString(m.frames[1]) || header.method().empty() ||
      header.method().size() > detail::kMaxMethod || header.sid().size() > detail::kMaxSid ||
      header.types().size() > detail::kMaxTypes) {
    ++malformed_;
    return;
  }
  const Key key{header.client_id(), header.seq()};
  if (auto it = requests_.find(key); it != requests_.end()) {
    Entry& entry = it->second;
    if (!entry.done) {
      entry.identity = std::move(m.frames[0]);
      return;
    }
    lru_.splice(lru_.end(), lru_, entry.lru);
    (void)socket_->send({m.frames[0], entry.header, entry.payload});  // lost: the client resends
    return;
  }
  // Past its deadline the client has given up: the work would be wasted.
  const std::int64_t now_ms = detail::unix_ms(std::chrono::system_clock::now());
  if (header.deadline_unix_ms() > 0 && header.deadline_unix_ms() < now_ms) {
    ++expired_;
    return;
  }
  Entry& entry = requests_[key];
  entry.identity = std::move(m.frames[0]);
  auto handler = handlers_.find(header.method());
  if (handler == handlers_.end()) {
    finish(key, schema::STATUS_NO_METHOD, header.method(), {});
    return;
  }
  // The caller and this server declare the method differently (two builds
  // disagree): neither could read the other's record.
  if (header.types() != handler->second.types) {
    finish(key, schema::STATUS_WRONG_TYPES,
           header.method() + ": caller " + header.types() + ", server " + handler->second.types, {});
    return;
  }
  RequestInfo info;
  info.client_id = key.client_id;
  info.seq = key.seq;
  info.method = std::move(*header.mutable_method());
  info.sid = std::move(*header.mutable_sid());
  info.deadline = std::chrono::system_clock::time_point(std::chrono::milliseconds(header.deadline_unix_ms()));
  ++active_;
  asio::co_spawn(io_, run(alive_, key, handler->second.handler, std::move(info), std::move(m.frames[2])), asio::detached);
}

awaitable<void> Server::Impl::run(std::weak_ptr<int> alive, Key key, std::shared_ptr<RawHandler> handler,
                                  RequestInfo info, std::string payload) {
  Result<std::string> reply = fail(Errc::internal, "handler failed");
  // A handler that throws is a bug, but it must not leave its id "running"
  // forever (every resend would be ignored) nor take the loop down.
  try {
    reply = co_await (*handler)(info, std::move(payload));
  } catch (const std::exception&) {
  }
  if (alive.expired()) co_return;  // the Server is gone; nobody to answer through
  --active_;
  if (reply) {
    finish(key, schema::STATUS_OK, {}, std::move(reply.value()));
  } else {
    finish(key, detail::to_status(reply.code()), reply.error().detail, {});
  }
}

void Server::Impl::finish(const Key& key, schema::Status status, std::string detail, std::string payload) {
  auto it = requests_.find(key);
  if (it == requests_.end()) return;
  Entry& entry = it->second;
  schema::ReplyHeader header;
  header.set_client_id(key.client_id);
  header.set_seq(key.seq);
  header.set_status(status);
  header.set_detail(std::move(detail));
  entry.header = header.SerializeAsString();
  entry.payload = std::move(payload);
  entry.done = true;
  // A reply that cannot be queued (peer gone, queue full) is dropped; the
  // client resends and gets it from the cache.
  (void)socket_->send({entry.identity, entry.header, entry.payload});
  if (options_.reply_cache == 0) {
    requests_.erase(it);
    return;
  }
  entry.identity = std::string();
  entry.lru = lru_.insert(lru_.end(), key);
  while (lru_.size() > options_.reply_cache) {
    requests_.erase(lru_.front());
    lru_.pop_front();
  }
}

Server::Server(asio::io_context& io, std::string endpoint, ServerOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(endpoint), options)) {}

Server::~Server() = default;

void Server::add(std::string_view method, std::string_view types, RawHandler handler) {
  impl_->handlers_[std::string(method)] = {std::string(types), std::make_shared<RawHandler>(std::move(handler))};
}

Status Server::start() {
  Impl& im = *impl_;
  if (im.socket_) return fail(Errc::invalid, "server already started");
  auto socket = detail::Socket::open(im.io_, ZMQ_ROUTER);
  if (!socket) return socket.error();
  std::unique_ptr<detail::Socket> s = std::move(socket.value());
  // ROUTER_MANDATORY off: a reply to a client that went away is dropped
  // rather than failing the send.
  for (auto [option, value] : {std::pair{ZMQ_ROUTER_MANDATORY, 0}, std::pair{ZMQ_SNDHWM, im.options_.send_hwm},
                               std::pair{ZMQ_RCVHWM, im.options_.send_hwm}}) {
    if (Status st = s->set(option, value); !st) return st;
  }
  if (Status st = s->set(ZMQ_MAXMSGSIZE, detail::kMaxMessage); !st) return st;
  if (Status st = s->bind(im.endpoint_, im.options_.socket_mode); !st) return st;
  im.socket_ = std::move(s);
  im.socket_->start_reading([&im](detail::Message& m) { im.on_request(m); });
  return {};
}

void Server::stop() {
  // The socket stays open so that running handlers can still reply.
  if (impl_->socket_) impl_->socket_->stop_reading();
}

std::size_t Server::active() const { return impl_->active_; }
std::uint64_t Server::malformed() const { return impl_->malformed_; }
std::uint64_t Server::expired() const { return impl_->expired_; }

}  // namespace parley::ipc
