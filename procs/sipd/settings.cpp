#include "settings.h"

#include <cctype>
#include <charconv>

#include "core/ascii.h"
#include "daemon/daemon.h"
#include "sip/uri.h"
#include "sip/message.h"

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
const config::Integer kMaxCallS{
    .section = kSection, .key = "max_call_s", .default_value = 43200, .min = 60, .max = 604800,
    .doc = "An answered call whose BYE never came (a phone that lost power or its network) is taken "
           "as ended this long after its answer: logged as sip.call.end with reason=timeout and "
           "dropped from `parleyctl sip calls` and busy lamps."};
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
           "over UDP keeps its transaction 5 s (T4) after its answer, to absorb retransmissions: the "
           "default holds some 13,000 new requests a second. Read at start."};
const config::Integer kSubscribeMinExpiresS{
    .section = kSection, .key = "subscribe_min_expires_s", .default_value = 60, .min = 1, .max = 3600,
    .doc = "Shorter subscriptions (presence, dialog, message-summary) and publications get 423 Interval "
           "Too Brief with this Min-Expires."};
const config::Integer kSubscribeDefaultExpiresS{
    .section = kSection, .key = "subscribe_default_expires_s", .default_value = 3600, .min = 60, .max = 86400,
    .doc = "The interval of a subscription or publication that asks for none."};
const config::Integer kSubscribeMaxExpiresS{
    .section = kSection, .key = "subscribe_max_expires_s", .default_value = 7200, .min = 60, .max = 86400,
    .doc = "Longer subscriptions and publications are granted this long."};
const config::Integer kMaxSubscriptions{
    .section = kSection, .key = "max_subscriptions", .default_value = 100000, .min = 1, .max = 10000000,
    .doc = "Event subscriptions at once in all; more get 503 with Retry-After."};
const config::Integer kMaxSubscriptionsPerAccount{
    .section = kSection, .key = "max_subscriptions_per_account", .default_value = 200, .min = 1, .max = 100000,
    .doc = "Subscriptions at once to one account's events (its watchers); more get 403."};
const config::String kMediaRelay{
    .section = kSection, .key = "media_relay", .default_value = "nat", .choices = {"nat", "always", "never"},
    .doc = "When a call's RTP goes through the media process (media.address): nat, when the caller or a "
           "callee is behind NAT (the address in its SDP or Contact is private or is not where its "
           "packets come from); always; never. Without a media process (no [process.media]), never."};
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

const config::List kTrunks{
    .section = kSection, .key = "trunks", .default_value = {},
    .doc = "SIP trunks (providers) sipd registers to and sends calls through, one per entry: "
           "\"NAME registrar=URI username=USER password_file=PATH [realm=REALM] [expires_s=N] "
           "[proxy=URI] [register=no]\". The registrar's host is the trunk's domain; its "
           "transport parameter (;transport=tcp, sips:) chooses the transport; proxy is where calls "
           "go when not the registrar. The password is read from password_file (readable by "
           "parley-sipd only), never from this file, and never logged. The router's sip_gateways "
           "send numbers to a trunk by NAME."};
const config::List kTrunkDids{
    .section = kSection, .key = "trunk_dids", .default_value = {},
    .doc = "Incoming calls through a trunk: \"NUMBER=ADDRESS\", the number dialed (the To of "
           "the provider's INVITE) to the local address to call (\"4930123=alice@example.test\", "
           "an extension, a group); \"*=ADDRESS\" for any other number. Unmapped numbers call "
           "NUMBER at sipd.domain."};

}  // namespace

Result<Trunk> parse_trunk(std::string_view text) {
  auto bad = [&](std::string why) { return fail(Errc::invalid, "sipd.trunks: " + std::string(text.substr(0, text.find(' '))) + ": " + why); };
  Trunk t;
  bool first = true;
  while (!text.empty()) {
    const auto space = text.find(' ');
    std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (word.empty()) continue;
    if (first) {
      first = false;
      for (char c : word) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return bad("a name is letters, digits, - and _");
      }
      t.name = std::string(word);
      continue;
    }
    const auto eq = word.find('=');
    if (eq == std::string_view::npos) return bad("expected KEY=VALUE, not " + std::string(word));
    const std::string_view key = word.substr(0, eq);
    const std::string value(word.substr(eq + 1));
    if (key == "registrar") t.registrar = value;
    else if (key == "proxy") t.proxy = value;
    else if (key == "username") t.username = value;
    else if (key == "password_file") t.password_file = value;
    else if (key == "realm") t.realm = value;
    else if (key == "register") {
      if (value != "yes" && value != "no") return bad("register is yes or no");
      t.registers = value == "yes";
    } else if (key == "expires_s") {
      std::uint32_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 60 || n > 86400) {
        return bad("expires_s is 60 to 86400");
      }
      t.expires = n;
    } else {
      return bad("unknown key " + std::string(key));
    }
  }
  if (t.name.empty()) return bad("no name");
  if (t.registrar.empty() || t.username.empty() || t.password_file.empty()) {
    return bad("registrar, username and password_file are needed");
  }
  auto registrar = sip::parse_uri(t.registrar);
  if (!registrar || (registrar->scheme != sip::Scheme::sip && registrar->scheme != sip::Scheme::sips) ||
      !registrar->user.empty()) {
    return bad("registrar is a sip: or sips: URI without a user (sip:sip.provider.example)");
  }
  t.domain = ascii_lower(registrar->host);
  if (t.proxy.empty()) t.proxy = t.registrar;
  auto proxy = sip::parse_uri(t.proxy);
  if (!proxy || (proxy->scheme != sip::Scheme::sip && proxy->scheme != sip::Scheme::sips)) {
    return bad("proxy is a sip: or sips: URI");
  }
  for (char c : t.username) {
    if (c == '"' || c == '\\' || c == '@' || static_cast<unsigned char>(c) <= ' ') return bad("a username without quotes, @ or spaces");
  }
  return t;
}

