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
#include "load.h"

namespace {

using namespace std::chrono_literals;
using parley::bench::Clock;
using parley::bench::Load;
using parley::bench::drive;
namespace ipc = parley::ipc;
namespace asio = parley::asio;
using parley::awaitable;

// Raw bytes, returned as they came.
constexpr ipc::Method<std::string, std::string> kEcho{"bench.echo"};

// The server side: echoes; stops on SIGTERM.
int serve(const std::string& endpoint) {
  asio::io_context io;
  ipc::Server server(io, endpoint);
  server.handle(kEcho, [](const ipc::RequestInfo&, std::string payload) -> awaitable<parley::Result<std::string>> {
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

    const std::string payload(64, 'x');
    auto one = [&]() -> awaitable<std::string> {
      auto reply = co_await client.call(kEcho, payload);
      co_return reply && reply.value().size() == payload.size() ? "" : "bad reply";
    };
    Load warmup{.workers = 1, .requests = 2000};
    drive(io, warmup, one);  // also waits for the server to bind

    Load latency{.workers = 1, .requests = latency_requests};
    drive(io, latency, one);
    std::printf("ipc round-trip 1 in flight: p50 %ld us, p99 %ld us (%ld requests)\n", micros(latency.at(0.50)),
                micros(latency.at(0.99)), latency.completed);

    const auto duration = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(throughput_seconds));
    for (int workers : {1, 64}) {
      Load load{.workers = workers, .duration = duration};
      drive(io, load, one);
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
