#include "settings.h"

#include "daemon/daemon.h"

namespace parley::sipd {

namespace {

constexpr std::string_view kSection = "sipd";

const config::String kDomain{
    .section = kSection, .key = "domain", .default_value = "",
    .doc = "The domain meant by requests that name this server by its IP address or host name instead "
           "of a domain (\"sip:323@192.0.2.10\"), as many phones are set up; empty: such requests are "
           "for no domain."};
const config::Integer kDefaultExpiresS{
    .section = kSection, .key = "default_expires_s", .default_value = 3600, .min = 60, .max = 86400,
    .doc = "The registration interval granted when a phone asks for none (RFC 3261 10.3)."};
const config::Integer kMinExpiresS{
    .section = kSection, .key = "min_expires_s", .default_value = 60, .min = 1, .max = 3600,
    .doc = "Shorter registrations get 423 Interval Too Brief with this Min-Expires."};
const config::Integer kMaxExpiresS{
    .section = kSection, .key = "max_expires_s", .default_value = 7200, .min = 60, .max = 604800,
    .doc = "Longer registrations are granted this long."};
const config::List kDigestAlgorithms{
    .section = kSection, .key = "digest_algorithms", .default_value = {"MD5"},
    .doc = "The digest challenges offered, in this order (RFC 8760): \"MD5\", \"SHA-256\". Most "
           "deployed phones speak only MD5, and some (baresip 1.0) refuse a response that offers any "
           "other algorithm at all, so MD5 alone by default; [\"MD5\", \"SHA-256\"] offers both, MD5 first."};
const config::Integer kNonceLifetimeS{
    .section = kSection, .key = "nonce_lifetime_s", .default_value = 300, .min = 10, .max = 86400,
    .doc = "How long a digest nonce is good; an older one is answered with a new challenge and "
           "stale=true, so the phone retries without asking for the password."};
const config::Integer kInviteTimeoutS{
    .section = kSection, .key = "invite_timeout_s", .default_value = 180, .min = 10, .max = 3600,
    .doc = "How long a call may ring before the proxy cancels it (RFC 3261 timer C)."};
const config::Integer kIdleTimeoutS{
    .section = kSection, .key = "idle_timeout_s", .default_value = 3900, .min = 30, .max = 86400,
    .doc = "A TCP, TLS or WebSocket connection that sends nothing this long is closed (phones send "
           "keep-alives or re-register well within it)."};
const config::Integer kMaxConnections{
    .section = kSection, .key = "max_connections", .default_value = 10000, .min = 1, .max = 1000000,
    .doc = "TCP, TLS and WebSocket connections at once; more are closed at once."};
const config::Integer kMaxConnectionsPerIp{
    .section = kSection, .key = "max_connections_per_ip", .default_value = 100, .min = 1, .max = 100000,
    .doc = "Connections at once from one client address."};
const config::Integer kMaxRequestsPerIp{
    .section = kSection, .key = "max_requests_per_ip", .default_value = 500, .min = 1, .max = 1000000,
    .doc = "New requests per second from one client address; more get 503 with Retry-After "
           "(retransmissions are not counted)."};
const config::Integer kMaxTransactions{
    .section = kSection, .key = "max_transactions", .default_value = 131072, .min = 1024, .max = 4194304,
    .doc = "SIP transactions at once; new requests beyond are dropped (clients retransmit). A request "
           "over UDP keeps its transaction about 32 s after its answer, to absorb retransmissions: the "
           "default holds some 4,000 new requests a second, each a few KiB while it lives. Read at start."};
const config::List kTlsCertificates{
    .section = kSection, .key = "tls_certificates", .default_value = {},
    .doc = "Certificates as \"SCOPE=CERT_FILE,KEY_FILE\" (PEM), as for smtpd: SCOPE is default, "
           "listener:NAME, or a host name for SNI. The sips and sip-wss listeners need one. Read by "
           "sipd (parley-sipd must be able to read the key); re-read on reload.",
    .check = config::Check::certificate};

const config::List kDnsServers{
    .section = kSection, .key = "dns_servers", .default_value = {},
    .doc = "DNS servers for locating the SIP servers of other domains (RFC 3263: NAPTR, SRV, A and "
           "AAAA): \"192.0.2.53\", \"127.0.0.1:5353\"; empty: /etc/resolv.conf."};
const config::String kTlsCaFile{
    .section = kSection, .key = "tls_ca_file", .default_value = "",
    .doc = "The CA certificates (PEM bundle) outbound TLS connections (sips: targets, trunks over "
           "TLS) verify the server's certificate against, with its host name (RFC 5922); empty: the "
           "system store."};

}  // namespace

config::SectionDecl settings_section() {
  return {.name = std::string(kSection),
          .doc = "The SIP server: registrar and proxy on 5060 (UDP, TCP), 5061 (TLS) and WebSocket "
                 "listeners (sip-ws, sip-wss); registration intervals, digest challenges, limits and TLS.",
          .keys = {kDomain, kDefaultExpiresS, kMinExpiresS, kMaxExpiresS, kDigestAlgorithms, kNonceLifetimeS,
                   kInviteTimeoutS, kIdleTimeoutS, kMaxConnections, kMaxConnectionsPerIp, kMaxRequestsPerIp,
                   kMaxTransactions, kTlsCertificates, kDnsServers, kTlsCaFile}};
}

Result<Settings> load_settings(const config::Config& c, const std::vector<std::string>& listeners) {
  Settings s;
  s.hostname = daemon::host_name(c);
  s.domain = c.get(kDomain);
  for (char& ch : s.domain) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  s.registrar.default_expires = static_cast<std::uint32_t>(c.get(kDefaultExpiresS));
  s.registrar.min_expires = static_cast<std::uint32_t>(c.get(kMinExpiresS));
  s.registrar.max_expires = static_cast<std::uint32_t>(c.get(kMaxExpiresS));
  if (s.registrar.min_expires > s.registrar.max_expires || s.registrar.default_expires > s.registrar.max_expires ||
      s.registrar.default_expires < s.registrar.min_expires) {
    return fail(Errc::invalid, "sipd: min_expires_s <= default_expires_s <= max_expires_s must hold");
  }
  for (const auto& name : c.get(kDigestAlgorithms)) {
    auto algorithm = auth::parse_digest_algorithm(name);
    if (!algorithm || name.empty()) {
      return fail(Errc::invalid, "sipd.digest_algorithms: " + name + ": not MD5 or SHA-256");
    }
    s.digest_algorithms.push_back(*algorithm);
  }
  if (s.digest_algorithms.empty()) return fail(Errc::invalid, "sipd.digest_algorithms: at least one is needed");
  s.nonce_lifetime = std::chrono::seconds(c.get(kNonceLifetimeS));
  s.invite_timeout = std::chrono::seconds(c.get(kInviteTimeoutS));
  s.idle_timeout = std::chrono::seconds(c.get(kIdleTimeoutS));
  s.max_connections = static_cast<std::size_t>(c.get(kMaxConnections));
  s.max_connections_per_ip = static_cast<std::size_t>(c.get(kMaxConnectionsPerIp));
  s.max_requests_per_ip = static_cast<std::uint32_t>(c.get(kMaxRequestsPerIp));
  s.max_transactions = static_cast<std::size_t>(c.get(kMaxTransactions));

  auto tls = tls::section_contexts("sipd", c.get(kTlsCertificates), listeners, {"sips", "sip-wss"});
  if (!tls) return tls.error();
  s.tls = std::move(tls.value());
  s.dns_servers = c.get(kDnsServers);
  auto client = tls::ClientContext::create(tls::ClientOptions{.verify = true, .ca_file = c.get(kTlsCaFile)});
  if (!client) return fail(Errc::invalid, "sipd.tls_ca_file: " + client.error().detail);
  s.tls_client = std::move(client.value());
  return s;
}

}  // namespace parley::sipd
