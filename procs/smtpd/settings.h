// smtpd's part of parley.conf, resolved: limits, relay networks and TLS
// contexts (certificate files read and checked here, so that a reload with
// a bad key is refused and the old contexts stay).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/network.h"
#include "core/result.h"
#include "tls/listeners.h"

namespace parley::smtpd {

struct Settings {
  std::string hostname;
  std::uint64_t max_message_bytes = 0;
  std::size_t max_recipients = 0;
  std::size_t max_command_line = 0;
  std::chrono::seconds command_timeout{};
  std::chrono::seconds data_timeout{};
  int max_errors = 0;
  std::chrono::milliseconds error_delay{};
  std::size_t max_connections = 0;
  std::size_t max_connections_per_ip = 0;
  std::vector<config::Network> relay_networks;
  // TLS per listener name; a listener without one has no STARTTLS.
  tls::ListenerContexts tls;

  bool relay_client(std::string_view ip) const;
  std::shared_ptr<tls::ServerContext> tls_for(std::string_view listener) const;
};

// `listeners`: the listener names this process was given.
Result<Settings> load_settings(const config::Config& config, const std::vector<std::string>& listeners);

}  // namespace parley::smtpd
