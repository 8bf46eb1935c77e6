// imapd: mail access. Today POP3 (RFC 1939) with CAPA (RFC 2449), STLS
// (RFC 2595), SASL (RFC 5034: PLAIN, LOGIN, SCRAM-SHA-256), UIDL and TOP on
// 110 and 995 (implicit TLS); IMAP on 143/993 comes next.
// Untrusted input: every byte from the network peer.
// Privileges: user parley-imapd, group parley-store: reads and writes the
// mail store (DATA_DIR/store, shared with local-delivery) and nothing else;
// reads its TLS certificates; calls the directory (SASL: passwords are
// checked there, never here).
#include "daemon/daemon.h"
#include "server.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "imapd",
      .listeners = {"pop3", "pop3s"},
      .uses = {"directory"},
      .shares = {"store"},
      // The store sets its shared files' group permissions (the umask drops them).
      .syscalls = {"chmod", "fchmodat"},
      .start = &parley::imapd::start,
  });
}
