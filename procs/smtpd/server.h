// smtpd's running state: the listener server (procs/lib/front), the
// settings sessions start with, and the ipc clients sessions share
// (directory, router).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/daemon.h"
#include "front/frontend.h"
#include "ipc/ipc.h"
#include "settings.h"

namespace parley::smtpd {

// At drain, sessions waiting for a command end (421); those in a
// transaction finish it first, within parleyd's stop timeout.
class Server final : public front::Frontend<Settings> {
 public:
  Server(daemon::Context& ctx, Settings settings, std::vector<std::string> listeners);
  Status start();

  ipc::Client& directory() { return directory_; }
  ipc::Client& router() { return router_; }

 private:
  ipc::Client directory_;
  ipc::Client router_;
};

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::smtpd
