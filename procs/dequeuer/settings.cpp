#include "settings.h"

#include "core/ascii.h"
#include "daemon/daemon.h"

namespace parley::dequeuer {

namespace {

constexpr std::string_view kSection = "dequeuer";
constexpr std::int64_t kDayS = 86400;

const config::Integer kRetryFirstS{
    .section = kSection, .key = "retry_first_s", .default_value = 900,
    .min = 1, .max = kDayS, .doc = "Interval between attempts during the first retry_first_period_s."};
const config::Integer kRetryFirstPeriodS{
    .section = kSection, .key = "retry_first_period_s", .default_value = 7200,
    .min = 0, .max = 30 * kDayS, .doc = "How long retries use retry_first_s."};
const config::Integer kRetryLaterS{
    .section = kSection, .key = "retry_later_s", .default_value = 3600,
    .min = 1, .max = kDayS, .doc = "Interval between attempts after that."};
const config::Integer kMaxQueueTimeS{
    .section = kSection, .key = "max_queue_time_s", .default_value = 5 * kDayS,
    .min = 1, .max = 60 * kDayS,
    .doc = "A recipient still undelivered this long after the message arrived is bounced."};
const config::Integer kDelayWarningS{
    .section = kSection, .key = "delay_warning_s", .default_value = 4 * 3600,
    .min = 0, .max = 60 * kDayS,
    .doc = "Send a delay notice (RFC 3464, action delayed) after this long; 0: never."};
const config::Integer kMaxDeliveries{
    .section = kSection, .key = "max_deliveries", .default_value = 100,
    .min = 1, .max = 10000, .doc = "Deliveries in progress at once, local and remote together."};
const config::Integer kMaxPerDomain{
    .section = kSection, .key = "max_per_domain", .default_value = 10,
    .min = 1, .max = 1000, .doc = "Connections at once to one remote domain."};
const config::Integer kMaxRecipientsPerDelivery{
    .section = kSection, .key = "max_recipients_per_delivery", .default_value = 100, .min = 1, .max = 10000,
    .doc = "Recipients sent in one SMTP transaction (or one local delivery)."};
const config::List kRoutes{
    .section = kSection, .key = "routes", .default_value = {},
    .doc = "Remote domains delivered to a fixed host instead of their MX: \"DOMAIN=HOST:PORT\" "
           "(\"example.net=192.0.2.7:25\", \"*=smarthost.example:587\" for everything).",
    .check = config::Check::route};
const config::List kDnsServers{
    .section = kSection, .key = "dns_servers", .default_value = {},
    .doc = "DNS servers for MX lookups (\"192.0.2.53\", \"127.0.0.1:5353\"); empty: /etc/resolv.conf."};
const config::String kOutboundTls{
    .section = kSection, .key = "outbound_tls", .default_value = "opportunistic",
    .choices = {"opportunistic", "off"},
    .doc = "opportunistic: STARTTLS whenever the remote server offers it (RFC 7435), without "
           "certificate checks, falling back to plain text only when the handshake fails; off: never."};
const config::Integer kConnectTimeoutS{
    .section = kSection, .key = "connect_timeout_s", .default_value = 30,
    .min = 1, .max = 600, .doc = "Outbound SMTP connection timeout."};
const config::Integer kSmtpTimeoutS{
    .section = kSection, .key = "smtp_timeout_s", .default_value = 300,
    .min = 1, .max = 3600,
    .doc = "Outbound SMTP: how long to wait for each reply (RFC 5321 4.5.3.2: 5 minutes for MAIL, "
           "RCPT and the greeting; the end of DATA waits twice this)."};

}  // namespace

config::SectionDecl settings_section() {
  return {.name = std::string(kSection),
          .doc = "The queue manager: retries, delivery concurrency, outbound SMTP, bounces and "
                 "delivery status notifications.",
          .keys = {kRetryFirstS, kRetryFirstPeriodS, kRetryLaterS, kMaxQueueTimeS, kDelayWarningS, kMaxDeliveries,
                   kMaxPerDomain, kMaxRecipientsPerDelivery, kRoutes, kDnsServers, kOutboundTls, kConnectTimeoutS,
                   kSmtpTimeoutS}};
}

std::chrono::seconds Settings::retry_delay(std::chrono::seconds age) const {
  return age < retry_first_period ? retry_first : retry_later;
}

std::string Settings::route_for(std::string_view domain) const {
  std::string d = ascii_lower(domain);
  if (auto it = routes.find(d); it != routes.end()) return it->second;
  if (auto it = routes.find("*"); it != routes.end()) return it->second;
  return "";
}

Result<Settings> load_settings(const config::Config& c) {
  Settings s;
  s.hostname = daemon::host_name(c);
  s.retry_first = std::chrono::seconds(c.get(kRetryFirstS));
  s.retry_first_period = std::chrono::seconds(c.get(kRetryFirstPeriodS));
  s.retry_later = std::chrono::seconds(c.get(kRetryLaterS));
  s.max_queue_time = std::chrono::seconds(c.get(kMaxQueueTimeS));
  s.delay_warning = std::chrono::seconds(c.get(kDelayWarningS));
  s.max_deliveries = static_cast<std::size_t>(c.get(kMaxDeliveries));
  s.max_per_domain = static_cast<std::size_t>(c.get(kMaxPerDomain));
  s.max_recipients_per_delivery = static_cast<std::size_t>(c.get(kMaxRecipientsPerDelivery));
  for (const auto& text : c.get(kRoutes)) {
    auto eq = text.find('=');
    s.routes[ascii_lower(text.substr(0, eq))] = text.substr(eq + 1);
  }
  s.dns_servers = c.get(kDnsServers);
  s.starttls = c.get(kOutboundTls) == "opportunistic";
  s.connect_timeout = std::chrono::seconds(c.get(kConnectTimeoutS));
  s.smtp_timeout = std::chrono::seconds(c.get(kSmtpTimeoutS));
  return s;
}

}  // namespace parley::dequeuer
