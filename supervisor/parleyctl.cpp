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

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/common.h"
#include "config/config.h"
#include "core/fd.h"
#include "core/frame.h"
#include "daemon/log_setup.h"
#include "ipc/contracts/dequeuer.h"
#include "ipc/contracts/directory.h"
#include "ipc/contracts/media.h"
#include "ipc/contracts/sipd.h"
#include "log/log.h"
#include "schema/control.pb.h"
#include "schema/directory.pb.h"
#include "schema/envelope.pb.h"
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
      "  forwarder add|list|remove ...   group add|list|show|set|remove|member-add|member-remove ...\n"
      "  cos set NAME k=v ...   defaults set k=v ...   resolve ADDRESS\n"
      "  import FILE|-   export [DOMAIN]   (tab-separated, header row; import is all or nothing)\n"
      "  backup                      a consistent copy of the directory's database, made while it runs\n"
      "SIP:\n"
      "  sip registrations [ACCOUNT]  registered contacts (of one account), with their flows and expiry\n"
      "  sip calls                   answered calls in progress\n"
      "  media calls                 calls through the media relay: where each side sends from, packets\n"
      "  sip trunks                  the SIP trunks sipd registers to, their state and last answer\n"
      "  sip unregister ACCOUNT      remove every registration of an account\n"
      "  sip allow ACCOUNT WATCHER   let WATCHER (user@domain) of another domain see ACCOUNT's presence and calls\n"
      "  sip deny ACCOUNT WATCHER    take that back (its subscriptions end)\n"
      "mail queue (IDs are queue ids: 20 lowercase hex digits):\n"
      "  queue [summary]             per destination: messages, recipients, age of the oldest; totals\n"
      "  queue list                  one line per message\n"
      "  queue show ID...            the envelope, the client, each recipient's state\n"
      "  queue flush [ID...]         try these (or every message not held) now\n"
      "  queue delete ID...          remove without a bounce\n"
      "  queue hold ID...            keep from delivery until released\n"
      "  queue release ID...\n"
      "Passwords are read from the terminal (not echoed) or from standard input, never from arguments.\n"
      "The socket is found from --socket, $PARLEY_SOCKET, or parley.conf (--config,\n"
      "$PARLEY_CONFIG, /etc/parley/parley.conf).\n",
      out);
}

// An enum value's name without its prefix, lowercased: PROC_READY -> ready.
std::string enum_word(std::string name, std::string_view prefix) {
  if (name.starts_with(prefix)) name = name.substr(prefix.size());
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return name;
}

std::string state_name(schema::ProcState s) { return enum_word(schema::ProcState_Name(s), "PROC_"); }

std::string human_duration(std::uint64_t ms) {
  std::uint64_t s = ms / 1000;
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60), static_cast<unsigned long long>(s % 60));
  else if (s < 86400) std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600), static_cast<unsigned long long>(s / 60 % 60));
  else std::snprintf(buf, sizeof buf, "%llud%02lluh", static_cast<unsigned long long>(s / 86400), static_cast<unsigned long long>(s / 3600 % 24));
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
    // The process's own status line (daemon::Context::set_status), if it gives one.
    if (!p.text().empty()) std::printf("%-16s %s\n", "", p.text().c_str());
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
  // Only parleyd's own sections matter here; the programs' are not learnt.
  auto config = config::Config::load_file(path, supervisor::base_schema(), config::Unknown::skip);
  if (!config) {
    if (!config_flag.empty()) std::fprintf(stderr, "parleyctl: %s\n", config.error().detail.c_str());
    return kDefaultSocket;
  }
  const std::string& explicit_socket = config->get(supervisor::kControlSocket);
  if (!explicit_socket.empty()) return supervisor::absolute_path(explicit_socket);
  return supervisor::absolute_path(config->get(config::kRuntimeDir)) + "/parleyd.sock";
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

// --- mail queue ----------------------------------------------------------------

constexpr std::size_t kQueueIdLength = 20;  // procs/lib/queue: 8 hex digits of arrival time, 12 random

