#include "core/frame.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parley {
namespace {

// Reads exactly n bytes; returns the count read before a clean EOF.
Result<std::size_t> read_exact(int fd, char* out, std::size_t n, int timeout_ms) {
  std::size_t got = 0;
  while (got < n) {
    pollfd pfd{fd, POLLIN, 0};
    int rc = ::poll(&pfd, 1, timeout_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return fail(Errc::io, std::strerror(errno));
    if (rc == 0) return fail(Errc::timeout, "no data");
    ssize_t r = ::read(fd, out + got, n - got);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r < 0) return fail(Errc::io, std::strerror(errno));
    if (r == 0) return got;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

}  // namespace

std::string frame_header(std::size_t size) {
  std::string h(kFrameHeader, '\0');
  for (std::size_t i = 0; i < kFrameHeader; ++i) h[i] = static_cast<char>((size >> (8 * (kFrameHeader - 1 - i))) & 0xff);
  return h;
}

std::size_t frame_size(const unsigned char* header) {
  std::size_t size = 0;
  for (std::size_t i = 0; i < kFrameHeader; ++i) size = (size << 8) | header[i];
  return size;
}

Status write_frame(int fd, std::string_view bytes) {
  if (bytes.size() > kMaxFrame) return fail(Errc::limit, "frame too large");
  std::string out = frame_header(bytes.size());
  out.append(bytes);
  std::size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Errc::io, std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::optional<std::string>> read_frame(int fd, int timeout_ms) {
  unsigned char header[kFrameHeader];
  auto got = read_exact(fd, reinterpret_cast<char*>(header), kFrameHeader, timeout_ms);
  if (!got) return got.error();
  if (*got == 0) return std::optional<std::string>{};
  if (*got != kFrameHeader) return fail(Errc::io, "truncated frame");
  std::size_t size = frame_size(header);
  if (size > kMaxFrame) return fail(Errc::limit, "frame too large");
  std::string body(size, '\0');
  auto body_got = read_exact(fd, body.data(), size, timeout_ms);
  if (!body_got) return body_got.error();
  if (*body_got != size) return fail(Errc::io, "truncated frame");
  return std::optional<std::string>{std::move(body)};
}

}  // namespace parley
