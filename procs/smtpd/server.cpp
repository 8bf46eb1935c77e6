#include "server.h"

#include "auth/auth.h"
#include "auth/encoding.h"
#include "daemon/acceptor.h"
#include "log/log.h"
#include "session.h"

namespace parley::smtpd {

using tcp = asio::ip::tcp;

namespace {
const std::string kListeners[] = {"smtp", "submission", "smtps", "local"};
}  // namespace

Server::Server(daemon::Context& ctx, Settings settings, std::vector<std::string> listener_names)
    : ctx_(ctx),
      settings_(std::make_shared<const Settings>(std::move(settings))),
      listener_names_(std::move(listener_names)),
      directory_(ctx.io(), ctx.endpoint("directory", "directory")),
      router_(ctx.io(), ctx.endpoint("router", "router")),
      sid_prefix_("smtp-" + auth::hex_encode(auth::random_bytes(3)) + "-") {}

Server::~Server() = default;

std::string Server::next_sid() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(++sid_counter_));
  return sid_prefix_ + buf;
}

Status Server::start() {
  for (const auto& name : kListeners) {
    for (const auto& l : ctx_.listeners(name)) {
      auto acceptor = daemon::make_acceptor(ctx_.io(), l);
      if (!acceptor) return acceptor.error();
      asio::co_spawn(ctx_.io(), accept(**acceptor, name), asio::detached);
      acceptors_.push_back(std::move(acceptor.value()));
    }
  }
  return {};
}

awaitable<void> Server::accept(tcp::acceptor& acceptor, std::string listener) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || draining_) co_return;
    if (ec) {
      // EMFILE and the like: back off instead of spinning.
      log::warn("smtp.accept.failed", "accept failed", {{"listener", listener}, {"error", ec.message()}});
      asio::steady_timer pause(ctx_.io(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto session = std::make_shared<Session>(*this, std::make_unique<net::TcpStream>(std::move(socket)), listener, next_sid());
    asio::co_spawn(ctx_.io(), Session::run(session), asio::detached);
  }
}

void Server::attach(Session* s, const std::string& ip) {
  sessions_.insert(s);
  ++per_ip_[ip];
}

void Server::detach(Session* s, const std::string& ip) {
  sessions_.erase(s);
  if (auto it = per_ip_.find(ip); it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  if (sessions_.empty() && drained_) drained_->cancel();
}

std::size_t Server::connections(const std::string& ip) const {
  auto it = per_ip_.find(ip);
  return it == per_ip_.end() ? 0 : it->second;
}

awaitable<void> Server::drain() {
  draining_ = true;
  for (auto& a : acceptors_) a->close();
  // Sessions waiting for a command end now (421); those in a transaction
  // finish it first, within parleyd's stop timeout.
  for (Session* s : sessions_) s->interrupt_if_idle();
  if (sessions_.empty()) co_return;
  drained_ = std::make_unique<asio::steady_timer>(ctx_.io(), asio::steady_timer::time_point::max());
  boost::system::error_code ec;
  co_await drained_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

Status Server::reload(const config::Config& config) {
  auto fresh = load_settings(config, listener_names_);
  if (!fresh) return fresh.error();
  // Sessions keep the settings they started with; new ones get these.
  settings_ = std::make_shared<const Settings>(std::move(fresh.value()));
  log::info("smtp.reload.ok", "settings and certificates reloaded", {{"count", settings_->tls.size()}});
  return {};
}

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  std::vector<std::string> names;
  for (const auto& name : kListeners) {
    if (!ctx.listeners(name).empty()) names.push_back(name);
  }
  auto settings = load_settings(ctx.config(), names);
  if (!settings) return settings.error();
  auto server = std::make_unique<Server>(ctx, std::move(settings.value()), names);
  if (auto s = server->start(); !s) return s.error();
  return std::unique_ptr<daemon::Service>(std::move(server));
}

}  // namespace parley::smtpd