bool queue_id_ok(std::string_view id) {
  return id.size() == kQueueIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Queue records carry text that came from the network (HELO names, remote
// replies); on a terminal, control bytes, C1 controls and invalid UTF-8 are
// shown as \xNN instead. (JSON output escapes them itself.)
std::string printable(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0) ok = false;  // U+0080..U+009F
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
    }
  }
  return out;
}

// Terminal columns of printable UTF-8 (one per character).
std::size_t columns(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// Cells padded to the widest in their column; numeric columns right-aligned.
void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& numeric) {
  std::vector<std::size_t> width(head.size());
  for (std::size_t c = 0; c < head.size(); ++c) width[c] = columns(head[c]);
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], columns(r[c]));
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) {
      std::string pad(width[c] - columns(r[c]), ' ');
      out += (c ? "  " : "") + (numeric[c] ? pad + r[c] : r[c] + pad);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  line(head);
  for (const auto& r : rows) line(r);
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "2026-11-22 10:00:00" (UTC), or RFC 3339 "2026-11-22T10:00:00Z" for JSON.
std::string utc_time(std::int64_t unix_ms, bool iso) {
  if (unix_ms <= 0) return iso ? "" : "-";
  auto t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string age(std::int64_t since_unix_ms, std::int64_t now_ms) {
  return since_unix_ms <= 0 ? "-" : human_duration(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now_ms - since_unix_ms)));
}

bool undelivered(const schema::Recipient& r) { return r.state() == schema::RCPT_PENDING || r.state() == schema::RCPT_DEFERRED; }

std::string rcpt_state(const schema::Recipient& r) { return enum_word(schema::RcptState_Name(r.state()), "RCPT_"); }

std::string json_bool(bool b) { return b ? "true" : "false"; }

std::string json_strings(const google::protobuf::RepeatedPtrField<std::string>& list) {
  std::string out = "[";
  for (int i = 0; i < list.size(); ++i) out += (i ? "," : "") + log::json_quote(list[i]);
  return out + "]";
}

// What `queue list` shows of a message.
struct ListLine {
  int undelivered = 0;
  int deferred = 0;
  std::string last_reply;  // of the first deferred recipient
};

ListLine list_line(const schema::Envelope& env) {
  ListLine l;
  for (const auto& r : env.recipients()) {
    if (undelivered(r)) ++l.undelivered;
    if (r.state() != schema::RCPT_DEFERRED) continue;
    if (l.deferred++ == 0) l.last_reply = r.last_reply();
  }
  return l;
}

std::string entry_json(const schema::QueueEntry& e) {
  const auto& env = e.envelope();
  const auto& cl = env.client();
  auto q = [](std::string_view v) { return log::json_quote(v); };
  std::string out = "{\"queue_id\":" + q(env.message_id()) + ",\"kind\":" + q(e.kind().empty() ? "mail" : e.kind()) +
                    ",\"held\":" + json_bool(e.hold()) + ",\"arrived\":" + q(utc_time(env.received_unix_ms(), true)) +
                    ",\"arrived_unix_ms\":" + std::to_string(env.received_unix_ms()) + ",\"sender\":" + q(env.return_path()) +
                    ",\"size\":" + std::to_string(env.size()) + ",\"hop_count\":" + std::to_string(env.hop_count()) +
                    ",\"header_message_id\":" + q(env.header_message_id()) + ",\"envid\":" + q(env.envid()) +
                    ",\"sid\":" + q(env.sid()) + ",\"client\":{\"peer\":" + q(cl.peer_address()) + ",\"helo\":" + q(cl.helo()) +
                    ",\"reverse_dns\":" + q(cl.reverse_dns()) + ",\"tls_version\":" + q(cl.tls_version()) +
                    ",\"tls_cipher\":" + q(cl.tls_cipher()) + ",\"auth_user\":" + q(cl.auth_user()) +
                    ",\"listener\":" + q(cl.listener()) + "},\"recipients\":[";
  for (int i = 0; i < env.recipients_size(); ++i) {
    const auto& r = env.recipients(i);
    out += std::string(i ? "," : "") + "{\"address\":" + q(r.address()) + ",\"resolved\":" + q(r.resolved()) +
           ",\"local\":" + json_bool(r.local()) + ",\"state\":" + q(rcpt_state(r)) + ",\"attempts\":" + std::to_string(r.attempts()) +
           ",\"next_attempt\":" + q(undelivered(r) ? utc_time(r.next_attempt_unix_ms(), true) : "") +
           ",\"next_attempt_unix_ms\":" + std::to_string(undelivered(r) ? r.next_attempt_unix_ms() : 0) +
           ",\"last_reply\":" + q(r.last_reply()) + ",\"remote_mta\":" + q(r.remote_mta()) + ",\"relay_host\":" + q(r.relay_host()) + "}";
  }
  return out + "]}";
}

