// Every parley.conf key, declared once: type, default, bounds, doc. The
// order here is the order of etc/parley.conf (generated from this table).

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/host_port.h"
#include "config/listen.h"
#include "config/network.h"
#include "core/users.h"

namespace parley::config {

namespace {

using Strings = std::vector<std::string>;

constexpr std::int64_t kDayS = 86400;
constexpr std::int64_t kHourMs = 3600 * 1000;
constexpr std::int64_t kTenMinutesMs = 600 * 1000;
constexpr std::int64_t kMaxLowPortOffset = 64000;           // offset + 1023 stays a port
constexpr std::int64_t kFirstUnprivilegedPort = 1024;
constexpr std::int64_t kMaxNofile = 1 << 20;  // Linux's default fs.nr_open
// A message crosses from smtpd to the router in one ipc record
// (ipc::kMaxMessageBytes, 64 MiB), with room for the envelope.
constexpr std::int64_t kMaxMessageBytes = 60 * 1024 * 1024;

Status check_cidr(std::string_view value) {
  auto net = parse_network(value);
  if (!net) return net.error();
  return {};
}

// "SCOPE=CERT_FILE,KEY_FILE"
Status check_certificate(std::string_view value) {
  auto eq = value.find('=');
  auto comma = value.find(',', eq == std::string_view::npos ? 0 : eq);
  if (eq == 0 || eq == std::string_view::npos || comma == std::string_view::npos || comma == eq + 1 ||
      comma + 1 == value.size()) {
    return fail(Errc::invalid, "expected SCOPE=CERT_FILE,KEY_FILE (SCOPE: default, listener:NAME or a host name)");
  }
  return {};
}

// "DOMAIN=HOST:PORT"
Status check_route(std::string_view value) {
  auto eq = value.find('=');
  if (eq == 0 || eq == std::string_view::npos) return fail(Errc::invalid, "expected DOMAIN=HOST:PORT");
  auto target = parse_host_port(value.substr(eq + 1));
  if (!target) return fail(Errc::invalid, "expected DOMAIN=HOST:PORT: " + target.error().detail);
  return {};
}

// "PATTERN = TARGET", see router.rules
Status check_rule(std::string_view value) {
  auto eq = value.find('=');
  if (eq == std::string_view::npos) return fail(Errc::invalid, "expected PATTERN = TARGET");
  return {};
}

// A user or group name that exists now (smtpd.submit_users/groups): a
// typo is an error at load and reload, not a silent refusal of everyone.
Status check_user(std::string_view value) {
  auto user = find_user(value);
  if (!user) return fail(Errc::not_found, "no such user");
  return {};
}

Status check_group(std::string_view value) {
  auto gid = find_group(value);
  if (!gid) return fail(Errc::not_found, "no such group");
  return {};
}

// "LOCAL@DOMAIN", or empty (router.postmaster)
Status check_address(std::string_view value) {
  if (value.empty()) return {};
  auto at = value.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == value.size()) return fail(Errc::invalid, "expected LOCAL@DOMAIN");
  return {};
}

Status check_listen(std::string_view value) {
  auto spec = parse_listen(value);
  if (!spec) return spec.error();
  return {};
}

Value str(const char* text) { return Value{std::string(text)}; }
Value integer(std::int64_t n) { return Value{n}; }

}  // namespace

const std::vector<SectionDecl>& section_declarations() {
  static const std::vector<SectionDecl> sections = {
      {"server", "Settings every process shares."},
      {"supervisor", "parleyd: restarting processes, crash loops, the control socket."},
      {"directory",
       "The directory process: how passwords are hashed, how failed logins are "
       "limited and successful ones cached, sub-addressing, and what an empty "
       "directory starts with."},
      {"smtpd",
       "The SMTP server: limits, timeouts, relaying and TLS for ports 25 (smtp), "
       "587 (submission) and 465 (smtps, implicit TLS), message content, and who may "
       "submit through the local socket (sendmail)."},
      {"router", "The router: address rewriting and routing rules, hop limit, queue commits."},
      {"dequeuer",
       "The queue manager: retries, delivery concurrency, outbound SMTP, bounces and "
       "delivery status notifications."},
      {"local-delivery", "Local delivery into the mail store."},
      {"imapd", "Mail access: POP3 on 110 (STLS) and 995 (implicit TLS)."},
      {"process.*",
       "One table per process that parleyd starts, named after the process: "
       "[process.smtpd] runs the program smtpd, [process.directory] the "
       "program directory. A process without a table is not started."},
  };
  return sections;
}

