// What parleyd takes from parley.conf, resolved against the machine: users
// looked up, paths made absolute, listener ports mapped, each process's
// declaration read from its binary (`--describe`), config keys included.
// Shared by parleyd and `parleyctl check-config`, so that both find the
// same problems.
//
// parleyd declares [supervisor] and the first_run_* keys of [directory]
// (what it does when the directory is empty); [server] and [process.*] are
// every process's (config/common.h); every other section is declared by
// the program that reads it and learnt from its --describe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/listen.h"
#include "core/result.h"
#include "schema/control.pb.h"

namespace parley::supervisor {

// supervisor.control_socket, which parleyctl reads too.
extern const config::String kControlSocket;

// [directory] keys parleyd reads (supervisor.cpp, first_run).
extern const config::String kFirstRunDomain;
extern const config::List kFirstRunAccounts;
extern const config::String kFirstRunPasswordFile;

// The programs Parley ships, in etc/parley.conf's order. Their sections
// are known whether or not the file starts them (the shipped file has
// [smtpd] and no [process.smtpd]); a program missing from parleyd's
// directory is left out.
inline constexpr std::string_view kShippedPrograms[] = {"directory", "smtpd", "router", "dequeuer",
                                                        "local-delivery", "imapd", "sipd", "media"};

// What parleyd reads before it knows its programs: [server], [supervisor]
// and [process.*].
config::Schema base_schema();
// The whole file's: the base, the programs' own sections (declarations),
// parleyd's [directory] keys, in etc/parley.conf's order. Errc::invalid
// when two programs declare one key differently, or a program declares
// [supervisor].
Result<config::Schema> file_schema(const std::vector<schema::ProcessDecl>& programs);
// file_schema() of the shipped programs described from `dir`; each must answer.
Result<config::Schema> shipped_schema(const std::string& dir);
// etc/parley.conf: config::default_file_text() of shipped_schema().
Result<std::string> default_file_text(const std::string& dir);

struct ProcessSpec {
  std::string name;
  std::string binary;
  std::vector<std::string> args;
  std::vector<config::ListenSpec> listen;  // ports already mapped
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary: the groups of the processes it uses, and of its shares
  struct Share {
    std::string name;  // DATA_DIR/NAME
    gid_t gid = 0;     // parley-NAME (its own group when not privileged)
  };
  std::vector<Share> shares;  // data directories shared with other processes (decl.shares)
  std::int64_t rlimit_nofile = 0;
  std::int64_t rlimit_core = 0;
  schema::ProcessDecl decl;   // from the binary
  config::Schema schema;      // what its configuration holds: [server], its sections, [process.*]

  // What needs a restart when it changes (everything but log level and
  // the process's own settings, which a reload hands over).
  bool same_launch(const ProcessSpec& other) const;
};

struct Settings {
  bool privileged = false;  // parleyd runs as root: children get their own users
  std::string runtime_dir;
  std::string data_dir;
  std::string log_dir;
  std::string control_socket;
  std::string admin_group;
  gid_t admin_gid = 0;      // 0: the group does not exist
  std::chrono::milliseconds backoff_initial{};
  std::chrono::milliseconds backoff_max{};
  int crash_loop_count = 0;
  std::chrono::seconds crash_loop_window{};
  std::chrono::seconds stable_after{};
  std::chrono::milliseconds stop_timeout{};
  std::chrono::milliseconds ready_timeout{};
  std::vector<ProcessSpec> processes;  // enabled ones, in dependency order
  std::vector<std::string> warnings;    // worth telling the administrator; not errors
};

// `self_dir` is the folder of parleyd's binary, where process binaries are
// looked for by default. Runs each binary with --describe (under its own
// user when privileged). Reads only base_schema() keys. Errors name the
// process and what is wrong.
Result<Settings> resolve(const config::Config& config, const std::string& self_dir);

// The folder of the running program (parleyd or parleyctl): where the
// process binaries are by default.
std::string program_dir();

struct Loaded {
  config::Config config;
  Settings settings;
};
// parley.conf read, checked and resolved: what both `parleyd --check-config`
// and `parleyctl check-config` report. The file is checked against the
// declarations of the processes it starts and of the shipped programs;
// errors name the file (and line), all of them at once when the file
// itself is wrong.
Result<Loaded> load(const std::string& path);

// `path` made absolute against the current directory. Children inherit
// parleyd's working directory, so relative paths in parley.conf (the
// development configuration's ./var) mean the same to all of them.
std::string absolute_path(const std::string& path);

}  // namespace parley::supervisor
