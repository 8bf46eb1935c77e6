// relay: a test-only process (not installed). Answers each line on its
// "relay" listener by asking the echo process over ipc, so a test can see
// a request cross two separately privileged processes.
// Untrusted input: lines from its "relay" listener; replies from echo.
// Privileges: user parley-relay, with echo's group to reach echo's socket.
#include "daemon/daemon.h"
#include "echo_contract.h"
#include "ipc/ipc.h"
#include "line_server.h"

namespace {

using namespace parley;

class Relay final : public daemon::Service {
 public:
  explicit Relay(daemon::Context& ctx)
      : echo_(ctx.io(), ctx.endpoint("echo", "echo")),
        lines_(ctx, "relay", [this](std::string line) -> awaitable<std::string> {
          ipc::CallOptions options;
          options.timeout = std::chrono::seconds(5);
          auto reply = co_await echo_.call(testkit::kEchoSay, line, options);
          co_return reply ? "relayed: " + reply.value() : "error: " + std::string(errc_name(reply.code()));
        }) {}

  Status start() { return lines_.start(); }
  awaitable<void> drain() override { co_await lines_.drain(); }

 private:
  ipc::Client echo_;
  testkit::LineServer lines_;
};

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  auto relay = std::make_unique<Relay>(ctx);
  if (auto s = relay->start(); !s) return s.error();
  return std::unique_ptr<daemon::Service>(std::move(relay));
}

}  // namespace

int main(int argc, char** argv) {
  return daemon::run(argc, argv, {
      .name = "relay",
      .listeners = {"relay"},
      .uses = {"echo"},
      .start = &start,
  });
}
