#include "settings.h"

#include "daemon/daemon.h"

namespace parley::smtpd {
namespace {

struct CertEntry {
  std::string scope;
  tls::CertPair pair;
};

std::vector<CertEntry> cert_entries(const config::Config& config) {
  std::vector<CertEntry> out;
  for (const auto& text : config.list("smtpd", "tls_certificates")) {
    auto eq = text.find('=');
    auto comma = text.find(',', eq);
    out.push_back({text.substr(0, eq), {text.substr(eq + 1, comma - eq - 1), text.substr(comma + 1)}});
  }
  return out;
}

}  // namespace

bool Settings::relay_client(std::string_view ip) const {
  for (const auto& n : relay_networks) {
    if (n.contains(ip)) return true;
  }
  return false;
}

std::shared_ptr<tls::ServerContext> Settings::tls_for(std::string_view listener) const {
  auto it = tls.find(listener);
  return it == tls.end() ? nullptr : it->second;
}

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

  // One context per listener: its own default certificate (listener:NAME)
  // or the general one, and every host name for SNI.
  auto entries = cert_entries(c);
  tls::ServerConfig base;
  bool have_default = false;
  for (const auto& e : entries) {
    if (e.scope == "default") {
      base.default_cert = e.pair;
      have_default = true;
    } else if (!e.scope.starts_with("listener:")) {
      base.by_name.emplace_back(e.scope, e.pair);
    }
  }
  for (const auto& listener : listeners) {
    tls::ServerConfig cfg = base;
    bool have = have_default;
    for (const auto& e : entries) {
      if (e.scope == "listener:" + listener) {
        cfg.default_cert = e.pair;
        have = true;
      }
    }
    if (!have) {
      if (listener == "smtps") return fail(Errc::invalid, "smtpd: the smtps listener needs a certificate (smtpd.tls_certificates)");
      continue;
    }
    auto ctx = tls::ServerContext::create(cfg);
    if (!ctx) return fail(ctx.code(), "smtpd.tls_certificates: " + ctx.error().detail);
    s.tls[listener] = std::move(ctx.value());
  }
  return s;
}

}  // namespace parley::smtpd
