// imapd: mail access. IMAP4rev2/rev1 (RFC 9051, RFC 3501) with the
// extensions docs/access.md lists on 143 (STARTTLS) and 993 (implicit TLS);
// POP3 (RFC 1939) with CAPA (RFC 2449), STLS (RFC 2595), SASL (RFC 5034:
// PLAIN, LOGIN, SCRAM-SHA-256), UIDL and TOP on 110 and 995.
// Untrusted input: every byte from the network peer.
// Privileges: user parley-imapd, group parley-store: reads and writes the
// mail store (DATA_DIR/store, shared with local-delivery) and nothing else;
// hears local-delivery's mailbox events (IDLE) and publishes its own
// sessions' changes with the mailbox's counts (ipc "events": sipd's
// message-summary);
// reads its TLS certificates; calls the directory (SASL: passwords are
// checked there, never here).
#include "daemon/daemon.h"
#include "server.h"
#include "settings.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "imapd",
      .listeners = {"imap", "imaps", "pop3", "pop3s"},
      .serves = {"events"},
      .uses = {"directory", "local-delivery"},
      .shares = {"store"},
      // The store sets its shared files' group permissions (the umask drops them).
      .syscalls = {"chmod", "fchmodat"},
      .settings = {parley::imapd::settings_section()},
      .start = &parley::imapd::start,
  });
}
