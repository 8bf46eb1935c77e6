// An smtpd Server beside the fake directory and router, for the SMTP
// session fuzz target and dialog tests (no sockets, no other processes).
#pragma once

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "procs/smtpd/server.h"
#include "tests/support/session_rig.h"

namespace parley::testkit {

class SmtpdRig {
 public:
  // `smtpd_settings`: extra keys for the [smtpd] section.
  explicit SmtpdRig(std::string_view smtpd_settings = {}) {
    quiet_logs("smtpd");
    std::string extra = smtpd_settings.empty() ? std::string() : "[smtpd]\n" + std::string(smtpd_settings) + "\n";
    ctx_ = std::make_unique<RigContext>(io, "smtpd", rig_config(dir_.path(), smtpd::settings_section(), extra), dir_.path());
    backends_ = std::make_unique<FakeBackends>(io, *ctx_);
    std::vector<std::string> listeners = {"smtp", "submission", "smtps", "local"};
    auto settings = smtpd::load_settings(ctx_->config(), listeners);
    if (!settings) std::abort();
    server_ = std::make_unique<smtpd::Server>(*ctx_, std::move(settings.value()), listeners);
  }

  smtpd::Server& server() { return *server_; }
  const FakeBackends& backends() const { return *backends_; }

  asio::io_context io;

 private:
  TempDir dir_{"parley-smtpd-rig"};
  std::unique_ptr<RigContext> ctx_;
  std::unique_ptr<FakeBackends> backends_;
  std::unique_ptr<smtpd::Server> server_;
};

}  // namespace parley::testkit
