#include "core/packet.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace parley {

Status send_packet(int fd, std::string_view bytes) {
  if (bytes.size() > kMaxPacket) return fail(Errc::limit, "packet too large");
  for (;;) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return {};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return fail(Errc::unavailable, "would block");
    return fail(Errc::io, std::strerror(errno));
  }
}

Result<std::optional<std::string>> recv_packet(int fd) {
  // Peek at the size first so that a large packet is read whole.
  for (;;) {
    ssize_t size = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
    if (size < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return fail(Errc::unavailable, "nothing waiting");
      return fail(Errc::io, std::strerror(errno));
    }
    std::string buf(static_cast<std::size_t>(size) > kMaxPacket ? 0 : static_cast<std::size_t>(size), '\0');
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::io, std::strerror(errno));
    }
    if (static_cast<std::size_t>(size) > kMaxPacket) return fail(Errc::limit, "packet too large");
    // A zero-length read of a zero-length peek is end of stream: no record is empty,
    // because every record carries a oneof that is set.
    if (n == 0) return std::optional<std::string>{};
    buf.resize(static_cast<std::size_t>(n));
    return std::optional<std::string>{std::move(buf)};
  }
}

}  // namespace parley
