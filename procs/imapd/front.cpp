#include "front.h"

#include "log/log.h"

namespace parley::imapd {

using namespace std::chrono_literals;

FrontSession::FrontSession(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid)
    : server_(server),
      settings_(server.settings()),
      stream_(std::move(stream)),
      listener_(std::move(listener)),
      sid_(std::move(sid)) {
  ip_ = stream_->peer_ip();
}

FrontSession::~FrontSession() {
  if (admitted_) server_.leave(this, ip_);
}

void FrontSession::interrupt_if_idle() {
  interrupted_ = true;
  if (idle_) {
    stream_->cancel();
  }
}

bool FrontSession::admit(std::string_view protocol) {
  std::string_view limit;
  admitted_ = server_.admit(this, ip_, limit);
  if (!admitted_) {
    const std::string event = std::string(protocol) + ".session.refused";
    log::warn(event, "too many connections", {{"sid", sid_}, {"peer", stream_->peer()}, {"reason", limit}});
  }
  return admitted_;
}

awaitable<bool> FrontSession::handshake(std::string_view protocol) {
  auto done = co_await stream_->handshake_server(settings_->tls_for(listener_), 60000ms);
  const std::string event = std::string(protocol) + (done ? ".tls.ok" : ".tls.failed");
  if (!done) {
    log::info(event, "TLS handshake failed", {{"sid", sid_}, {"error", done.error().detail}});
    co_return false;
  }
  log::info(event, "TLS established", {{"sid", sid_}, {"tls", stream_->tls_version()}, {"cipher", stream_->tls_cipher()}});
  co_return true;
}

}  // namespace parley::imapd