const std::vector<KeyDecl>& declarations() {
  static const std::vector<KeyDecl> decls = {
      // [server]
      {.section = "server", .key = "hostname", .type = Type::string, .default_value = str(""),
       .doc = "The host name used in greetings and Received headers; empty: the machine's host name."},
      {.section = "server", .key = "data_dir", .type = Type::string, .default_value = str("/var/lib/parley"),
       .doc = "All persistent state. Each process writes only its own subdirectory."},
      {.section = "server", .key = "runtime_dir", .type = Type::string, .default_value = str("/run/parley"),
       .doc = "IPC sockets and the control socket."},
      {.section = "server", .key = "log_dir", .type = Type::string, .default_value = str("/var/log/parley"),
       .doc = "With log_target = \"file\": one subdirectory and file per process "
              "(log_dir/NAME/NAME.log), and log_dir/parleyd.log for parleyd."},
      {.section = "server", .key = "log_target", .type = Type::string, .default_value = str("auto"),
       .choices = {"auto", "file", "stdout"},
       .doc = "auto: stdout when started by systemd (JOURNAL_STREAM is set), file otherwise."},
      {.section = "server", .key = "log_format", .type = Type::string, .default_value = str("human"),
       .choices = {"human", "json"},
       .doc = "human: one readable line per event; json: one JSON object per line."},
      {.section = "server", .key = "log_level", .type = Type::string, .default_value = str("info"),
       .choices = {"trace", "debug", "info", "warn", "error", "critical", "off"},
       .doc = "The least severe level logged, for every process that does not set its own."},
      {.section = "server", .key = "map_low_ports", .type = Type::string, .default_value = str("auto"),
       .choices = {"auto", "on", "off"},
       .doc = "on: a listener port n below 1024 becomes low_port_offset + n; "
              "auto: on when parleyd is not started as root."},
      {.section = "server", .key = "low_port_offset", .type = Type::integer, .default_value = integer(8000),
       .min = kFirstUnprivilegedPort, .max = kMaxLowPortOffset,
       .doc = "Added to ports below 1024 when map_low_ports is on (smtp 25 becomes 8025)."},

      // [supervisor]
      {.section = "supervisor", .key = "control_socket", .type = Type::string, .default_value = str(""),
       .doc = "The socket parleyctl talks to; empty: RUNTIME_DIR/parleyd.sock."},
      {.section = "supervisor", .key = "admin_group", .type = Type::string, .default_value = str("parley-admin"),
       .doc = "The group, besides root, that may use the control socket."},
      {.section = "supervisor", .key = "restart_backoff_initial_ms", .type = Type::integer,
       .default_value = integer(100), .min = 1, .max = kTenMinutesMs,
       .doc = "The wait before restarting a crashed process the first time; later restarts "
              "wait longer, up to restart_backoff_max_ms."},
      {.section = "supervisor", .key = "restart_backoff_max_ms", .type = Type::integer,
       .default_value = integer(30000), .min = 1, .max = kHourMs,
       .doc = "The longest wait before a restart."},
      {.section = "supervisor", .key = "crash_loop_count", .type = Type::integer, .default_value = integer(5),
       .min = 1, .max = 1000,
       .doc = "This many crashes within crash_loop_window_s mark a process failed: it is not "
              "restarted until `parleyctl start`."},
      {.section = "supervisor", .key = "crash_loop_window_s", .type = Type::integer,
       .default_value = integer(60), .min = 1, .max = kDayS,
       .doc = "The window in which crash_loop_count crashes are counted."},
      {.section = "supervisor", .key = "stable_after_s", .type = Type::integer, .default_value = integer(10),
       .min = 1, .max = kDayS,
       .doc = "A process up this long has its restart backoff reset."},
      {.section = "supervisor", .key = "stop_timeout_ms", .type = Type::integer,
       .default_value = integer(10000), .min = 0, .max = kTenMinutesMs,
       .doc = "How long a stopping process may drain its work before SIGKILL."},
      {.section = "supervisor", .key = "ready_timeout_ms", .type = Type::integer,
       .default_value = integer(10000), .min = 100, .max = kTenMinutesMs,
       .doc = "A started process not ready by then is killed and counted as a crash."},

      // [process.NAME]
      // [directory]
      {.section = "directory", .key = "argon2_memory_kib", .type = Type::integer, .default_value = integer(65536),
       .min = 8, .max = 4 * 1024 * 1024,
       .doc = "Memory per password hash (argon2id m, in KiB). More is harder to attack and slower to log in."},
      {.section = "directory", .key = "argon2_iterations", .type = Type::integer, .default_value = integer(3),
       .min = 1, .max = 100, .doc = "argon2id passes (t)."},
      {.section = "directory", .key = "argon2_parallelism", .type = Type::integer, .default_value = integer(1),
       .min = 1, .max = 16, .doc = "argon2id lanes (p)."},
      {.section = "directory", .key = "scram_iterations", .type = Type::integer, .default_value = integer(4096),
       .min = 4096, .max = 1000000,
       .doc = "PBKDF2 iterations of stored SCRAM-SHA-256 keys (RFC 7677 asks for at least 4096); applies to passwords set from now on."},
      {.section = "directory", .key = "auth_window_s", .type = Type::integer, .default_value = integer(300),
       .min = 1, .max = kDayS, .doc = "The window in which failed logins are counted."},
      {.section = "directory", .key = "auth_max_failures_per_ip", .type = Type::integer, .default_value = integer(10),
       .min = 1, .max = 100000,
       .doc = "Failed logins from one client address within the window before it gets temporary failures."},
      {.section = "directory", .key = "auth_max_failures_per_account", .type = Type::integer, .default_value = integer(30),
       .min = 1, .max = 100000,
       .doc = "Failed logins to one account within the window before it gets temporary failures (from every address); "
              "higher than the per-address limit, so one attacker cannot lock its owner out."},
      {.section = "directory", .key = "auth_cache_ttl_s", .type = Type::integer, .default_value = integer(3600),
       .min = 0, .max = kDayS,
       .doc = "How long a successful password login is remembered (as a keyed hash) so that the same password "
              "for the same account logs in again without argon2id; dropped at once when the account's password, "
              "name or state changes. 0: no cache, every login runs argon2id."},
      {.section = "directory", .key = "auth_cache_max_entries", .type = Type::integer, .default_value = integer(100000),
       .min = 1, .max = 10000000,
       .doc = "Most logins the cache remembers (about 250 bytes each); the least recently used go first."},
      {.section = "directory", .key = "detail_separator", .type = Type::string, .default_value = str("+"),
       .choices = {"+", "-", ""}, .doc = "Sub-addressing: alice+lists@example.com is alice with detail lists; empty: none."},
      {.section = "directory", .key = "first_run_domain", .type = Type::string, .default_value = str(""),
       .doc = "The main domain parleyd creates when the directory is empty; empty: the host name."},
      {.section = "directory", .key = "first_run_accounts", .type = Type::list, .default_value = Value{Strings{"postmaster"}},
       .doc = "Accounts created with it, each with a random password printed once on parleyd's standard output."},
      {.section = "directory", .key = "first_run_password_file", .type = Type::string, .default_value = str(""),
       .doc = "Also write those passwords to this file (mode 0600, account<TAB>password lines); empty: do not."},
      // [smtpd]
      {.section = "smtpd", .key = "max_message_bytes", .type = Type::integer, .default_value = integer(26214400),
       .min = 1024, .max = kMaxMessageBytes,
       .doc = "The largest message accepted (SIZE, RFC 1870), headers included. At most 60 MiB: "
              "a message crosses to the router in one record."},
      {.section = "smtpd", .key = "max_recipients", .type = Type::integer, .default_value = integer(100),
       .min = 1, .max = 100000,
       .doc = "Recipients per message; more get 452 4.5.3 (RFC 5321 4.5.3.1.8 asks for at least 100)."},
      {.section = "smtpd", .key = "max_command_line_bytes", .type = Type::integer, .default_value = integer(4096),
       .min = 512, .max = 65536,
       .doc = "The longest command line, CRLF included (RFC 5321: 512, plus room for ESMTP parameters)."},
      {.section = "smtpd", .key = "command_timeout_s", .type = Type::integer, .default_value = integer(300),
       .min = 1, .max = 3600,
       .doc = "How long the server waits for the next command (RFC 5321 4.5.3.2.7: at least 5 minutes)."},
      {.section = "smtpd", .key = "data_timeout_s", .type = Type::integer, .default_value = integer(300),
       .min = 1, .max = 3600,
       .doc = "How long the server waits for the next part of a message during DATA or BDAT."},
      {.section = "smtpd", .key = "max_errors", .type = Type::integer, .default_value = integer(10),
       .min = 1, .max = 1000,
       .doc = "Errors (bad commands, refused recipients, failed logins) before the session is closed with 421."},
      {.section = "smtpd", .key = "error_delay_ms", .type = Type::integer, .default_value = integer(1000),
       .min = 0, .max = 60000,
       .doc = "From the fourth error on, each error reply is delayed this long (slows down address "
              "harvesting and password guessing)."},
      {.section = "smtpd", .key = "max_connections", .type = Type::integer, .default_value = integer(1000),
       .min = 1, .max = 1000000, .doc = "Sessions at once; more are answered 421 and closed."},
      {.section = "smtpd", .key = "max_connections_per_ip", .type = Type::integer, .default_value = integer(20),
       .min = 1, .max = 100000, .doc = "Sessions at once from one client address."},
      {.section = "smtpd", .key = "relay_networks", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Client networks (CIDR: \"192.0.2.0/24\", \"::1/128\") that may relay without "
              "authentication. Everyone else may send only to local domains unless authenticated.",
       .check = &check_cidr},
      {.section = "smtpd", .key = "tls_certificates", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Certificates as \"SCOPE=CERT_FILE,KEY_FILE\" (PEM; the certificate file may hold the chain). "
              "SCOPE is default, listener:NAME (one listener's default), or a host name for SNI "
              "(\"mail.example.org\", \"*.example.org\"). Without any, STARTTLS is not offered and the "
              "smtps listener is refused. Read by smtpd (parley-smtpd must be able to read the key); "
              "re-read on reload.",
       .check = &check_certificate},
      {.section = "smtpd", .key = "allow_nul", .type = Type::boolean, .default_value = Value{false},
       .doc = "false: a message holding a NUL octet (DATA or BDAT) is refused with 554 5.6.0, as SMTP "
              "text cannot carry one (RFC 5321 4.1.1.4); true: taken and stored as is. NULs are never "
              "sent on: outbound SMTP drops them."},
      {.section = "smtpd", .key = "submit_users", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Local users who may submit mail through the local socket (sendmail), by login name, as "
              "Postfix's authorized_submit_users. When this and submit_groups are both empty, every "
              "local user may; otherwise only those listed here or in submit_groups, root included. "
              "A name that does not exist is an error.",
       .check = &check_user},
      {.section = "smtpd", .key = "submit_groups", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Groups whose members (the sending process's group or supplementary groups) may also "
              "submit through the local socket.",
       .check = &check_group},

      // [router]
      {.section = "router", .key = "max_hops", .type = Type::integer, .default_value = integer(50),
       .min = 5, .max = 500,
       .doc = "A message with this many Received headers is in a loop: bounced, not delivered."},
      {.section = "router", .key = "rules", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Routing rules, first match wins, each \"PATTERN = TARGET\". PATTERN is an address "
              "(\"old@example.com\") or a wildcard (\"*@old.example\", \"sales-*@example.com\"). "
              "TARGET is an address, where * stands for what the wildcard matched (\"*@new.example\"), "
              "\"error:CODE TEXT\" (refuse, e.g. \"error:550 5.1.1 gone\"), \"null\" (accept and "
              "discard), or \"smtp:HOST:PORT\" (deliver to that host instead of the domain's MX).",
       .check = &check_rule},
      {.section = "router", .key = "postmaster", .type = Type::string, .default_value = str(""),
       .doc = "Where postmaster's mail goes when it has no mailbox of its own (RFC 5321 4.5.1): "
              "RCPT TO:<postmaster> without a domain, postmaster at the host name, and postmaster at "
              "a local domain without that address. Empty: postmaster at the main domain, the host "
              "name or else its nearest parent domain (mail.example.com, then example.com) that has "
              "a postmaster address.",
       .check = &check_address},
      {.section = "router", .key = "commit_batch_max", .type = Type::integer, .default_value = integer(256),
       .min = 1, .max = 100000,
       .doc = "Messages committed to the queue in one transaction at most; under load, messages that "
              "arrive while a commit runs share the next one (one fsync for many)."},

      // [dequeuer]
      {.section = "dequeuer", .key = "retry_first_s", .type = Type::integer, .default_value = integer(900),
       .min = 1, .max = kDayS, .doc = "Interval between attempts during the first retry_first_period_s."},
      {.section = "dequeuer", .key = "retry_first_period_s", .type = Type::integer, .default_value = integer(7200),
       .min = 0, .max = 30 * kDayS, .doc = "How long retries use retry_first_s."},
      {.section = "dequeuer", .key = "retry_later_s", .type = Type::integer, .default_value = integer(3600),
       .min = 1, .max = kDayS, .doc = "Interval between attempts after that."},
      {.section = "dequeuer", .key = "max_queue_time_s", .type = Type::integer, .default_value = integer(5 * kDayS),
       .min = 1, .max = 60 * kDayS,
       .doc = "A recipient still undelivered this long after the message arrived is bounced."},
      {.section = "dequeuer", .key = "delay_warning_s", .type = Type::integer, .default_value = integer(4 * 3600),
       .min = 0, .max = 60 * kDayS,
       .doc = "Send a delay notice (RFC 3464, action delayed) after this long; 0: never."},
      {.section = "dequeuer", .key = "max_deliveries", .type = Type::integer, .default_value = integer(100),
       .min = 1, .max = 10000, .doc = "Deliveries in progress at once, local and remote together."},
      {.section = "dequeuer", .key = "max_per_domain", .type = Type::integer, .default_value = integer(10),
       .min = 1, .max = 1000, .doc = "Connections at once to one remote domain."},
      {.section = "dequeuer", .key = "max_recipients_per_delivery", .type = Type::integer,
       .default_value = integer(100), .min = 1, .max = 10000,
       .doc = "Recipients sent in one SMTP transaction (or one local delivery)."},
      {.section = "dequeuer", .key = "routes", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Remote domains delivered to a fixed host instead of their MX: \"DOMAIN=HOST:PORT\" "
              "(\"example.net=192.0.2.7:25\", \"*=smarthost.example:587\" for everything).",
       .check = &check_route},
      {.section = "dequeuer", .key = "dns_servers", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "DNS servers for MX lookups (\"192.0.2.53\", \"127.0.0.1:5353\"); empty: /etc/resolv.conf."},
      {.section = "dequeuer", .key = "outbound_tls", .type = Type::string, .default_value = str("opportunistic"),
       .choices = {"opportunistic", "off"},
       .doc = "opportunistic: STARTTLS whenever the remote server offers it (RFC 7435), without "
              "certificate checks, falling back to plain text only when the handshake fails; off: never."},
      {.section = "dequeuer", .key = "connect_timeout_s", .type = Type::integer, .default_value = integer(30),
       .min = 1, .max = 600, .doc = "Outbound SMTP connection timeout."},
      {.section = "dequeuer", .key = "smtp_timeout_s", .type = Type::integer, .default_value = integer(300),
       .min = 1, .max = 3600,
       .doc = "Outbound SMTP: how long to wait for each reply (RFC 5321 4.5.3.2: 5 minutes for MAIL, "
              "RCPT and the greeting; the end of DATA waits twice this)."},

      // [local-delivery]
      {.section = "local-delivery", .key = "dedup_days", .type = Type::integer, .default_value = integer(7),
       .min = 1, .max = 365,
       .doc = "How long a delivery is remembered, so that a retry after a crash is not stored twice."},

      // [imapd]
      {.section = "imapd", .key = "tls_certificates", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Certificates, as smtpd.tls_certificates (SCOPE is default, listener:NAME or an SNI host name). "
              "Without any, STLS is not offered, USER/PASS and AUTH are refused, and pop3s is refused.",
       .check = &check_certificate},
      {.section = "imapd", .key = "pop3_timeout_s", .type = Type::integer, .default_value = integer(600),
       .min = 30, .max = 3600, .doc = "Idle time before a POP3 session is closed (RFC 1939 3: at least 10 minutes)."},
      {.section = "imapd", .key = "imap_timeout_s", .type = Type::integer, .default_value = integer(1800),
       .min = 60, .max = 86400,
       .doc = "Idle time before a logged-in IMAP session is closed (RFC 9051 5.4: at least 30 minutes); "
              "IDLE sessions are kept alive with \"* OK Still here\" every two minutes."},
      {.section = "imapd", .key = "imap_login_timeout_s", .type = Type::integer, .default_value = integer(60),
       .min = 10, .max = 3600, .doc = "Idle time before an IMAP session that has not logged in is closed."},
      {.section = "imapd", .key = "public_admins", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Accounts that administer the public namespace (#public/): they hold every right there "
              "and grant rights to others with SETACL."},
      {.section = "imapd", .key = "max_connections", .type = Type::integer, .default_value = integer(1000),
       .min = 1, .max = 1000000, .doc = "Sessions at once."},
      {.section = "imapd", .key = "max_connections_per_ip", .type = Type::integer, .default_value = integer(100),
       .min = 1, .max = 100000,
       .doc = "Sessions at once from one client address. An office behind one NAT address counts as one "
              "client, and each desktop client keeps several sessions open (one per watched mailbox)."},
      {.section = "imapd", .key = "max_errors", .type = Type::integer, .default_value = integer(10),
       .min = 1, .max = 1000, .doc = "Errors (bad commands, failed logins) before the session is closed."},
      {.section = "imapd", .key = "message_cache_mib", .type = Type::integer, .default_value = integer(64),
       .min = 0, .max = 65536,
       .doc = "Memory for recently read messages and their parsed MIME structure, shared by all sessions "
              "(counted whole: bytes, parsed tree and index); 0 keeps none. A message over a quarter of it "
              "is not kept."},

      {.section = "process.*", .key = "binary", .type = Type::string, .default_value = str(""),
       .doc = "The program to run; empty: the program named after the process, in parleyd's own "
              "directory."},
      {.section = "process.*", .key = "args", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Extra command-line arguments."},
      {.section = "process.*", .key = "enabled", .type = Type::boolean, .default_value = Value{true},
       .doc = "false: keep the table but do not start the process."},
      {.section = "process.*", .key = "listen", .type = Type::list, .default_value = Value{Strings{}},
       .doc = "Listening sockets parleyd binds and hands to the process: \"NAME=tcp:HOST:PORT\" or "
              "\"NAME=udp:HOST:PORT\"; HOST is a numeric IPv4 address, \"*\" (all IPv4), or an "
              "IPv6 address in brackets (\"smtp=tcp:[::1]:25\", \"[::]\" for all IPv6).",
       .check = &check_listen},
      {.section = "process.*", .key = "user", .type = Type::string, .default_value = str(""),
       .doc = "The user the process runs as; empty: parley-NAME. Ignored when parleyd is not root."},
      {.section = "process.*", .key = "seccomp", .type = Type::string, .default_value = str("enforce"),
       .choices = {"enforce", "log", "off"},
       .doc = "The system call filter: enforce applies it, log only logs the calls it would "
              "block, off disables it."},
      {.section = "process.*", .key = "log_level", .type = Type::string, .default_value = str(""),
       .choices = {"", "trace", "debug", "info", "warn", "error", "critical", "off"},
       .doc = "This process's log level; empty: server.log_level."},
      {.section = "process.*", .key = "rlimit_nofile", .type = Type::integer, .default_value = integer(65536),
       .min = 64, .max = kMaxNofile,
       .doc = "The limit on open files (RLIMIT_NOFILE)."},
      {.section = "process.*", .key = "rlimit_core_bytes", .type = Type::integer, .default_value = integer(0),
       .min = 0, .max = std::numeric_limits<std::int64_t>::max(),
       .doc = "The largest core dump (RLIMIT_CORE); 0: none, since a core holds mail and passwords."},
  };
  return decls;
}

}  // namespace parley::config
