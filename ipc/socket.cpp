#include "ipc/socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <zmq.h>

#include "ipc/ipc.h"

namespace parley::ipc::detail {

namespace {

Error zmq_error(Errc code, std::string_view what) {
  return fail(code, std::string(what) + ": " + zmq_strerror(zmq_errno()));
}

Error sys_error(std::string_view what, const std::string& path) {
  return fail(Errc::io, std::string(what) + " " + path + ": " + std::strerror(errno));
}

// True when a process accepts connections on the Unix socket at `path`:
// then the file is not a leftover and must not be removed.
bool someone_listens(const std::string& path) {
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  bool live = ::connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(s);
  return live;
}

}  // namespace

void* context() {
  // Never terminated: zmq_ctx_term would block on any socket still open at
  // exit, and the process's sockets live as long as it does.
  static void* const ctx = zmq_ctx_new();
  return ctx;
}

Result<std::unique_ptr<Socket>> Socket::open(asio::io_context& io, int type) {
  void* ctx = context();
  if (ctx == nullptr) return zmq_error(Errc::internal, "zmq_ctx_new");
  void* zsock = zmq_socket(ctx, type);
  if (zsock == nullptr) return zmq_error(Errc::io, "zmq_socket");
  int linger = 0;  // close() must not wait for unsent messages; callers resend
  int fd = -1;
  std::size_t len = sizeof fd;
  if (zmq_setsockopt(zsock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
      zmq_getsockopt(zsock, ZMQ_FD, &fd, &len) != 0) {
    Error e = zmq_error(Errc::io, "zmq socket setup");
    zmq_close(zsock);
    return e;
  }
  std::unique_ptr<Socket> socket(new Socket(io, zsock, fd));
  if (!socket->fd_.is_open()) return fail(Errc::io, "cannot register ZMQ_FD with the loop");
  return socket;
}

Socket::Socket(asio::io_context& io, void* zsock, int fd) : io_(io), zsock_(zsock), fd_(io) {
  boost::system::error_code ec;
  fd_.assign(fd, ec);  // on failure fd_ stays closed; open() reports it
}

Socket::~Socket() {
  reading_ = false;
  // ZMQ_FD belongs to ZeroMQ: take it back from Asio (this also cancels the
  // wait and removes it from epoll) before zmq_close lets ZeroMQ close it.
  if (fd_.is_open()) fd_.release();
  zmq_close(zsock_);
}

Status Socket::set(int option, int value) {
  if (zmq_setsockopt(zsock_, option, &value, sizeof value) != 0) return zmq_error(Errc::invalid, "zmq_setsockopt");
  return {};
}

Status Socket::set(int option, std::int64_t value) {
  if (zmq_setsockopt(zsock_, option, &value, sizeof value) != 0) return zmq_error(Errc::invalid, "zmq_setsockopt");
  return {};
}

Status Socket::set(int option, std::string_view value) {
  if (zmq_setsockopt(zsock_, option, value.data(), value.size()) != 0) {
    return zmq_error(Errc::invalid, "zmq_setsockopt");
  }
  kick();  // a subscription is sent to peers, which may touch ZMQ_FD's edge
  return {};
}

Status Socket::connect(const std::string& endpoint) {
  if (zmq_connect(zsock_, endpoint.c_str()) != 0) return zmq_error(Errc::invalid, "zmq_connect " + endpoint);
  return {};
}

Status Socket::bind(const std::string& endpoint, unsigned mode) {
  const std::string path = endpoint_path(endpoint);
  if (!path.empty()) {
    if (path.size() >= sizeof(sockaddr_un::sun_path)) return fail(Errc::limit, "socket path too long: " + path);
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      // Only a socket nobody answers on is a predecessor's leftover; any
      // other file is someone else's and stays.
      if (!S_ISSOCK(st.st_mode)) return fail(Errc::exists, path + " exists and is not a socket");
      if (someone_listens(path)) return fail(Errc::exists, path + " is served by a running process");
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sys_error("unlink", path);
    }
  }
  if (zmq_bind(zsock_, endpoint.c_str()) != 0) return zmq_error(Errc::io, "zmq_bind " + endpoint);
  // Between bind and chmod the file has the umask's mode; the runtime
  // directory's own mode (set by the supervisor) covers that instant.
  if (!path.empty() && ::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) return sys_error("chmod", path);
  return {};
}

void Socket::start_reading(OnMessage on_message) {
  on_message_ = std::make_shared<OnMessage>(std::move(on_message));
  reading_ = true;
  // Messages may already be queued and the edge long gone: drain first,
  // from the loop, so the callback never runs inside the caller's frame.
  post_drain();
}

void Socket::stop_reading() {
  reading_ = false;
  boost::system::error_code ec;
  fd_.cancel(ec);
}

bool Socket::readable() {
  int events = 0;
  std::size_t len = sizeof events;
  if (zmq_getsockopt(zsock_, ZMQ_EVENTS, &events, &len) != 0) return false;
  return (events & ZMQ_POLLIN) != 0;
}

void Socket::arm() {
  if (waiting_ || !reading_) return;
  waiting_ = true;
  fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                 [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
                   if (alive.expired()) return;
                   waiting_ = false;
                   // Aborted: stop_reading(), or a restart after it; any other
                   // error would repeat at once, so it ends reading.
                   if (ec && ec != asio::error::operation_aborted) return;
                   drain();
                 });
}

