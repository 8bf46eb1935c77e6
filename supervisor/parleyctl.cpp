// parleyctl: the administrator's tool. Talks only to parleyd's control
// socket (root, parleyd's user, or the admin group): length-prefixed
// AdminRequest/AdminReply records (core/frame.h); parleyd forwards
// directory and queue requests to the process that owns the data.
//
// Exit codes, for scripts:
//   0  done (status: every enabled process is ready)
//   1  parleyd refused or the request failed (status: a process is not ready)
//   2  usage
//   3  parleyd is not reachable (not running, or no permission)
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/fd.h"
#include "core/frame.h"
#include "daemon/log_setup.h"
#include "log/log.h"
#include "schema/control.pb.h"
#include "schema/directory.pb.h"
#include "supervisor/settings.h"

namespace {

using namespace parley;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
constexpr const char* kDefaultConfig = "/etc/parley/parley.conf";
constexpr const char* kDefaultSocket = "/run/parley/parleyd.sock";
constexpr int kReplyTimeoutMs = 30 * 60 * 1000;  // restarts wait for readiness; imports take long

void usage(std::FILE* out) {
  std::fputs(
      "usage: parleyctl [--config FILE | --socket PATH] [--json] COMMAND\n"
      "commands:\n"
      "  status                      every process: state, pid, uptime, restarts, RSS, last exit\n"
      "  start PROC | stop PROC | restart PROC\n"
      "  reload                      re-read parley.conf (like SIGHUP to parleyd)\n"
      "  log-level PROC LEVEL        trace, debug, info, warn, error, critical, off (PROC may be parleyd)\n"
      "  check-config                validate parley.conf and the process binaries (no parleyd needed)\n"
      "directory (see docs/directory.md):\n"
      "  domain add|list|show|remove|alias-add|alias-remove|set ...\n"
      "  account add|list|show|remove|rename|passwd|set|alias-add|alias-remove ...\n"
      "  account app-password-add|app-password-remove ADDRESS NAME\n"
      "  forwarder add|list|remove ...   group add|list|show|remove|member-add|member-remove ...\n"
      "  cos set NAME k=v ...   defaults set k=v ...   resolve ADDRESS\n"
      "  import FILE|-   export [DOMAIN]   (tab-separated, header row; import is all or nothing)\n"
      "  backup                      a consistent copy of the directory's database, made while it runs\n"
      "Passwords are read from the terminal (not echoed) or from standard input, never from arguments.\n"
      "The socket is found from --socket, $PARLEY_SOCKET, or parley.conf (--config,\n"
      "$PARLEY_CONFIG, /etc/parley/parley.conf).\n",
      out);
}

std::string state_name(schema::ProcState s) {
  std::string name = schema::ProcState_Name(s);
  if (name.rfind("PROC_", 0) == 0) name = name.substr(5);
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return name;
}

std::string human_duration(std::uint64_t ms) {
  std::uint64_t s = ms / 1000;
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60), static_cast<unsigned long long>(s % 60));
  else std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600), static_cast<unsigned long long>(s / 60 % 60));
  return buf;
}

