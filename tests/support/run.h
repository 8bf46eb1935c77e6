// Running coroutines to their end on a test's io_context. A watchdog turns
// a hang into a failure (std::runtime_error): it is a deadline, never a
// wait for work, as the loop returns as soon as the test's condition holds.
//   Result<Route> route = testkit::run(io, resolver.route("example.test"));
//   testkit::run_until(io, [&] { return asked; });
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/asio.h"

namespace parley::testkit {

inline constexpr std::chrono::steady_clock::duration kDeadline = std::chrono::seconds(60);

// Runs `io` until `done()` holds. Throws when `deadline` passes first, or
// when `io` runs out of work without it.
template <class Done>
void run_until(asio::io_context& io, Done done, std::chrono::steady_clock::duration deadline = kDeadline) {
  // Shared: the cancelled watchdog's handler may run after this returns.
  auto expired = std::make_shared<bool>(false);
  asio::steady_timer watchdog(io, deadline);
  watchdog.async_wait([expired](boost::system::error_code ec) { *expired = !ec; });
  io.restart();
  while (!done() && !*expired && io.run_one() > 0) {
  }
  watchdog.cancel();
  if (done()) return;
  if (*expired) throw std::runtime_error("test coroutines did not finish before the deadline");
  throw std::runtime_error("io_context ran out of work");
}

// Runs every task on `io` until all have ended; rethrows the first
// exception one of them ended with.
inline void run_all(asio::io_context& io, std::vector<awaitable<void>> tasks,
                    std::chrono::steady_clock::duration deadline = kDeadline) {
  auto remaining = std::make_shared<std::size_t>(tasks.size());
  auto error = std::make_shared<std::exception_ptr>();
  for (auto& task : tasks) {
    asio::co_spawn(io, std::move(task), [remaining, error](std::exception_ptr e) {
      if (e && !*error) *error = e;
      --*remaining;
    });
  }
  run_until(io, [&] { return *remaining == 0; }, deadline);
  if (*error) std::rethrow_exception(*error);
}

inline void run(asio::io_context& io, awaitable<void> task, std::chrono::steady_clock::duration deadline = kDeadline) {
  std::vector<awaitable<void>> tasks;
  tasks.push_back(std::move(task));
  run_all(io, std::move(tasks), deadline);
}

// Runs `task` to its end and returns its value.
template <class T>
T run(asio::io_context& io, awaitable<T> task, std::chrono::steady_clock::duration deadline = kDeadline) {
  // co_spawn wants a default-constructible result type (Boost 1.74) and
  // Result<T> is not one: a void coroutine stores the value.
  auto out = std::make_shared<std::optional<T>>();
  auto store = [](awaitable<T> t, std::shared_ptr<std::optional<T>> o) -> awaitable<void> {
    T value = co_await std::move(t);
    o->emplace(std::move(value));
  };
  run(io, store(std::move(task), out), deadline);
  return std::move(**out);
}

}  // namespace parley::testkit
