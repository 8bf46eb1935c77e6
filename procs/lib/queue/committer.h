// Group commit for the queue: changes that arrive while a commit is running
// wait and share the next one, so under load one fsync of the index (and
// one of each spool directory) covers many messages. The disk work runs on
// one worker thread; callers await on the event loop. The router adds
// messages through it, the dequeuer records delivery states and removes
// finished messages through it.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "core/asio.h"
#include "queue/queue.h"

namespace parley::queue {

class Committer {
 public:
  Committer(asio::io_context& io, Queue& queue, std::size_t batch_max);
  ~Committer();  // finishes what is queued; later calls fail with Errc::cancelled

  // Each resolves once its change is durable (or failed).
  awaitable<Status> add(NewMessage message);
  awaitable<Status> update(schema::QueueEntry entry);
  awaitable<Status> remove(std::string id);

 private:
  struct Item;
  awaitable<Status> submit(Change change);
  void work();

  asio::io_context& io_;
  Queue& queue_;
  std::size_t batch_max_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Item>> pending_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace parley::queue