void print_summary(const schema::QueueAdminReply& reply, bool json) {
  const std::int64_t now = now_unix_ms();
  std::uint64_t messages = 0, recipients = 0;
  std::int64_t oldest = 0;
  for (const auto& d : reply.destinations()) {
    messages += d.messages();
    recipients += d.recipients();
    if (d.oldest_unix_ms() > 0 && (oldest == 0 || d.oldest_unix_ms() < oldest)) oldest = d.oldest_unix_ms();
  }
  if (json) {
    std::string out = "{\"ok\":true,\"destinations\":[";
    for (int i = 0; i < reply.destinations_size(); ++i) {
      const auto& d = reply.destinations(i);
      out += std::string(i ? "," : "") + "{\"name\":" + log::json_quote(d.name()) + ",\"messages\":" + std::to_string(d.messages()) +
             ",\"recipients\":" + std::to_string(d.recipients()) + ",\"oldest\":" + log::json_quote(utc_time(d.oldest_unix_ms(), true)) +
             ",\"oldest_unix_ms\":" + std::to_string(d.oldest_unix_ms()) + "}";
    }
    out += "],\"total\":{\"messages\":" + std::to_string(messages) + ",\"recipients\":" + std::to_string(recipients) +
           ",\"oldest\":" + log::json_quote(utc_time(oldest, true)) + ",\"oldest_unix_ms\":" + std::to_string(oldest) + "}}";
    std::printf("%s\n", out.c_str());
    return;
  }
  if (reply.destinations_size() == 0) {
    std::printf("the queue is empty\n");
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : reply.destinations()) {
    rows.push_back({printable(d.name()), std::to_string(d.messages()), std::to_string(d.recipients()), age(d.oldest_unix_ms(), now)});
  }
  rows.push_back({"total", std::to_string(messages), std::to_string(recipients), age(oldest, now)});
  print_table({"DESTINATION", "MESSAGES", "RECIPIENTS", "OLDEST"}, rows, {false, true, true, true});
}

void print_list(const schema::QueueAdminReply& reply, bool json) {
  if (json) {
    std::string out = "{\"ok\":true,\"messages\":[";
    for (int i = 0; i < reply.entries_size(); ++i) {
      const auto& env = reply.entries(i).envelope();
      ListLine l = list_line(env);
      out += std::string(i ? "," : "") + "{\"queue_id\":" + log::json_quote(env.message_id()) +
             ",\"arrived\":" + log::json_quote(utc_time(env.received_unix_ms(), true)) +
             ",\"arrived_unix_ms\":" + std::to_string(env.received_unix_ms()) + ",\"size\":" + std::to_string(env.size()) +
             ",\"sender\":" + log::json_quote(env.return_path()) + ",\"undelivered\":" + std::to_string(l.undelivered) +
             ",\"deferred\":" + std::to_string(l.deferred) + ",\"recipients\":" + std::to_string(env.recipients_size()) +
             ",\"held\":" + json_bool(reply.entries(i).hold()) + ",\"last_reply\":" + log::json_quote(l.last_reply) + "}";
    }
    std::printf("%s]}\n", out.c_str());
    return;
  }
  if (reply.entries_size() == 0) {
    std::printf("the queue is empty\n");
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : reply.entries()) {
    const auto& env = e.envelope();
    ListLine l = list_line(env);
    rows.push_back({printable(env.message_id()), utc_time(env.received_unix_ms(), false), std::to_string(env.size()),
                    env.return_path().empty() ? "<>" : printable(env.return_path()),
                    std::to_string(l.undelivered) + "/" + std::to_string(env.recipients_size()), e.hold() ? "held" : "-",
                    l.last_reply.empty() ? "-" : printable(l.last_reply)});
  }
  print_table({"QUEUE ID", "ARRIVED (UTC)", "SIZE", "SENDER", "RCPTS", "HOLD", "LAST REPLY"}, rows,
              {false, false, true, false, true, false, false});
}