namespace {

// The trunk's password from its password_file: the file's text without
// its final line break.
Status read_trunk_password(Trunk& t) {
  auto secret = config::read_file(t.password_file);
  if (!secret) return fail(Errc::invalid, "sipd.trunks: " + t.name + ": password_file " + t.password_file + ": " +
                                              secret.error().detail);
  t.password = secret.value();
  while (!t.password.empty() && (t.password.back() == '\n' || t.password.back() == '\r')) t.password.pop_back();
  if (t.password.empty()) return fail(Errc::invalid, "sipd.trunks: " + t.name + ": password_file " + t.password_file + " is empty");
  return {};
}

}  // namespace

const Trunk* Settings::trunk(std::string_view name) const {
  for (const auto& t : trunks) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

config::SectionDecl settings_section() {
  return {.name = std::string(kSection),
          .doc = "The SIP server: registrar and proxy on 5060 (UDP, TCP), 5061 (TLS) and WebSocket "
                 "listeners (sip-ws, sip-wss); registration intervals, digest challenges, limits and TLS.",
          .keys = {kDomain, kDefaultExpiresS, kMinExpiresS, kMaxExpiresS, kDigestAlgorithms, kNonceLifetimeS,
                   kInviteTimeoutS, kMaxCallS, kIdleTimeoutS, kMaxConnections, kMaxConnectionsPerIp, kMaxRequestsPerIp,
                   kMaxTransactions, kSubscribeMinExpiresS, kSubscribeDefaultExpiresS, kSubscribeMaxExpiresS,
                   kMaxSubscriptions, kMaxSubscriptionsPerAccount, kMediaRelay, kTlsCertificates, kDnsServers, kTlsCaFile,
                   kTrunks, kTrunkDids}};
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
  s.max_call = std::chrono::seconds(c.get(kMaxCallS));
  s.idle_timeout = std::chrono::seconds(c.get(kIdleTimeoutS));
  s.max_connections = static_cast<std::size_t>(c.get(kMaxConnections));
  s.max_connections_per_ip = static_cast<std::size_t>(c.get(kMaxConnectionsPerIp));
  s.max_requests_per_ip = static_cast<std::uint32_t>(c.get(kMaxRequestsPerIp));
  s.max_transactions = static_cast<std::size_t>(c.get(kMaxTransactions));
  s.subscribe_min_expires = static_cast<std::uint32_t>(c.get(kSubscribeMinExpiresS));
  s.subscribe_default_expires = static_cast<std::uint32_t>(c.get(kSubscribeDefaultExpiresS));
  s.subscribe_max_expires = static_cast<std::uint32_t>(c.get(kSubscribeMaxExpiresS));
  if (s.subscribe_min_expires > s.subscribe_default_expires || s.subscribe_default_expires > s.subscribe_max_expires) {
    return fail(Errc::invalid, "sipd: subscribe_min_expires_s <= subscribe_default_expires_s <= subscribe_max_expires_s must hold");
  }
  s.max_subscriptions = static_cast<std::size_t>(c.get(kMaxSubscriptions));
  s.max_subscriptions_per_account = static_cast<std::size_t>(c.get(kMaxSubscriptionsPerAccount));

  const std::string relay = c.get(kMediaRelay);
  s.media_relay = relay == "always"  ? Settings::MediaRelay::always
                  : relay == "never" ? Settings::MediaRelay::never
                                     : Settings::MediaRelay::nat;
  auto tls = tls::section_contexts("sipd", c.get(kTlsCertificates), listeners, {"sips", "sip-wss"});
  if (!tls) return tls.error();
  s.tls = std::move(tls.value());
  s.dns_servers = c.get(kDnsServers);
  auto client = tls::ClientContext::create(tls::ClientOptions{.verify = true, .ca_file = c.get(kTlsCaFile)});
  if (!client) return fail(Errc::invalid, "sipd.tls_ca_file: " + client.error().detail);
  s.tls_client = std::move(client.value());
  for (const auto& text : c.get(kTrunks)) {
    auto trunk = parse_trunk(text);
    if (!trunk) return trunk.error();
    if (auto read = read_trunk_password(*trunk); !read) return read.error();
    if (s.trunk(trunk->name) != nullptr) return fail(Errc::invalid, "sipd.trunks: " + trunk->name + " twice");
    s.trunks.push_back(std::move(trunk.value()));
  }
  for (const auto& text : c.get(kTrunkDids)) {
    const auto eq = text.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == text.size()) {
      return fail(Errc::invalid, "sipd.trunk_dids: " + text + ": expected NUMBER=ADDRESS");
    }
    s.trunk_dids[text.substr(0, eq)] = ascii_lower(text.substr(eq + 1));
  }
  return s;
}

}  // namespace parley::sipd
