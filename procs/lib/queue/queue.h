// The mail queue on disk, shared by the router (which adds messages) and
// the dequeuer (which owns their delivery state and removes them):
//   DIR/index/   LMDB: "entries" queue id -> schema::QueueEntry,
//                      "seen"    queue id -> arrival (ms), for deduplication
//   DIR/spool/XX/QUEUE_ID   message bodies, written once, never changed
// DIR is DATA_DIR/queue (group parley-queue, mode 02770): both processes
// write it; nobody else can read it.
//
// Durability order for a new message (add): body written to a temporary
// name, fsync'd, renamed, the spool directory fsync'd, then the LMDB commit
// (synchronous). Only after add() returns is the message queued; a crash
// before leaves at most an orphan body, which sweep_orphans() removes.
// Removal is the reverse: entry deleted (commit), then the body unlinked.
//
// Thread use: one Queue per process; add() may run on a worker thread while
// the event loop reads (LMDB readers never block the writer).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "lmdb/lmdb.h"
#include "queue/id.h"
#include "schema/envelope.pb.h"

namespace parley::queue {

struct NewMessage {
  schema::QueueEntry entry;  // entry.envelope().message_id() is the id
  std::string body;
};

// One change for Queue::apply: a new message, a new state for an existing
// entry, or a removal.
struct Change {
  enum class Kind { add, update, remove };
  Kind kind = Kind::add;
  NewMessage message;  // add: entry and body; update: entry; remove: entry's id
  Status result;       // set by apply()
};

class Queue {
 public:
  struct Options {
    bool durable = true;  // fsync bodies and LMDB commits (tests may turn it off)
  };
  static Result<std::unique_ptr<Queue>> open(const std::string& dir, Options options);
  static Result<std::unique_ptr<Queue>> open(const std::string& dir) { return open(dir, Options{}); }

  // Writes the bodies, then commits every entry (and its "seen" mark) in
  // one transaction: one fsync of the index for the whole batch.
  Status add(std::vector<NewMessage>& batch);
  // Many changes, one index transaction (one fsync): new bodies first (as
  // add), then every entry change in one commit, then removed bodies
  // unlinked. A change that cannot apply (update or remove of an unknown
  // id: Errc::not_found) fails alone; a failed commit fails them all.
  void apply(std::vector<Change>& changes);
  // Whether this id was ever added (and not pruned): a repeated enqueue.
  bool seen(std::string_view id) const;

  Result<schema::QueueEntry> get(std::string_view id) const;
  Status update(const schema::QueueEntry& entry);  // an existing entry's new state
  Status remove(std::string_view id);              // entry, then body
  Result<std::string> body(std::string_view id) const;
  std::string body_path(std::string_view id) const;
  // Every entry, in id (= arrival) order; f returns false to stop.
  Status scan(const std::function<bool(const schema::QueueEntry&)>& f) const;

  // "seen" marks older than `age` go (the dequeuer calls it now and then).
  Result<std::size_t> prune_seen(std::chrono::milliseconds age);
  // Bodies without an entry, older than `age` (a crash between body and commit).
  std::size_t sweep_orphans(std::chrono::seconds age);

 private:
  Queue(std::string dir, lmdb::Env env, Options options) : dir_(std::move(dir)), env_(std::move(env)), options_(options) {}
  Status write_body(std::string_view id, std::string_view body, std::vector<std::string>& dirs);
  Status first_failure(std::vector<Change>& changes);  // apply(), then the first error

  std::string dir_;
  lmdb::Env env_;
  Options options_;
  MDB_dbi entries_ = 0;
  MDB_dbi seen_ = 0;
};

}  // namespace parley::queue
