// imapd's part of parley.conf: its keys (declared in settings.cpp) and the
// settings they resolve to: timeouts, limits, public-namespace
// administrators and TLS contexts (certificate files read and checked here,
// so that a reload with a bad key is refused and the old contexts stay).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "tls/listeners.h"

namespace parley::imapd {

struct Settings {
  std::chrono::seconds pop3_timeout{};
  std::chrono::seconds imap_timeout{};
  std::chrono::seconds imap_login_timeout{};
  std::vector<std::string> public_admins;
  std::size_t max_connections = 0;
  std::size_t max_connections_per_ip = 0;
  int max_errors = 0;
  std::size_t message_cache_bytes = 0;  // imapd.message_cache_mib
  tls::ListenerContexts tls;

  std::shared_ptr<tls::ServerContext> tls_for(std::string_view listener) const;
};

// The [imapd] section, for the process's declaration.
config::SectionDecl settings_section();

// `listeners`: the listener names this process was given; imaps and pop3s
// need a certificate (Errc::invalid).
Result<Settings> load_settings(const config::Config& config, const std::vector<std::string>& listeners);

}  // namespace parley::imapd
