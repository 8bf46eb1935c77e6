// imapd's running state: listeners, sessions and their limits, the
// directory client, the mail store the sessions share, the parsed-message
// cache, and the mailbox change notices that wake IDLE sessions.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "daemon/daemon.h"
#include "ipc/ipc.h"
#include "mime/mime.h"
#include "store/store.h"
#include "tls/listeners.h"

namespace parley::imapd {

struct Settings {
  std::chrono::seconds pop3_timeout{};
  std::chrono::seconds imap_timeout{};
  std::chrono::seconds imap_login_timeout{};
  std::vector<std::string> public_admins;
  std::size_t max_connections = 0;
  std::size_t max_connections_per_ip = 0;
  int max_errors = 0;
  tls::ListenerContexts tls;

  std::shared_ptr<tls::ServerContext> tls_for(std::string_view listener) const;
};

class ImapSession;
class FrontSession;  // front.h

// A stored message read once and parsed once, shared by the sessions that
// FETCH or SEARCH it (bodies are immutable, so the body id is the key).
struct CachedMessage {
  std::string raw;
  std::optional<mime::Part> part;  // parsed on first use
  bool parse_failed = false;
  const mime::Part* tree();        // nullptr when the message is too big to parse
};

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
  // false: over a limit, named in `limit` (its setting's name).
  bool admit(FrontSession* s, const std::string& ip, std::string_view& limit);
  void leave(FrontSession* s, const std::string& ip);
  // IMAP sessions also hear of mailbox changes.
  void watch(ImapSession* s) { imap_sessions_.insert(s); }
  void unwatch(ImapSession* s) { imap_sessions_.erase(s); }
  // A session of this process changed a mailbox.
  void changed(std::string_view owner, std::uint64_t mailbox_id);
  // The message with this body, from the cache or the store.
  Result<std::shared_ptr<CachedMessage>> message(const std::string& body_id);
  // The POP3 maildrop lock (RFC 1939 4): one POP3 session per account.
  bool lock_maildrop(const std::string& account) { return pop3_locked_.insert(account).second; }
  void unlock_maildrop(const std::string& account) { pop3_locked_.erase(account); }

 private:
  awaitable<void> accept(asio::ip::tcp::acceptor& acceptor, std::string listener);
  void on_event(std::string_view topic, std::string payload);

  daemon::Context& ctx_;
  std::shared_ptr<const Settings> settings_;
  store::Store store_;
  std::vector<std::string> listener_names_;
  ipc::Client directory_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::set<FrontSession*> sessions_;
  std::set<ImapSession*> imap_sessions_;
  std::unique_ptr<ipc::Subscriber> events_;
  // The message cache: most recently used first, bounded by bytes.
  std::list<std::pair<std::string, std::shared_ptr<CachedMessage>>> cache_;
  std::unordered_map<std::string, decltype(cache_)::iterator> cache_index_;
  std::size_t cache_bytes_ = 0;
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
