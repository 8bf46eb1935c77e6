#include "front/datagram.h"

#include <sys/socket.h>
#include <unistd.h>

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
  std::vector<char> buf(kMaxDatagram + 1);
  Socket& s = *sockets_[index];
  for (;;) {
    udp::endpoint from;
    boost::system::error_code ec;
    const std::size_t n =
        co_await s.socket.async_receive_from(asio::buffer(buf), from, asio::redirect_error(asio::use_awaitable, ec));
    if (closed_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // ICMP errors from earlier sends (ECONNREFUSED) surface here; the
      // socket still works.
      continue;
    }
    if (n > kMaxDatagram) {
      ++dropped_;
      continue;
    }
    ++received_;
    Packet p{std::string_view(buf.data(), n), from, index, s.listener};
    receive(p);
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