void print_entry(const schema::QueueEntry& e) {
  const std::int64_t now = now_unix_ms();
  const auto& env = e.envelope();
  const auto& cl = env.client();
  auto field = [](const char* indent, const char* name, const std::string& value) {
    std::printf("%s%-*s %s\n", indent, 14 - static_cast<int>(std::strlen(indent)), name, value.empty() ? "-" : value.c_str());
  };
  field("", "queue id", printable(env.message_id()));
  if (e.kind() == "dsn") field("", "kind", "delivery status notification");
  field("", "arrived", utc_time(env.received_unix_ms(), false) + " UTC (" + age(env.received_unix_ms(), now) + " ago)");
  field("", "sender", env.return_path().empty() ? "<>" : printable(env.return_path()));
  field("", "size", std::to_string(env.size()) + " bytes");
  field("", "hops", std::to_string(env.hop_count()));
  field("", "held", e.hold() ? "yes" : "no");
  if (!env.header_message_id().empty()) field("", "message-id", printable(env.header_message_id()));
  std::printf("client\n");
  field("  ", "peer", printable(cl.peer_address()) + (cl.reverse_dns().empty() ? "" : " (" + printable(cl.reverse_dns()) + ")"));
  field("  ", "helo", printable(cl.helo()));
  field("  ", "tls", cl.tls_version().empty() ? "none" : printable(cl.tls_version() + " " + cl.tls_cipher()));
  field("  ", "auth user", printable(cl.auth_user()));
  field("  ", "listener", printable(cl.listener()));
  for (const auto& r : env.recipients()) {
    field("", "recipient", printable(r.address()));
    if (!r.resolved().empty() && r.resolved() != r.address()) field("  ", "routed to", printable(r.resolved()) + (r.local() ? " (local)" : ""));
    field("  ", "state", rcpt_state(r));
    field("  ", "attempts", std::to_string(r.attempts()));
    if (undelivered(r)) field("  ", "next attempt", r.next_attempt_unix_ms() > 0 ? utc_time(r.next_attempt_unix_ms(), false) + " UTC" : "now");
    field("  ", "last reply", printable(r.last_reply()));
    field("  ", "remote MTA", printable(r.remote_mta()));
  }
}

