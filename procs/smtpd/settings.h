// smtpd's part of parley.conf: its keys (declared in settings.cpp) and the
// settings they resolve to: limits, relay networks and TLS contexts
// (certificate files read and checked here, so that a reload with a bad
// key is refused and the old contexts stay).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/network.h"
#include "core/result.h"
#include "tls/listeners.h"

namespace parley::smtpd {

// Who a program on the local listener runs as (SO_PEERCRED, SO_PEERGROUPS).
struct LocalCredentials {
  uid_t uid = 0;
  gid_t gid = 0;                // the process's group
  std::vector<gid_t> groups;    // its supplementary groups
};

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
  bool allow_nul = false;
  // smtpd.submit_users and submit_groups, resolved at load; both empty:
  // every local user may submit.
  std::vector<uid_t> submit_uids;
  std::vector<gid_t> submit_gids;
  // TLS per listener name; a listener without one has no STARTTLS.
  tls::ListenerContexts tls;

  bool relay_client(std::string_view ip) const;
  // Whether a local program may submit mail (Postfix's authorized_submit_users);
  // `who` unknown (no SO_PEERCRED): only while nobody is restricted.
  bool may_submit(const std::optional<LocalCredentials>& who) const;
  std::shared_ptr<tls::ServerContext> tls_for(std::string_view listener) const;
};

// The [smtpd] section, for the process's declaration.
config::SectionDecl settings_section();

// `listeners`: the listener names this process was given. User and group
// names are looked up here, at start and at every reload (Errc::not_found
// for one that does not exist).
Result<Settings> load_settings(const config::Config& config, const std::vector<std::string>& listeners);

}  // namespace parley::smtpd
