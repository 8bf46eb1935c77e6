// Publisher and Subscriber. A message is [topic, EventHeader, payload]:
// the topic goes first, alone, because ZeroMQ filters subscriptions on the
// first frame's prefix. Events are hints, so a full queue drops them.
#include <zmq.h>

#include <vector>

#include "ipc/ipc.h"
#include "ipc/socket.h"

namespace parley::ipc {

struct Publisher::Impl {
  asio::io_context& io_;
  std::string endpoint_;
  unsigned mode_;
  std::unique_ptr<detail::Socket> socket_;
  std::uint64_t seq_ = 0;
};

Publisher::Publisher(asio::io_context& io, std::string endpoint, unsigned socket_mode)
    : impl_(std::make_unique<Impl>(Impl{io, std::move(endpoint), socket_mode, nullptr})) {}

Publisher::~Publisher() = default;

Status Publisher::start() {
  if (impl_->socket_) return fail(Errc::invalid, "publisher already started");
  auto socket = detail::Socket::open(impl_->io_, ZMQ_PUB);
  if (!socket) return socket.error();
  if (Status s = socket.value()->bind(impl_->endpoint_, impl_->mode_); !s) return s;
  impl_->socket_ = std::move(socket.value());
  return {};
}

void Publisher::send(std::string_view topic, std::string payload, std::string_view sid) {
  if (!impl_->socket_) return;
  schema::EventHeader header;
  header.set_topic(std::string(topic));
  header.set_seq(++impl_->seq_);
  header.set_unix_ms(detail::unix_ms(std::chrono::system_clock::now()));
  header.set_sid(std::string(sid));
  (void)impl_->socket_->send({topic, header.SerializeAsString(), payload});  // a hint: dropped when full
}

struct Subscriber::Impl {
  void on_event(detail::Message& m);

  struct Subscription {
    std::string prefix;
    // Held by pointer so a handler that destroys its Subscriber does not
    // destroy itself while it runs.
    std::shared_ptr<RawHandler> handler;
  };

  std::string endpoint_;
  std::vector<Subscription> subscriptions_;
  Status open_;
  std::unique_ptr<detail::Socket> socket_;
  bool started_ = false;
  std::uint64_t malformed_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

void Subscriber::Impl::on_event(detail::Message& m) {
  schema::EventHeader header;
  if (m.truncated || m.frames.size() != 3 || m.frames[0].size() > detail::kMaxTopic ||
      !header.ParseFromString(m.frames[1]) || header.topic() != m.frames[0]) {
    ++malformed_;
    return;
  }
  const std::string& topic = m.frames[0];
  std::vector<Subscription> matching;
  for (const auto& s : subscriptions_) {
    if (topic.starts_with(s.prefix)) matching.push_back(s);
  }
  std::weak_ptr<int> alive = alive_;
  for (const auto& s : matching) {
    std::string_view key = std::string_view(topic).substr(s.prefix.size());
    const bool parsed = (*s.handler)(key, m.frames[2]);
    if (alive.expired()) return;  // the handler destroyed this Subscriber
    if (!parsed) ++malformed_;
  }
}

Subscriber::Subscriber(asio::io_context& io, std::string endpoint) : impl_(std::make_unique<Impl>()) {
  impl_->endpoint_ = std::move(endpoint);
  auto socket = detail::Socket::open(io, ZMQ_SUB);
  if (!socket) {
    impl_->open_ = socket.error();
    return;
  }
  impl_->socket_ = std::move(socket.value());
}

Subscriber::~Subscriber() = default;

void Subscriber::add(std::string prefix, RawHandler handler) {
  if (impl_->socket_) (void)impl_->socket_->set(ZMQ_SUBSCRIBE, prefix);
  impl_->subscriptions_.push_back({std::move(prefix), std::make_shared<RawHandler>(std::move(handler))});
}

std::uint64_t Subscriber::malformed() const { return impl_->malformed_; }

Status Subscriber::start() {
  Impl& im = *impl_;
  if (!im.open_) return im.open_;
  if (im.started_) return fail(Errc::invalid, "subscriber already started");
  // Same quick reconnect as Client: a restarted publisher is found at once.
  for (auto [option, value] : {std::pair{ZMQ_RECONNECT_IVL, 20}, std::pair{ZMQ_RECONNECT_IVL_MAX, 500}}) {
    if (Status s = im.socket_->set(option, value); !s) return s;
  }
  if (Status s = im.socket_->set(ZMQ_MAXMSGSIZE, detail::kMaxMessage); !s) return s;
  if (Status s = im.socket_->connect(im.endpoint_); !s) return s;
  im.started_ = true;
  im.socket_->start_reading([&im](detail::Message& m) { im.on_event(m); });
  return {};
}

}  // namespace parley::ipc