// Builds the queue request for `words` ("queue", VERB, IDS...); `verb` gets
// the operation's word. Returns an exit code on error, with a message.
int queue_request(const std::vector<std::string>& words, schema::QueueAdminRequest& out, std::string& verb) {
  struct Op {
    const char* verb;
    schema::QueueAdminRequest::Op op;
    std::size_t min_ids, max_ids;
  };
  constexpr std::size_t kAny = static_cast<std::size_t>(-1);
  static constexpr Op kOps[] = {
      {"summary", schema::QueueAdminRequest::OP_SUMMARY, 0, 0}, {"list", schema::QueueAdminRequest::OP_LIST, 0, 0},
      {"show", schema::QueueAdminRequest::OP_SHOW, 1, kAny},   {"flush", schema::QueueAdminRequest::OP_FLUSH, 0, kAny},
      {"delete", schema::QueueAdminRequest::OP_DELETE, 1, kAny}, {"hold", schema::QueueAdminRequest::OP_HOLD, 1, kAny},
      {"release", schema::QueueAdminRequest::OP_RELEASE, 1, kAny},
  };
  verb = words.size() > 1 ? words[1] : "summary";
  const Op* op = nullptr;
  for (const auto& o : kOps) {
    if (verb == o.verb) op = &o;
  }
  const std::size_t ids = words.size() > 2 ? words.size() - 2 : 0;
  if (op == nullptr || ids < op->min_ids || ids > op->max_ids) {
    usage(stderr);
    return kExitUsage;
  }
  out.set_op(op->op);
  std::set<std::string> seen;
  for (std::size_t i = 2; i < words.size(); ++i) {
    if (!queue_id_ok(words[i])) {
      std::fprintf(stderr, "parleyctl: not a queue id: %s (a queue id is %zu lowercase hex digits, as `parleyctl queue list` shows)\n",
                   printable(words[i].substr(0, 64)).c_str(), kQueueIdLength);
      return kExitUsage;
    }
    if (seen.insert(words[i]).second) out.add_queue_ids(words[i]);
  }
  return kExitOk;
}

// Prints the dequeuer's answer; returns the exit code (1 when some id was
// not in the queue).
int print_queue(const std::string& verb, const schema::QueueAdminReply& reply, bool json) {
  for (const auto& id : reply.missing()) std::fprintf(stderr, "parleyctl: not in the queue: %s\n", printable(id).c_str());
  const bool ok = reply.missing().empty();
  if (verb == "summary") {
    print_summary(reply, json);
  } else if (verb == "list") {
    print_list(reply, json);
  } else if (verb == "show") {
    if (json) {
      std::string out = "{\"ok\":" + json_bool(ok) + ",\"messages\":[";
      for (int i = 0; i < reply.entries_size(); ++i) out += (i ? "," : "") + entry_json(reply.entries(i));
      std::printf("%s],\"missing\":%s}\n", out.c_str(), json_strings(reply.missing()).c_str());
    } else {
      for (int i = 0; i < reply.entries_size(); ++i) {
        if (i) std::printf("\n");
        print_entry(reply.entries(i));
      }
    }
  } else if (json) {
    std::printf("{\"ok\":%s,\"affected\":%u,\"missing\":%s}\n", json_bool(ok).c_str(), reply.affected(), json_strings(reply.missing()).c_str());
  } else {
    const char* done = verb == "flush" ? "flushed" : verb == "delete" ? "deleted" : verb == "hold" ? "held" : "released";
    std::printf("%s %u message%s\n", done, reply.affected(), reply.affected() == 1 ? "" : "s");
  }
  return ok ? kExitOk : kExitFailed;
}

// --- SIP -------------------------------------------------------------------

void print_relays(const schema::RelayListReply& reply, bool json) {
  const auto sides = [](const google::protobuf::RepeatedPtrField<std::string>& seen) {
    std::string out;
    for (const auto& s : seen) out += (out.empty() ? "" : " ") + (s.empty() ? std::string("-") : s);
    return out;
  };
  if (json) {
    std::string out = "{\"ok\":true,\"ports_in_use\":" + std::to_string(reply.ports_in_use()) +
                      ",\"ports_free\":" + std::to_string(reply.ports_free()) + ",\"calls\":[";
    for (int i = 0; i < reply.calls_size(); ++i) {
      const auto& c = reply.calls(i);
      out += std::string(i ? "," : "") + "{\"call\":" + log::json_quote(c.call()) +
             ",\"streams\":" + std::to_string(c.streams()) + ",\"caller\":" + log::json_quote(sides(c.caller())) +
             ",\"callee\":" + log::json_quote(sides(c.callee())) + ",\"packets\":" + std::to_string(c.stats().packets()) +
             ",\"bytes\":" + std::to_string(c.stats().bytes()) + ",\"dropped\":" + std::to_string(c.stats().dropped()) +
             ",\"idle_ms\":" + std::to_string(c.idle_ms()) + ",\"age_s\":" + std::to_string(c.age_s()) + "}";
    }
    std::printf("%s]}\n", out.c_str());
    return;
  }
  std::printf("%u ports in use, %u free\n", reply.ports_in_use(), reply.ports_free());
  for (const auto& c : reply.calls()) {
    std::printf("%-40s caller %-24s callee %-24s %llu packets, %llu dropped, idle %lld ms\n", printable(c.call()).c_str(),
                printable(sides(c.caller())).c_str(), printable(sides(c.callee())).c_str(),
                static_cast<unsigned long long>(c.stats().packets()), static_cast<unsigned long long>(c.stats().dropped()),
                static_cast<long long>(c.idle_ms()));
  }
}

