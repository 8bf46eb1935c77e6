#include "front/session.h"

#include "front/server.h"
#include "log/log.h"
#include "tls/context.h"

namespace parley::front {

namespace {
using namespace std::chrono_literals;
constexpr auto kHandshakeTimeout = 60000ms;
}  // namespace

Session::Session(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid,
                 std::string_view protocol)
    : front_(server),
      stream_(std::move(stream)),
      listener_(std::move(listener)),
      sid_(std::move(sid)),
      ip_(stream_->peer_ip()),
      peer_(stream_->peer()),
      protocol_(protocol) {}

Session::~Session() {
  if (admitted_) front_.leave(this);
}

void Session::interrupt_if_idle() {
  interrupted_ = true;
  if (idle_) stream_->cancel();
}

awaitable<Session::Opened> Session::open(std::shared_ptr<tls::ServerContext> implicit_tls, bool per_ip) {
  std::string_view limit;
  admitted_ = front_.admit(this, per_ip, limit);
  if (!admitted_) {
    log::warn(protocol_ + ".session.refused", "too many connections", {{"sid", sid_}, {"peer", peer_}, {"reason", limit}});
  }
  if (implicit_tls) {
    const bool secured = co_await handshake(std::move(implicit_tls));
    if (!secured) co_return Opened::closed;
  }
  co_return admitted_ ? Opened::ready : Opened::refused;
}

awaitable<bool> Session::handshake(std::shared_ptr<tls::ServerContext> context) {
  auto done = co_await stream_->handshake_server(std::move(context), kHandshakeTimeout);
  if (!done) {
    log::info(protocol_ + ".tls.failed", "TLS handshake failed", {{"sid", sid_}, {"peer", peer_}, {"error", done.error().detail}});
    co_return false;
  }
  log::info(protocol_ + ".tls.ok", "TLS established",
            {{"sid", sid_}, {"tls", stream_->tls_version()}, {"cipher", stream_->tls_cipher()}});
  co_return true;
}

awaitable<SaslOutcome> Session::authenticate(ipc::Client& directory, const std::string& mechanism,
                                             const std::optional<std::string>& initial, schema::Service service,
                                             const SaslChallenge& challenge) {
  SaslStart start;
  start.mechanism = mechanism;
  start.initial = initial;
  start.service = service;
  start.client_ip = ip_;
  start.sid = sid_;
  co_return co_await sasl_authenticate(directory, start, challenge);
}

awaitable<Result<std::size_t>> Session::receive(asio::mutable_buffer buf, std::chrono::milliseconds timeout, bool idle) {
  idle_ = idle;
  // Drain may have come while the session was busy.
  if (idle && interrupted_) {
    idle_ = false;
    co_return fail(Errc::cancelled, "server draining");
  }
  auto n = co_await stream_->read_some(buf, timeout);
  idle_ = false;
  co_return n;
}

}  // namespace parley::front
