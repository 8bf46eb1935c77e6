#include "supervisor/supervisor.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/fd.h"
#include "ipc/ipc.h"
#include "ipc/contracts/dequeuer.h"
#include "ipc/contracts/media.h"
#include "ipc/contracts/sipd.h"
#include "ipc/contracts/directory.h"
#include "schema/directory.pb.h"
#include "schema/envelope.pb.h"
#include "core/frame.h"
#include "core/packet.h"
#include "daemon/log_setup.h"
#include "log/log.h"
#include "supervisor/notify.h"
#include "supervisor/sockets.h"
#include "supervisor/spawn.h"

namespace parley::supervisor {
namespace {

using Clock = std::chrono::steady_clock;
using schema::ProcState;

// How long `parleyctl start|restart` waits for the process to be ready.
constexpr auto kAdminWait = std::chrono::seconds(30);
// How long a forwarded administration request may take (an import of a
// million accounts is one request).
constexpr auto kForwardTimeout = std::chrono::minutes(20);

std::string_view state_name(ProcState s) {
  switch (s) {
    case schema::PROC_STOPPED: return "stopped";
    case schema::PROC_STARTING: return "starting";
    case schema::PROC_READY: return "ready";
    case schema::PROC_STOPPING: return "stopping";
    case schema::PROC_BACKOFF: return "backoff";
    case schema::PROC_FAILED: return "failed";
    default: return "unknown";
  }
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    std::string text = std::string("killed by SIG") + (sigabbrev_np(sig) ? sigabbrev_np(sig) : std::to_string(sig).c_str());
    if (sig == SIGSYS) text += " (seccomp: a system call outside its allow-list)";
    return text;
  }
  return "ended";
}

// Passes parleyctl's request on to a process's admin `method`. The request
// names its caller in `actor` (the process logs it and trusts it: only
// parleyd reaches its admin endpoint); whatever parleyctl put there is
// overwritten. The process's reply goes back to parleyctl unread.
template <class Request, class Reply>
awaitable<Result<std::string>> forward_admin(ipc::Client& client, ipc::Method<Request, Reply> method,
                                             std::string payload, std::string who) {
  Request inner;
  if (!inner.ParseFromString(payload)) co_return fail(Errc::syntax, "unparsable " + std::string(method.name()) + " request");
  inner.set_actor(std::move(who));
  std::string named = inner.SerializeAsString();
  co_return co_await client.call_serialized(method, std::move(named));
}

std::uint64_t rss_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

Status make_dir(const std::string& path, mode_t mode, bool privileged, uid_t uid, gid_t gid) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return fail(Errc::io, "mkdir " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return fail(Errc::io, path + " is not a directory");
  // Ownership and mode are set every time: a directory left by an older
  // layout or a hand-made one must not keep wider access.
  if (privileged && ::chown(path.c_str(), uid, gid) != 0) return fail(Errc::io, "chown " + path + ": " + std::strerror(errno));
  if (::chmod(path.c_str(), mode) != 0) return fail(Errc::io, "chmod " + path + ": " + std::strerror(errno));
  return {};
}

Status make_parents(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail(Errc::io, "mkdir " + path + ": " + ec.message());
  return {};
}

}  // namespace

struct Child {
  explicit Child(asio::io_context& io) : timer(io) {}
  ProcessSpec spec;
  ProcState state = schema::PROC_STOPPED;
  pid_t pid = 0;
  UniqueFd control;
  std::unique_ptr<asio::posix::stream_descriptor> control_sd;
  Clock::time_point started_at{};
  std::uint32_t restarts = 0;
  std::deque<Clock::time_point> crashes;
  int backoff_step = 0;
  std::string last_exit;
  std::string status_text;
  bool want_running = true;      // false after `parleyctl stop` or removal
  bool restart_after_stop = false;
  bool remove_after_stop = false;
  bool ready_timed_out = false;
  bool started_once = false;
  std::uint64_t configured_generation = 0;
  asio::steady_timer timer;      // backoff, ready timeout or stop timeout
  std::vector<std::shared_ptr<asio::steady_timer>> waiters;  // woken on every state change
};

struct Supervisor::Impl {
  Impl(asio::io_context& io, std::string config_path)
      : io(io), config_path(std::move(config_path)),
        signals(io, SIGCHLD, SIGTERM, SIGINT), more_signals(io, SIGHUP, SIGUSR1), watchdog(io), admin_sd(io) {}

