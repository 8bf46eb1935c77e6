// parleyd's heart: keeps every configured process running.
//
// Start: processes start in dependency order, each once the processes it
// uses are ready. A process is ready when it says so on its control
// channel; one that is not ready within ready_timeout is killed.
// Crash: restart after a backoff (restart_backoff_initial_ms, doubling to
// restart_backoff_max_ms; reset once a process stayed up stable_after_s);
// crash_loop_count crashes within crash_loop_window_s mark it failed, and
// it stays down until `parleyctl start`.
// Stop: SIGTERM (the process drains), SIGKILL after stop_timeout_ms.
// Shutdown stops processes in reverse dependency order.
// Reload: a new parley.conf is checked whole first; processes whose launch
// changed (binary, listeners, user, limits) are restarted, new ones
// started, removed ones stopped, and the rest get their new part.
//
// Runs as root when installed: it is the only Parley code that does.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "core/asio.h"
#include "schema/control.pb.h"
#include "supervisor/settings.h"

namespace parley::supervisor {

class Supervisor {
 public:
  Supervisor(asio::io_context& io, std::string config_path);
  ~Supervisor();

  // Binds sockets, creates directories, starts the processes. Errors are
  // start-up failures (the caller exits non-zero).
  Status start(config::Config config, Settings settings);

  // Admin operations, shared by signals and the control socket.
  awaitable<schema::AdminReply> admin(const schema::AdminRequest& request, std::string_view who);

  void shutdown(std::string_view why);
  Status reload();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::supervisor
