// Client: a DEALER socket with many requests in flight.
//
// Each call() owns a Pending record, shared with the in-flight map. The
// call's coroutine sleeps on the record's timer, set to the deadline; a
// reply (or the Client's destruction) stores the result and cancels the
// timer. Once a result is stored the coroutine never touches the Client
// again, so a Client may be destroyed with calls outstanding.
#include <zmq.h>

#include <chrono>
#include <optional>
#include <random>
#include <unordered_map>

#include "ipc/ipc.h"
#include "ipc/socket.h"

namespace parley::ipc {

namespace {

using Clock = std::chrono::steady_clock;

// ZeroMQ's reconnect backoff: start fast so a restarted server is reached
// at once, cap low so a server down for a while is found within half a
// second of coming back.
constexpr int kReconnectMs = 20;
constexpr int kReconnectMaxMs = 500;

struct Pending {
  explicit Pending(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;  // expires at the deadline; cancelled by the reply
  std::uint64_t seq = 0;
  std::string header;
  std::string payload;
  Clock::time_point deadline;
  Clock::time_point sent;  // last (re)send; epoch when the send failed
  std::optional<Result<std::string>> result;
};

std::uint64_t random_id() {
  std::random_device rd;
  std::uint64_t id = 0;
  while (id == 0) id = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return id;
}

}  // namespace

struct Client::Impl {
  Impl(asio::io_context& io, std::string endpoint, ClientOptions options);
  ~Impl();
  // Registers and sends a request; the caller then waits on its timer.
  Result<std::shared_ptr<Pending>> begin(std::string_view method, std::string_view types, std::string payload,
                                         const CallOptions& options);
  void on_reply(detail::Message& m);
  void send(Pending& p);
  void arm_resend();
  void resend_due();

  asio::io_context& io_;
  ClientOptions options_;
  Status open_;  // why the socket could not be set up; calls return it
  std::unique_ptr<detail::Socket> socket_;
  const std::uint64_t id_ = random_id();
  std::uint64_t next_seq_ = 0;
  std::unordered_map<std::uint64_t, std::shared_ptr<Pending>> in_flight_;
  asio::steady_timer resend_timer_;
  bool resend_armed_ = false;
  std::uint64_t resent_ = 0;
  std::uint64_t malformed_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

Client::Impl::Impl(asio::io_context& io, std::string endpoint, ClientOptions options)
    : io_(io), options_(options), resend_timer_(io) {
  auto socket = detail::Socket::open(io, ZMQ_DEALER);
  if (!socket) {
    open_ = socket.error();
    return;
  }
  socket_ = std::move(socket.value());
  open_ = [&]() -> Status {
    for (auto [option, value] : {std::pair{ZMQ_SNDHWM, options_.send_hwm}, std::pair{ZMQ_RCVHWM, options_.send_hwm},
                                 std::pair{ZMQ_RECONNECT_IVL, kReconnectMs},
                                 std::pair{ZMQ_RECONNECT_IVL_MAX, kReconnectMaxMs}}) {
      if (Status s = socket_->set(option, value); !s) return s;
    }
    if (Status s = socket_->set(ZMQ_MAXMSGSIZE, detail::kMaxMessage); !s) return s;
    return socket_->connect(endpoint);
  }();
  if (!open_) {
    socket_.reset();
    return;
  }
  socket_->start_reading([this](detail::Message& m) { on_reply(m); });
}

Client::Impl::~Impl() {
  for (auto& [seq, pending] : in_flight_) {
    pending->result = fail(Errc::cancelled, "client closed");
    pending->timer.cancel();
  }
}

void Client::Impl::on_reply(detail::Message& m) {
  if (m.truncated || m.frames.size() != 2) {
    ++malformed_;
    return;
  }
  schema::ReplyHeader header;
  if (!header.ParseFromString(m.frames[0]) || header.client_id() != id_) {
    ++malformed_;
    return;
  }
  auto it = in_flight_.find(header.seq());
  if (it == in_flight_.end()) return;  // a late duplicate, or the call timed out
  std::shared_ptr<Pending> pending = std::move(it->second);
  in_flight_.erase(it);
  pending->result = detail::from_reply(header, std::move(m.frames[1]));
  pending->timer.cancel();
}

void Client::Impl::send(Pending& p) {
  // A full queue (high-water mark) is not an error here: the request stays
  // in flight and the resend scan tries again.
  p.sent = socket_->send({p.header, p.payload}) ? Clock::now() : Clock::time_point{};
}

void Client::Impl::arm_resend() {
  if (resend_armed_ || in_flight_.empty() || options_.resend_after.count() <= 0) return;
  resend_armed_ = true;
  // Scanning at half the interval resends each request between 1 and 1.5
  // intervals after its last send.
  auto period = std::max(options_.resend_after / 2, std::chrono::milliseconds(1));
  resend_timer_.expires_after(period);
  resend_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
    if (alive.expired()) return;
    resend_armed_ = false;
    if (ec) return;
    resend_due();
    arm_resend();  // stays idle once nothing is in flight
  });
}

void Client::Impl::resend_due() {
  const Clock::time_point now = Clock::now();
  for (auto& [seq, pending] : in_flight_) {
    if (now >= pending->deadline || now - pending->sent < options_.resend_after) continue;
    send(*pending);
    ++resent_;
  }
}

Client::Client(asio::io_context& io, std::string endpoint, ClientOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(endpoint), options)) {}

