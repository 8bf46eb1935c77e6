#include "settings.h"

#include <algorithm>

#include "core/users.h"
#include "daemon/daemon.h"
#include "tls/listeners.h"

namespace parley::smtpd {

namespace {

constexpr std::string_view kSection = "smtpd";

// A message crosses from smtpd to the router in one ipc record
// (ipc::kMaxMessageBytes, 64 MiB), with room for the envelope.
constexpr std::int64_t kMessageBytesLimit = 60 * 1024 * 1024;

const config::Integer kMaxMessageBytes{
    .section = kSection, .key = "max_message_bytes", .default_value = 26214400,
    .min = 1024, .max = kMessageBytesLimit,
    .doc = "The largest message accepted (SIZE, RFC 1870), headers included. At most 60 MiB: "
           "a message crosses to the router in one record."};
const config::Integer kMaxRecipients{
    .section = kSection, .key = "max_recipients", .default_value = 100,
    .min = 1, .max = 100000,
    .doc = "Recipients per message; more get 452 4.5.3 (RFC 5321 4.5.3.1.8 asks for at least 100)."};
const config::Integer kMaxCommandLineBytes{
    .section = kSection, .key = "max_command_line_bytes", .default_value = 4096,
    .min = 512, .max = 65536,
    .doc = "The longest command line, CRLF included (RFC 5321: 512, plus room for ESMTP parameters)."};
const config::Integer kCommandTimeoutS{
    .section = kSection, .key = "command_timeout_s", .default_value = 300,
    .min = 1, .max = 3600,
    .doc = "How long the server waits for the next command (RFC 5321 4.5.3.2.7: at least 5 minutes)."};
const config::Integer kDataTimeoutS{
    .section = kSection, .key = "data_timeout_s", .default_value = 300,
    .min = 1, .max = 3600,
    .doc = "How long the server waits for the next part of a message during DATA or BDAT."};
const config::Integer kMaxErrors{
    .section = kSection, .key = "max_errors", .default_value = 10,
    .min = 1, .max = 1000,
    .doc = "Errors (bad commands, refused recipients, failed logins) before the session is closed with 421."};
const config::Integer kErrorDelayMs{
    .section = kSection, .key = "error_delay_ms", .default_value = 1000,
    .min = 0, .max = 60000,
    .doc = "From the fourth error on, each error reply is delayed this long (slows down address "
           "harvesting and password guessing)."};
const config::Integer kMaxConnections{
    .section = kSection, .key = "max_connections", .default_value = 1000,
    .min = 1, .max = 1000000, .doc = "Sessions at once; more are answered 421 and closed."};
const config::Integer kMaxConnectionsPerIp{
    .section = kSection, .key = "max_connections_per_ip", .default_value = 20,
    .min = 1, .max = 100000, .doc = "Sessions at once from one client address."};
const config::List kRelayNetworks{
    .section = kSection, .key = "relay_networks", .default_value = {},
    .doc = "Client networks (CIDR: \"192.0.2.0/24\", \"::1/128\") that may relay without "
           "authentication. Everyone else may send only to local domains unless authenticated.",
    .check = config::Check::cidr};
const config::List kTlsCertificates{
    .section = kSection, .key = "tls_certificates", .default_value = {},
    .doc = "Certificates as \"SCOPE=CERT_FILE,KEY_FILE\" (PEM; the certificate file may hold the chain). "
           "SCOPE is default, listener:NAME (one listener's default), or a host name for SNI "
           "(\"mail.example.org\", \"*.example.org\"). Without any, STARTTLS is not offered and the "
           "smtps listener is refused. Read by smtpd (parley-smtpd must be able to read the key); "
           "re-read on reload.",
    .check = config::Check::certificate};
const config::Boolean kAllowNul{
    .section = kSection, .key = "allow_nul", .default_value = false,
    .doc = "false: a message holding a NUL octet (DATA or BDAT) is refused with 554 5.6.0, as SMTP "
           "text cannot carry one (RFC 5321 4.1.1.4); true: taken and stored as is. NULs are never "
           "sent on: outbound SMTP drops them."};
const config::List kSubmitUsers{
    .section = kSection, .key = "submit_users", .default_value = {},
    .doc = "Local users who may submit mail through the local socket (sendmail), by login name, as "
           "Postfix's authorized_submit_users. When this and submit_groups are both empty, every "
           "local user may; otherwise only those listed here or in submit_groups, root included. "
           "A name that does not exist is an error.",
    .check = config::Check::user};
const config::List kSubmitGroups{
    .section = kSection, .key = "submit_groups", .default_value = {},
    .doc = "Groups whose members (the sending process's group or supplementary groups) may also "
           "submit through the local socket.",
    .check = config::Check::group};

}  // namespace

config::SectionDecl settings_section() {
  return {.name = std::string(kSection),
          .doc = "The SMTP server: limits, timeouts, relaying and TLS for ports 25 (smtp), "
                 "587 (submission) and 465 (smtps, implicit TLS), message content, and who may "
                 "submit through the local socket (sendmail).",
          .keys = {kMaxMessageBytes, kMaxRecipients, kMaxCommandLineBytes, kCommandTimeoutS, kDataTimeoutS,
                   kMaxErrors, kErrorDelayMs, kMaxConnections, kMaxConnectionsPerIp, kRelayNetworks,
                   kTlsCertificates, kAllowNul, kSubmitUsers, kSubmitGroups}};
}

bool Settings::relay_client(std::string_view ip) const {
  for (const auto& n : relay_networks) {
    if (n.contains(ip)) return true;
  }
  return false;
}

bool Settings::may_submit(const std::optional<LocalCredentials>& who) const {
  if (submit_uids.empty() && submit_gids.empty()) return true;
  if (!who) return false;
  if (std::find(submit_uids.begin(), submit_uids.end(), who->uid) != submit_uids.end()) return true;
  for (gid_t g : submit_gids) {
    if (g == who->gid || std::find(who->groups.begin(), who->groups.end(), g) != who->groups.end()) return true;
  }
  return false;
}

std::shared_ptr<tls::ServerContext> Settings::tls_for(std::string_view listener) const { return tls::context_for(tls, listener); }

Result<Settings> load_settings(const config::Config& c, const std::vector<std::string>& listeners) {
  Settings s;
  s.hostname = daemon::host_name(c);
  s.max_message_bytes = static_cast<std::uint64_t>(c.get(kMaxMessageBytes));
  s.max_recipients = static_cast<std::size_t>(c.get(kMaxRecipients));
  s.max_command_line = static_cast<std::size_t>(c.get(kMaxCommandLineBytes));
  s.command_timeout = std::chrono::seconds(c.get(kCommandTimeoutS));
  s.data_timeout = std::chrono::seconds(c.get(kDataTimeoutS));
  s.max_errors = static_cast<int>(c.get(kMaxErrors));
  s.error_delay = std::chrono::milliseconds(c.get(kErrorDelayMs));
  s.max_connections = static_cast<std::size_t>(c.get(kMaxConnections));
  s.max_connections_per_ip = static_cast<std::size_t>(c.get(kMaxConnectionsPerIp));
  for (const auto& text : c.get(kRelayNetworks)) {
    auto net = config::parse_network(text);
    if (!net) return fail(Errc::invalid, "smtpd.relay_networks: " + text + ": " + net.error().detail);
    s.relay_networks.push_back(*net);
  }
  s.allow_nul = c.get(kAllowNul);
  for (const auto& name : c.get(kSubmitUsers)) {
    auto user = find_user(name);
    if (!user) return fail(user.code(), "smtpd.submit_users: " + user.error().detail);
    s.submit_uids.push_back(user->uid);
  }
  for (const auto& name : c.get(kSubmitGroups)) {
    auto gid = find_group(name);
    if (!gid) return fail(gid.code(), "smtpd.submit_groups: " + gid.error().detail);
    s.submit_gids.push_back(*gid);
  }

  auto tls = tls::section_contexts("smtpd", c.get(kTlsCertificates), listeners, {"smtps"});
  if (!tls) return tls.error();
  s.tls = std::move(tls.value());
  return s;
}

}  // namespace parley::smtpd
