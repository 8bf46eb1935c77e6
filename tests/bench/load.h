// A closed-loop load for the benchmarks: `workers` coroutines each send
// one request, wait for its answer, and send the next, until `requests`
// were sent or `duration` passed; every latency is kept.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/asio.h"

namespace parley::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Runs `io` until `done` is set by the coroutines it runs.
inline void run_until(asio::io_context& io, const bool& done) {
  io.restart();
  while (!done && io.run_one() > 0) {
  }
}

struct Load {
  int workers = 1;
  long requests = 0;           // stop after this many (0: no limit)
  Clock::duration duration{};  // or after this long (0: no limit)
  std::vector<Clock::duration> latencies;
  long completed = 0;
  long failed = 0;
  std::vector<std::string> errors;  // the first few
  double seconds = 0;

  Clock::duration at(double q) {
    if (latencies.empty()) return {};
    std::sort(latencies.begin(), latencies.end());
    return latencies[static_cast<std::size_t>(q * static_cast<double>(latencies.size() - 1))];
  }
  void print_errors(const char* what) const {
    if (failed == 0) return;
    std::printf("%s: %ld errors, e.g.:\n", what, failed);
    for (const auto& e : errors) std::printf("  %s\n", e.c_str());
  }
};

// `one` is a named callable returning awaitable<std::string>: "" for a
// checked, right reply, otherwise what was wrong. (Named, not a temporary:
// g++ 12 miscompiles lambda temporaries inside co_await.)
template <class One>
void drive(asio::io_context& io, Load& load, One& one) {
  long started = 0;
  int running = load.workers;
  bool done = false;
  const Clock::time_point begin = Clock::now();
  auto more = [&] {
    if (load.requests > 0 && started >= load.requests) return false;
    if (load.duration.count() > 0 && Clock::now() - begin >= load.duration) return false;
    return true;
  };
  auto worker = [&]() -> awaitable<void> {
    while (more()) {
      ++started;
      const Clock::time_point t0 = Clock::now();
      std::string error = co_await one();
      load.latencies.push_back(Clock::now() - t0);
      if (error.empty()) {
        ++load.completed;
      } else {
        ++load.failed;
        if (load.errors.size() < 5) load.errors.push_back(std::move(error));
      }
    }
    if (--running == 0) done = true;
  };
  for (int i = 0; i < load.workers; ++i) asio::co_spawn(io, worker(), asio::detached);
  run_until(io, done);
  load.seconds = seconds_since(begin);
}

}  // namespace parley::bench
