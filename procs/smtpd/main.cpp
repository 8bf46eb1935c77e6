// smtpd: the SMTP server. Port 25 (smtp) receives mail for local domains
// from anyone and relays for authenticated users and configured client
// networks; 587 (submission, RFC 6409) and 465 (smtps, implicit TLS, RFC
// 8314) take mail from authenticated users only. ESMTP with PIPELINING,
// SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, DSN, CHUNKING, STARTTLS
// and AUTH (PLAIN, LOGIN, SCRAM-SHA-256, only over TLS). The "local"
// listener, a Unix socket, is how sendmail hands over mail from local
// programs: the sender is identified by its uid (SO_PEERCRED).
// Untrusted input: every byte from the network peer.
// Privileges: user parley-smtpd; no disk writes but its log: a message is
// held in memory (bounded by max_message_bytes) and handed to the router,
// which writes it once into the queue; 250 only after the router's
// acknowledgement. Reads its TLS certificates and keys. Calls directory
// (recipient checks, SASL) and router (enqueue).
#include "daemon/daemon.h"
#include "server.h"
#include "settings.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "smtpd",
      .listeners = {"smtp", "submission", "smtps", "local"},
      .uses = {"directory", "router"},
      .settings = {parley::smtpd::settings_section()},
      .start = &parley::smtpd::start,
  });
}
