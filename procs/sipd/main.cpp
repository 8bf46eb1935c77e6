// sipd: the SIP server (RFC 3261) for the same domains and accounts as
// mail: registrar (REGISTER with digest through the directory; bindings
// kept on disk), stateful forking proxy for calls, messages and other
// requests between accounts and out to other domains for authenticated
// users. UDP and TCP on the "sip" listener (5060), TLS on "sips" (5061),
// WebSocket (RFC 7118) for browser phones on "sip-ws" and "sip-wss" (TLS).
// Untrusted input: every byte from the network peers.
// Privileges: user parley-sipd; writes only its own data directory
// (DATA_DIR/sipd: registrations, instant messages kept for accounts with
// no device registered); reads its TLS certificates; calls the
// directory (digest checks: the secrets stay there; addresses, settings)
// and the router (where a request goes); asks local-delivery for a
// mailbox's counts and hears local-delivery's and imapd's mailbox events
// (message-summary; no access to the mail store); asks media for relay
// ports when a call's media goes through it; administration only from parleyd
// (ipc "admin", mode 0600).
#include "daemon/daemon.h"
#include "server.h"
#include "settings.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "sipd",
      .listeners = {"sip", "sips", "sip-ws", "sip-wss"},
      .serves = {"admin"},
      .uses = {"directory", "router", "local-delivery", "imapd", "media"},
      .settings = {parley::sipd::settings_section()},
      .start = &parley::sipd::start,
  });
}