void Socket::post_drain() {
  if (drain_posted_) return;
  drain_posted_ = true;
  asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    drain_posted_ = false;
    drain();
  });
}

void Socket::kick() {
  if (!reading_ || drain_posted_) return;
  if (readable()) post_drain();
}

bool Socket::receive(Message& m) {
  m.frames.clear();
  m.truncated = false;
  for (;;) {
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, zsock_, ZMQ_DONTWAIT) < 0) {
      // Only a first part can be missing: ZeroMQ delivers messages whole.
      zmq_msg_close(&part);
      return !m.frames.empty();
    }
    if (m.frames.size() < kMaxFrames) {
      m.frames.emplace_back(static_cast<const char*>(zmq_msg_data(&part)), zmq_msg_size(&part));
    } else {
      m.truncated = true;
    }
    bool more = zmq_msg_more(&part) != 0;
    zmq_msg_close(&part);
    if (!more) return true;
  }
}

void Socket::drain() {
  if (!reading_) return;
  // The callback may destroy this socket's owner (and so this socket):
  // keep the callback alive for the turn and stop once we are gone.
  std::shared_ptr<OnMessage> on_message = on_message_;
  std::weak_ptr<int> alive = alive_;
  for (std::size_t n = 0;; ++n) {
    if (!readable()) {
      arm();
      return;
    }
    if (n == kDrainBatch) {  // let other handlers run; messages still wait
      post_drain();
      return;
    }
    if (!receive(message_)) continue;
    (*on_message)(message_);
    if (alive.expired() || !reading_) return;
  }
}

Status Socket::send(std::initializer_list<std::string_view> frames) {
  std::size_t left = frames.size();
  for (std::string_view frame : frames) {
    int flags = ZMQ_DONTWAIT | (--left > 0 ? ZMQ_SNDMORE : 0);
    if (zmq_send(zsock_, frame.data(), frame.size(), flags) < 0) {
      // ZeroMQ checks the high-water mark on a message's first part only, so
      // a failure here leaves nothing half-sent.
      Error e = zmq_error(zmq_errno() == EAGAIN ? Errc::unavailable : Errc::io, "zmq_send");
      kick();
      return e;
    }
  }
  kick();
  return {};
}

schema::Status to_status(Errc code) {
  switch (code) {
    case Errc::syntax: return schema::STATUS_SYNTAX;
    case Errc::limit: return schema::STATUS_LIMIT;
    case Errc::invalid: return schema::STATUS_INVALID;
    case Errc::not_found: return schema::STATUS_NOT_FOUND;
    case Errc::exists: return schema::STATUS_EXISTS;
    case Errc::denied: return schema::STATUS_DENIED;
    case Errc::unavailable: return schema::STATUS_UNAVAILABLE;
    case Errc::timeout: return schema::STATUS_TIMEOUT;
    case Errc::io: return schema::STATUS_IO;
    case Errc::internal: return schema::STATUS_INTERNAL;
    case Errc::cancelled: return schema::STATUS_CANCELLED;
  }
  return schema::STATUS_INTERNAL;
}

Result<std::string> from_reply(const schema::ReplyHeader& header, std::string payload) {
  std::string detail = header.detail();
  switch (header.status()) {
    case schema::STATUS_OK: return payload;
    case schema::STATUS_SYNTAX: return fail(Errc::syntax, std::move(detail));
    case schema::STATUS_LIMIT: return fail(Errc::limit, std::move(detail));
    case schema::STATUS_INVALID: return fail(Errc::invalid, std::move(detail));
    case schema::STATUS_NOT_FOUND: return fail(Errc::not_found, std::move(detail));
    case schema::STATUS_EXISTS: return fail(Errc::exists, std::move(detail));
    case schema::STATUS_DENIED: return fail(Errc::denied, std::move(detail));
    case schema::STATUS_UNAVAILABLE: return fail(Errc::unavailable, std::move(detail));
    case schema::STATUS_TIMEOUT: return fail(Errc::timeout, std::move(detail));
    case schema::STATUS_IO: return fail(Errc::io, std::move(detail));
    case schema::STATUS_INTERNAL: return fail(Errc::internal, std::move(detail));
    case schema::STATUS_CANCELLED: return fail(Errc::cancelled, std::move(detail));
    case schema::STATUS_NO_METHOD: return fail(Errc::not_found, "no such method: " + detail);
    case schema::STATUS_WRONG_TYPES: return fail(Errc::invalid, "types differ: " + detail);
    default: break;  // proto3 enums are open: a newer or hostile peer
  }
  return fail(Errc::internal, "unknown reply status " + std::to_string(static_cast<int>(header.status())));
}

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace parley::ipc::detail
