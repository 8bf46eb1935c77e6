// A line-at-a-time TCP server on the listening sockets parleyd passed: what
// the test children use to show that listeners, ipc and draining work.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/asio.h"
#include "daemon/daemon.h"

namespace parley::testkit {

class LineServer {
 public:
  // `reply` answers one line (without CRLF) with one line.
  using Reply = std::function<awaitable<std::string>(std::string line)>;
  LineServer(daemon::Context& ctx, std::string listener, Reply reply);
  ~LineServer();
  Status start();
  // Stops accepting and resolves when every session has ended.
  awaitable<void> drain();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::testkit