void print_status(const schema::AdminReply& reply, bool json) {
  if (json) {
    std::string out = "{\"ok\":" + std::string(reply.ok() ? "true" : "false");
    if (!reply.error().empty()) out += ",\"error\":" + log::json_quote(reply.error());
    out += ",\"generation\":" + std::to_string(reply.generation()) + ",\"processes\":[";
    for (int i = 0; i < reply.procs_size(); ++i) {
      const auto& p = reply.procs(i);
      out += std::string(i ? "," : "") + "{\"name\":" + log::json_quote(p.name()) +
             ",\"state\":" + log::json_quote(state_name(p.state())) + ",\"pid\":" + std::to_string(p.pid()) +
             ",\"uptime_ms\":" + std::to_string(p.uptime_ms()) + ",\"restarts\":" + std::to_string(p.restarts()) +
             ",\"rss_bytes\":" + std::to_string(p.rss_bytes()) + ",\"last_exit\":" + log::json_quote(p.last_exit()) +
             ",\"user\":" + log::json_quote(p.user()) + ",\"status\":" + log::json_quote(p.text()) + "}";
    }
    std::printf("%s]}\n", out.c_str());
    return;
  }
  if (!reply.error().empty()) std::printf("error: %s\n", reply.error().c_str());
  std::printf("%-16s %-9s %8s %8s %8s %9s  %-18s %s\n", "PROCESS", "STATE", "PID", "UPTIME", "RESTARTS", "RSS", "USER", "LAST EXIT");
  for (const auto& p : reply.procs()) {
    std::string pid = p.pid() ? std::to_string(p.pid()) : "-";
    std::string up = p.uptime_ms() ? human_duration(p.uptime_ms()) : "-";
    std::string rss = p.rss_bytes() ? std::to_string(p.rss_bytes() / 1024) + "K" : "-";
    std::printf("%-16s %-9s %8s %8s %8u %9s  %-18s %s\n", p.name().c_str(), state_name(p.state()).c_str(), pid.c_str(),
                up.c_str(), p.restarts(), rss.c_str(), p.user().c_str(), p.last_exit().empty() ? "-" : p.last_exit().c_str());
  }
}

// --config, else $PARLEY_CONFIG, else the system file.
std::string config_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("PARLEY_CONFIG");
  return env ? env : kDefaultConfig;
}

std::string find_socket(const std::string& socket_flag, const std::string& config_flag) {
  if (!socket_flag.empty()) return socket_flag;
  if (const char* env = std::getenv("PARLEY_SOCKET")) return env;
  std::string path = config_path(config_flag);
  auto config = config::Config::load_file(path);
  if (!config) {
    if (!config_flag.empty()) std::fprintf(stderr, "parleyctl: %s\n", config.error().detail.c_str());
    return kDefaultSocket;
  }
  const std::string& explicit_socket = config->string("supervisor", "control_socket");
  if (!explicit_socket.empty()) return supervisor::absolute_path(explicit_socket);
  return supervisor::absolute_path(config->string("server", "runtime_dir")) + "/parleyd.sock";
}

// One request, one reply. Returns the exit code on transport failure.
int exchange(const std::string& socket_path, const schema::AdminRequest& request, schema::AdminReply& reply) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    std::fprintf(stderr, "parleyctl: socket path too long\n");
    return kExitUsage;
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "parleyctl: cannot reach parleyd at %s: %s\n", socket_path.c_str(), std::strerror(errno));
    return kExitUnreachable;
  }
  if (auto s = write_frame(fd.get(), request.SerializeAsString()); !s) {
    std::fprintf(stderr, "parleyctl: send: %s\n", s.error().detail.c_str());
    return kExitUnreachable;
  }
  auto frame = read_frame(fd.get(), kReplyTimeoutMs);
  if (!frame && frame.code() == Errc::timeout) {
    std::fprintf(stderr, "parleyctl: no reply from parleyd\n");
    return kExitUnreachable;
  }
  if (!frame || !frame->has_value() || !reply.ParseFromString(**frame)) {
    std::fprintf(stderr, "parleyctl: parleyd closed the connection (permission denied?)\n");
    return kExitUnreachable;
  }
  return kExitOk;
}