  asio::io_context& io;
  std::string config_path;
  std::optional<config::Config> config;
  Settings settings;
  std::uint64_t generation = 1;
  std::vector<std::unique_ptr<Child>> children;  // dependency order
  Sockets sockets;
  asio::signal_set signals;
  asio::signal_set more_signals;
  asio::steady_timer watchdog;
  UniqueFd admin_fd;
  asio::posix::stream_descriptor admin_sd;
  bool shutting_down = false;
  bool announced_ready = false;
  bool bootstrapped = false;
  std::map<std::string, std::unique_ptr<ipc::Client>> admin_clients;  // per process, to its "admin" service
  std::string last_status;

  Child* find(std::string_view name) {
    for (auto& c : children) {
      if (c->spec.name == name) return c.get();
    }
    return nullptr;
  }

  bool running(const Child& c) const {
    return c.state == schema::PROC_STARTING || c.state == schema::PROC_READY || c.state == schema::PROC_STOPPING;
  }

  void set_state(Child& c, ProcState s) {
    if (c.state == s) return;
    c.state = s;
    log::debug("supervisor.process.state", std::string(state_name(s)), {{"child", c.spec.name}});
    for (auto& w : c.waiters) w->cancel();
    c.waiters.clear();
    update_status();
  }

  void update_status() {
    int ready = 0, total = 0;
    for (auto& c : children) {
      if (!c->want_running) continue;
      ++total;
      if (c->state == schema::PROC_READY) ++ready;
    }
    std::string text = std::to_string(ready) + "/" + std::to_string(total) + " processes ready";
    if (!announced_ready && !shutting_down && ready == total) {
      announced_ready = true;
      log::info("supervisor.start.ready", "every process is ready", {{"count", total}});
      std::printf("parleyd: %d processes ready; control socket %s\n", total, settings.control_socket.c_str());
      std::fflush(stdout);
      notify("READY=1\nSTATUS=" + text + "\nMAINPID=" + std::to_string(::getpid()));
    } else if (text != last_status) {
      notify("STATUS=" + text);
    }
    last_status = text;
  }

  // --- directories -------------------------------------------------------

  Status prepare_dirs(const ProcessSpec& p) {
    const bool priv = settings.privileged;
    // Services: the process's own uid, its group for the processes that use it.
    if (auto s = make_dir(settings.runtime_dir + "/" + p.name, 0750, priv, p.uid, p.gid); !s) return s;
    if (auto s = make_dir(settings.data_dir + "/" + p.name, 0700, priv, p.uid, p.gid); !s) return s;
    // Shared: root's, writable by the group of the processes sharing it;
    // setgid so that what they create stays in that group.
    for (const auto& share : p.shares) {
      if (auto s = make_dir(settings.data_dir + "/" + share.name, priv ? 02770 : 0700, priv, 0, share.gid); !s) return s;
    }
    return make_dir(settings.log_dir + "/" + p.name, 0750, priv, p.uid, p.gid);
  }

  Status prepare_top_dirs() {
    for (const auto* dir : {&settings.runtime_dir, &settings.data_dir, &settings.log_dir}) {
      if (auto s = make_parents(*dir); !s) return s;
      if (auto s = make_dir(*dir, 0755, settings.privileged, 0, 0); !s) return s;
    }
    return {};
  }

  // --- starting ----------------------------------------------------------

  bool deps_ready(const Child& c) {
    for (const auto& dep : c.spec.decl.uses()) {
      Child* d = find(dep);
      if (d == nullptr || d == &c || !d->want_running) continue;
      // A dependency later in the order closes a cycle: not waited for.
      bool earlier = false;
      for (auto& x : children) {
        if (x.get() == d) { earlier = true; break; }
        if (x.get() == &c) break;
      }
      if (earlier && d->state != schema::PROC_READY && d->state != schema::PROC_FAILED) return false;
    }
    return true;
  }

  // Starts every process that should run, is down, and whose dependencies are ready.
  void start_pending() {
    if (shutting_down) return;
    for (auto& c : children) {
      if (c->want_running && c->state == schema::PROC_STOPPED && deps_ready(*c)) launch(*c);
    }
  }

