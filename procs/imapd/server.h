// imapd's running state: listeners, sessions and their limits, the
// directory client, the mail store the sessions share, the parsed-message
// cache, and the mailbox change notices that wake IDLE sessions.
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>


#include "daemon/daemon.h"
#include "front/frontend.h"
#include "ipc/ipc.h"
#include "mime/mime.h"
#include "settings.h"
#include "store/store.h"
#include "tls/listeners.h"

namespace parley::schema {
class MailboxEvent;
}

namespace parley::imapd {

class ImapSession;

class MessageCache;

// A stored message read once and parsed once, shared by the sessions that
// FETCH or SEARCH it (bodies are immutable, so the body id is the key).
struct CachedMessage {
  std::string raw;
  const mime::Part* tree();  // parsed on first use; nullptr when the message is too big to parse
  // What this entry holds on the heap: itself, `raw` and the parsed tree
  // (an estimate: capacities plus allocator overhead, not malloc's own count).
  std::size_t footprint() const;

 private:
  friend class MessageCache;
  std::optional<mime::Part> part_;
  bool parse_failed_ = false;
  std::size_t counted_ = 0;            // footprint() as the cache last counted it
  MessageCache* cache_ = nullptr;      // while cached: told when the tree is built
  const std::string* key_ = nullptr;   // while cached: its body id in the cache
};

// The parsed-message cache shared by all sessions: least recently used
// first out, bounded by the entries' whole footprint (bytes, parsed trees,
// index), not only the raw bytes. An entry over a quarter of the bound is
// not kept. Entries a session still holds stay valid after eviction.
class MessageCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit MessageCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  ~MessageCache();
  MessageCache(const MessageCache&) = delete;
  MessageCache& operator=(const MessageCache&) = delete;

  // The entry for `body_id`, now the most recently used; nullptr if absent.
  std::shared_ptr<CachedMessage> find(const std::string& body_id, Clock::time_point now = Clock::now());
  // Keeps a freshly read entry (unless it is too big), evicting others.
  void insert(const std::string& body_id, const std::shared_ptr<CachedMessage>& entry,
              Clock::time_point now = Clock::now());
  void set_max_bytes(std::size_t max_bytes);  // 0: keep nothing
  // Drops the entries last used before `cutoff`; how many.
  std::size_t expire(Clock::time_point cutoff);

  std::size_t bytes() const { return bytes_; }
  std::size_t entries() const { return index_.size(); }
  std::size_t max_bytes() const { return max_bytes_; }
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  friend struct CachedMessage;
  struct Entry {
    std::string id;  // the body id
    std::shared_ptr<CachedMessage> message;
    Clock::time_point used;
  };
  void recount(CachedMessage& m);  // its tree was built
  void trim();                     // evicts past the bound
  void drop(std::list<Entry>::iterator it);
  static std::size_t overhead(const std::string& body_id);  // the index's share of an entry

  std::size_t max_bytes_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0, misses_ = 0;
};

class Server final : public front::Frontend<Settings> {
 public:
  Server(daemon::Context& ctx, Settings settings, store::Store st, std::vector<std::string> listeners);
  ~Server() override;

  Status start();
  awaitable<void> drain() override;

  ipc::Client& directory() { return directory_; }
  store::Store& store() { return store_; }
  // IMAP sessions also hear of mailbox changes.
  void watch(ImapSession* s) { imap_sessions_.insert(s); }
  void unwatch(ImapSession* s) { imap_sessions_.erase(s); }
  // A session of this process changed a mailbox: wakes the other sessions
  // and publishes kMailboxChanged with the mailbox's counts (its "events"
  // endpoint: sipd's message-summary hears reading and expunging there).
  void changed(std::string_view owner, std::uint64_t mailbox_id);
  // The message with this body, from the cache or the store.
  Result<std::shared_ptr<CachedMessage>> message(const std::string& body_id);
  // The POP3 maildrop lock (RFC 1939 4): one POP3 session per account.
  bool lock_maildrop(const std::string& account) { return pop3_locked_.insert(account).second; }
  void unlock_maildrop(const std::string& account) { pop3_locked_.erase(account); }

 private:
  void on_event(std::string_view account, const schema::MailboxEvent& event);
  void wake(std::string_view owner, std::uint64_t mailbox_id);
  void publish(std::string_view owner, std::uint64_t mailbox_id);
  void reloaded() override;

  store::Store store_;
  ipc::Client directory_;
  std::set<ImapSession*> imap_sessions_;
  std::unique_ptr<ipc::Subscriber> events_;
  ipc::Publisher changes_;  // endpoint "events": this process's own changes
  MessageCache cache_;
  std::set<std::string> pop3_locked_;
  // The status line (parleyctl status) and its log event, refreshed on a
  // timer; free heap is given back to the system after load drops.
  awaitable<void> report();
  std::string status_text() const;
  void give_back_memory();
  asio::steady_timer report_timer_;
  std::string status_;                            // as last sent
  std::string logged_;                            // as last logged
  std::chrono::steady_clock::time_point logged_at_{};
  std::size_t peak_sessions_ = 0;                 // since the last give-back
  std::size_t peak_cache_bytes_ = 0;
  std::chrono::steady_clock::time_point trimmed_at_{};
};

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::imapd
