#include "server.h"

#include "session.h"

namespace parley::smtpd {

namespace {
const std::vector<std::string> kListeners = {"smtp", "submission", "smtps", "local"};
}  // namespace

Server::Server(daemon::Context& ctx, Settings settings, std::vector<std::string> listeners)
    : Frontend(ctx, "smtp", &load_settings, std::move(settings), std::move(listeners)),
      directory_(ctx.io(), ctx.endpoint("directory", "directory")),
      router_(ctx.io(), ctx.endpoint("router", "router")) {}

Status Server::start() {
  return listen([this](std::unique_ptr<net::Stream> stream, const std::string& listener) {
    spawn<Session>(*this, std::move(stream), listener, "smtp");
  });
}

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  const auto names = front::Server::present(ctx, kListeners);
  auto settings = load_settings(ctx.config(), names);
  if (!settings) return settings.error();
  return daemon::launch<Server>(ctx, std::move(settings.value()), names);
}

}  // namespace parley::smtpd
