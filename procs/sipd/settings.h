// sipd's part of parley.conf: its keys (declared in settings.cpp) and the
// settings they resolve to: the domain for requests that name the server
// by address, registration intervals, digest challenges, limits, timers
// and TLS contexts (certificate files read and checked here, so that a
// reload with a bad key is refused and the old contexts stay).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth.h"
#include "config/config.h"
#include "core/result.h"
#include "sip/registrar.h"
#include "tls/listeners.h"

namespace parley::sipd {

// A SIP trunk (sipd.trunks): a provider sipd registers to as a client and
// sends calls through (gateway rules name it, docs/router.md).
struct Trunk {
  std::string name;
  std::string registrar;  // URI: the REGISTER's Request-URI and where it goes
  std::string proxy;      // URI: where calls go; the registrar when not given
  std::string domain;     // the registrar's host: the trunk's AOR and called URIs' host
  std::string username;
  std::string password_file;
  std::string password;   // read from password_file; never logged
  std::string realm;      // the only realm credentials are given for; empty: the one asked
  std::uint32_t expires = 600;
  bool registers = true;  // false: a trunk that knows this server by address
};

struct Settings {
  std::string hostname;
  // Requests whose Request-URI or To names this server by its address or
  // host name rather than by a domain ("sip:demo@127.0.0.1") mean this
  // domain; empty: such requests are for no domain (404, 403).
  std::string domain;
  // Registration intervals; max_bindings comes from each account's settings.
  sip::RegistrarPolicy registrar;
  // The challenges offered, in order (RFC 8760 4: one per algorithm).
  std::vector<auth::DigestAlgorithm> digest_algorithms;
  std::chrono::seconds nonce_lifetime{};
  std::chrono::seconds invite_timeout{};  // timer C: how long a call may ring
  std::chrono::seconds max_call{};        // an answered call without a BYE ends after this
  std::chrono::seconds idle_timeout{};    // a stream connection that says nothing
  std::size_t max_connections = 0;
  std::size_t max_connections_per_ip = 0;
  std::uint32_t max_requests_per_ip = 0;  // new requests per second from one address
  std::size_t max_transactions = 0;       // sip::TransactionTable's bound (fixed at start)
  // Event subscriptions (RFC 6665) and publications (RFC 3903).
  std::uint32_t subscribe_min_expires = 0, subscribe_default_expires = 0, subscribe_max_expires = 0;
  std::size_t max_subscriptions = 0;
  std::size_t max_subscriptions_per_account = 0;
  enum class MediaRelay { nat, always, never };
  MediaRelay media_relay = MediaRelay::nat;  // when a call's media goes through the media process
  // TLS per listener name (sips, sip-wss).
  tls::ListenerContexts tls;
  // Calls leaving the system: DNS servers for RFC 3263 location (empty:
  // /etc/resolv.conf), and the client context of outbound TLS (verifying
  // the server's certificate against the host name, RFC 5922).
  std::vector<std::string> dns_servers;
  std::shared_ptr<tls::ClientContext> tls_client;
  std::vector<Trunk> trunks;
  // Incoming calls through a trunk: the dialed number (To) -> the address
  // to call ("*": any other number); unmapped numbers call NUMBER@domain.
  std::map<std::string, std::string, std::less<>> trunk_dids;

  const Trunk* trunk(std::string_view name) const;

  std::shared_ptr<tls::ServerContext> tls_for(std::string_view listener) const { return tls::context_for(tls, listener); }
};

// The [sipd] section, for the process's declaration.
config::SectionDecl settings_section();

Result<Settings> load_settings(const config::Config& config, const std::vector<std::string>& listeners);

// One sipd.trunks entry, "NAME registrar=URI username=USER
// password_file=FILE [realm=R] [expires_s=N] [proxy=URI] [register=no]",
// checked; the password is not read here (load_settings reads the file).
// Errc::invalid naming what is wrong.
Result<Trunk> parse_trunk(std::string_view text);

}  // namespace parley::sipd
