// parleyd: the supervisor, and the only Parley program an operator starts.
// Reads parley.conf; as root creates the runtime, data and log directories
// with their owners, binds every listener, then starts each process under
// its own user with no capabilities, NO_NEW_PRIVS and its rlimits, and
// keeps them running. Serves parleyctl on its control socket (root, its
// own user and the admin group only). Speaks sd_notify under systemd.
//
// Untrusted input: records from the processes' control channels (parsed as
// if a process were compromised) and from control-socket peers (checked
// by credentials). Privileges: root when installed, and it needs root only
// for binding low ports, making directories and switching users; it never
// touches network input itself.
#include <signal.h>
#include <sysexits.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "config/config.h"
#include "core/asio.h"
#include "daemon/log_setup.h"
#include "log/log.h"
#include "supervisor/settings.h"
#include "supervisor/supervisor.h"

namespace {

constexpr const char* kDefaultConfig = "/etc/parley/parley.conf";

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: parleyd [--config FILE] [--check-config]\n"
               "       parleyd --default-config\n"
               "  --config FILE     parley.conf to use (default %s)\n"
               "  --check-config    validate the configuration and the process binaries, then exit\n"
               "  --default-config  print the configuration file with every key at its default\n"
               "                    (asking each shipped program beside parleyd for its keys)\n",
               kDefaultConfig);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace parley;
  std::string config_path = kDefaultConfig;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--default-config") {
      auto text = supervisor::default_file_text(supervisor::program_dir());
      if (!text) {
        std::fprintf(stderr, "parleyd: %s\n", text.error().detail.c_str());
        return EX_CONFIG;
      }
      std::fputs(text->c_str(), stdout);
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return EX_USAGE;
    }
  }

  auto loaded = supervisor::load(config_path);
  if (!loaded) {
    std::fprintf(stderr, "parleyd: %s\n", loaded.error().detail.c_str());
    return EX_CONFIG;
  }
  auto& [config, settings] = loaded.value();
  for (const auto& w : settings.warnings) std::fprintf(stderr, "parleyd: warning: %s\n", w.c_str());
  if (check_only) {
    std::printf("%s: configuration OK (%zu processes)\n", config_path.c_str(), settings.processes.size());
    return 0;
  }

  auto log_options = daemon::log_options(config, "parleyd");
  if (!log_options) {
    std::fprintf(stderr, "parleyd: %s\n", log_options.error().detail.c_str());
    return EX_CONFIG;
  }
  std::error_code ec;
  if (log_options->target == log::Target::file) {
    std::filesystem::create_directories(std::filesystem::path(log_options->path).parent_path(), ec);
  }
  if (auto s = log::init(*log_options); !s) {
    std::fprintf(stderr, "parleyd: log: %s\n", s.error().detail.c_str());
    return EX_CONFIG;
  }
  std::signal(SIGPIPE, SIG_IGN);
  for (const auto& w : settings.warnings) log::warn("supervisor.config.warning", w);

  asio::io_context io;
  supervisor::Supervisor sup(io, config_path);
  if (auto s = sup.start(std::move(config), std::move(settings)); !s) {
    log::critical("supervisor.start.failed", "cannot start", {{"error", s.error().detail}});
    std::fprintf(stderr, "parleyd: %s\n", s.error().detail.c_str());
    return 1;
  }
  io.run();
  return 0;
}
