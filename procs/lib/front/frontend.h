// The running state every front end's process shares (its daemon::Service):
// the listener server, the settings in force, drain and reload.
//
// Settings are swapped whole on reload (parleyd's HUP, `parleyctl
// reload`): connection limits and TLS contexts, with certificates read
// again, apply to the sessions that start after it; a running session
// keeps the settings it started with. A reload the settings refuse (a bad
// key file) leaves the old ones in force.
//
// The front end's Settings struct has `max_connections`,
// `max_connections_per_ip` and `tls` (tls::ListenerContexts); its Load
// function reads it from parley.conf for the listeners given.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/daemon.h"
#include "front/server.h"
#include "log/log.h"

namespace parley::front {

template <class Settings>
class Frontend : public daemon::Service {
 public:
  using Load = Result<Settings> (*)(const config::Config& config, const std::vector<std::string>& listeners);

  // `log_name` prefixes the process's log events ("smtp" gives
  // "smtp.reload.ok"); `listeners`: the names parleyd passed sockets for.
  Frontend(daemon::Context& ctx, std::string log_name, Load load, Settings settings, std::vector<std::string> listeners)
      : ctx_(ctx),
        load_(load),
        settings_(std::make_shared<const Settings>(std::move(settings))),
        listeners_(std::move(listeners)),
        front_(ctx, std::move(log_name)) {
    front_.set_limits({settings_->max_connections, settings_->max_connections_per_ip});
  }

  // Accepting stops; sessions end as front::Server::drain says.
  awaitable<void> drain() override { co_await front_.drain(); }

  Status reload(const config::Config& config) override {
    auto fresh = load_(config, listeners_);
    if (!fresh) return fresh.error();
    settings_ = std::make_shared<const Settings>(std::move(fresh.value()));
    front_.set_limits({settings_->max_connections, settings_->max_connections_per_ip});
    reloaded();
    log::info(front_.log_name() + ".reload.ok", "settings and certificates reloaded", {{"count", settings_->tls.size()}});
    return {};
  }

  asio::io_context& io() { return ctx_.io(); }
  const std::shared_ptr<const Settings>& settings() const { return settings_; }
  Server& front() { return front_; }
  const Server& front() const { return front_; }

 protected:
  // Starts accepting on every listener; `accept` makes each connection's
  // session (see spawn()).
  Status listen(Server::Accept accept) { return front_.listen(listeners_, std::move(accept)); }

  // Runs a new session of type S for a connection: S(owner, stream,
  // listener, sid) and S::run(shared_ptr<S>).
  template <class S, class Owner>
  void spawn(Owner& owner, std::unique_ptr<net::Stream> stream, const std::string& listener, std::string_view protocol) {
    auto session = std::make_shared<S>(owner, std::move(stream), listener, front_.next_sid(protocol));
    asio::co_spawn(ctx_.io(), S::run(session), asio::detached);
  }

  // New settings are in force: apply what else depends on them.
  virtual void reloaded() {}

  daemon::Context& ctx_;

 private:
  Load load_;
  std::shared_ptr<const Settings> settings_;
  std::vector<std::string> listeners_;
  Server front_;
};

}  // namespace parley::front
