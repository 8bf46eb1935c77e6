#include "server.h"

#include "ipc/contracts/media.h"
#include "ipc/ipc.h"
#include "log/log.h"
#include "relay.h"
#include "settings.h"

namespace parley::media {

namespace {

constexpr auto kSweepEvery = std::chrono::seconds(1);

class Server final : public daemon::Service {
 public:
  Server(daemon::Context& ctx, RelaySettings settings)
      : ctx_(ctx),
        relay_(ctx.io(), std::move(settings), [] { return Relay::Clock::now(); }),
        relay_server_(ctx.io(), ctx.endpoint("relay")),
        admin_(ctx.io(), ctx.endpoint("admin"), ipc::ServerOptions{.socket_mode = 0600}),
        events_(ctx.io(), ctx.endpoint("events")),
        sweep_(ctx.io()) {}

  Status start() {
    relay_server_.handle(contracts::kRelayUpdate,
                         [this](const ipc::RequestInfo& info, schema::RelayUpdate req)
                             -> awaitable<Result<schema::RelayUpdateReply>> { co_return update(info, req); });
    relay_server_.handle(contracts::kRelayRelease,
                         [this](const ipc::RequestInfo& info, schema::RelayRelease req)
                             -> awaitable<Result<schema::RelayReleaseReply>> { co_return release(info, req); });
    admin_.handle(contracts::kRelayList,
                  [this](const ipc::RequestInfo&, schema::RelayListRequest)
                      -> awaitable<Result<schema::RelayListReply>> { co_return relay_.list(); });
    if (auto s = events_.start(); !s) return s;
    if (auto s = admin_.start(); !s) return s;
    if (auto s = relay_server_.start(); !s) return s;
    asio::co_spawn(ctx_.io(), sweep(), asio::detached);
    const RelaySettings& s = relay_.settings();
    log::info("media.relay.ready", "relaying",
              {{"address", s.address.to_string()}, {"value", s.advertised}, {"count", s.port_max - s.port_min + 1}});
    return {};
  }

  awaitable<void> drain() override {
    relay_server_.stop();
    admin_.stop();
    sweep_.cancel();
    co_return;
  }

  // The address and the ports are bound when calls start: they change
  // with a restart. The limits change at once.
  Status reload(const config::Config& config) override {
    auto fresh = load_settings(config);
    if (!fresh) return fresh.error();
    const RelaySettings& now = relay_.settings();
    if (fresh->address != now.address || fresh->advertised != now.advertised || fresh->port_min != now.port_min ||
        fresh->port_max != now.port_max) {
      return fail(Errc::invalid, "media.address, advertised_address and the port range change with a restart of media");
    }
    relay_.set_limits(fresh.value());
    return {};
  }

 private:
  Result<schema::RelayUpdateReply> update(const ipc::RequestInfo& info, const schema::RelayUpdate& req) {
    const bool fresh = !relay_.has(req.call());
    auto reply = relay_.update(req);
    // The call key comes from SIP (a Call-ID): bounded in the log.
    const std::string call = req.call().substr(0, 128);
    if (!reply) {
      log::warn("media.relay.refused", reply.error().detail, {{"sid", info.sid}, {"call_id", call}});
      return reply;
    }
    if (fresh) {
      log::info("media.relay.started", "relaying a call",
                {{"sid", info.sid}, {"call_id", call}, {"count", req.streams_size()}});
    }
    status();
    return reply;
  }

  Result<schema::RelayReleaseReply> release(const ipc::RequestInfo& info, const schema::RelayRelease& req) {
    schema::RelayReleaseReply reply;
    auto stats = relay_.release(req.call());
    if (stats) {
      reply.set_found(true);
      *reply.mutable_stats() = *stats;
      log::info("media.relay.released", "call ended",
                {{"sid", info.sid}, {"call_id", req.call().substr(0, 128)}, {"count", stats->packets()},
                 {"bytes", stats->bytes()}});
    }
    status();
    return reply;
  }

  awaitable<void> sweep() {
    for (;;) {
      sweep_.expires_after(kSweepEvery);
      boost::system::error_code ec;
      co_await sweep_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      for (auto& ended : relay_.expire()) {
        log::info("media.relay.ended", "call ended by the relay",
                  {{"call_id", ended.call.substr(0, 128)}, {"reason", ended.reason}, {"count", ended.stats.packets()},
                   {"bytes", ended.stats.bytes()}});
        schema::RelayEnded event;
        event.set_call(ended.call);
        event.set_reason(ended.reason);
        *event.mutable_stats() = ended.stats;
        events_.publish(contracts::kRelayEnded, ended.call, event, "");
      }
      status();
    }
  }

  void status() {
    ctx_.set_status("calls " + std::to_string(relay_.calls()) + ", packets relayed " +
                    std::to_string(relay_.relayed()));
  }

  daemon::Context& ctx_;
  Relay relay_;
  ipc::Server relay_server_;
  ipc::Server admin_;
  ipc::Publisher events_;
  asio::steady_timer sweep_;
};

}  // namespace

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  auto settings = load_settings(ctx.config());
  if (!settings) return settings.error();
  return daemon::launch<Server>(ctx, std::move(settings.value()));
}

}  // namespace parley::media
