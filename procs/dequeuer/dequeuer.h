// The dequeuer's service: scheduling, deliveries, retries, reports and
// queue administration. One queue entry is worked on by one coroutine at a
// time; many entries at once, up to max_deliveries.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "daemon/daemon.h"
#include "dns/resolver.h"
#include "ipc/ipc.h"
#include "outbound.h"
#include "queue/committer.h"
#include "queue/queue.h"
#include "schema/envelope.pb.h"
#include "settings.h"

namespace parley::dequeuer {

using Clock = std::chrono::system_clock;

// Not yet delivered or failed: still the dequeuer's to deliver.
inline bool undelivered(const schema::Recipient& r) {
  return r.state() == schema::RCPT_PENDING || r.state() == schema::RCPT_DEFERRED;
}

class Dequeuer final : public daemon::Service {
 public:
  Dequeuer(daemon::Context& ctx, Settings settings, std::unique_ptr<queue::Queue> q);
  ~Dequeuer() override;

  Status start();
  awaitable<void> drain() override;
  Status reload(const config::Config& config) override;

 private:
  // --- scheduling (dequeuer.cpp) ---
  void schedule(const std::string& id, Clock::time_point when);
  void schedule_entry(const schema::QueueEntry& entry);
  awaitable<void> run_loop();
  awaitable<void> run_one(std::string id);
  awaitable<void> process(const std::string& id, bool forced);
  awaitable<void> deliver_local(schema::QueueEntry& entry, const std::vector<int>& rcpts, const std::string& body);
  awaitable<void> deliver_remote(schema::QueueEntry& entry, const std::string& destination, const std::vector<int>& rcpts,
                                 const std::string& body);
  void record(schema::Recipient& r, bool delivered, bool permanent, const std::string& reply, const std::string& mta,
              const schema::Envelope& env);
  awaitable<void> housekeeping();
  awaitable<void> remove_finished(const schema::QueueEntry& entry);

  // --- reports (reports.cpp) ---
  // Which recipients are owed a report (indexes); final recipients owed
  // none are marked dsn_sent on the way.
  struct DueReports {
    std::vector<int> failed, delivered, delayed;
    bool any() const { return !failed.empty() || !delivered.empty() || !delayed.empty(); }
  };
  DueReports due_reports(schema::QueueEntry& entry) const;
  // Queues those reports; true when all of them are queued.
  awaitable<bool> send_reports(schema::QueueEntry& entry, const std::string& body, const DueReports& due);

  // --- administration (admin.cpp) ---
  awaitable<Result<schema::QueueAdminReply>> admin(schema::QueueAdminRequest req);
  // DELETE / HOLD of one id now, or when its delivery in progress ends.
  bool remove_now(const std::string& id, const std::string& actor);
  bool hold_now(const std::string& id, bool hold, const std::string& actor);

  daemon::Context& ctx_;
  std::shared_ptr<const Settings> settings_;
  std::unique_ptr<queue::Queue> queue_;
  queue::Committer committer_;  // delivery states and removals, many per fsync
  dns::Resolver resolver_;
  std::shared_ptr<Outbound> outbound_;  // replaced on reload; deliveries keep theirs
  ipc::Server service_;
  ipc::Server admin_;
  ipc::Client local_;
  ipc::Client router_;
  asio::steady_timer wake_;
  asio::steady_timer housekeeping_timer_;

  std::multimap<Clock::time_point, std::string> due_;    // when -> id
  std::map<std::string, Clock::time_point> scheduled_;   // id -> when (one slot per id)
  std::set<std::string> running_;                        // ids being worked on
  std::set<std::string> again_;                          // asked for while running
  std::set<std::string> forced_;                         // flushed: every undelivered recipient is due
  std::set<std::string> doomed_;                         // deleted by the administrator while running
  std::set<std::string> held_;                           // held by the administrator while running
  std::map<std::string, std::size_t> per_domain_;        // connections in use
  std::size_t active_ = 0;
  bool stopping_ = false;
  std::unique_ptr<asio::steady_timer> idle_;             // drain waits on it
};

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::dequeuer