void print_sip(const std::string& verb, const schema::SipAdminReply& reply, bool json) {
  if (verb == "registrations") {
    if (json) {
      std::string out = "{\"ok\":true,\"registrations\":[";
      for (int i = 0; i < reply.registrations_size(); ++i) {
        const auto& r = reply.registrations(i);
        out += std::string(i ? "," : "") + "{\"account\":" + log::json_quote(r.account()) +
               ",\"contact\":" + log::json_quote(r.contact()) + ",\"flow\":" + log::json_quote(r.flow()) +
               ",\"expires\":" + log::json_quote(utc_time(r.expires_at() * 1000, true)) + ",\"q\":" + std::to_string(r.q()) +
               ",\"instance\":" + log::json_quote(r.instance()) + "}";
      }
      std::printf("%s]}\n", out.c_str());
      return;
    }
    if (reply.registrations_size() == 0) std::printf("no registrations\n");
    for (const auto& r : reply.registrations()) {
      std::printf("%-32s %-48s %s expires %s\n", printable(r.account()).c_str(), printable(r.contact()).c_str(),
                  printable(r.flow()).c_str(), utc_time(r.expires_at() * 1000, false).c_str());
    }
  } else if (verb == "calls") {
    if (json) {
      std::string out = "{\"ok\":true,\"calls\":[";
      for (int i = 0; i < reply.calls_size(); ++i) {
        const auto& c = reply.calls(i);
        out += std::string(i ? "," : "") + "{\"sid\":" + log::json_quote(c.sid()) + ",\"call_id\":" +
               log::json_quote(c.call_id()) + ",\"caller\":" + log::json_quote(c.caller()) + ",\"callee\":" +
               log::json_quote(c.callee()) + ",\"started\":" + log::json_quote(utc_time(c.started() * 1000, true)) +
               ",\"answered\":" + log::json_quote(utc_time(c.answered() * 1000, true)) + "}";
      }
      std::printf("%s]}\n", out.c_str());
      return;
    }
    if (reply.calls_size() == 0) std::printf("no calls\n");
    for (const auto& c : reply.calls()) {
      std::printf("%-24s %-32s -> %-32s answered %s\n", printable(c.sid()).c_str(), printable(c.caller()).c_str(),
                  printable(c.callee()).c_str(), utc_time(c.answered() * 1000, false).c_str());
    }
  } else if (verb == "trunks") {
    if (json) {
      std::string out = "{\"ok\":true,\"trunks\":[";
      for (int i = 0; i < reply.trunks_size(); ++i) {
        const auto& t = reply.trunks(i);
        out += std::string(i ? "," : "") + "{\"name\":" + log::json_quote(t.name()) + ",\"registrar\":" +
               log::json_quote(t.registrar()) + ",\"state\":" + log::json_quote(t.state()) + ",\"expires\":" +
               log::json_quote(t.expires_at() > 0 ? utc_time(t.expires_at() * 1000, true) : "") +
               ",\"last_status\":" + std::to_string(t.last_status()) + ",\"last_error\":" +
               log::json_quote(t.last_error()) + ",\"failures\":" + std::to_string(t.failures()) + "}";
      }
      std::printf("%s]}\n", out.c_str());
      return;
    }
    if (reply.trunks_size() == 0) std::printf("no trunks\n");
    for (const auto& t : reply.trunks()) {
      std::printf("%-16s %-40s %-15s", printable(t.name()).c_str(), printable(t.registrar()).c_str(), printable(t.state()).c_str());
      if (t.expires_at() > 0) std::printf(" expires %s", utc_time(t.expires_at() * 1000, false).c_str());
      if (t.last_status() != 0) std::printf(" last %d", t.last_status());
      if (!t.last_error().empty()) std::printf(" (%s, %d in a row)", printable(t.last_error()).c_str(), t.failures());
      std::printf("\n");
    }
  } else if (verb == "allow" || verb == "deny") {
    std::printf(json ? "{\"ok\":true}\n" : "ok\n");
  } else if (json) {
    std::printf("{\"ok\":true,\"removed\":%u}\n", reply.removed());
  } else {
    std::printf("removed %u registration%s\n", reply.removed(), reply.removed() == 1 ? "" : "s");
  }
}

