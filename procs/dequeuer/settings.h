// The dequeuer's part of parley.conf: its keys (declared in settings.cpp)
// and the settings they resolve to.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace parley::dequeuer {

struct Settings {
  std::string hostname;
  std::chrono::seconds retry_first{};
  std::chrono::seconds retry_first_period{};
  std::chrono::seconds retry_later{};
  std::chrono::seconds max_queue_time{};
  std::chrono::seconds delay_warning{};  // 0: never
  std::size_t max_deliveries = 0;
  std::size_t max_per_domain = 0;
  std::size_t max_recipients_per_delivery = 0;
  std::map<std::string, std::string, std::less<>> routes;  // domain (or "*") -> HOST:PORT
  std::vector<std::string> dns_servers;
  bool starttls = true;
  std::chrono::seconds connect_timeout{};
  std::chrono::seconds smtp_timeout{};

  // The wait before the next attempt, for a message queued `age` ago.
  std::chrono::seconds retry_delay(std::chrono::seconds age) const;
  // The fixed host for a domain ("" for its MX).
  std::string route_for(std::string_view domain) const;
};

// The [dequeuer] section, for the process's declaration.
config::SectionDecl settings_section();

Result<Settings> load_settings(const config::Config& config);

}  // namespace parley::dequeuer
