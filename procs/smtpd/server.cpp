#include "server.h"

#include "log/log.h"
#include "session.h"

namespace parley::smtpd {

namespace {
const std::vector<std::string> kListeners = {"smtp", "submission", "smtps", "local"};

front::Limits limits(const Settings& s) { return {s.max_connections, s.max_connections_per_ip}; }
}  // namespace

Server::Server(daemon::Context& ctx, Settings settings, std::vector<std::string> listener_names)
    : ctx_(ctx),
      settings_(std::make_shared<const Settings>(std::move(settings))),
      listener_names_(std::move(listener_names)),
      directory_(ctx.io(), ctx.endpoint("directory", "directory")),
      router_(ctx.io(), ctx.endpoint("router", "router")),
      front_(ctx, "smtp") {
  front_.set_limits(limits(*settings_));
}

Server::~Server() = default;

Status Server::start() {
  return front_.listen(listener_names_, [this](std::unique_ptr<net::Stream> stream, const std::string& listener) {
    auto session = std::make_shared<Session>(*this, std::move(stream), listener, front_.next_sid("smtp"));
    asio::co_spawn(ctx_.io(), Session::run(session), asio::detached);
  });
}

// Sessions waiting for a command end now (421); those in a transaction
// finish it first, within parleyd's stop timeout.
awaitable<void> Server::drain() { co_await front_.drain(); }

Status Server::reload(const config::Config& config) {
  auto fresh = load_settings(config, listener_names_);
  if (!fresh) return fresh.error();
  // Sessions keep the settings they started with; new ones get these.
  settings_ = std::make_shared<const Settings>(std::move(fresh.value()));
  front_.set_limits(limits(*settings_));
  log::info("smtp.reload.ok", "settings and certificates reloaded", {{"count", settings_->tls.size()}});
  return {};
}

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  const auto names = front::Server::present(ctx, kListeners);
  auto settings = load_settings(ctx.config(), names);
  if (!settings) return settings.error();
  auto server = std::make_unique<Server>(ctx, std::move(settings.value()), names);
  if (auto s = server->start(); !s) return s.error();
  return std::unique_ptr<daemon::Service>(std::move(server));
}

}  // namespace parley::smtpd
