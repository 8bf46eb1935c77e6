#include "settings.h"

#include <algorithm>

#include "core/users.h"
#include "daemon/daemon.h"
#include "tls/listeners.h"

namespace parley::smtpd {

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
  s.max_message_bytes = static_cast<std::uint64_t>(c.integer("smtpd", "max_message_bytes"));
  s.max_recipients = static_cast<std::size_t>(c.integer("smtpd", "max_recipients"));
  s.max_command_line = static_cast<std::size_t>(c.integer("smtpd", "max_command_line_bytes"));
  s.command_timeout = std::chrono::seconds(c.integer("smtpd", "command_timeout_s"));
  s.data_timeout = std::chrono::seconds(c.integer("smtpd", "data_timeout_s"));
  s.max_errors = static_cast<int>(c.integer("smtpd", "max_errors"));
  s.error_delay = std::chrono::milliseconds(c.integer("smtpd", "error_delay_ms"));
  s.max_connections = static_cast<std::size_t>(c.integer("smtpd", "max_connections"));
  s.max_connections_per_ip = static_cast<std::size_t>(c.integer("smtpd", "max_connections_per_ip"));
  for (const auto& text : c.list("smtpd", "relay_networks")) {
    auto net = config::parse_network(text);
    if (!net) return fail(Errc::invalid, "smtpd.relay_networks: " + text + ": " + net.error().detail);
    s.relay_networks.push_back(*net);
  }
  s.allow_nul = c.boolean("smtpd", "allow_nul");
  for (const auto& name : c.list("smtpd", "submit_users")) {
    auto user = find_user(name);
    if (!user) return fail(user.code(), "smtpd.submit_users: " + user.error().detail);
    s.submit_uids.push_back(user->uid);
  }
  for (const auto& name : c.list("smtpd", "submit_groups")) {
    auto gid = find_group(name);
    if (!gid) return fail(gid.code(), "smtpd.submit_groups: " + gid.error().detail);
    s.submit_gids.push_back(*gid);
  }

  auto tls = tls::listener_contexts(c.list("smtpd", "tls_certificates"), listeners);
  if (!tls) return fail(tls.code(), "smtpd.tls_certificates: " + tls.error().detail);
  s.tls = std::move(tls.value());
  for (const auto& listener : listeners) {
    if (listener == "smtps" && !s.tls.contains(listener)) {
      return fail(Errc::invalid, "smtpd: the smtps listener needs a certificate (smtpd.tls_certificates)");
    }
  }
  return s;
}

}  // namespace parley::smtpd
