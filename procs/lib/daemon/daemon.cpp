#include "daemon/daemon.h"

#include <poll.h>
#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <sysexits.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>

#include "config/common.h"
#include "core/packet.h"
#include "daemon/log_setup.h"
#include "daemon/seccomp.h"
#include "ipc/ipc.h"
#include "log/log.h"
#include "schema/control.pb.h"

namespace parley::daemon {
namespace {

// How long a process waits for its first Configure before giving up: parleyd
// sends it right after the fork, so this only ends orphans.
constexpr int kConfigureWaitMs = 30000;

// Drain bound when parleyd's own timeout does not reach us first.
constexpr auto kDrainLimit = std::chrono::seconds(30);

class Daemon final : public Context {
 public:
  Daemon(const Process& process, int control_fd)
      : process_(process), schema_(process_schema(process.settings)), control_fd_(control_fd), control_(io_) {}

  asio::io_context& io() override { return io_; }
  std::string_view name() const override { return process_.name; }
  const config::Config& config() const override { return *config_; }
  std::vector<Listener> listeners(std::string_view name) const override {
    std::vector<Listener> out;
    for (const auto& l : listeners_) {
      if (l.name == name) out.push_back(l);
    }
    return out;
  }
  std::string shared_dir(std::string_view share) const override {
    return config_->get(config::kDataDir) + "/" + std::string(share);
  }
  std::string data_dir() const override {
    return config_->get(config::kDataDir) + "/" + std::string(process_.name);
  }
  std::string endpoint(std::string_view service, std::string_view proc) const override {
    return ipc::endpoint(config_->get(config::kRuntimeDir), proc.empty() ? process_.name : proc, service);
  }
  void set_status(std::string text) override {
    schema::FromChild msg;
    msg.mutable_status()->set_text(std::move(text));
    send(msg);
  }

  int run();

 private:
  Status take_listeners();
  Status configure_first();
  awaitable<void> read_control();
  void handle(const schema::ToChild& msg);
  void send(const schema::FromChild& msg);
  void begin_drain(std::string_view why);
  awaitable<void> drain();

