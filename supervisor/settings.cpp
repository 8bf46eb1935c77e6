#include "supervisor/settings.h"

#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "core/users.h"
#include "supervisor/spawn.h"

namespace parley::supervisor {
namespace {

Result<UserIds> lookup_user(const std::string& name) {
  auto user = find_user(name);
  if (!user) return fail(Errc::not_found, "user " + name + " does not exist (scripts/setup or systemd-sysusers creates it)");
  if (user->uid == 0 || user->gid == 0) return fail(Errc::invalid, "user " + name + " is root or in group root");
  return user;
}

// 0 (root's group, never given) when there is no such group.
gid_t lookup_group(const std::string& name) {
  auto gid = find_group(name);
  return gid ? *gid : 0;
}

std::uint16_t map_port(std::uint16_t port, bool map, std::int64_t offset) {
  return map && port < 1024 ? static_cast<std::uint16_t>(offset + port) : port;
}

// Processes start after the processes they use: a depth-first order that
// ignores edges closing a cycle (router and dequeuer call each other; both
// connect lazily, so either may start first) and uses of processes that
// are not configured.
std::vector<ProcessSpec> dependency_order(std::vector<ProcessSpec> specs) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < specs.size(); ++i) index[specs[i].name] = i;
  std::vector<int> mark(specs.size(), 0);  // 0 new, 1 on the path, 2 placed
  std::vector<std::size_t> order;
  auto visit = [&](auto&& self, std::size_t i) -> void {
    if (mark[i] != 0) return;
    mark[i] = 1;
    for (const auto& dep : specs[i].decl.uses()) {
      auto it = index.find(dep);
      if (it != index.end()) self(self, it->second);
    }
    mark[i] = 2;
    order.push_back(i);
  };
  for (std::size_t i = 0; i < specs.size(); ++i) visit(visit, i);
  std::vector<ProcessSpec> out;
  for (auto i : order) out.push_back(std::move(specs[i]));
  return out;
}

}  // namespace

bool ProcessSpec::same_launch(const ProcessSpec& o) const {
  return binary == o.binary && args == o.args && listen == o.listen && uid == o.uid && gid == o.gid &&
         groups == o.groups && rlimit_nofile == o.rlimit_nofile && rlimit_core == o.rlimit_core;
}

std::string program_dir() {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec).parent_path().string();
}

Result<Loaded> load(const std::string& path) {
  auto config = config::Config::load_file(path);
  if (!config) return config.error();
  auto settings = resolve(config.value(), program_dir());
  if (!settings) return fail(settings.code(), path + ": " + settings.error().detail);
  return Loaded{std::move(config.value()), std::move(settings.value())};
}

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