// A password from the terminal without echo, or one line of standard input.
std::optional<std::string> read_password(const char* prompt) {
  std::string line;
  if (::isatty(STDIN_FILENO)) {
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    std::fprintf(stderr, "%s", prompt);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    bool got = static_cast<bool>(std::getline(std::cin, line));
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
    if (!got) return std::nullopt;
  } else if (!std::getline(std::cin, line)) {
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Nouns whose requests go to the directory process.
bool directory_noun(const std::string& noun) {
  for (const char* n : {"domain", "account", "forwarder", "group", "cos", "defaults", "resolve", "import", "export", "backup"}) {
    if (noun == n) return true;
  }
  return false;
}

// Builds the directory request for `words`; returns an exit code on error.
int directory_request(const std::vector<std::string>& words, schema::DirectoryAdminRequest& out) {
  const std::string& noun = words[0];
  std::size_t first = 1;
  if (noun == "resolve" || noun == "import" || noun == "export" || noun == "backup") {
    out.set_op(noun);
  } else {
    if (words.size() < 2) return kExitUsage;
    out.set_op(noun + "." + words[1]);
    first = 2;
  }
  for (std::size_t i = first; i < words.size(); ++i) {
    auto eq = words[i].find('=');
    // name=value sets something, except in an address-like argument.
    if (eq != std::string::npos && eq > 0 && words[i].find('@') > eq) {
      (*out.mutable_options())[words[i].substr(0, eq)] = words[i].substr(eq + 1);
    } else {
      out.add_args(words[i]);
    }
  }
  if (out.op() == "import") {
    if (out.args_size() != 1) return kExitUsage;
    std::stringstream text;
    if (out.args(0) == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(out.args(0), std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "parleyctl: cannot read %s\n", out.args(0).c_str());
        return kExitFailed;
      }
      text << in.rdbuf();
    }
    out.set_table(text.str());
    out.clear_args();
  }
  if (out.op() == "account.add" || out.op() == "account.passwd") {
    auto password = read_password("Password: ");
    if (!password || (password->empty() && out.op() == "account.passwd")) {
      std::fprintf(stderr, "parleyctl: no password given\n");
      return kExitUsage;
    }
    if (::isatty(STDIN_FILENO) && !password->empty()) {
      auto again = read_password("Again: ");
      if (!again || *again != *password) {
        std::fprintf(stderr, "parleyctl: the passwords differ\n");
        return kExitUsage;
      }
    }
    out.set_secret(*password);
  }
  return kExitOk;
}

void print_rows(const schema::DirectoryAdminReply& reply, bool json) {
  if (json) {
    std::string out = "{\"ok\":true,\"rows\":[";
    for (int i = 0; i < reply.rows_size(); ++i) {
      out += i ? ",{" : "{";
      bool first = true;
      for (const auto& col : reply.columns()) {
        auto it = reply.rows(i).fields().find(col);
        out += std::string(first ? "" : ",") + log::json_quote(col) + ":" + log::json_quote(it == reply.rows(i).fields().end() ? "" : it->second);
        first = false;
      }
      out += "}";
    }
    out += "]";
    if (!reply.generated().empty()) {
      out += ",\"generated\":[";
      for (int i = 0; i < reply.generated_size(); ++i) out += (i ? "," : "") + log::json_quote(reply.generated(i));
      out += "]";
    }
    std::printf("%s}\n", out.c_str());
    return;
  }
  if (!reply.text().empty()) std::fputs(reply.text().c_str(), stdout);
  if (reply.columns_size() > 0 && reply.rows_size() > 0) {
    std::vector<std::size_t> width;
    for (const auto& col : reply.columns()) width.push_back(col.size());
    for (const auto& r : reply.rows()) {
      for (int c = 0; c < reply.columns_size(); ++c) {
        auto it = r.fields().find(reply.columns(c));
        if (it != r.fields().end()) width[static_cast<std::size_t>(c)] = std::max(width[static_cast<std::size_t>(c)], it->second.size());
      }
    }
    auto line = [&](auto value_of) {
      std::string out;
      for (int c = 0; c < reply.columns_size(); ++c) {
        std::string v = value_of(c);
        out += v;
        if (c + 1 < reply.columns_size()) out += std::string(width[static_cast<std::size_t>(c)] - v.size() + 2, ' ');
      }
      while (!out.empty() && out.back() == ' ') out.pop_back();
      std::printf("%s\n", out.c_str());
    };
    line([&](int c) {
      std::string h = reply.columns(c);
      for (auto& ch : h) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return h;
    });
    for (const auto& r : reply.rows()) {
      line([&](int c) {
        auto it = r.fields().find(reply.columns(c));
        return it == r.fields().end() ? std::string() : it->second;
      });
    }
  }
  for (const auto& g : reply.generated()) std::printf("%s\n", g.c_str());
}

int check_config(const std::string& config_flag) {
  std::string path = config_path(config_flag);
  auto loaded = supervisor::load(path);
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().detail.c_str());
    return kExitFailed;
  }
  for (const auto& w : loaded->settings.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  std::printf("%s: configuration OK (%zu processes)\n", path.c_str(), loaded->settings.processes.size());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_flag, config_flag;
  bool json = false;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--socket" && i + 1 < argc) socket_flag = argv[++i];
    else if (arg == "--config" && i + 1 < argc) config_flag = argv[++i];
    else if (arg == "--json") json = true;
    else if (arg == "--help" || arg == "-h") { usage(stdout); return kExitOk; }
    else if (arg.starts_with("--")) { usage(stderr); return kExitUsage; }
    else words.push_back(arg);
  }
  if (words.empty()) {
    usage(stderr);
    return kExitUsage;
  }
  const std::string& cmd = words[0];
  if (cmd == "check-config" && words.size() == 1) return check_config(config_flag);

  schema::AdminRequest request;
  if (directory_noun(cmd)) {
    schema::DirectoryAdminRequest inner;
    if (int rc = directory_request(words, inner); rc != kExitOk) {
      if (rc == kExitUsage) usage(stderr);
      return rc;
    }
    auto* fwd = request.mutable_forward();
    fwd->set_proc("directory");
    fwd->set_method("directory.admin");
    fwd->set_payload(inner.SerializeAsString());
    schema::AdminReply reply;
    if (int rc = exchange(find_socket(socket_flag, config_flag), request, reply); rc != kExitOk) return rc;
    schema::DirectoryAdminReply answer;
    if (!reply.ok() || !answer.ParseFromString(reply.payload())) {
      if (json) std::printf("{\"ok\":false,\"error\":%s}\n", log::json_quote(reply.error()).c_str());
      else std::fprintf(stderr, "parleyctl: %s\n", reply.error().empty() ? "bad reply" : reply.error().c_str());
      return kExitFailed;
    }
    print_rows(answer, json);
    if (!json && answer.rows_size() == 0 && answer.text().empty() && answer.generated().empty()) std::printf("ok\n");
    return kExitOk;
  } else if (cmd == "status" && words.size() == 1) {
    request.mutable_status();
  } else if ((cmd == "start" || cmd == "stop" || cmd == "restart") && words.size() == 2) {
    auto* proc = request.mutable_proc();
    proc->set_proc(words[1]);
    proc->set_action(cmd == "start" ? schema::PROC_START : cmd == "stop" ? schema::PROC_STOP : schema::PROC_RESTART);
  } else if (cmd == "reload" && words.size() == 1) {
    request.mutable_reload();
  } else if (cmd == "log-level" && words.size() == 3) {
    auto level = log::parse_level(words[2]);
    if (!level) {
      std::fprintf(stderr, "parleyctl: unknown level %s\n", words[2].c_str());
      return kExitUsage;
    }
    request.mutable_log_level()->set_proc(words[1]);
    request.mutable_log_level()->set_level(parley::daemon::to_schema(*level));
  } else {
    usage(stderr);
    return kExitUsage;
  }

  schema::AdminReply reply;
  if (int rc = exchange(find_socket(socket_flag, config_flag), request, reply); rc != kExitOk) return rc;
  if (cmd == "status") {
    print_status(reply, json);
    if (!reply.ok()) return kExitFailed;
    for (const auto& p : reply.procs()) {
      if (p.state() != schema::PROC_READY && p.state() != schema::PROC_STOPPED) return kExitFailed;
    }
    return kExitOk;
  }
  if (json) {
    std::printf("{\"ok\":%s,\"error\":%s}\n", reply.ok() ? "true" : "false", log::json_quote(reply.error()).c_str());
  } else if (!reply.ok()) {
    std::fprintf(stderr, "parleyctl: %s\n", reply.error().c_str());
  } else {
    std::printf("ok\n");
  }
  return reply.ok() ? kExitOk : kExitFailed;
}
