#include "settings.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>

#include "daemon/daemon.h"
#include "tls/listeners.h"

namespace parley::smtpd {
namespace {

constexpr std::size_t kNssBuffer = 16384;

Result<uid_t> user_id(const std::string& name) {
  std::vector<char> buf(kNssBuffer);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return fail(Errc::not_found, "smtpd.submit_users: no such user: " + name);
  }
  return pw.pw_uid;
}

Result<gid_t> group_id(const std::string& name) {
  std::vector<char> buf(kNssBuffer);
  group gr{};
  group* found = nullptr;
  if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return fail(Errc::not_found, "smtpd.submit_groups: no such group: " + name);
  }
  return gr.gr_gid;
}

}  // namespace

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
    auto uid = user_id(name);
    if (!uid) return uid.error();
    s.submit_uids.push_back(*uid);
  }
  for (const auto& name : c.list("smtpd", "submit_groups")) {
    auto gid = group_id(name);
    if (!gid) return gid.error();
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
