#include "queue/committer.h"

namespace parley::queue {

struct Committer::Item {
  Item(asio::io_context& io, Change c) : change(std::move(c)), timer(io, asio::steady_timer::time_point::max()) {}
  Change change;             // its result is set by the worker
  asio::steady_timer timer;  // cancelled (on the loop) once the result is set
};

Committer::Committer(asio::io_context& io, Queue& queue, std::size_t batch_max)
    : io_(io), queue_(queue), batch_max_(batch_max), worker_([this] { work(); }) {}

Committer::~Committer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

awaitable<Status> Committer::add(NewMessage message) {
  Change c;
  c.kind = Change::Kind::add;
  c.message = std::move(message);
  co_return co_await submit(std::move(c));
}

awaitable<Status> Committer::update(schema::QueueEntry entry) {
  Change c;
  c.kind = Change::Kind::update;
  c.message.entry = std::move(entry);
  co_return co_await submit(std::move(c));
}

awaitable<Status> Committer::remove(std::string id) {
  Change c;
  c.kind = Change::Kind::remove;
  c.message.entry.mutable_envelope()->set_message_id(std::move(id));
  co_return co_await submit(std::move(c));
}

awaitable<Status> Committer::submit(Change change) {
  auto item = std::make_shared<Item>(io_, std::move(change));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) co_return fail(Errc::cancelled, "the queue is closing");
    pending_.push_back(item);
  }
  wake_.notify_one();
  boost::system::error_code ec;
  co_await item->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return item->change.result;
}

void Committer::work() {
  for (;;) {
    std::vector<std::shared_ptr<Item>> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;
      while (!pending_.empty() && batch.size() < batch_max_) {
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    std::vector<Change> changes;
    changes.reserve(batch.size());
    for (auto& item : batch) changes.push_back(std::move(item->change));
    queue_.apply(changes);
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->change.result = changes[i].result;
    // The waiters live on the event loop: wake them there.
    asio::post(io_, [batch = std::move(batch)] {
      for (auto& item : batch) item->timer.cancel();
    });
  }
}

}  // namespace parley::queue