  void launch(Child& c) {
    if (auto s = prepare_dirs(c.spec); !s) {
      log::error("supervisor.process.start_failed", "cannot prepare directories", {{"child", c.spec.name}, {"error", s.error().detail}});
      on_crash(c, "directories: " + s.error().detail);
      return;
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) != 0) {
      on_crash(c, std::string("socketpair: ") + std::strerror(errno));
      return;
    }
    UniqueFd ours(pair[0]), theirs(pair[1]);
    Launch launch{.spec = &c.spec, .privileged = settings.privileged, .argv = {c.spec.binary}};
    for (const auto& a : c.spec.args) launch.argv.push_back(a);
    for (const auto& l : c.spec.listen) {
      auto fd = sockets.get(l);
      if (!fd) {
        log::error("supervisor.listener.failed", "cannot bind", {{"child", c.spec.name}, {"listener", config::to_string(l)}, {"error", fd.error().detail}});
        on_crash(c, fd.error().detail);
        return;
      }
      std::string name = l.name;
      if (l.proto == config::ListenSpec::Proto::udp) name += "/udp";
      launch.listeners.push_back({*fd, name});
    }
    launch.control_fd = theirs.get();
    auto pid = spawn(launch);
    if (!pid) {
      on_crash(c, pid.error().detail);
      return;
    }
    c.pid = *pid;
    c.control = std::move(ours);
    c.control_sd = std::make_unique<asio::posix::stream_descriptor>(io, c.control.get());
    c.started_at = Clock::now();
    c.ready_timed_out = false;
    c.status_text.clear();
    if (c.started_once) ++c.restarts;
    c.started_once = true;
    set_state(c, schema::PROC_STARTING);
    log::info("supervisor.process.started", "started", {{"child", c.spec.name}, {"child_pid", c.pid}, {"user", c.spec.user}});
    send_configure(c);
    asio::co_spawn(io, read_child(&c, c.pid), asio::detached);