Result<Settings> resolve(const config::Config& config, const std::string& self_dir) {
  Settings s;
  s.privileged = ::geteuid() == 0;
  s.runtime_dir = absolute_path(config.string("server", "runtime_dir"));
  s.data_dir = absolute_path(config.string("server", "data_dir"));
  s.log_dir = absolute_path(config.string("server", "log_dir"));
  s.control_socket = config.string("supervisor", "control_socket").empty()
                         ? s.runtime_dir + "/parleyd.sock"
                         : absolute_path(config.string("supervisor", "control_socket"));
  s.admin_group = config.string("supervisor", "admin_group");
  s.admin_gid = lookup_group(s.admin_group);
  s.backoff_initial = std::chrono::milliseconds(config.integer("supervisor", "restart_backoff_initial_ms"));
  s.backoff_max = std::chrono::milliseconds(config.integer("supervisor", "restart_backoff_max_ms"));
  s.crash_loop_count = static_cast<int>(config.integer("supervisor", "crash_loop_count"));
  s.crash_loop_window = std::chrono::seconds(config.integer("supervisor", "crash_loop_window_s"));
  s.stable_after = std::chrono::seconds(config.integer("supervisor", "stable_after_s"));
  s.stop_timeout = std::chrono::milliseconds(config.integer("supervisor", "stop_timeout_ms"));
  s.ready_timeout = std::chrono::milliseconds(config.integer("supervisor", "ready_timeout_ms"));

  const std::string& map_setting = config.string("server", "map_low_ports");
  bool map_ports = map_setting == "on" || (map_setting == "auto" && !s.privileged);
  std::int64_t offset = config.integer("server", "low_port_offset");

  std::vector<ProcessSpec> specs;
  for (const auto& name : config.instances("process")) {
    std::string section = "process." + name;
    if (!config.boolean(section, "enabled")) continue;
    ProcessSpec p;
    p.name = name;
    p.binary = config.string(section, "binary").empty() ? self_dir + "/" + name
                                                        : absolute_path(config.string(section, "binary"));
    p.args = config.list(section, "args");
    p.rlimit_nofile = config.integer(section, "rlimit_nofile");
    // Raising a hard limit needs CAP_SYS_RESOURCE, which parleyd does not
    // keep (nor have in many containers): stay within parleyd's own.
    rlimit own{};
    if (::getrlimit(RLIMIT_NOFILE, &own) == 0 && own.rlim_max != RLIM_INFINITY &&
        static_cast<rlim_t>(p.rlimit_nofile) > own.rlim_max) {
      s.warnings.push_back(section + ".rlimit_nofile: " + std::to_string(p.rlimit_nofile) + " is above parleyd's own hard limit " +
                           std::to_string(own.rlim_max) + "; using " + std::to_string(own.rlim_max) +
                           " (raise LimitNOFILE= in parleyd.service)");
      p.rlimit_nofile = static_cast<std::int64_t>(own.rlim_max);
    }
    p.rlimit_core = config.integer(section, "rlimit_core_bytes");
    for (const auto& text : config.list(section, "listen")) {
      auto spec = config::parse_listen(text);
      if (!spec) return fail(Errc::invalid, section + ".listen: " + text + ": " + spec.error().detail);
      if (spec->proto != config::ListenSpec::Proto::unix_stream) spec->port = map_port(spec->port, map_ports, offset);
      p.listen.push_back(*spec);
    }
    if (::access(p.binary.c_str(), X_OK) != 0) {
      return fail(Errc::not_found, section + ": binary " + p.binary + " is missing or not executable");
    }
    if (s.privileged) {
      p.user = config.string(section, "user").empty() ? "parley-" + name : config.string(section, "user");
      auto account = lookup_user(p.user);
      if (!account) return fail(account.code(), section + ": " + account.error().detail);
      p.uid = account->uid;
      p.gid = account->gid;
    } else {
      p.uid = ::getuid();
      p.gid = ::getgid();
      if (passwd* pw = ::getpwuid(p.uid)) p.user = pw->pw_name;
    }
    specs.push_back(std::move(p));
  }

  // Two processes must not share a user: that would let each read the
  // other's data and connect to its services.
  if (s.privileged) {
    std::map<uid_t, std::string> owners;
    for (const auto& p : specs) {
      auto [it, fresh] = owners.emplace(p.uid, p.name);
      if (!fresh) return fail(Errc::invalid, "process." + p.name + ": user " + p.user + " is also used by " + it->second);
    }
  }

  for (auto& p : specs) {
    auto decl = describe(p, s.privileged);
    if (!decl) return fail(decl.code(), "process." + p.name + ": " + decl.error().detail);
    p.decl = std::move(decl.value());
    std::set<std::string> accepted(p.decl.listeners().begin(), p.decl.listeners().end());
    for (const auto& l : p.listen) {
      if (!accepted.contains(l.name)) {
        std::string known;
        for (const auto& a : accepted) known += (known.empty() ? "" : ", ") + a;
        return fail(Errc::invalid, "process." + p.name + ".listen: " + p.name + " has no listener named '" +
                                       l.name + "' (it has: " + (known.empty() ? "none" : known) + ")");
      }
    }
  }
  // Shared data directories belong to a group of just their processes.
  for (auto& p : specs) {
    for (const auto& share : p.decl.shares()) {
      gid_t gid = p.gid;
      if (s.privileged) {
        gid = lookup_group("parley-" + share);
        if (gid == 0) {
          return fail(Errc::not_found, "process." + p.name + ": group parley-" + share +
                                           " does not exist (scripts/setup or systemd-sysusers creates it)");
        }
        p.groups.push_back(gid);
      }
      p.shares.push_back({share, gid});
    }
  }
  // The groups of the processes each one uses, so it may reach their sockets.
  std::map<std::string, gid_t> gids;
  for (const auto& p : specs) gids[p.name] = p.gid;
  for (auto& p : specs) {
    for (const auto& dep : p.decl.uses()) {
      auto it = gids.find(dep);
      if (it != gids.end() && it->second != p.gid) p.groups.push_back(it->second);
    }
  }

  s.processes = dependency_order(std::move(specs));
  return s;
}

}  // namespace parley::supervisor
