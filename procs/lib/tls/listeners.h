// Certificates as parley.conf lists them for a process's listeners
// (smtpd.tls_certificates, imapd.tls_certificates):
//   "SCOPE=CERT_FILE,KEY_FILE"
// SCOPE is `default` (every listener), `listener:NAME` (that listener's
// default instead), or a host name for SNI ("mail.example.org",
// "*.example.org"), offered on every listener. Turned into one server
// context per listener that has a certificate; a listener without one has
// none (no STARTTLS; an implicit-TLS listener must be refused by the caller).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "tls/context.h"

namespace parley::tls {

using ListenerContexts = std::map<std::string, std::shared_ptr<ServerContext>, std::less<>>;

// Errc::invalid for a malformed entry; ServerContext::create's errors for
// files (naming the file).
Result<ListenerContexts> listener_contexts(const std::vector<std::string>& entries, const std::vector<std::string>& listeners);

// listener_contexts() for a front end's `SECTION.tls_certificates`: errors
// name the key; each listener among `listeners` that speaks TLS from its
// first byte (`implicit`: "smtps", "imaps", "sips", ...) must have a
// context (Errc::invalid naming it otherwise).
Result<ListenerContexts> section_contexts(std::string_view section, const std::vector<std::string>& entries,
                                          const std::vector<std::string>& listeners,
                                          const std::vector<std::string_view>& implicit);

// The listener's context, or nullptr when it has no certificate.
std::shared_ptr<ServerContext> context_for(const ListenerContexts& contexts, std::string_view listener);

}  // namespace parley::tls