    c.timer.expires_after(settings.ready_timeout);
    c.timer.async_wait([this, &c, pid = c.pid](const boost::system::error_code& ec) {
      if (ec || c.pid != pid || c.state != schema::PROC_STARTING) return;
      log::error("supervisor.process.ready_timeout", "not ready in time; killing", {{"child", c.spec.name}, {"child_pid", pid}});
      c.ready_timed_out = true;
      ::kill(pid, SIGKILL);
    });
  }

  void send_configure(Child& c) {
    schema::ToChild msg;
    auto* conf = msg.mutable_configure();
    conf->set_generation(generation);
    // Its sections with the keys it declares (not parleyd's first_run_*).
    std::vector<std::string> sections;
    for (const auto& section : c.spec.schema) {
      sections.push_back(section.name.ends_with(".*") ? "process." + c.spec.name : section.name);
    }
    conf->set_config_toml(config->to_toml(sections, c.spec.schema));
    send(c, msg);
  }

  void send(Child& c, const schema::ToChild& msg) {
    if (!c.control.valid()) return;
    if (auto s = send_packet(c.control.get(), msg.SerializeAsString()); !s) {
      log::warn("supervisor.control.send_failed", "control record not sent", {{"child", c.spec.name}, {"error", s.error().detail}});
    }
  }

  awaitable<void> read_child(Child* c, pid_t pid) {
    for (;;) {
      if (c->pid != pid || !c->control_sd) co_return;
      boost::system::error_code ec;
      co_await c->control_sd->async_wait(asio::posix::stream_descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || c->pid != pid || !c->control.valid()) co_return;
      for (;;) {
        auto packet = recv_packet(c->control.get());
        if (!packet && packet.code() == Errc::unavailable) break;
        if (!packet || !packet->has_value()) {
          // The child closed its end; its exit (SIGCHLD) follows.
          c->control_sd->release();
          c->control_sd.reset();
          c->control.reset();
          co_return;
        }
        schema::FromChild msg;
        // A child is less trusted than parleyd: a bad record is logged and dropped.
        if (!msg.ParseFromString(**packet)) {
          log::warn("supervisor.control.bad_record", "unparsable record from a process", {{"child", c->spec.name}});
          continue;
        }
        on_record(*c, msg);
      }
    }
  }

  void on_record(Child& c, const schema::FromChild& msg) {
    switch (msg.body_case()) {
      case schema::FromChild::kReady:
        if (c.state != schema::PROC_STARTING) break;
        c.timer.cancel();
        log::info("supervisor.process.ready", "ready", {{"child", c.spec.name}, {"child_pid", c.pid},
                  {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - c.started_at).count()}});
        c.configured_generation = generation;
        set_state(c, schema::PROC_READY);
        if (c.spec.name == "directory" && !bootstrapped) asio::co_spawn(io, first_run(), asio::detached);
        start_pending();
        break;
      case schema::FromChild::kConfigured:
        if (msg.configured().ok()) {
          c.configured_generation = msg.configured().generation();
        } else {
          log::error("supervisor.reload.refused", "a process refused the new configuration",
                     {{"child", c.spec.name}, {"error", msg.configured().error()}});
        }
        break;
      case schema::FromChild::kStatus:
        c.status_text = msg.status().text().substr(0, 200);
        break;
      default:
        break;
    }
  }

  // --- exits -------------------------------------------------------------

  void reap() {
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) return;
      for (auto& c : children) {
        if (c->pid == pid) on_exit(*c, status);
      }
    }
  }

  void on_exit(Child& c, int status) {
    c.pid = 0;
    c.timer.cancel();
    if (c.control_sd) {
      c.control_sd->release();
      c.control_sd.reset();
    }
    c.control.reset();
    c.last_exit = c.ready_timed_out ? "not ready in time" : describe_exit(status);
    bool requested = c.state == schema::PROC_STOPPING;
    if (requested || shutting_down) {
      log::info("supervisor.process.stopped", "stopped", {{"child", c.spec.name}, {"status", c.last_exit}});
      set_state(c, schema::PROC_STOPPED);
      if (c.restart_after_stop && !shutting_down) {
        c.restart_after_stop = false;
        c.want_running = true;
        launch(c);
      } else if (c.remove_after_stop) {
        remove(c);
      }
      if (shutting_down) advance_shutdown();
      return;
    }
    log::error("supervisor.process.crashed", "process ended unexpectedly", {{"child", c.spec.name}, {"status", c.last_exit}});
    on_crash(c, c.last_exit);
  }

  void on_crash(Child& c, std::string reason) {
    auto now = Clock::now();
    c.last_exit = std::move(reason);
    if (c.started_once && now - c.started_at >= settings.stable_after) c.backoff_step = 0;
    c.crashes.push_back(now);
    while (!c.crashes.empty() && now - c.crashes.front() > settings.crash_loop_window) c.crashes.pop_front();
    if (static_cast<int>(c.crashes.size()) >= settings.crash_loop_count) {
      log::critical("supervisor.process.failed", "crash loop: not restarting until `parleyctl start`",
                    {{"child", c.spec.name}, {"count", c.crashes.size()}, {"status", c.last_exit}});
      set_state(c, schema::PROC_FAILED);
      start_pending();  // dependents do not wait for a failed process
      return;
    }
    auto delay = settings.backoff_initial * (1LL << std::min(c.backoff_step, 30));
    if (delay > settings.backoff_max) delay = settings.backoff_max;
    ++c.backoff_step;
    log::info("supervisor.process.backoff", "restarting after a delay",
              {{"child", c.spec.name}, {"delay_ms", static_cast<std::int64_t>(delay.count())}});
    set_state(c, schema::PROC_BACKOFF);
    c.timer.expires_after(delay);
    c.timer.async_wait([this, &c](const boost::system::error_code& ec) {
      if (ec || c.state != schema::PROC_BACKOFF || shutting_down) return;
      set_state(c, schema::PROC_STOPPED);
      launch(c);
    });
  }

  // --- stopping ----------------------------------------------------------

  void stop(Child& c) {
    c.want_running = false;
    if (c.state == schema::PROC_BACKOFF || c.state == schema::PROC_FAILED) {
      c.timer.cancel();
      set_state(c, schema::PROC_STOPPED);
      if (c.remove_after_stop) remove(c);
      return;
    }
    if (!running(c) || c.state == schema::PROC_STOPPING) return;
    set_state(c, schema::PROC_STOPPING);
    log::info("supervisor.process.stopping", "stopping", {{"child", c.spec.name}, {"child_pid", c.pid}});
    ::kill(c.pid, SIGTERM);
    c.timer.expires_after(settings.stop_timeout);
    c.timer.async_wait([&c, pid = c.pid](const boost::system::error_code& ec) {
      if (ec || c.pid != pid) return;
      log::warn("supervisor.process.kill", "did not stop in time; SIGKILL", {{"child", c.spec.name}, {"child_pid", pid}});
      ::kill(pid, SIGKILL);
    });
  }

  void remove(Child& c) {
    for (auto it = children.begin(); it != children.end(); ++it) {
      if (it->get() == &c) {
        // The timer's handlers hold a reference; let them run out first.
        c.timer.cancel();
        asio::post(io, [owned = std::shared_ptr<Child>(std::move(*it))] {});
        children.erase(it);
        return;
      }
    }
  }

  // Stops processes nobody running depends on, working back through the order.
  void advance_shutdown() {
    bool any = false;
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      Child& c = **it;
      if (c.state == schema::PROC_BACKOFF || c.state == schema::PROC_FAILED) {
        c.timer.cancel();
        set_state(c, schema::PROC_STOPPED);
      }
      if (!running(c)) continue;
      any = true;
      // Needed while a running process uses it, unless the two use each
      // other (router and dequeuer): then neither waits for the other.
      auto uses = [](const Child& a, const Child& b) {
        const auto& u = a.spec.decl.uses();
        return std::find(u.begin(), u.end(), b.spec.name) != u.end();
      };
      bool needed = false;
      for (auto& other : children) {
        if (other.get() != &c && running(*other) && uses(*other, c) && !uses(c, *other)) needed = true;
      }
      if (!needed) {
        stop(c);
      }
    }
    if (!any) {
      log::info("supervisor.stop.ok", "every process stopped; exiting");
      signals.cancel();
      more_signals.cancel();
      watchdog.cancel();
      if (admin_sd.is_open()) admin_sd.release();
      ::unlink(settings.control_socket.c_str());
      io.stop();
    }
  }

  // --- signals, watchdog, admin socket ----------------------------------

  void wait_signals() {
    signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGCHLD) {
        reap();
      } else {
        self->shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
      }
      wait_signals();
    });
  }

  void wait_more_signals() {
    more_signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        (void)self->reload();
      } else {
        reopen_logs();
      }
      wait_more_signals();
    });
  }

  void reopen_logs() {
    if (auto s = log::reopen(); !s) log::error("supervisor.log.reopen_failed", "cannot reopen the log", {{"error", s.error().detail}});
    schema::ToChild msg;
    msg.mutable_reopen_logs();
    for (auto& c : children) send(*c, msg);
    log::info("supervisor.log.reopened", "logs reopened");
  }

  void start_watchdog() {
    std::uint64_t usec = 0;
    if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    auto period = std::chrono::microseconds(usec / 2);
    auto tick = std::make_shared<std::function<void()>>();
    *tick = [this, period, tick] {
      notify("WATCHDOG=1");
      watchdog.expires_after(period);
      watchdog.async_wait([tick](const boost::system::error_code& ec) {
        if (!ec) (*tick)();
      });
    };
    (*tick)();
  }

  Status open_admin_socket() {
    const std::string& path = settings.control_socket;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return fail(Errc::invalid, "control socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // A live socket means another parleyd runs on this configuration.
    {
      UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        return fail(Errc::exists, "another parleyd is running (" + path + " answers)");
      }
    }
    ::unlink(path.c_str());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    mode_t old = ::umask(0177);
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc != 0) return fail(Errc::io, "bind " + path + ": " + std::strerror(errno));
    if (settings.privileged && settings.admin_gid != 0 && ::chown(path.c_str(), 0, settings.admin_gid) != 0) {
      return fail(Errc::io, "chown " + path + ": " + std::strerror(errno));
    }
    if (::chmod(path.c_str(), settings.admin_gid != 0 || !settings.privileged ? 0660 : 0600) != 0) {
      return fail(Errc::io, "chmod " + path + ": " + std::strerror(errno));
    }
    if (::listen(fd.get(), 16) != 0) return fail(Errc::io, "listen " + path + ": " + std::strerror(errno));
    admin_fd = std::move(fd);
    admin_sd.assign(admin_fd.get());
    asio::co_spawn(io, accept_admin(), asio::detached);
    return {};
  }

  // Defence in depth behind the socket's mode: root, parleyd's own user, or
  // a member of the admin group.
  bool admin_allowed(int fd, std::string& who) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
    who = "uid " + std::to_string(cred.uid);
    if (passwd* pw = ::getpwuid(cred.uid)) who = std::string(pw->pw_name) + " (" + who + ")";
    if (cred.uid == 0 || cred.uid == ::geteuid()) return true;
    if (settings.admin_gid == 0) return false;
    if (cred.gid == settings.admin_gid) return true;
    gid_t groups[256];
    socklen_t glen = sizeof groups;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) != 0) return false;
    for (socklen_t i = 0; i < glen / sizeof(gid_t); ++i) {
      if (groups[i] == settings.admin_gid) return true;
    }
    return false;
  }

  awaitable<void> accept_admin() {
    for (;;) {
      boost::system::error_code ec;
      co_await admin_sd.async_wait(asio::posix::stream_descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      for (;;) {
        int fd = ::accept4(admin_fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        asio::co_spawn(io, serve_admin(UniqueFd(fd)), asio::detached);
      }
    }
  }

  // One connection: length-prefixed AdminRequest frames in, AdminReply
  // frames out (core/frame.h), until the peer closes.
  awaitable<void> serve_admin(UniqueFd fd) {
    std::string who;
    if (!admin_allowed(fd.get(), who)) {
      log::warn("supervisor.admin.denied", "control socket peer refused", {{"peer", who}});
      co_return;
    }
    asio::posix::stream_descriptor sd(io, fd.release());
    for (;;) {
      boost::system::error_code ec;
      unsigned char header[kFrameHeader];
      co_await asio::async_read(sd, asio::buffer(header), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::size_t size = frame_size(header);
      if (size > kMaxFrame) break;
      std::string body(size, '\0');
      co_await asio::async_read(sd, asio::buffer(body), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      schema::AdminRequest request;
      schema::AdminReply reply;
      if (!request.ParseFromString(body)) {
        reply.set_error("unparsable request");
      } else {
        reply = co_await self->admin(request, who);
      }
      std::string out = frame_header(reply.ByteSizeLong()) + reply.SerializeAsString();
      co_await asio::async_write(sd, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
  }

  ipc::Client& admin_client(const std::string& proc) {
    auto& client = admin_clients[proc];
    if (!client) {
      ipc::ClientOptions options;
      options.default_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kForwardTimeout);
      // Resending exists for a peer that restarted; an administration request
      // can be large (an import) and slow, so it is not sent again while the
      // process is busy with it: the administrator retries after a restart.
      options.resend_after = options.default_timeout;
      client = std::make_unique<ipc::Client>(io, ipc::endpoint(settings.runtime_dir, proc, "admin"), options);
    }
    return *client;
  }

  // An empty directory gets its main domain and first accounts, whose
  // passwords are shown once here (and, if configured, written to a file).
  awaitable<void> first_run() {
    schema::DirectoryAdminRequest request;
    request.set_op("bootstrap");
    request.set_actor("parleyd");
    std::string domain = config->get(kFirstRunDomain);
    if (domain.empty()) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      domain = host;
    }
    std::string accounts;
    for (const auto& a : config->get(kFirstRunAccounts)) accounts += (accounts.empty() ? "" : ",") + a;
    (*request.mutable_options())["domain"] = domain;
    (*request.mutable_options())["accounts"] = accounts;
    auto reply = co_await admin_client("directory").call(contracts::kDirectoryAdmin, request);
    if (!reply) {
      // Tried again when the directory is next ready.
      log::error("supervisor.first_run.failed", "could not set up the empty directory", {{"error", reply.error().detail}});
      co_return;
    }
    bootstrapped = true;
    if (reply->generated().empty()) co_return;
    std::printf("parleyd: the directory was empty; created %s with these accounts (passwords shown once):\n", domain.c_str());
    for (const auto& line : reply->generated()) std::printf("  %s\n", line.c_str());
    std::fflush(stdout);
    log::info("supervisor.first_run.created", "created the first domain and accounts; passwords are on standard output",
              {{"domain", domain}, {"count", reply->generated_size()}});
    const std::string& path = config->get(kFirstRunPasswordFile);
    if (path.empty()) co_return;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    std::string text;
    for (const auto& line : reply->generated()) text += line + "\n";
    if (!fd.valid() || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      log::error("supervisor.first_run.file_failed", "cannot write the password file", {{"path", path}, {"error", std::strerror(errno)}});
    }
  }

  // Waits until `c` leaves the given states, or the deadline.
  awaitable<void> wait_while(Child& c, std::vector<ProcState> states, Clock::time_point deadline) {
    auto in = [&] { return std::find(states.begin(), states.end(), c.state) != states.end(); };
    while (in() && Clock::now() < deadline) {
      auto t = std::make_shared<asio::steady_timer>(io, deadline);
      c.waiters.push_back(t);
      boost::system::error_code ec;
      co_await t->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  void fill_status(schema::AdminReply& reply) {
    auto now = Clock::now();
    for (auto& c : children) {
      auto* p = reply.add_procs();
      p->set_name(c->spec.name);
      p->set_state(c->state);
      p->set_pid(static_cast<std::uint32_t>(c->pid));
      if (running(*c)) {
        p->set_uptime_ms(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now - c->started_at).count()));
        p->set_rss_bytes(rss_bytes(c->pid));
      }
      p->set_restarts(c->restarts);
      p->set_last_exit(c->last_exit);
      p->set_user(c->spec.user);
      p->set_text(c->status_text);
    }
    reply.set_generation(generation);
  }

  Supervisor* self = nullptr;
};

Supervisor::Supervisor(asio::io_context& io, std::string config_path)
    : impl_(std::make_unique<Impl>(io, std::move(config_path))) {
  impl_->self = this;
}

Supervisor::~Supervisor() = default;

Status Supervisor::start(config::Config config, Settings settings) {
  Impl& s = *impl_;
  s.config.emplace(std::move(config));
  s.settings = std::move(settings);
  if (auto st = s.prepare_top_dirs(); !st) return st;
  if (auto st = s.open_admin_socket(); !st) return st;
  // Every listener is bound now, while parleyd surely may: a port that
  // cannot be bound is a start-up error, not a crash loop later.
  for (const auto& p : s.settings.processes) {
    for (const auto& l : p.listen) {
      if (auto fd = s.sockets.get(l); !fd) return fail(fd.code(), "process." + p.name + ": " + fd.error().detail);
    }
  }
  for (const auto& p : s.settings.processes) {
    auto c = std::make_unique<Child>(s.io);
    c->spec = p;
    s.children.push_back(std::move(c));
  }
  s.wait_signals();
  s.wait_more_signals();
  s.start_watchdog();
  log::info("supervisor.start.begin", "starting processes", {{"count", s.children.size()}, {"path", s.config_path}});
  s.start_pending();
  s.update_status();
  return {};
}

void Supervisor::shutdown(std::string_view why) {
  Impl& s = *impl_;
  if (s.shutting_down) return;
  s.shutting_down = true;
  notify("STOPPING=1");
  log::info("supervisor.stop.begin", "stopping every process", {{"reason", why}});
  s.advance_shutdown();
}

Status Supervisor::reload() {
  Impl& s = *impl_;
  if (s.shutting_down) return fail(Errc::unavailable, "shutting down");
  notify("RELOADING=1");
  auto done = [] { notify("READY=1"); };
  auto refuse = [&](const Error& e) -> Status {
    log::error("supervisor.reload.failed", "configuration not reloaded", {{"error", e.detail}});
    done();
    return e;
  };
  auto loaded = load(s.config_path);
  if (!loaded) return refuse(loaded.error());
  Settings* settings = &loaded->settings;
  // New listeners are bound before anything changes, so a bad one leaves
  // the running configuration untouched.
  std::set<std::string> keep;
  for (const auto& p : settings->processes) {
    for (const auto& l : p.listen) {
      auto fd = s.sockets.get(l);
      if (!fd) return refuse(fd.error());
      keep.insert(Sockets::key(l));
    }
  }
  // Paths and the control socket stay as they were: they change with a restart.
  settings->runtime_dir = s.settings.runtime_dir;
  settings->data_dir = s.settings.data_dir;
  settings->log_dir = s.settings.log_dir;
  settings->control_socket = s.settings.control_socket;

  ++s.generation;
  s.config.emplace(std::move(loaded->config));
  std::vector<std::unique_ptr<Child>> ordered;
  for (const auto& p : settings->processes) {
    Child* existing = s.find(p.name);
    if (existing == nullptr) {
      auto c = std::make_unique<Child>(s.io);
      c->spec = p;
      ordered.push_back(std::move(c));
      log::info("supervisor.reload.added", "new process", {{"child", p.name}});
      continue;
    }
    for (auto it = s.children.begin(); it != s.children.end(); ++it) {
      if (it->get() != existing) continue;
      ordered.push_back(std::move(*it));
      s.children.erase(it);
      break;
    }
    Child& c = *ordered.back();
    bool relaunch = !c.spec.same_launch(p);
    c.spec = p;
    if (relaunch && s.running(c)) {
      log::info("supervisor.reload.restart", "launch settings changed; restarting", {{"child", p.name}});
      c.restart_after_stop = true;
      s.stop(c);
    } else if (c.state == schema::PROC_READY || c.state == schema::PROC_STARTING) {
      s.send_configure(c);
    }
  }
  // What is left was removed from the configuration (or disabled).
  for (auto& c : s.children) {
    log::info("supervisor.reload.removed", "process removed", {{"child", c->spec.name}});
    c->remove_after_stop = true;
    Child& ref = *c;
    ordered.push_back(std::move(c));
    s.stop(ref);
  }
  s.children.clear();
  for (auto& c : ordered) {
    if (c) s.children.push_back(std::move(c));
  }
  s.settings = std::move(*settings);
  s.sockets.retain(keep);
  log::info("supervisor.reload.ok", "configuration reloaded", {{"generation", s.generation}});
  s.start_pending();
  s.update_status();
  done();
  return {};
}

awaitable<schema::AdminReply> Supervisor::admin(const schema::AdminRequest& request, std::string_view who) {
  Impl& s = *impl_;
  schema::AdminReply reply;
  reply.set_ok(true);
  switch (request.body_case()) {
    case schema::AdminRequest::kStatus:
      s.fill_status(reply);
      co_return reply;
    case schema::AdminRequest::kReload: {
      log::info("supervisor.admin.reload", "reload requested", {{"user", who}});
      auto st = reload();
      if (!st) {
        reply.set_ok(false);
        reply.set_error(st.error().detail);
      }
      s.fill_status(reply);
      co_return reply;
    }
    case schema::AdminRequest::kLogLevel: {
      const auto& cmd = request.log_level();
      log::Level level = daemon::from_schema(cmd.level());
      if (cmd.proc() == "parleyd") {
        log::set_level(level);
      } else if (Child* c = s.find(cmd.proc())) {
        schema::ToChild msg;
        msg.mutable_set_log_level()->set_level(cmd.level());
        s.send(*c, msg);
      } else {
        reply.set_ok(false);
        reply.set_error("no process named " + cmd.proc());
        co_return reply;
      }
      log::info("supervisor.admin.log_level", "log level set", {{"child", cmd.proc()}, {"new_level", log::level_name(level)}, {"user", who}});
      co_return reply;
    }
    case schema::AdminRequest::kForward: {
      // parleyd has checked the peer; the process trusts parleyd's word on
      // who asked (for its audit log).
      const auto& fwd = request.forward();
      Child* c = s.find(fwd.proc());
      if (c == nullptr || c->state != schema::PROC_READY) {
        reply.set_ok(false);
        reply.set_error(fwd.proc() + (c ? " is not ready" : " is not configured"));
        co_return reply;
      }
      std::string payload = fwd.payload();
      if (payload.size() + 4096 > ipc::kMaxMessageBytes) {
        reply.set_ok(false);
        reply.set_error("request too large (at most " + std::to_string(ipc::kMaxMessageBytes >> 20) + " MiB); split it");
        co_return reply;
      }
      const std::string actor(who);
      Result<std::string> answer = fail(Errc::not_found, "no administration method " + fwd.method());
      if (fwd.method() == contracts::kDirectoryAdmin.name()) {
        answer = co_await forward_admin(s.admin_client(fwd.proc()), contracts::kDirectoryAdmin, std::move(payload), actor);
      } else if (fwd.method() == contracts::kQueueAdmin.name()) {
        answer = co_await forward_admin(s.admin_client(fwd.proc()), contracts::kQueueAdmin, std::move(payload), actor);
      } else if (fwd.method() == contracts::kSipAdmin.name()) {
        answer = co_await forward_admin(s.admin_client(fwd.proc()), contracts::kSipAdmin, std::move(payload), actor);
      } else if (fwd.method() == contracts::kRelayList.name()) {
        answer = co_await forward_admin(s.admin_client(fwd.proc()), contracts::kRelayList, std::move(payload), actor);
      }
      if (!answer) {
        reply.set_ok(false);
        reply.set_error(answer.error().detail.empty() ? std::string(errc_name(answer.code())) : answer.error().detail);
      } else {
        reply.set_payload(std::move(answer.value()));
      }
      co_return reply;
    }
    case schema::AdminRequest::kProc: {
      const auto& cmd = request.proc();
      Child* c = s.find(cmd.proc());
      if (c == nullptr) {
        reply.set_ok(false);
        reply.set_error("no process named " + cmd.proc());
        co_return reply;
      }
      log::info("supervisor.admin.proc", "process command", {{"child", cmd.proc()}, {"method", cmd.ShortDebugString()}, {"user", who}});
      auto deadline = Clock::now() + kAdminWait;
      // Named, not braced in the co_await: g++ 12 miscompiles braced lists there.
      const std::vector<ProcState> stopping{schema::PROC_STOPPING};
      const std::vector<ProcState> starting{schema::PROC_STOPPED, schema::PROC_STARTING};
      if (cmd.action() == schema::PROC_STOP) {
        s.stop(*c);
        co_await s.wait_while(*c, stopping, deadline);
      } else {
        // start and restart both clear a crash loop: the admin asked for it.
        c->crashes.clear();
        c->backoff_step = 0;
        c->want_running = true;
        if (cmd.action() == schema::PROC_RESTART && s.running(*c)) {
          c->restart_after_stop = true;
          s.stop(*c);
          c->want_running = true;
          co_await s.wait_while(*c, stopping, deadline);
        } else if (!s.running(*c)) {
          c->timer.cancel();
          s.set_state(*c, schema::PROC_STOPPED);
          s.launch(*c);
        }
        co_await s.wait_while(*c, starting, deadline);
        if (c->state != schema::PROC_READY) {
          reply.set_ok(false);
          reply.set_error(cmd.proc() + " is " + std::string(state_name(c->state)) +
                          (c->last_exit.empty() ? "" : " (last exit: " + c->last_exit + ")"));
        }
      }
      s.fill_status(reply);
      co_return reply;
    }
    default:
      reply.set_ok(false);
      reply.set_error("unknown request");
      co_return reply;
  }
}

}  // namespace parley::supervisor
