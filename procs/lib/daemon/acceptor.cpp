#include "daemon/acceptor.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parley::daemon {

Result<std::unique_ptr<asio::ip::tcp::acceptor>> make_acceptor(asio::io_context& io, const Listener& listener) {
  using tcp = asio::ip::tcp;
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return fail(Errc::io, std::string("getsockname: ") + std::strerror(errno));
  }
  auto proto = addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
  int fd = ::dup(listener.fd);
  if (fd < 0) return fail(Errc::io, std::string("dup: ") + std::strerror(errno));
  return std::make_unique<tcp::acceptor>(io, proto, fd);
}

}  // namespace parley::daemon
