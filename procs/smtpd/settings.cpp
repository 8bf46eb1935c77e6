#include "settings.h"

#include "daemon/daemon.h"
#include "tls/listeners.h"

namespace parley::smtpd {

bool Settings::relay_client(std::string_view ip) const {
  for (const auto& n : relay_networks) {
    if (n.contains(ip)) return true;
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