Client::~Client() = default;

Result<std::shared_ptr<Pending>> Client::Impl::begin(std::string_view method, std::string_view types,
                                                     std::string payload, const CallOptions& options) {
  if (!open_) return open_.error();
  if (method.empty() || method.size() > detail::kMaxMethod) return fail(Errc::limit, "method name length");
  if (types.size() > detail::kMaxTypes) return fail(Errc::limit, "type names length");
  if (options.sid.size() > detail::kMaxSid) return fail(Errc::limit, "sid length");
  const std::chrono::milliseconds timeout = options.timeout.count() > 0 ? options.timeout : options_.default_timeout;
  auto pending = std::make_shared<Pending>(io_);
  pending->seq = ++next_seq_;
  schema::RequestHeader header;
  header.set_client_id(id_);
  header.set_seq(pending->seq);
  header.set_method(std::string(method));
  header.set_types(std::string(types));
  header.set_deadline_unix_ms(detail::unix_ms(std::chrono::system_clock::now() + timeout));
  header.set_sid(options.sid);
  pending->header = header.SerializeAsString();
  pending->payload = std::move(payload);
  pending->deadline = Clock::now() + timeout;
  pending->timer.expires_at(pending->deadline);
  in_flight_.emplace(pending->seq, pending);
  send(*pending);
  arm_resend();
  return pending;
}

awaitable<Result<std::string>> Client::call_raw(std::string_view method, std::string_view types, std::string payload,
                                                CallOptions options) {
  Result<std::shared_ptr<Pending>> begun = impl_->begin(method, types, std::move(payload), options);
  if (!begun) co_return begun.error();
  std::shared_ptr<Pending> pending = std::move(begun.value());
  // A reply is stored by the socket's drain, never inline in begin(), but
  // check first anyway: waiting then would last until the deadline.
  while (!pending->result) {
    boost::system::error_code ec;
    co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (pending->result) break;
    if (!ec) {
      // Deadline. No result means the Client still exists (its destructor
      // stores one in every pending record).
      impl_->in_flight_.erase(pending->seq);
      co_return fail(Errc::timeout, "no reply to " + std::string(method));
    }
  }
  co_return std::move(*pending->result);
}

std::size_t Client::in_flight() const { return impl_->in_flight_.size(); }
std::uint64_t Client::resent() const { return impl_->resent_; }
std::uint64_t Client::id() const { return impl_->id_; }

}  // namespace parley::ipc
