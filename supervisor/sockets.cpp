#include "supervisor/sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parley::supervisor {
namespace {

constexpr int kBacklog = 511;
// A datagram socket's buffers: a burst of SIP requests (phones
// re-registering after an outage) waits in the receive buffer rather than
// being dropped. The kernel's default (net.core.rmem_default, often
// 208 KiB) holds about 300 requests.
constexpr int kDatagramBuffer = 4 << 20;

// Sets a buffer size past net.core.{r,w}mem_max when parleyd runs as root
// (SO_*BUFFORCE needs CAP_NET_ADMIN); otherwise as large as that limit
// allows. Best effort: a smaller buffer still works.
void size_buffer(int fd, int force_option, int option) {
  const int size = kDatagramBuffer;
  if (::setsockopt(fd, SOL_SOCKET, force_option, &size, sizeof size) == 0) return;
  ::setsockopt(fd, SOL_SOCKET, option, &size, sizeof size);
}

// A Unix stream socket every local user may connect to (sendmail's way in).
// A socket file left by an earlier run is replaced; anything else at the
// path is an error, not something to delete.
Result<UniqueFd> bind_unix(const config::ListenSpec& spec) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (spec.host.size() >= sizeof addr.sun_path) return fail(Errc::invalid, "socket path too long");
  std::memcpy(addr.sun_path, spec.host.c_str(), spec.host.size() + 1);
  struct stat st{};
  if (::lstat(spec.host.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail(Errc::invalid, "bind " + config::to_string(spec) + ": the path exists and is not a socket");
    ::unlink(spec.host.c_str());
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return fail(Errc::io, std::string("socket: ") + std::strerror(errno));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return fail(Errc::io, "bind " + config::to_string(spec) + ": " + std::strerror(errno));
  }
  if (::chmod(spec.host.c_str(), 0666) != 0 || ::listen(fd.get(), kBacklog) != 0) {
    return fail(Errc::io, "listen " + config::to_string(spec) + ": " + std::strerror(errno));
  }
  return fd;
}

Result<UniqueFd> bind_one(const config::ListenSpec& spec) {
  if (spec.proto == config::ListenSpec::Proto::unix_stream) return bind_unix(spec);
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool v6 = spec.host.find(':') != std::string::npos;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(spec.port);
    if (::inet_pton(AF_INET6, spec.host.c_str(), &a->sin6_addr) != 1) return fail(Errc::invalid, "bad address");
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(spec.port);
    if (spec.host == "*") {
      a->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (::inet_pton(AF_INET, spec.host.c_str(), &a->sin_addr) != 1) {
      return fail(Errc::invalid, "bad address");
    }
    len = sizeof *a;
  }
  bool tcp = spec.proto == config::ListenSpec::Proto::tcp;
  UniqueFd fd(::socket(addr.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return fail(Errc::io, std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // [::] means IPv6 only; "*" is there for IPv4, so both can be configured.
  if (v6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (!tcp) {
    size_buffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF);
    size_buffer(fd.get(), SO_SNDBUFFORCE, SO_SNDBUF);
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return fail(Errc::io, "bind " + config::to_string(spec) + ": " + std::strerror(errno));
  }
  if (tcp && ::listen(fd.get(), kBacklog) != 0) {
    return fail(Errc::io, "listen " + config::to_string(spec) + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

std::string Sockets::key(const config::ListenSpec& spec) {
  // The name is not part of the key: the address is what is bound.
  return std::string(config::to_string(spec.proto)) + ":" + spec.host + ":" + std::to_string(spec.port);
}

Result<int> Sockets::get(const config::ListenSpec& spec) {
  std::string k = key(spec);
  auto it = bound_.find(k);
  if (it != bound_.end()) return it->second.get();
  auto fd = bind_one(spec);
  if (!fd) return fd.error();
  int raw = fd->get();
  bound_.emplace(k, std::move(fd.value()));
  return raw;
}

void Sockets::retain(const std::set<std::string>& keep) {
  for (auto it = bound_.begin(); it != bound_.end();) {
    it = keep.contains(it->first) ? std::next(it) : bound_.erase(it);
  }
}

}  // namespace parley::supervisor