  const Process& process_;
  const config::Schema schema_;
  int control_fd_;
  asio::io_context io_;
  asio::posix::stream_descriptor control_;
  std::optional<config::Config> config_;
  std::uint64_t generation_ = 0;
  std::vector<Listener> listeners_;
  std::unique_ptr<Service> service_;
  bool draining_ = false;
};

Status Daemon::take_listeners() {
  char** names = nullptr;
  int n = sd_listen_fds_with_names(1, &names);
  if (n < 0) return fail(Errc::invalid, std::string("LISTEN_FDS: ") + std::strerror(-n));
  for (int i = 0; i < n; ++i) {
    int fd = SD_LISTEN_FDS_START + i;
    std::string label = names && names[i] ? names[i] : "unknown";
    // parleyd names each fd "NAME" or "NAME/udp".
    bool datagram = label.ends_with("/udp");
    if (datagram) label.resize(label.size() - 4);
    listeners_.push_back({label, fd, datagram});
  }
  if (names) {
    for (int i = 0; i < n; ++i) std::free(names[i]);
    std::free(names);
  }
  for (const auto& l : listeners_) {
    bool declared = false;
    for (auto d : process_.listeners) declared = declared || d == l.name;
    if (!declared) return fail(Errc::invalid, "listener " + l.name + " is not one this process accepts");
  }
  return {};
}

Status Daemon::configure_first() {
  pollfd pfd{control_fd_, POLLIN, 0};
  int rc = ::poll(&pfd, 1, kConfigureWaitMs);
  if (rc <= 0) return fail(Errc::timeout, "no configuration from parleyd");
  auto packet = recv_packet(control_fd_);
  if (!packet) return packet.error();
  if (!packet->has_value()) return fail(Errc::unavailable, "control channel closed");
  schema::ToChild msg;
  if (!msg.ParseFromString(**packet) || !msg.has_configure()) return fail(Errc::syntax, "first control record is not Configure");
  auto config = config::Config::parse(msg.configure().config_toml(), "parleyd", schema_);
  if (!config) return config.error();
  config_.emplace(std::move(config.value()));
  generation_ = msg.configure().generation();
  return {};
}

void Daemon::send(const schema::FromChild& msg) {
  // The control channel carries a few small records; a full buffer means
  // parleyd is gone or stuck, and the record is dropped.
  auto status = send_packet(control_fd_, msg.SerializeAsString());
  if (!status) log::debug("daemon.control.send_failed", "control record dropped", {{"error", status.error().detail}});
}

void Daemon::handle(const schema::ToChild& msg) {
  switch (msg.body_case()) {
    case schema::ToChild::kConfigure: {
      schema::FromChild reply;
      auto* done = reply.mutable_configured();
      done->set_generation(msg.configure().generation());
      auto next = config::Config::parse(msg.configure().config_toml(), "parleyd", schema_);
      Status applied = next ? Status{} : Status{next.error()};
      if (applied) applied = service_->reload(next.value());
      if (applied) {
        config_.emplace(std::move(next.value()));
        generation_ = msg.configure().generation();
        if (auto options = log_options(*config_, process_.name)) log::set_level(options->level);
        log::info("daemon.reload.ok", "configuration applied", {{"generation", generation_}});
      } else {
        done->set_error(applied.error().detail);
        log::error("daemon.reload.refused", "configuration refused",
                   {{"generation", msg.configure().generation()}, {"error", applied.error().detail}});
      }
      done->set_ok(applied.ok());
      send(reply);
      break;
    }
    case schema::ToChild::kSetLogLevel: {
      // Logged at whichever of the two levels lets the line through.
      log::Level level = from_schema(msg.set_log_level().level());
      bool quieter = level > log::level();
      if (!quieter) log::set_level(level);
      log::info("daemon.log_level.set", "log level changed", {{"new_level", log::level_name(level)}});
      if (quieter) log::set_level(level);
      break;
    }
    case schema::ToChild::kReopenLogs:
      if (auto status = log::reopen(); !status) {
        log::error("daemon.log.reopen_failed", "cannot reopen the log", {{"error", status.error().detail}});
      }
      break;
    case schema::ToChild::kPing: {
      schema::FromChild reply;
      reply.mutable_pong()->set_nonce(msg.ping().nonce());
      send(reply);
      break;
    }
    default:
      log::warn("daemon.control.unknown", "unknown control record ignored");
  }
}

awaitable<void> Daemon::read_control() {
  for (;;) {
    boost::system::error_code ec;
    co_await control_.async_wait(asio::posix::stream_descriptor::wait_read,
                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    for (;;) {
      auto packet = recv_packet(control_fd_);
      if (!packet && packet.code() == Errc::unavailable) break;
      if (!packet || !packet->has_value()) {
        // parleyd is gone: nobody will restart or configure us. Finish and leave.
        begin_drain("control channel closed");
        co_return;
      }
      schema::ToChild msg;
      if (!msg.ParseFromString(**packet)) {
        log::warn("daemon.control.bad_record", "unparsable control record ignored");
        continue;
      }
      handle(msg);
    }
  }
}

void Daemon::begin_drain(std::string_view why) {
  if (draining_) return;
  draining_ = true;
  log::info("daemon.drain.start", "draining", {{"reason", why}});
  asio::co_spawn(io_, drain(), asio::detached);
}

awaitable<void> Daemon::drain() {
  // The process's drain runs beside a timer; whichever ends first ends the
  // process, so a stuck session cannot hold a restart forever.
  asio::steady_timer limit(io_, kDrainLimit);
  bool finished = false;
  asio::co_spawn(io_, [&]() -> awaitable<void> {
    co_await service_->drain();
    finished = true;
    limit.cancel();
  }, asio::detached);
  boost::system::error_code ec;
  co_await limit.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!finished) {
    // Sessions still running refer to the service: tearing it down under
    // them is not safe, and nothing is left to save (what was accepted is
    // on disk), so the process ends here.
    log::warn("daemon.drain.done", "drain timed out, exiting");
    ::_exit(0);
  }
  log::info("daemon.drain.done", "drained, exiting");
  io_.stop();
}

int Daemon::run() {
  if (auto status = configure_first(); !status) {
    std::fprintf(stderr, "%s: %s\n", std::string(process_.name).c_str(), status.error().detail.c_str());
    return EX_CONFIG;
  }
  auto options = log_options(*config_, process_.name);
  if (!options) {
    std::fprintf(stderr, "%s: %s\n", std::string(process_.name).c_str(), options.error().detail.c_str());
    return EX_CONFIG;
  }
  if (auto status = log::init(*options); !status) {
    std::fprintf(stderr, "%s: log: %s\n", std::string(process_.name).c_str(), status.error().detail.c_str());
    return EX_CONFIG;
  }
  if (auto status = take_listeners(); !status) {
    log::critical("daemon.start.failed", "bad listening sockets", {{"error", status.error().detail}});
    return EX_CONFIG;
  }

  asio::signal_set signals(io_, SIGTERM, SIGINT, SIGUSR1);
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGUSR1) {
      if (auto status = log::reopen(); !status) {
        log::error("daemon.log.reopen_failed", "cannot reopen the log", {{"error", status.error().detail}});
      }
    } else {
      begin_drain(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  // HUP goes to parleyd, which holds the configuration; here it is harmless.
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);

  auto service = process_.start(*this);
  if (!service) {
    log::critical("daemon.start.failed", "start-up failed", {{"error", service.error().detail}});
    return EX_SOFTWARE;
  }
  service_ = std::move(service.value());

  auto mode = parse_seccomp_mode(config_->get(config::kProcessSeccomp, process_.name));
  if (!mode) return EX_CONFIG;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return EX_SOFTWARE;
  if (auto status = install_seccomp(*mode, process_.syscalls); !status) {
    log::critical("daemon.seccomp.failed", "cannot install the seccomp filter", {{"error", status.error().detail}});
    return EX_SOFTWARE;
  }

  control_.assign(control_fd_);
  asio::co_spawn(io_, read_control(), asio::detached);
  schema::FromChild ready;
  ready.mutable_ready()->set_pid(static_cast<std::uint32_t>(::getpid()));
  send(ready);
  log::info("daemon.start.ok", "ready", {{"generation", generation_}, {"count", listeners_.size()}});

  io_.run();
  control_.release();
  service_.reset();
  log::info("daemon.stop.ok", "stopped");
  return 0;
}

void describe(const Process& process) {
  std::string out = declaration(process).SerializeAsString();
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void to_schema(const config::KeyDecl& key, schema::SettingsKey& out) {
  out.set_key(key.key);
  switch (key.type) {
    case config::Type::boolean: out.set_boolean(std::get<bool>(key.default_value)); break;
    case config::Type::integer: out.set_integer(std::get<std::int64_t>(key.default_value)); break;
    case config::Type::string: out.set_text(std::get<std::string>(key.default_value)); break;
    case config::Type::list: {
      auto* list = out.mutable_list();  // set even when empty: the default's case is the type
      for (const auto& item : std::get<std::vector<std::string>>(key.default_value)) list->add_items(item);
      break;
    }
  }
  if (key.min != INT64_MIN) out.set_min(key.min);
  if (key.max != INT64_MAX) out.set_max(key.max);
  for (const auto& choice : key.choices) out.add_choices(choice);
  out.set_doc(key.doc);
  out.set_check(std::string(config::check_name(key.check)));
}

Result<config::KeyDecl> from_schema(const std::string& section, const schema::SettingsKey& in) {
  config::KeyDecl key;
  key.section = section;
  key.key = in.key();
  switch (in.default_value_case()) {
    case schema::SettingsKey::kBoolean: key.type = config::Type::boolean; key.default_value = in.boolean(); break;
    case schema::SettingsKey::kInteger: key.type = config::Type::integer; key.default_value = in.integer(); break;
    case schema::SettingsKey::kText: key.type = config::Type::string; key.default_value = in.text(); break;
    case schema::SettingsKey::kList:
      key.type = config::Type::list;
      key.default_value = std::vector<std::string>(in.list().items().begin(), in.list().items().end());
      break;
    default: return fail(Errc::invalid, section + "." + in.key() + ": no default");
  }
  key.min = in.has_min() ? in.min() : INT64_MIN;
  key.max = in.has_max() ? in.max() : INT64_MAX;
  key.choices.assign(in.choices().begin(), in.choices().end());
  key.doc = in.doc();
  auto check = config::check_from_name(in.check());
  if (!check) return fail(Errc::invalid, section + "." + in.key() + ": unknown check \"" + in.check() + "\"");
  key.check = *check;
  return key;
}

}  // namespace

schema::ProcessDecl declaration(const Process& process) {
  schema::ProcessDecl decl;
  decl.set_name(std::string(process.name));
  for (auto l : process.listeners) decl.add_listeners(std::string(l));
  for (auto s : process.serves) decl.add_serves(std::string(s));
  for (auto u : process.uses) decl.add_uses(std::string(u));
  for (auto s : process.shares) decl.add_shares(std::string(s));
  for (const auto& section : process.settings) {
    auto* out = decl.add_settings();
    out->set_name(section.name);
    out->set_doc(section.doc);
    for (const auto& key : section.keys) to_schema(key, *out->add_keys());
  }
  return decl;
}

Result<config::Schema> settings_of(const schema::ProcessDecl& decl) {
  config::Schema sections;
  for (const auto& in : decl.settings()) {
    config::SectionDecl section{.name = in.name(), .doc = in.doc(), .keys = {}};
    for (const auto& key : in.keys()) {
      auto parsed = from_schema(in.name(), key);
      if (!parsed) return parsed.error();
      section.keys.push_back(std::move(parsed.value()));
    }
    sections.push_back(std::move(section));
  }
  if (auto status = config::check_schema(sections); !status) return status.error();
  for (const auto& section : sections) {
    if (section.name.ends_with(".*")) return fail(Errc::invalid, "section " + section.name + ": a pattern");
    for (const auto& shared : process_schema({})) {
      if (section.name == shared.name) return fail(Errc::invalid, "section " + section.name + ": declared by every process");
    }
  }
  return sections;
}

config::Schema process_schema(std::vector<config::SectionDecl> settings) {
  config::Schema schema;
  schema.push_back(config::server_section());
  for (auto& section : settings) schema.push_back(std::move(section));
  schema.push_back(config::process_section());
  return schema;
}

int run(int argc, char** argv, const Process& process) {
  if (argc == 2 && std::strcmp(argv[1], "--describe") == 0) {
    describe(process);
    return 0;
  }
  if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--describe]\n  (started by parleyd, not by hand)\n", argv[0]);
    return EX_USAGE;
  }
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  if (ruid == 0 || euid == 0 || suid == 0 || rgid == 0 || egid == 0 || sgid == 0) {
    std::fprintf(stderr, "%s: refusing to run as root; parleyd starts it under its own user\n",
                 std::string(process.name).c_str());
    return EX_CONFIG;
  }
  const char* control = std::getenv("PARLEY_CONTROL_FD");
  if (control == nullptr) {
    std::fprintf(stderr, "%s: no control channel (PARLEY_CONTROL_FD); start it with parleyd\n",
                 std::string(process.name).c_str());
    return EX_USAGE;
  }
  int control_fd = std::atoi(control);
  ::unsetenv("PARLEY_CONTROL_FD");
  Daemon daemon(process, control_fd);
  return daemon.run();
}

std::string host_name(const config::Config& config) {
  const std::string& configured = config.get(config::kHostname);
  if (!configured.empty()) return configured;
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace parley::daemon
