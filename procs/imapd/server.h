// imapd's running state: listeners, sessions and their limits, the
// directory client and the mail store the sessions share.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "daemon/daemon.h"
#include "ipc/ipc.h"
#include "store/store.h"
#include "tls/listeners.h"

namespace parley::imapd {

struct Settings {
  std::chrono::seconds pop3_timeout{};
  std::size_t max_connections = 0;
  std::size_t max_connections_per_ip = 0;
  int max_errors = 0;
  tls::ListenerContexts tls;

  std::shared_ptr<tls::ServerContext> tls_for(std::string_view listener) const;
};

class Pop3Session;

class Server final : public daemon::Service {
 public:
  Server(daemon::Context& ctx, Settings settings, store::Store st, std::vector<std::string> listeners);
  ~Server() override;

  Status start();
  awaitable<void> drain() override;
  Status reload(const config::Config& config) override;

  asio::io_context& io() { return ctx_.io(); }
  const std::shared_ptr<const Settings>& settings() const { return settings_; }
  ipc::Client& directory() { return directory_; }
  store::Store& store() { return store_; }
  std::string next_sid();

  // Sessions register so that drain can end idle ones and limits can count them.
  bool admit(Pop3Session* s, const std::string& ip);  // false: over a limit
  void leave(Pop3Session* s, const std::string& ip);
  // The POP3 maildrop lock (RFC 1939 4): one POP3 session per account.
  bool lock_maildrop(const std::string& account) { return pop3_locked_.insert(account).second; }
  void unlock_maildrop(const std::string& account) { pop3_locked_.erase(account); }

 private:
  awaitable<void> accept(asio::ip::tcp::acceptor& acceptor, std::string listener);

  daemon::Context& ctx_;
  std::shared_ptr<const Settings> settings_;
  store::Store store_;
  std::vector<std::string> listener_names_;
  ipc::Client directory_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::set<Pop3Session*> sessions_;
  std::map<std::string, std::size_t> per_ip_;
  std::set<std::string> pop3_locked_;
  std::string sid_prefix_;
  std::uint64_t sid_counter_ = 0;
  bool draining_ = false;
  std::unique_ptr<asio::steady_timer> drained_;
};

Result<Settings> load_settings(const config::Config& config, const std::vector<std::string>& listeners);
Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::imapd
