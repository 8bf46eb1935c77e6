// ipc_bench: request/reply over ipc:// between two processes (fork), with
// a 64-byte payload echoed back.
//   ipc_bench [latency requests (20000)] [throughput seconds (2)]
// Prints round-trip latency p50/p99 with one request in flight, then
// throughput with 1 and with 64 requests in flight.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/asio.h"
#include "ipc/ipc.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace ipc = parley::ipc;
namespace asio = parley::asio;
using parley::awaitable;

// The server side: echoes; stops on SIGTERM.
int serve(const std::string& endpoint) {
  asio::io_context io;
  ipc::Server server(io, endpoint);
  server.handle("bench.echo", [](const ipc::RequestInfo&, std::string payload) -> awaitable<parley::Result<std::string>> {
    co_return payload;
  });
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "ipc_bench server: %s\n", started.error().detail.c_str());
    return 1;
  }
  asio::signal_set signals(io, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  io.run();
  return 0;
}

// Runs `io` until `done` is set by the coroutines it runs.
void run_until(asio::io_context& io, const bool& done) {
  io.restart();
  while (!done && io.run_one() > 0) {
  }
}

struct Load {
  int workers = 1;
  long requests = 0;                   // stop after this many (0: no limit)
  Clock::duration duration{};          // or after this long (0: no limit)
  std::vector<Clock::duration>* latencies = nullptr;
  long completed = 0;
  long failed = 0;
  double seconds = 0;
};

void drive(asio::io_context& io, ipc::Client& client, Load& load) {
  const std::string payload(64, 'x');
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
      auto reply = co_await client.call("bench.echo", payload);
      if (load.latencies != nullptr) load.latencies->push_back(Clock::now() - t0);
      if (reply && reply.value().size() == payload.size()) {
        ++load.completed;
      } else {
        ++load.failed;
      }
    }
    if (--running == 0) done = true;
  };
  for (int i = 0; i < load.workers; ++i) asio::co_spawn(io, worker(), asio::detached);
  run_until(io, done);
  load.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
}

long micros(Clock::duration d) { return static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()); }

}  // namespace

int main(int argc, char** argv) {
  const long latency_requests = argc > 1 ? std::atol(argv[1]) : 20000;
  const double throughput_seconds = argc > 2 ? std::atof(argv[2]) : 2.0;

  std::string dir = (std::filesystem::temp_directory_path() / "parley-ipc-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string endpoint = "ipc://" + dir + "/bench.sock";

  // Fork before either side touches ZeroMQ: a context does not survive fork.
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("fork");
    return 1;
  }
  if (child == 0) ::_exit(serve(endpoint));

  int status = 0;
  {
    asio::io_context io;
    ipc::ClientOptions options;
    options.resend_after = 10s;  // no resends: they would distort the figures
    options.default_timeout = 30s;
    ipc::Client client(io, endpoint, options);

    Load warmup{.workers = 1, .requests = 2000};
    drive(io, client, warmup);  // also waits for the server to bind

    std::vector<Clock::duration> latencies;
    latencies.reserve(static_cast<std::size_t>(latency_requests));
    Load latency{.workers = 1, .requests = latency_requests, .latencies = &latencies};
    drive(io, client, latency);
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) { return micros(latencies[static_cast<std::size_t>(q * (latencies.size() - 1))]); };
    std::printf("ipc round-trip 1 in flight: p50 %ld us, p99 %ld us (%ld requests)\n", at(0.50), at(0.99),
                latency.completed);

    const auto duration = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(throughput_seconds));
    for (int workers : {1, 64}) {
      Load load{.workers = workers, .duration = duration};
      drive(io, client, load);
      std::printf("ipc throughput %d in flight: %.0f req/s (%ld requests in %.2f s, %ld failed)\n", workers,
                  load.completed / load.seconds, load.completed, load.seconds, load.failed);
    }
    std::printf("ipc resent: %llu\n", static_cast<unsigned long long>(client.resent()));
  }
  ::kill(child, SIGTERM);
  ::waitpid(child, &status, 0);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
