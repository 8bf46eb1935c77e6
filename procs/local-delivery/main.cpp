// local-delivery: writes messages into local accounts' mailboxes. Takes
// local.deliver requests from the dequeuer, adds Return-Path and
// Delivered-To, stores each copy in the account's INBOX (creating the
// account's default mailboxes on first delivery), enforces the quota the
// directory gave, and answers per recipient only after the store has the
// message on disk (fsync). Delivery is idempotent per (queue id, account),
// so the dequeuer's retry after a crash never stores twice. Publishes a
// "mailbox changed" event for IMAP IDLE.
// Untrusted input: LocalDeliverRequest records from the dequeuer (checked:
// sizes, counts, account names).
// Privileges: user parley-local-delivery, group parley-store: reads and
// writes the mail store (DATA_DIR/store, shared with imapd) and nothing
// else; calls the directory (accounts and their quotas, at delivery time).
#include "daemon/daemon.h"
#include "delivery.h"
#include "settings.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "local-delivery",
      .serves = {"local", "events"},
      .uses = {"directory"},
      .shares = {"store"},
      // The store sets its shared files' group permissions (the umask drops them).
      .syscalls = {"chmod", "fchmodat"},
      .settings = {parley::local::settings_section()},
      .start = &parley::local::start,
  });
}
