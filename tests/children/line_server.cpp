#include "line_server.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>

#include "daemon/acceptor.h"
#include "log/log.h"

namespace parley::testkit {

using tcp = asio::ip::tcp;

constexpr std::size_t kMaxLine = 4096;

struct LineServer::Impl : std::enable_shared_from_this<Impl> {
  daemon::Context& ctx;
  std::string listener;
  Reply reply;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::size_t sessions = 0;
  std::uint64_t next_sid = 0;
  bool draining = false;
  std::unique_ptr<asio::steady_timer> drained;

  Impl(daemon::Context& c, std::string l, Reply r) : ctx(c), listener(std::move(l)), reply(std::move(r)) {}

  awaitable<void> accept(tcp::acceptor& acceptor) {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(ctx.io(), session(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> session(tcp::socket socket) {
    auto self = shared_from_this();
    ++sessions;
    std::string sid = std::string(ctx.name()) + "-" + std::to_string(++next_sid);
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    log::info("test.session.open", "connected", {{"sid", sid}, {"peer", peer.address().to_string() + ":" + std::to_string(peer.port())}});
    asio::streambuf buf(kMaxLine);
    for (;;) {
      std::size_t n = co_await asio::async_read_until(socket, buf, '\n', asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(n));
      buf.consume(n);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (line == "QUIT") break;
      std::string answer = co_await reply(line) + "\r\n";
      co_await asio::async_write(socket, asio::buffer(answer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    log::info("test.session.close", "closed", {{"sid", sid}});
    if (--sessions == 0 && drained) drained->cancel();
  }
};

LineServer::LineServer(daemon::Context& ctx, std::string listener, Reply reply)
    : impl_(std::make_shared<Impl>(ctx, std::move(listener), std::move(reply))) {}

LineServer::~LineServer() = default;

Status LineServer::start() {
  for (const auto& l : impl_->ctx.listeners(impl_->listener)) {
    auto acceptor = daemon::make_acceptor(impl_->ctx.io(), l);
    if (!acceptor) return acceptor.error();
    asio::co_spawn(impl_->ctx.io(), impl_->accept(**acceptor), asio::detached);
    impl_->acceptors.push_back(std::move(acceptor.value()));
  }
  return {};
}

awaitable<void> LineServer::drain() {
  auto self = impl_;
  for (auto& a : self->acceptors) a->close();
  if (self->sessions == 0) co_return;
  self->drained = std::make_unique<asio::steady_timer>(self->ctx.io(), asio::steady_timer::time_point::max());
  boost::system::error_code ec;
  co_await self->drained->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}


}  // namespace parley::testkit
