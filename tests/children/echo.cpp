// echo: a test-only process on the daemon skeleton (not installed). Until
// the real processes exist it stands in for one in the development
// configuration and the supervisor's integration tests.
// Untrusted input: lines from its "echo" listener; ipc requests.
// Privileges: user parley-echo; serves ipc "echo" (echo_contract.h); its
// own data directory only.
#include <unistd.h>

#include "daemon/daemon.h"
#include "echo_contract.h"
#include "ipc/ipc.h"
#include "line_server.h"

namespace {

using namespace parley;

class Echo final : public daemon::Service {
 public:
  explicit Echo(daemon::Context& ctx)
      : server_(ctx.io(), ctx.endpoint("echo")),
        lines_(ctx, "echo", [](std::string line) -> awaitable<std::string> { co_return line; }) {}

  Status start() {
    server_.handle(testkit::kEchoSay, [](const ipc::RequestInfo&, std::string payload) -> awaitable<Result<std::string>> {
      co_return payload;
    });
    server_.handle(testkit::kEchoPid, [](const ipc::RequestInfo&, std::string) -> awaitable<Result<std::string>> {
      co_return std::to_string(::getpid());
    });
    if (auto s = server_.start(); !s) return s;
    return lines_.start();
  }

  awaitable<void> drain() override {
    server_.stop();
    co_await lines_.drain();
  }

 private:
  ipc::Server server_;
  testkit::LineServer lines_;
};

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  auto echo = std::make_unique<Echo>(ctx);
  if (auto s = echo->start(); !s) return s.error();
  return std::unique_ptr<daemon::Service>(std::move(echo));
}

}  // namespace

int main(int argc, char** argv) {
  return daemon::run(argc, argv, {
      .name = "echo",
      .listeners = {"echo"},
      .serves = {"echo"},
      .start = &start,
  });
}
