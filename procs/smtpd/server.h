// smtpd's running state: the listener server (procs/lib/front), the
// settings sessions start with, and the ipc clients sessions share
// (directory, router).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/daemon.h"
#include "front/server.h"
#include "ipc/ipc.h"
#include "settings.h"

namespace parley::smtpd {

class Server final : public daemon::Service {
 public:
  Server(daemon::Context& ctx, Settings settings, std::vector<std::string> listener_names);
  ~Server() override;

  Status start();
  awaitable<void> drain() override;
  Status reload(const config::Config& config) override;

  asio::io_context& io() { return ctx_.io(); }
  const std::shared_ptr<const Settings>& settings() const { return settings_; }
  ipc::Client& directory() { return directory_; }
  ipc::Client& router() { return router_; }
  front::Server& front() { return front_; }

 private:
  daemon::Context& ctx_;
  std::shared_ptr<const Settings> settings_;
  std::vector<std::string> listener_names_;
  ipc::Client directory_;
  ipc::Client router_;
  front::Server front_;
};

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::smtpd
