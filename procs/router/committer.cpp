#include "committer.h"

namespace parley::router {

struct Committer::Item {
  explicit Item(asio::io_context& io, queue::NewMessage m)
      : message(std::move(m)), timer(io, asio::steady_timer::time_point::max()) {}
  queue::NewMessage message;
  Status result;
  asio::steady_timer timer;  // cancelled (on the loop) when result is set
};

Committer::Committer(asio::io_context& io, queue::Queue& queue, std::size_t batch_max)
    : io_(io), queue_(queue), batch_max_(batch_max), worker_([this] { work(); }) {}

Committer::~Committer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

awaitable<Status> Committer::add(queue::NewMessage message) {
  auto item = std::make_shared<Item>(io_, std::move(message));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) co_return fail(Errc::cancelled, "router is stopping");
    pending_.push_back(item);
  }
  wake_.notify_one();
  boost::system::error_code ec;
  co_await item->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return item->result;
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
    std::vector<queue::NewMessage> messages;
    messages.reserve(batch.size());
    for (auto& item : batch) messages.push_back(std::move(item->message));
    Status result = queue_.add(messages);
    for (auto& item : batch) item->result = result;
    // The waiters live on the event loop: wake them there.
    asio::post(io_, [batch = std::move(batch)] {
      for (auto& item : batch) item->timer.cancel();
    });
  }
}

}  // namespace parley::router
