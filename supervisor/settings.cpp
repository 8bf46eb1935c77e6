#include "supervisor/settings.h"

#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "config/common.h"
#include "core/users.h"
#include "daemon/daemon.h"
#include "supervisor/spawn.h"

namespace parley::supervisor {

namespace {

constexpr std::string_view kSection = "supervisor";
constexpr std::string_view kDirectory = "directory";

constexpr std::int64_t kDayS = 86400;
constexpr std::int64_t kHourMs = 3600 * 1000;
constexpr std::int64_t kTenMinutesMs = 600 * 1000;

const config::String kAdminGroup{
    .section = kSection, .key = "admin_group", .default_value = "parley-admin",
    .doc = "The group, besides root, that may use the control socket."};
const config::Integer kRestartBackoffInitialMs{
    .section = kSection, .key = "restart_backoff_initial_ms", .default_value = 100, .min = 1, .max = kTenMinutesMs,
    .doc = "The wait before restarting a crashed process the first time; later restarts "
           "wait longer, up to restart_backoff_max_ms."};
const config::Integer kRestartBackoffMaxMs{
    .section = kSection, .key = "restart_backoff_max_ms", .default_value = 30000, .min = 1, .max = kHourMs,
    .doc = "The longest wait before a restart."};
const config::Integer kCrashLoopCount{
    .section = kSection, .key = "crash_loop_count", .default_value = 5,
    .min = 1, .max = 1000,
    .doc = "This many crashes within crash_loop_window_s mark a process failed: it is not "
           "restarted until `parleyctl start`."};
const config::Integer kCrashLoopWindowS{
    .section = kSection, .key = "crash_loop_window_s", .default_value = 60, .min = 1, .max = kDayS,
    .doc = "The window in which crash_loop_count crashes are counted."};
const config::Integer kStableAfterS{
    .section = kSection, .key = "stable_after_s", .default_value = 10,
    .min = 1, .max = kDayS,
    .doc = "A process up this long has its restart backoff reset."};
const config::Integer kStopTimeoutMs{
    .section = kSection, .key = "stop_timeout_ms", .default_value = 10000, .min = 0, .max = kTenMinutesMs,
    .doc = "How long a stopping process may drain its work before SIGKILL."};
const config::Integer kReadyTimeoutMs{
    .section = kSection, .key = "ready_timeout_ms", .default_value = 10000, .min = 100, .max = kTenMinutesMs,
    .doc = "A started process not ready by then is killed and counted as a crash."};

}  // namespace

const config::String kControlSocket{
    .section = kSection, .key = "control_socket", .default_value = "",
    .doc = "The socket parleyctl talks to; empty: RUNTIME_DIR/parleyd.sock."};

const config::String kFirstRunDomain{
    .section = kDirectory, .key = "first_run_domain", .default_value = "",
    .doc = "The main domain parleyd creates when the directory is empty; empty: the host name."};
const config::List kFirstRunAccounts{
    .section = kDirectory, .key = "first_run_accounts", .default_value = {"postmaster"},
    .doc = "Accounts created with it, each with a random password printed once on parleyd's standard output."};
const config::String kFirstRunPasswordFile{
    .section = kDirectory, .key = "first_run_password_file", .default_value = "",
    .doc = "Also write those passwords to this file (mode 0600, account<TAB>password lines); empty: do not."};

namespace {

config::SectionDecl supervisor_section() {
  return {.name = std::string(kSection),
          .doc = "parleyd: restarting processes, crash loops, the control socket.",
          .keys = {kControlSocket, kAdminGroup, kRestartBackoffInitialMs, kRestartBackoffMaxMs, kCrashLoopCount,
                   kCrashLoopWindowS, kStableAfterS, kStopTimeoutMs, kReadyTimeoutMs}};
}

// parleyd's keys of [directory], added to the directory program's own
// section (whose doc is kept; this one shows only without it).
config::SectionDecl first_run_section() {
  return {.name = std::string(kDirectory),
          .doc = "What parleyd creates when the directory is empty.",
          .keys = {kFirstRunDomain, kFirstRunAccounts, kFirstRunPasswordFile}};
}

// RLIMIT_NOFILE for a child: raising a hard limit needs CAP_SYS_RESOURCE,
// which parleyd does not keep (nor have in many containers), so stay within
// parleyd's own. nullopt: `wanted` is within it.
std::optional<std::int64_t> nofile_cap(std::int64_t wanted) {
  rlimit own{};
  if (::getrlimit(RLIMIT_NOFILE, &own) == 0 && own.rlim_max != RLIM_INFINITY && static_cast<rlim_t>(wanted) > own.rlim_max) {
    return static_cast<std::int64_t>(own.rlim_max);
  }
  return std::nullopt;
}

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

config::Schema base_schema() {
  return {config::server_section(), supervisor_section(), config::process_section()};
}

Result<config::Schema> file_schema(const std::vector<schema::ProcessDecl>& programs) {
  config::Schema schema = {config::server_section(), supervisor_section()};
  for (const auto& decl : programs) {
    auto sections = daemon::settings_of(decl);
    if (!sections) return fail(Errc::invalid, "process " + decl.name() + ": " + sections.error().detail);
    for (const auto& section : *sections) {
      if (section.name == kSection) {
        return fail(Errc::invalid, "process " + decl.name() + ": section " + section.name + " is parleyd's");
      }
      if (auto status = config::merge(schema, section); !status) {
        return fail(Errc::invalid, "process " + decl.name() + ": " + status.error().detail);
      }
    }
  }
  if (auto status = config::merge(schema, first_run_section()); !status) return status.error();
  schema.push_back(config::process_section());
  return schema;
}

namespace {

// Describes a program the file does not start (a shipped one), as its own
// user when privileged. nullopt when its binary or user is missing.
std::optional<Result<schema::ProcessDecl>> describe_unstarted(const std::string& name, const std::string& dir,
                                                             bool privileged) {
  ProcessSpec p;
  p.name = name;
  p.binary = dir + "/" + name;
  if (::access(p.binary.c_str(), X_OK) != 0) return std::nullopt;
  if (privileged) {
    auto account = lookup_user("parley-" + name);
    if (!account) return std::nullopt;
    p.uid = account->uid;
    p.gid = account->gid;
  } else {
    p.uid = ::getuid();
    p.gid = ::getgid();
  }
  p.rlimit_nofile = nofile_cap(config::kProcessRlimitNofile.default_value).value_or(config::kProcessRlimitNofile.default_value);
  return describe(p, privileged);
}

// The declarations of the shipped programs the file does not start.
Result<std::vector<schema::ProcessDecl>> describe_shipped(const std::string& dir, const std::set<std::string>& started) {
  std::vector<schema::ProcessDecl> out;
  for (const auto name : kShippedPrograms) {
    if (started.contains(std::string(name))) continue;
    auto decl = describe_unstarted(std::string(name), dir, ::geteuid() == 0);
    if (!decl) continue;
    if (!*decl) return fail(decl->code(), std::string(name) + ": " + decl->error().detail);
    out.push_back(std::move(decl->value()));
  }
  return out;
}

// The started programs' declarations, then the other shipped ones', in
// etc/parley.conf's order.
std::vector<schema::ProcessDecl> in_file_order(const Settings& settings, std::vector<schema::ProcessDecl> shipped) {
  std::vector<schema::ProcessDecl> out;
  for (const auto name : kShippedPrograms) {
    for (const auto& p : settings.processes) {
      if (p.name == name) out.push_back(p.decl);
    }
    for (auto& d : shipped) {
      if (d.name() == name) out.push_back(std::move(d));
    }
  }
  for (const auto& p : settings.processes) {
    if (std::find(std::begin(kShippedPrograms), std::end(kShippedPrograms), p.name) == std::end(kShippedPrograms)) {
      out.push_back(p.decl);
    }
  }
  return out;
}

}  // namespace

Result<config::Schema> shipped_schema(const std::string& dir) {
  std::vector<schema::ProcessDecl> programs;
  for (const auto name : kShippedPrograms) {
    auto decl = describe_unstarted(std::string(name), dir, ::geteuid() == 0);
    if (!decl) return fail(Errc::not_found, std::string(name) + ": no program " + dir + "/" + std::string(name));
    if (!*decl) return fail(decl->code(), std::string(name) + ": " + decl->error().detail);
    programs.push_back(std::move(decl->value()));
  }
  return file_schema(programs);
}

Result<std::string> default_file_text(const std::string& dir) {
  auto schema = shipped_schema(dir);
  if (!schema) return schema.error();
  return config::default_file_text(*schema);
}

Result<Loaded> load(const std::string& path) {
  auto text = config::read_file(path);
  if (!text) return text.error();
  const std::string dir = program_dir();
  // First what parleyd itself reads, which names the programs; then the
  // whole file against what those programs (and the shipped ones) declare.
  auto base = config::Config::parse(*text, path, base_schema(), config::Unknown::skip);
  Result<Settings> settings = base ? resolve(*base, dir) : Result<Settings>(base.error());
  std::set<std::string> started;
  if (settings) {
    for (const auto& p : settings->processes) started.insert(p.name);
  }
  auto shipped = describe_shipped(dir, started);
  if (!shipped) return fail(shipped.code(), path + ": " + shipped.error().detail);
  if (!settings) {
    // Every error in the file at once: the shipped programs' sections are
    // still checked; those of programs not learnt are left alone.
    auto schema = file_schema(*shipped);
    if (schema) {
      auto whole = config::Config::parse(*text, path, std::move(*schema), config::Unknown::skip);
      if (!whole) return whole.error();
    }
    if (!base) return base.error();
    return fail(settings.code(), path + ": " + settings.error().detail);
  }
  auto schema = file_schema(in_file_order(*settings, std::move(*shipped)));
  if (!schema) return fail(schema.code(), path + ": " + schema.error().detail);
  auto config = config::Config::parse(*text, path, std::move(*schema));
  if (!config) return config.error();
  return Loaded{std::move(config.value()), std::move(settings.value())};
}

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

Result<Settings> resolve(const config::Config& config, const std::string& self_dir) {
  Settings s;
  s.privileged = ::geteuid() == 0;
  s.runtime_dir = absolute_path(config.get(config::kRuntimeDir));
  s.data_dir = absolute_path(config.get(config::kDataDir));
  s.log_dir = absolute_path(config.get(config::kLogDir));
  s.control_socket = config.get(kControlSocket).empty() ? s.runtime_dir + "/parleyd.sock"
                                                        : absolute_path(config.get(kControlSocket));
  s.admin_group = config.get(kAdminGroup);
  s.admin_gid = lookup_group(s.admin_group);
  s.backoff_initial = std::chrono::milliseconds(config.get(kRestartBackoffInitialMs));
  s.backoff_max = std::chrono::milliseconds(config.get(kRestartBackoffMaxMs));
  s.crash_loop_count = static_cast<int>(config.get(kCrashLoopCount));
  s.crash_loop_window = std::chrono::seconds(config.get(kCrashLoopWindowS));
  s.stable_after = std::chrono::seconds(config.get(kStableAfterS));
  s.stop_timeout = std::chrono::milliseconds(config.get(kStopTimeoutMs));
  s.ready_timeout = std::chrono::milliseconds(config.get(kReadyTimeoutMs));

  const std::string& map_setting = config.get(config::kMapLowPorts);
  bool map_ports = map_setting == "on" || (map_setting == "auto" && !s.privileged);
  std::int64_t offset = config.get(config::kLowPortOffset);

  std::vector<ProcessSpec> specs;
  for (const auto& name : config.instances("process")) {
    std::string section = "process." + name;
    if (!config.get(config::kProcessEnabled, name)) continue;
    ProcessSpec p;
    p.name = name;
    const std::string& binary = config.get(config::kProcessBinary, name);
    p.binary = binary.empty() ? self_dir + "/" + name : absolute_path(binary);
    p.args = config.get(config::kProcessArgs, name);
    p.rlimit_nofile = config.get(config::kProcessRlimitNofile, name);
    if (auto cap = nofile_cap(p.rlimit_nofile)) {
      s.warnings.push_back(section + ".rlimit_nofile: " + std::to_string(p.rlimit_nofile) + " is above parleyd's own hard limit " +
                           std::to_string(*cap) + "; using " + std::to_string(*cap) +
                           " (raise LimitNOFILE= in parleyd.service)");
      p.rlimit_nofile = *cap;
    }
    p.rlimit_core = config.get(config::kProcessRlimitCoreBytes, name);
    for (const auto& text : config.get(config::kProcessListen, name)) {
      auto spec = config::parse_listen(text);
      if (!spec) return fail(Errc::invalid, section + ".listen: " + text + ": " + spec.error().detail);
      if (spec->proto != config::ListenSpec::Proto::unix_stream) spec->port = map_port(spec->port, map_ports, offset);
      p.listen.push_back(*spec);
    }
    if (::access(p.binary.c_str(), X_OK) != 0) {
      return fail(Errc::not_found, section + ": binary " + p.binary + " is missing or not executable");
    }
    if (s.privileged) {
      const std::string& user = config.get(config::kProcessUser, name);
      p.user = user.empty() ? "parley-" + name : user;
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
    auto sections = daemon::settings_of(p.decl);
    if (!sections) return fail(sections.code(), "process." + p.name + ": " + sections.error().detail);
    p.schema = daemon::process_schema(std::move(sections.value()));
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