// Sends `inner` to `method` of process `proc` through parleyd and parses the
// process's answer into `answer`. Returns an exit code; failures are printed.
template <class Request, class Reply>
int forward(const std::string& socket_path, const char* proc, ipc::Method<Request, Reply> method, const Request& inner,
            bool json, Reply& answer) {
  schema::AdminRequest request;
  auto* fwd = request.mutable_forward();
  fwd->set_proc(proc);
  fwd->set_method(std::string(method.name()));
  fwd->set_payload(inner.SerializeAsString());
  schema::AdminReply reply;
  if (int rc = exchange(socket_path, request, reply); rc != kExitOk) return rc;
  if (!reply.ok() || !answer.ParseFromString(reply.payload())) {
    if (json) std::printf("{\"ok\":false,\"error\":%s}\n", log::json_quote(reply.error()).c_str());
    else std::fprintf(stderr, "parleyctl: %s\n", reply.error().empty() ? "bad reply" : reply.error().c_str());
    return kExitFailed;
  }
  return kExitOk;
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
    schema::DirectoryAdminReply answer;
    if (int rc = forward(find_socket(socket_flag, config_flag), "directory", contracts::kDirectoryAdmin, inner, json, answer); rc != kExitOk) return rc;
    print_rows(answer, json);
    if (!json && answer.rows_size() == 0 && answer.text().empty() && answer.generated().empty()) std::printf("ok\n");
    return kExitOk;
  } else if (cmd == "queue") {
    schema::QueueAdminRequest inner;
    std::string verb;
    if (int rc = queue_request(words, inner, verb); rc != kExitOk) return rc;
    schema::QueueAdminReply answer;
    if (int rc = forward(find_socket(socket_flag, config_flag), "dequeuer", contracts::kQueueAdmin, inner, json, answer); rc != kExitOk) return rc;
    return print_queue(verb, answer, json);
  } else if (cmd == "sip") {
    schema::SipAdminRequest inner;
    const std::string verb = words.size() > 1 ? words[1] : "";
    if ((verb == "registrations" && words.size() <= 3) || ((verb == "calls" || verb == "trunks") && words.size() == 2) ||
        (verb == "unregister" && words.size() == 3) || ((verb == "allow" || verb == "deny") && words.size() == 4)) {
      inner.set_op(verb);
      if (words.size() >= 3) inner.set_account(words[2]);
      if (words.size() == 4) inner.set_watcher(words[3]);
    } else {
      usage(stderr);
      return kExitUsage;
    }
    schema::SipAdminReply answer;
    if (int rc = forward(find_socket(socket_flag, config_flag), "sipd", contracts::kSipAdmin, inner, json, answer); rc != kExitOk) return rc;
    print_sip(verb, answer, json);
    return kExitOk;
  } else if (cmd == "media") {
    if (words.size() != 2 || words[1] != "calls") {
      usage(stderr);
      return kExitUsage;
    }
    schema::RelayListReply answer;
    if (int rc = forward(find_socket(socket_flag, config_flag), "media", contracts::kRelayList, schema::RelayListRequest{},
                         json, answer);
        rc != kExitOk) {
      return rc;
    }
    print_relays(answer, json);
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
