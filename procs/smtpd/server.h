// smtpd's running state: listeners, sessions, connection limits, and the
// ipc clients sessions share (directory, router).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "daemon/daemon.h"
#include "ipc/ipc.h"
#include "settings.h"

namespace parley::smtpd {

class Session;

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
  bool draining() const { return draining_; }
  std::string next_sid();

  // Sessions register so that drain can end idle ones and limits can count them.
  void attach(Session* s, const std::string& ip);
  void detach(Session* s, const std::string& ip);
  std::size_t connections() const { return sessions_.size(); }
  std::size_t connections(const std::string& ip) const;

 private:
  awaitable<void> accept(asio::ip::tcp::acceptor& acceptor, std::string listener);

  daemon::Context& ctx_;
  std::shared_ptr<const Settings> settings_;
  std::vector<std::string> listener_names_;
  ipc::Client directory_;
  ipc::Client router_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::set<Session*> sessions_;
  std::map<std::string, std::size_t> per_ip_;
  std::string sid_prefix_;
  std::uint64_t sid_counter_ = 0;
  bool draining_ = false;
  std::unique_ptr<asio::steady_timer> drained_;
};

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::smtpd
