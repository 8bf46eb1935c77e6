// The skeleton every Parley process runs on. A process's main() declares
// what it is and calls run():
//
//   return parley::daemon::run(argc, argv, {
//       .name = "smtpd",
//       .listeners = {"smtp", "submission", "smtps"},
//       .uses = {"directory", "router"},
//       .settings = {parley::smtpd::settings_section()},
//       .start = &parley::smtpd::start,
//   });
//
// run() refuses to run as root, takes the listening sockets parleyd passed
// (LISTEN_FDS / LISTEN_FDNAMES, systemd's convention), waits for its part
// of parley.conf on the control channel (PARLEY_CONTROL_FD, a SOCK_SEQPACKET
// socket carrying schema/control.proto records), sets up the log, calls
// start(), installs the seccomp allow-list, reports Ready and runs the
// event loop. SIGTERM drains (Service::drain(), bounded by a timeout) and exits 0;
// SIGUSR1 reopens the log file; a new Configure is handed to Service::reload().
// When parleyd goes away (the control channel closes) the process exits.
//
// `<binary> --describe` prints the declaration (schema ProcessDecl) and
// exits 0, needing no privileges and reading no configuration, so that
// parleyd learns listeners, services, dependencies and config keys from the
// program itself. The process's configuration is checked against the same
// declarations: [server], [process.NAME] and its own sections.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/asio.h"
#include "core/result.h"
#include "schema/control.pb.h"

namespace parley::daemon {

struct Listener {
  std::string name;  // "smtp"
  int fd;            // owned by the skeleton; never closed by the process
  bool datagram;     // UDP
};

class Context {
 public:
  virtual ~Context() = default;
  virtual asio::io_context& io() = 0;
  virtual std::string_view name() const = 0;
  // The configuration in force (replaced on reload, after reload() accepted it).
  virtual const config::Config& config() const = 0;
  // The listening sockets passed for one listener name (several addresses).
  virtual std::vector<Listener> listeners(std::string_view name) const = 0;
  // This process's private data directory (DATA_DIR/NAME), created by parleyd.
  virtual std::string data_dir() const = 0;
  // A data directory shared with other processes (DATA_DIR/SHARE, declared
  // in Process::shares): group parley-SHARE, mode 02770, created by parleyd.
  virtual std::string shared_dir(std::string_view share) const = 0;
  // The ipc endpoint of `service` served by process `proc` (default: this one).
  virtual std::string endpoint(std::string_view service, std::string_view proc = {}) const = 0;
  // A short line shown by `parleyctl status`.
  virtual void set_status(std::string text) = 0;
};

// A running process's own state, made by Process::start and destroyed when
// the event loop ends (before the loop itself, so its sockets and timers
// go first).
class Service {
 public:
  virtual ~Service() = default;
  // Stop accepting and finish what is in progress; resolves when done.
  virtual awaitable<void> drain() { co_return; }
  // A new configuration; return an error to refuse it (the old one stays).
  virtual Status reload(const config::Config&) { return {}; }
};

struct Process {
  std::string_view name;
  std::vector<std::string_view> listeners = {};  // listener names it accepts
  std::vector<std::string_view> serves = {};     // ipc services it binds
  std::vector<std::string_view> uses = {};       // processes it calls
  std::vector<std::string_view> shares = {};     // shared data directories (see Context::shared_dir)
  std::vector<std::string_view> syscalls = {};   // beyond the common allow-list
  // Its own parley.conf sections, declared beside the code that reads them.
  std::vector<config::SectionDecl> settings = {};
  // Called once configured: binds services, starts accepting. Errors end the process.
  std::function<Result<std::unique_ptr<Service>>(Context&)> start;
};

int run(int argc, char** argv, const Process& process);

// What a Process::start returns: the Service S made from (ctx, args...),
// once its start() succeeded.
template <class S, class... Args>
Result<std::unique_ptr<Service>> launch(Context& ctx, Args&&... args) {
  auto service = std::make_unique<S>(ctx, std::forward<Args>(args)...);
  if (auto started = service->start(); !started) return started.error();
  return std::unique_ptr<Service>(std::move(service));
}

// What `--describe` prints: the declaration, settings included.
schema::ProcessDecl declaration(const Process& process);
// The sections a described declaration declares, checked as if the
// program were hostile (config::check_schema, known check names, no
// shared section redeclared). Errc::invalid naming the problem.
Result<config::Schema> settings_of(const schema::ProcessDecl& decl);
// What a process's configuration holds: [server], the sections it
// declares, [process.*].
config::Schema process_schema(std::vector<config::SectionDecl> settings);

// server.hostname, or the machine's name: for greetings, Received lines,
// HELO and reports.
std::string host_name(const config::Config& config);

}  // namespace parley::daemon
