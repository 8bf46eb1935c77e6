#include "settings.h"

namespace parley::imapd {

namespace {

constexpr std::string_view kSection = "imapd";

const config::List kTlsCertificates{
    .section = kSection, .key = "tls_certificates", .default_value = {},
    .doc = "Certificates, as smtpd.tls_certificates (SCOPE is default, listener:NAME or an SNI host name). "
           "Without any, STLS is not offered, USER/PASS and AUTH are refused, and pop3s is refused.",
    .check = config::Check::certificate};
const config::Integer kPop3TimeoutS{
    .section = kSection, .key = "pop3_timeout_s", .default_value = 600,
    .min = 30, .max = 3600, .doc = "Idle time before a POP3 session is closed (RFC 1939 3: at least 10 minutes)."};
const config::Integer kImapTimeoutS{
    .section = kSection, .key = "imap_timeout_s", .default_value = 1800,
    .min = 60, .max = 86400,
    .doc = "Idle time before a logged-in IMAP session is closed (RFC 9051 5.4: at least 30 minutes); "
           "IDLE sessions are kept alive with \"* OK Still here\" every two minutes."};
const config::Integer kImapLoginTimeoutS{
    .section = kSection, .key = "imap_login_timeout_s", .default_value = 60,
    .min = 10, .max = 3600, .doc = "Idle time before an IMAP session that has not logged in is closed."};
const config::List kPublicAdmins{
    .section = kSection, .key = "public_admins", .default_value = {},
    .doc = "Accounts that administer the public namespace (#public/): they hold every right there "
           "and grant rights to others with SETACL."};
const config::Integer kMaxConnections{
    .section = kSection, .key = "max_connections", .default_value = 1000,
    .min = 1, .max = 1000000, .doc = "Sessions at once."};
const config::Integer kMaxConnectionsPerIp{
    .section = kSection, .key = "max_connections_per_ip", .default_value = 100,
    .min = 1, .max = 100000,
    .doc = "Sessions at once from one client address. An office behind one NAT address counts as one "
           "client, and each desktop client keeps several sessions open (one per watched mailbox)."};
const config::Integer kMaxErrors{
    .section = kSection, .key = "max_errors", .default_value = 10,
    .min = 1, .max = 1000, .doc = "Errors (bad commands, failed logins) before the session is closed."};
const config::Integer kMessageCacheMib{
    .section = kSection, .key = "message_cache_mib", .default_value = 64,
    .min = 0, .max = 65536,
    .doc = "Memory for recently read messages and their parsed MIME structure, shared by all sessions "
           "(counted whole: bytes, parsed tree and index); 0 keeps none. A message over a quarter of it "
           "is not kept."};

}  // namespace

config::SectionDecl settings_section() {
  return {.name = std::string(kSection),
          .doc = "Mail access: POP3 on 110 (STLS) and 995 (implicit TLS).",
          .keys = {kTlsCertificates, kPop3TimeoutS, kImapTimeoutS, kImapLoginTimeoutS, kPublicAdmins, kMaxConnections,
                   kMaxConnectionsPerIp, kMaxErrors, kMessageCacheMib}};
}

std::shared_ptr<tls::ServerContext> Settings::tls_for(std::string_view listener) const { return tls::context_for(tls, listener); }

Result<Settings> load_settings(const config::Config& c, const std::vector<std::string>& listeners) {
  Settings s;
  s.pop3_timeout = std::chrono::seconds(c.get(kPop3TimeoutS));
  s.imap_timeout = std::chrono::seconds(c.get(kImapTimeoutS));
  s.imap_login_timeout = std::chrono::seconds(c.get(kImapLoginTimeoutS));
  s.public_admins = c.get(kPublicAdmins);
  s.max_connections = static_cast<std::size_t>(c.get(kMaxConnections));
  s.max_connections_per_ip = static_cast<std::size_t>(c.get(kMaxConnectionsPerIp));
  s.max_errors = static_cast<int>(c.get(kMaxErrors));
  s.message_cache_bytes = static_cast<std::size_t>(c.get(kMessageCacheMib)) << 20;
  auto tls = tls::section_contexts("imapd", c.get(kTlsCertificates), listeners, {"imaps", "pop3s"});
  if (!tls) return tls.error();
  s.tls = std::move(tls.value());
  return s;
}

}  // namespace parley::imapd
