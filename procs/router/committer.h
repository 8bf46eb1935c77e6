// Group commit for the queue: enqueue requests that arrive while a commit
// is running wait and share the next one, so under load one fsync of the
// index (and one of each spool directory) covers many messages. The disk
// work runs on one worker thread; callers await on the event loop.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "core/asio.h"
#include "queue/queue.h"

namespace parley::router {

class Committer {
 public:
  Committer(asio::io_context& io, queue::Queue& queue, std::size_t batch_max);
  ~Committer();  // finishes the batch in progress; later ones fail with Errc::cancelled

  // Resolves once the message is durably queued (or failed to be).
  awaitable<Status> add(queue::NewMessage message);

 private:
  struct Item;
  void work();

  asio::io_context& io_;
  queue::Queue& queue_;
  std::size_t batch_max_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Item>> pending_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace parley::router
