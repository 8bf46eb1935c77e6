#include "settings.h"

#include "core/ascii.h"
#include "daemon/daemon.h"

namespace parley::dequeuer {

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
  s.retry_first = std::chrono::seconds(c.integer("dequeuer", "retry_first_s"));
  s.retry_first_period = std::chrono::seconds(c.integer("dequeuer", "retry_first_period_s"));
  s.retry_later = std::chrono::seconds(c.integer("dequeuer", "retry_later_s"));
  s.max_queue_time = std::chrono::seconds(c.integer("dequeuer", "max_queue_time_s"));
  s.delay_warning = std::chrono::seconds(c.integer("dequeuer", "delay_warning_s"));
  s.max_deliveries = static_cast<std::size_t>(c.integer("dequeuer", "max_deliveries"));
  s.max_per_domain = static_cast<std::size_t>(c.integer("dequeuer", "max_per_domain"));
  s.max_recipients_per_delivery = static_cast<std::size_t>(c.integer("dequeuer", "max_recipients_per_delivery"));
  for (const auto& text : c.list("dequeuer", "routes")) {
    auto eq = text.find('=');
    s.routes[ascii_lower(text.substr(0, eq))] = text.substr(eq + 1);
  }
  s.dns_servers = c.list("dequeuer", "dns_servers");
  s.starttls = c.string("dequeuer", "outbound_tls") == "opportunistic";
  s.connect_timeout = std::chrono::seconds(c.integer("dequeuer", "connect_timeout_s"));
  s.smtp_timeout = std::chrono::seconds(c.integer("dequeuer", "smtp_timeout_s"));
  return s;
}

}  // namespace parley::dequeuer
