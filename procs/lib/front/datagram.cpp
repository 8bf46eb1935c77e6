#include "front/datagram.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "daemon/daemon.h"
#include "log/log.h"

namespace parley::front {

namespace {
using udp = asio::ip::udp;
}  // namespace

Datagrams::Datagrams(daemon::Context& ctx) : ctx_(ctx) {}

Datagrams::~Datagrams() { close(); }

Status Datagrams::listen(const std::vector<std::string>& names, Receive receive) {
  for (const auto& name : names) {
    for (const auto& l : ctx_.listeners(name)) {
      if (!l.datagram) continue;
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      if (::getsockname(l.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return fail(Errc::io, std::string("getsockname: ") + std::strerror(errno));
      }
      // A duplicate: the passed descriptor stays the skeleton's.
      const int fd = ::dup(l.fd);
      if (fd < 0) return fail(Errc::io, std::string("dup: ") + std::strerror(errno));
      const auto proto = addr.ss_family == AF_INET6 ? udp::v6() : udp::v4();
      auto socket = std::make_unique<Socket>(Socket{udp::socket(ctx_.io(), proto, fd), name});
      // send() never waits: a full socket buffer drops the datagram.
      boost::system::error_code ec;
      socket->socket.non_blocking(true, ec);
      if (ec) return fail(Errc::io, "non-blocking: " + ec.message());
      sockets_.push_back(std::move(socket));
      asio::co_spawn(ctx_.io(), receive_loop(sockets_.size() - 1, receive), asio::detached);
    }
  }
  return {};
}

awaitable<void> Datagrams::receive_loop(std::size_t index, Receive receive) {
  // Readiness, then recvmmsg until the socket is drained: under load one
  // wakeup and one system call take a batch of datagrams.
  constexpr std::size_t kBatch = 16;
  constexpr std::size_t kSlot = kMaxDatagram + 1;  // one more: a truncated datagram shows
  std::vector<char> buf(kBatch * kSlot);
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  std::array<sockaddr_storage, kBatch> from{};
  Socket& s = *sockets_[index];
  const int fd = s.socket.native_handle();
  for (;;) {
    boost::system::error_code ec;
    co_await s.socket.async_wait(udp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (closed_ || ec == asio::error::operation_aborted) co_return;
    for (;;) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        iov[i] = {.iov_base = buf.data() + i * kSlot, .iov_len = kSlot};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      }
      const int got = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      // EAGAIN: drained; ICMP errors from earlier sends (ECONNREFUSED)
      // surface here too, and the socket still works.
      if (got <= 0) break;
      for (int i = 0; i < got && !closed_; ++i) {
        const mmsghdr& m = msgs[static_cast<std::size_t>(i)];
        if (m.msg_len > kMaxDatagram || (m.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
          ++dropped_;
          continue;
        }
        udp::endpoint source;
        const std::size_t namelen = std::min<std::size_t>(m.msg_hdr.msg_namelen, source.capacity());
        std::memcpy(source.data(), m.msg_hdr.msg_name, namelen);
        source.resize(namelen);
        ++received_;
        Packet p{std::string_view(static_cast<const char*>(m.msg_hdr.msg_iov->iov_base), m.msg_len), source, index,
                 s.listener};
        receive(p);
      }
      if (closed_) co_return;
      if (static_cast<std::size_t>(got) < kBatch) break;  // most likely drained: wait rather than ask again
    }
  }
}

Status Datagrams::send(std::size_t socket, const udp::endpoint& to, std::string_view bytes) {
  if (bytes.size() > kMaxDatagram) return fail(Errc::limit, "datagram too large");
  if (socket >= sockets_.size()) return fail(Errc::invalid, "no such socket");
  boost::system::error_code ec;
  sockets_[socket]->socket.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
  if (ec == asio::error::would_block || ec == asio::error::no_buffer_space) {
    ++dropped_;
    return fail(Errc::unavailable, "socket buffer full");
  }
  if (ec) return fail(Errc::io, ec.message());
  return {};
}

udp::endpoint Datagrams::local(std::size_t socket) const {
  boost::system::error_code ec;
  return sockets_.at(socket)->socket.local_endpoint(ec);
}

void Datagrams::close() {
  closed_ = true;
  for (auto& s : sockets_) {
    boost::system::error_code ec;
    s->socket.close(ec);
  }
}

}  // namespace parley::front
