#include "front/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "auth/auth.h"
#include "auth/encoding.h"
#include "daemon/daemon.h"
#include "front/session.h"
#include "log/log.h"

namespace parley::front {

namespace {

using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// After a failed accept (out of descriptors), the wait before the next.
constexpr auto kAcceptBackoff = 100ms;

// An acceptor over a duplicate of a socket parleyd passed (the original
// stays the skeleton's). A Unix stream listener is accepted through the
// same type: accept, recv and send are the same calls, only endpoints differ.
Result<std::shared_ptr<tcp::acceptor>> make_acceptor(asio::io_context& io, const daemon::Listener& listener) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return fail(Errc::io, std::string("getsockname: ") + std::strerror(errno));
  }
  const auto proto = addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
  const int fd = ::dup(listener.fd);
  if (fd < 0) return fail(Errc::io, std::string("dup: ") + std::strerror(errno));
  return std::make_shared<tcp::acceptor>(io, proto, fd);
}

}  // namespace

Server::Server(daemon::Context& ctx, std::string log_name)
    : ctx_(ctx), log_name_(std::move(log_name)), tag_(auth::hex_encode(auth::random_bytes(3))) {}

// Sessions still running when the server goes (a test's teardown) must
// not count themselves out of it.
Server::~Server() {
  for (Session* s : sessions_) s->admitted_ = false;
}

asio::io_context& Server::io() { return ctx_.io(); }

std::vector<std::string> Server::present(const daemon::Context& ctx, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    if (!ctx.listeners(name).empty()) out.push_back(name);
  }
  return out;
}

Status Server::listen(const std::vector<std::string>& names, Accept accept) {
  for (const auto& name : names) {
    for (const auto& l : ctx_.listeners(name)) {
      if (l.datagram) continue;
      auto acceptor = make_acceptor(ctx_.io(), l);
      if (!acceptor) return acceptor.error();
      asio::co_spawn(ctx_.io(), accept_loop(*acceptor, name, accept), asio::detached);
      acceptors_.push_back(std::move(acceptor.value()));
    }
  }
  return {};
}

std::string Server::next_sid(std::string_view protocol) {
  char counter[24];
  std::snprintf(counter, sizeof counter, "%llx", static_cast<unsigned long long>(++counter_));
  std::string sid(protocol);
  sid += '-';
  sid += tag_;
  sid += '-';
  sid += counter;
  return sid;
}

awaitable<void> Server::accept_loop(std::shared_ptr<tcp::acceptor> acceptor, std::string listener, Accept accept) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || draining_) co_return;
    if (ec) {
      log::warn(log_name_ + ".accept.failed", "accept failed", {{"listener", listener}, {"error", ec.message()}});
      asio::steady_timer pause(ctx_.io(), kAcceptBackoff);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    accept(std::make_unique<net::TcpStream>(std::move(socket)), listener);
  }
}

bool Server::admit(Session* s, bool per_ip, std::string_view& limit) {
  if (sessions_.size() >= limits_.max_connections) {
    limit = "max_connections";
    return false;
  }
  if (per_ip) {
    auto& n = per_ip_[s->ip_];
    if (n >= limits_.max_connections_per_ip) {
      if (n == 0) per_ip_.erase(s->ip_);
      limit = "max_connections_per_ip";
      return false;
    }
    ++n;
    s->counted_per_ip_ = true;
  }
  sessions_.insert(s);
  return true;
}

void Server::leave(Session* s) {
  if (sessions_.erase(s) == 0) return;
  if (s->counted_per_ip_) {
    if (auto it = per_ip_.find(s->ip_); it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  }
  if (sessions_.empty() && drained_) drained_->cancel();
}

awaitable<void> Server::drain() {
  draining_ = true;
  for (auto& a : acceptors_) {
    boost::system::error_code ec;
    a->close(ec);
  }
  // Copied: a session interrupted now may end and leave while we walk.
  std::vector<Session*> all(sessions_.begin(), sessions_.end());
  for (Session* s : all) s->interrupt_if_idle();
  if (sessions_.empty()) co_return;
  drained_ = std::make_unique<asio::steady_timer>(ctx_.io(), asio::steady_timer::time_point::max());
  boost::system::error_code ec;
  co_await drained_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace parley::front
