#include "server.h"

#include "apps.h"
#include "ipc/contracts/media.h"
#include "ipc/contracts/router.h"
#include "ipc/ipc.h"
#include "log/log.h"
#include "queue/id.h"
#include "relay.h"
#include "settings.h"

namespace parley::media {

namespace {

constexpr auto kSweepEvery = std::chrono::seconds(1);
// A voicemail the router did not take is offered again, this often, for
// this long (a router restarting); then it is lost, and logged.
constexpr auto kDeliveryRetry = std::chrono::seconds(5);
constexpr int kDeliveryAttempts = 120;
constexpr auto kRouterTimeout = std::chrono::seconds(30);
// How long a stopping media waits for the router to take the messages
// its callers were leaving.
constexpr auto kDrainDeliveries = std::chrono::seconds(10);

class Server final : public daemon::Service {
 public:
  Server(daemon::Context& ctx, RelaySettings settings, AppSettings apps)
      : ctx_(ctx),
        relay_(ctx.io(), settings, [] { return Relay::Clock::now(); }),
        apps_(ctx.io(), settings, std::move(apps),
              {.ended = [this](const std::string& call, const std::string& reason) { app_ended(call, reason); },
               .deliver = [this](VoicemailMail mail, const std::string& sid) {
                 asio::co_spawn(ctx_.io(), deliver(std::move(mail), sid), asio::detached);
               }}),
        router_(ctx.io(), ctx.endpoint("router", "router")),
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
    relay_server_.handle(contracts::kAppStart,
                         [this](const ipc::RequestInfo& info, schema::AppStart req)
                             -> awaitable<Result<schema::AppStartReply>> { co_return app_start(info, req); });
    relay_server_.handle(contracts::kAppStop,
                         [this](const ipc::RequestInfo&, schema::AppStop req) -> awaitable<Result<schema::AppStopReply>> {
                           schema::AppStopReply reply;
                           reply.set_found(apps_.stop(req.call()));
                           co_return reply;
                         });
    relay_server_.handle(contracts::kAppDigits,
                         [this](const ipc::RequestInfo&, schema::AppDigits req) -> awaitable<Result<schema::AppDigitsReply>> {
                           schema::AppDigitsReply reply;
                           reply.set_found(apps_.digits(req.call(), req.digits()));
                           co_return reply;
                         });
    apps_.load_prompts();
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

  // Messages being left are kept: their callers are hung up (sipd sends
  // the BYEs), and what they said is queued before media goes, within
  // kDrainDeliveries.
  awaitable<void> drain() override {
    relay_server_.stop();
    admin_.stop();
    sweep_.cancel();
    apps_.end_all("shutdown");
    asio::steady_timer wait(ctx_.io());
    const auto until = std::chrono::steady_clock::now() + kDrainDeliveries;
    while (delivering_ > 0 && std::chrono::steady_clock::now() < until) {
      wait.expires_after(std::chrono::milliseconds(50));
      boost::system::error_code ec;
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (delivering_ > 0) log::error("media.voicemail.lost", "shut down before the router took a message", {{"count", delivering_}});
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
    apps_.set_settings(fresh.value(), load_app_settings(config));
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

  Result<schema::AppStartReply> app_start(const ipc::RequestInfo& info, const schema::AppStart& req) {
    auto reply = apps_.start(req);
    if (!reply) {
      log::warn("media.app.refused", reply.error().detail,
                {{"sid", info.sid}, {"call_id", req.call().substr(0, 128)}, {"value", req.application()}});
    }
    status();
    return reply;
  }

  void app_ended(const std::string& call, const std::string& reason) {
    schema::AppEnded event;
    event.set_call(call);
    event.set_reason(reason);
    events_.publish(contracts::kAppEnded, call, event, "");
  }

  // A message left: queued by the router for the account's INBOX, as any
  // mail (its rules, quota and the message-summary that follows). Offered
  // again while the router does not answer, with the same queue id (the
  // router takes it once).
  awaitable<void> deliver(VoicemailMail mail, std::string sid) {
    ++delivering_;
    struct Done {
      std::size_t& n;
      ~Done() { --n; }
    } done{delivering_};
    mail.host = daemon::host_name(ctx_.config());
    const std::string message = voicemail_message(mail);
    schema::EnqueueRequest req;
    auto* env = req.mutable_envelope();
    env->set_message_id(queue::new_id());
    env->set_return_path("");
    auto* to = env->add_recipients();
    to->set_address(mail.account);
    to->set_notify(schema::NOTIFY_NEVER);
    env->mutable_client()->set_listener("voicemail");
    env->set_sid(sid);
    env->set_size(message.size());
    env->set_received_unix_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(mail.received.time_since_epoch()).count());
    req.set_body(message);
    asio::steady_timer wait(ctx_.io());
    for (int attempt = 1; attempt <= kDeliveryAttempts; ++attempt) {
      ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kRouterTimeout), sid);
      auto answer = co_await router_.call(contracts::kRouterEnqueue, req, opts);
      if (answer && answer->answer().outcome() == schema::OUTCOME_ACCEPTED) {
        log::info("media.voicemail.queued", "message queued",
                  {{"sid", sid}, {"queue_id", env->message_id()}, {"account", mail.account},
                   {"elapsed_ms", mail.length.count()}, {"bytes", message.size()}});
        co_return;
      }
      const std::string error = answer ? schema::Outcome_Name(answer->answer().outcome()) : answer.error().detail;
      if (answer && answer->answer().permanent()) {
        log::error("media.voicemail.refused", "the router refused the message",
                   {{"sid", sid}, {"account", mail.account}, {"error", error}});
        co_return;
      }
      log::warn("media.voicemail.deferred", "the router did not take the message",
                {{"sid", sid}, {"account", mail.account}, {"error", error}, {"count", attempt}});
      wait.expires_after(kDeliveryRetry);
      boost::system::error_code ec;
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    log::error("media.voicemail.lost", "the router never took the message", {{"sid", sid}, {"account", mail.account}});
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
                    std::to_string(relay_.relayed()) + ", application calls " + std::to_string(apps_.calls()));
  }

  daemon::Context& ctx_;
  Relay relay_;
  Apps apps_;
  ipc::Client router_;
  ipc::Server relay_server_;
  ipc::Server admin_;
  ipc::Publisher events_;
  asio::steady_timer sweep_;
  std::size_t delivering_ = 0;  // messages on their way to the router
};

}  // namespace

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  auto settings = load_settings(ctx.config());
  if (!settings) return settings.error();
  return daemon::launch<Server>(ctx, std::move(settings.value()), load_app_settings(ctx.config()));
}

}  // namespace parley::media
